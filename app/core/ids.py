"""Record identifiers: time-ordered UUIDv7 (RFC 9562), so keys index and page in creation order."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    """A UUIDv7 that is strictly increasing within this process."""
    return uuid7s(1)[0]


def uuid7s(count: int) -> list[uuid.UUID]:
    """``count`` UUIDv7s, one after another (strictly increasing, after every id this process
    made before), with one read of the OS's random source: per id, 2 bytes start the counter
    of a new millisecond (11 bits) and 8 give the 62 random bits."""
    global _last_ms, _counter  # noqa: PLW0603 - module-level monotonic state
    pool = os.urandom(10 * count)
    stamps: list[tuple[int, int]] = []
    with _lock:
        for i in range(count):
            now = time.time_ns() // 1_000_000
            if now <= _last_ms:
                _counter += 1
                if _counter > 0xFFF:
                    _last_ms += 1
                    _counter = 0
                now = _last_ms
            else:
                _counter = int.from_bytes(pool[10 * i : 10 * i + 2], "big") & 0x7FF
            _last_ms = now
            stamps.append((now, _counter))
    out = []
    for i, (ms, rand_a) in enumerate(stamps):
        value = (ms & ((1 << 48) - 1)) << 80
        value |= 0x7 << 76
        value |= rand_a << 64
        value |= 0b10 << 62
        value |= int.from_bytes(pool[10 * i + 2 : 10 * i + 10], "big") & ((1 << 62) - 1)
        out.append(uuid.UUID(int=value))
    return out
