"""Feed cursors: ``(epoch, xid, seq)``, opaque and signed by the node that issued them.

On PostgreSQL the feed is ordered by ``(xid, seq)``: rows of one transaction stay together and
a row is served only once every transaction with a smaller id has ended. On SQLite (one
writer at a time) ``xid`` is 0 and ``seq`` alone orders the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.errors import BadRequest
from app.core.pagination import CursorCodec


@dataclass(frozen=True, slots=True, order=True)
class FeedPosition:
    xid: int
    seq: int


@dataclass(frozen=True, slots=True)
class FeedCursor:
    epoch: str
    position: FeedPosition

    def encode(self, codec: CursorCodec) -> str:
        return codec.encode(["feed", self.epoch, self.position.xid, self.position.seq])

    @classmethod
    def decode(cls, codec: CursorCodec, text: str) -> FeedCursor:
        values = codec.decode(text)
        if (
            len(values) != 4
            or values[0] != "feed"
            or not isinstance(values[1], str)
            or not all(isinstance(v, int) and v >= 0 for v in values[2:])
        ):
            raise BadRequest("unknown cursor; start again without one")
        return cls(values[1], FeedPosition(values[2], values[3]))


START = FeedPosition(0, 0)
