"""Record identifiers: UUIDv7, strictly increasing within the process, one at a time or in a
batch."""

from __future__ import annotations

import uuid

from app.core.ids import uuid7, uuid7s


def _is_v7(value: uuid.UUID) -> bool:
    return value.version == 7 and value.variant == uuid.RFC_4122


def test_one_at_a_time_increases() -> None:
    ids = [uuid7() for _ in range(5000)]
    assert all(_is_v7(i) for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_a_batch_continues_the_sequence() -> None:
    before = uuid7()
    batch = uuid7s(20_000)  # more than one millisecond's 4,096 counter values
    after = uuid7()
    assert len(batch) == 20_000
    assert all(_is_v7(i) for i in batch)
    assert [before, *batch, after] == sorted([before, *batch, after])
    assert len({before, *batch, after}) == 20_002


def test_a_batch_is_random_past_its_timestamp() -> None:
    first, second = uuid7s(2)
    # the 62 random bits of two ids made in the same millisecond differ
    assert first.int & ((1 << 62) - 1) != second.int & ((1 << 62) - 1)
    assert uuid7s(0) == []
