"""Holding Python's cyclic garbage collector off while a page of records is built.

Decoding a sync page (thousands of records, each a model and a dict), checking it and encoding
it for COPY allocates a few hundred thousand containers in one synchronous burst. With the
collector on, that burst sets off dozens of young collections and, as the survivors pile up,
full ones that walk every object of the process — each page's records scanned again and again
although they hold no cycles and are freed by reference counting. Paused, the collector takes
the burst in a single young collection afterwards. The block is synchronous, so no other
coroutine runs while the collector is held off.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for the block (left as it was when it was off already)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
