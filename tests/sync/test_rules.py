"""Pure sync pieces: digests, backoff, cursors, re-sealing personal data."""

from __future__ import annotations

import random
import uuid

import pytest

from app.core.errors import BadRequest
from app.core.pagination import CursorCodec
from app.core.record import ENTITIES
from app.models import import_all_models
from app.security.pii import PiiCipher
from app.sync.applier import prepare_page, reseal, reseal_all
from app.sync.client import BACKOFF_CAP_S, backoff
from app.sync.cursor import FeedCursor, FeedPosition
from app.sync.digest import Digest, DigestSet, differences
from app.sync.exceptions import ProtocolError

import_all_models()


def test_digest_is_order_independent_and_sensitive() -> None:
    rows = [(uuid.uuid4(), v) for v in range(1, 50)]
    a, b = Digest(), Digest()
    for rid, v in rows:
        a.add(rid, v)
    for rid, v in reversed(rows):
        b.add(rid, v)
    assert (a.count, a.hash) == (b.count, b.hash)
    c = Digest()
    for rid, v in rows[:-1]:
        c.add(rid, v)
    c.add(rows[-1][0], rows[-1][1] + 1)
    assert c.hash != a.hash
    assert c.count == a.count


def test_digest_groups_by_county_and_diffs() -> None:
    rid = uuid.uuid4()
    mine, theirs = DigestSet(), DigestSet()
    mine.add_rows("x", [(rid, 1, "330502001000")])
    theirs.add_rows("x", [(rid, 2, "330502003000")])
    [entry] = mine.as_list()
    assert entry["region"] == "330502000000"
    diffs = differences(mine.as_list(), theirs.as_list())
    assert len(diffs) == 1
    assert differences(mine.as_list(), mine.as_list()) == []


def test_backoff_grows_with_full_jitter_and_honours_retry_after() -> None:
    rng = random.Random(1)
    waits = [backoff(attempt, rng=rng) for attempt in range(12)]
    assert all(0 <= w <= BACKOFF_CAP_S for w in waits)
    assert max(backoff(0, rng=rng) for _ in range(200)) <= 0.5
    assert backoff(0, retry_after=7.0, rng=rng) >= 7.0


def test_cursor_round_trips_and_refuses_tampering() -> None:
    codec = CursorCodec("secret")
    cursor = FeedCursor("epoch1", FeedPosition(123, 45))
    text = cursor.encode(codec)
    assert FeedCursor.decode(codec, text) == cursor
    with pytest.raises(BadRequest):
        FeedCursor.decode(CursorCodec("other"), text)
    with pytest.raises(BadRequest):
        FeedCursor.decode(codec, codec.encode(["snap", "x", 1, 2]))
    assert FeedPosition(2, 1) > FeedPosition(1, 99)


def test_reseal_encrypts_under_the_receivers_key_and_reindexes() -> None:
    spec = ENTITIES["recipient_member"]
    receiver = PiiCipher({"r": b"r" * 32}, "r", b"receiver-index")
    out = reseal(
        spec,
        {"id_number_enc": "11010519491231002X", "id_number_hash": "sender-hash", "phone_enc": None},
        receiver,
    )
    assert out["id_number_enc"].startswith("r:")
    assert receiver.decrypt("id_number", out["id_number_enc"]) == "11010519491231002X"
    assert out["id_number_hash"] == receiver.blind_index("id_number", "11010519491231002X")
    assert out["phone_enc"] is None


def _member(origin: str, **extra: object) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "version": 1,
        "origin": origin,
        "region_code": "330502001000",
        "updated_at": "2026-12-03T10:00:00+00:00",
        "id_number_enc": "11010519491231002x",
        "phone_enc": "",
        **extra,
    }


def test_reseal_all_is_reseal_record_by_record() -> None:
    spec = ENTITIES["recipient_member"]
    receiver = PiiCipher({"r": b"r" * 32}, "r", b"receiver-index")
    records = [_member("330502000000"), _member("330502000000", phone_enc="139 1111 2222")]
    batched = reseal_all(spec, records, receiver)
    singly = [reseal(spec, r, receiver) for r in records]
    for got, one, sent in zip(batched, singly, records, strict=True):
        assert got.keys() == one.keys()
        for key in ("id_number_enc", "phone_enc"):
            clear = got[key] and receiver.decrypt(key.removesuffix("_enc"), str(got[key]))
            assert clear == (one[key] and receiver.decrypt(key.removesuffix("_enc"), str(one[key])))
        assert got["id_number_hash"] == one["id_number_hash"]
        assert got["id_number_masked"] == "110105********002X"  # canonical: upper-case X
        assert sent["id_number_enc"] == "11010519491231002x"  # the page itself is left as it was
    assert batched[1]["phone_enc"] != "139 1111 2222"
    assert batched[1]["phone_masked"] == "139****2222"
    assert batched[0]["phone_enc"] == ""


def test_a_prepared_page_groups_parents_first_and_leaves_own_records_out() -> None:
    cipher = PiiCipher({"r": b"r" * 32}, "r", b"receiver-index")
    household = {k: v for k, v in _member("330502000000").items() if not k.endswith("_enc")}
    own = _member("330500000000")
    page = prepare_page(
        [
            ("recipient_member", _member("330502000000")),
            ("recipient_member", own),
            ("recipient_household", household),
        ],
        cipher,
        ["recipient_household", "recipient_member"],
        "330500000000",
    )
    assert page.error is None
    assert [(spec.name, sum(b.count for b in batches)) for spec, batches in page.groups] == [
        ("recipient_household", 1),
        ("recipient_member", 1),
    ]
    [member] = page.groups[1][1]
    row = member.data.decode().rstrip("\n").split("\t")
    assert row[member.columns.index("id_number_enc")].startswith("r:")


def test_a_protocol_error_waits_for_the_apply() -> None:
    cipher = PiiCipher({"r": b"r" * 32}, "r", b"receiver-index")
    unknown = prepare_page(
        [("recipient_member", _member("330502000000"))], cipher, ["recipient_household"], ""
    )
    assert isinstance(unknown.error, ProtocolError)
    assert unknown.groups == ()
    missing = prepare_page(
        [("recipient_member", _member("330502000000", version=None))], cipher, ["recipient_member"], ""
    )
    assert missing.error is not None
    assert "without version" in str(missing.error)
