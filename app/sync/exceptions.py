"""Sync errors.

Exception tree::

    SyncError
    ├── PeerUnavailable     the peer did not answer usefully after the retries
    │                        (connection errors, timeouts, 5xx, 429)
    ├── PeerRejected        the peer refused the request (4xx other than 410)
    ├── CursorGone          410: the cursor is from another epoch or older than the log
    ├── SchemaMismatch      the peer runs another schema version
    ├── ProtocolError       the peer's answer is not a valid feed page
    └── PullInProgress      another worker holds the lease for this peer
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every sync failure."""


class PeerUnavailable(SyncError):
    pass


class PeerRejected(SyncError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"peer refused the request ({status}): {detail}")
        self.status = status


class CursorGone(SyncError):
    pass


class SchemaMismatch(SyncError):
    pass


class ProtocolError(SyncError):
    pass


class PullInProgress(SyncError):
    pass
