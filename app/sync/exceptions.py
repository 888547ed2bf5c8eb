"""Sync errors.

Exception tree::

    SyncError
    ├── PeerUnavailable     the peer did not answer usefully after the retries
    │                        (connection errors, timeouts, 5xx, 429)
    ├── PeerRejected        the peer refused the request (4xx other than 410)
    ├── CursorGone          410: the cursor is from another epoch or older than the log
    ├── SchemaMismatch      the peer runs another schema version
    ├── ProtocolError       the peer's answer is not a valid feed page
    ├── BoundaryViolation   a child sent a record outside its region: the page is refused
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


class BoundaryViolation(SyncError):
    """A child's page holds a record whose region or origin lies outside the child's region
    (or the child names a region that is not its own). Nothing of the page is applied."""

    def __init__(
        self, message: str, *, region: str | None = None, details: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.region = region
        self.details = details or {}


class PullInProgress(SyncError):
    pass
