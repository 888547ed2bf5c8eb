"""Record identifiers: time-ordered UUIDv7 (RFC 9562), so keys index and page in creation order."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def _next_stamp(fresh_counter: int) -> tuple[int, int]:
    """The next (millisecond, counter) pair; call with ``_lock`` held. ``fresh_counter`` (11
    random bits) starts the counter of a new millisecond."""
    global _last_ms, _counter  # noqa: PLW0603 - module-level monotonic state
    now = time.time_ns() // 1_000_000
    if now <= _last_ms:
        _counter += 1
        if _counter > 0xFFF:
            _last_ms += 1
            _counter = 0
        now = _last_ms
    else:
        _counter = fresh_counter
    _last_ms = now
    return now, _counter


def _compose(ms: int, rand_a: int, rand_b: int) -> uuid.UUID:
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= rand_a << 64
    value |= 0b10 << 62
    value |= rand_b & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def uuid7() -> uuid.UUID:
    """A UUIDv7 that is strictly increasing within this process."""
    with _lock:
        now, rand_a = _next_stamp(int.from_bytes(os.urandom(2), "big") & 0x7FF)
    return _compose(now, rand_a, int.from_bytes(os.urandom(8), "big"))


def uuid7s(count: int) -> list[uuid.UUID]:
    """``count`` UUIDv7s as :func:`uuid7` makes them, one after another (strictly increasing,
    after every id this process made before), with one read of the OS's random source."""
    pool = os.urandom(10 * count)
    with _lock:
        stamps = [_next_stamp(int.from_bytes(pool[10 * i : 10 * i + 2], "big") & 0x7FF) for i in range(count)]
    return [
        _compose(ms, rand_a, int.from_bytes(pool[10 * i + 2 : 10 * i + 10], "big"))
        for i, (ms, rand_a) in enumerate(stamps)
    ]
