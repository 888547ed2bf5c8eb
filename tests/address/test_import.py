"""Bulk import over HTTP: the PostgreSQL (COPY, set-based) and SQLite (one by one) paths give
the same report and the same register."""

from __future__ import annotations

import sys
import uuid

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from app.address import staging
from app.address.codes import looks_like_plate, split_code
from app.address.models import Address
from app.core.db import Database
from tests.address.helpers import BASE, create, unique_road
from tests.conftest import TokenFactory

HEADER = "区划代码,社区,街路巷,门牌号,小区,幢,单元,层,室,别名,经度,纬度\n"


def _csv(lines: list[str]) -> bytes:
    return ("\ufeff" + HEADER + "".join(line + "\n" for line in lines)).encode()


async def _upload(client: httpx.AsyncClient, headers: dict[str, str], body: bytes) -> httpx.Response:
    files = {"file": ("addresses.csv", body, "text/csv")}
    return await client.post(f"{BASE}/import", files=files, headers=headers)


@pytest.mark.parametrize(("copy_batch", "segment"), [(10_000, 50_000), (2, 50_000), (2, 3)])
async def test_import_reports_inserted_updated_rejected(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    monkeypatch: pytest.MonkeyPatch,
    copy_batch: int,
    segment: int,
) -> None:
    # With batches of two rows, regions first named in a later batch are looked up while the
    # batch before is being copied; with segments of (at least) three staged rows, the file
    # goes in as lines 2–5, then 6, 7 and 13 (the rows between are rejected in Python): line 7
    # repeats a row of the first segment and line 6 joins a building it created (PostgreSQL).
    monkeypatch.setattr(staging, "COPY_BATCH", copy_batch)
    monkeypatch.setattr(staging, "SEGMENT", segment)
    h = auth("operator", region="330502")
    road = unique_road()
    existing = await create(client, h, {"region_code": "330502001000", "road": road, "house_number": "1"})
    same = await create(client, h, {"region_code": "330502001000", "road": road, "house_number": "2"})
    lines = [
        f"330502001000,,{road},1,,,,,,旧名甲|旧名乙,120.1,30.8",  # 2: existing, new aliases → updated
        f"330502001000,,{road},2,,,,,,,,",  # 3: existing, nothing new → unchanged
        f"330502001000,米兰社区,{road},5,翠苑,1,1,,101,,,",  # 4: new
        f"330502001000,米兰社区,{road},５,翠苑,一栋,1,,102,,,",  # 5: new, same building
        f"330502001000,,{road},5,翠苑,1,2,,101,,,",  # 6: new, another unit
        f"330502001000,,{road},5,翠苑,1,1,,101,,,",  # 7: repeats line 4
        f"330503001000,,{road},9,,,,,,,,",  # 8: outside the scope
        f"330502999000,,{road},9,,,,,,,,",  # 9: unknown region
        "330502001000,,,9,,,,,,,,",  # 10: neither road nor compound
        f"330502001000,,{road},9,,,,,,,200,30",  # 11: bad longitude
        f"330502001000,,{road},9,,,,,,,120.1,",  # 12: lon without lat
        f"330502002000,,{road},9,,,,,,,,",  # 13: new, another township
    ]
    r = await _upload(client, h, _csv(lines))
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["inserted"], report["updated"], report["unchanged"]) == (12, 4, 1, 1)
    assert report["rejected"] == 6
    reasons = {x["line"]: x["reason"] for x in report["rejections"]}
    assert sorted(reasons) == [7, 8, 9, 10, 11, 12]
    assert reasons[7] == "repeats line 4"
    assert "outside your scope" in reasons[8]
    assert reasons[9].startswith("region_code:")
    assert reasons[10].startswith("road:")
    assert reasons[11].startswith("lon:")

    updated = (await client.get(f"{BASE}/{existing['id']}", headers=h)).json()
    assert (updated["aliases"], updated["lon"], updated["lat"], updated["version"]) == (
        ["旧名甲", "旧名乙"],
        120.1,
        30.8,
        2,
    )
    assert (await client.get(f"{BASE}/{same['id']}", headers=h)).json()["version"] == 1
    listed = (
        await client.get(BASE, params={"road": road, "compound": "翠苑", "limit": 10}, headers=h)
    ).json()
    rooms = {(i["unit"], i["room"]): i for i in listed["items"]}
    assert set(rooms) == {("1", "101"), ("1", "102"), ("2", "101")}
    a, b, c = (split_code(rooms[k]["address_code"]) for k in (("1", "101"), ("1", "102"), ("2", "101")))
    assert a["place"] == b["place"] == c["place"]
    assert a["place"] != split_code(existing["address_code"])["place"]  # (road, compound) is another place
    assert (a["unit"], a["room"], b["unit"], b["room"], c["unit"], c["room"]) == (
        "01",
        "0001",
        "01",
        "0002",
        "02",
        "0001",
    )
    for item in rooms.values():
        assert looks_like_plate(item["plate_code"])
        assert item["full_name"].startswith("浙江省湖州市吴兴区月河街道米兰社区") or item["community"] == ""
    found = await client.post(f"{BASE}/match", json={"text": f"{road}5号翠苑1幢1单元102室"}, headers=h)
    candidates = found.json()["candidates"]
    shown = [(c["address"]["full_name"], c["confidence"], c["match_kind"]) for c in candidates]
    assert candidates[0]["address"]["id"] == rooms[("1", "102")]["id"], shown
    by_alias = await client.get(BASE, params={"q": "旧名乙", "road": road}, headers=h)
    assert [i["id"] for i in by_alias.json()["items"]] == [existing["id"]]

    again = await _upload(client, h, _csv(lines[2:5]))
    assert again.json()["unchanged"] == 3
    assert again.json()["inserted"] == 0


async def test_import_looks_up_the_register_only_where_it_held_addresses(
    client: httpx.AsyncClient, auth: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One township holds an address, the other none (no other test writes there): rows of
    # the empty one are not looked up in the register, and still a row repeating a row of an
    # earlier segment is found, and a second import finds every address of the first.
    monkeypatch.setattr(staging, "COPY_BATCH", 2)
    monkeypatch.setattr(staging, "SEGMENT", 2)
    h = auth("operator", region="330521")
    held, empty = "330521003000", "330521004000"
    listed = await client.get(BASE, params={"region_code": empty, "limit": 1}, headers=h)
    assert listed.status_code == 200
    assert listed.json()["items"] == []
    road = unique_road()
    await create(client, h, {"region_code": held, "road": road, "house_number": "1"})
    lines = [
        f"{held},,{road},1,,,,,,,,",  # 2: existing, nothing new → unchanged
        f"{empty},,{road},1,,,,,,,,",  # 3: new
        f"{empty},,{road},2,,,,,,,,",  # 4: new (second segment from here)
        f"{empty},,{road},1,,,,,,,,",  # 5: repeats line 3, an address of the first segment
        f"{held},,{road},1,,,,,,,,",  # 6: repeats line 2
        f"{empty},,{road},3,,,,,,,,",  # 7: new
    ]
    first = await _upload(client, h, _csv(lines))
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["inserted"], report["updated"], report["unchanged"], report["rejected"]) == (3, 0, 1, 2)
    assert {x["line"]: x["reason"] for x in report["rejections"]} == {
        5: "repeats line 3",
        6: "repeats line 2",
    }
    again = (await _upload(client, h, _csv(lines))).json()
    assert (again["inserted"], again["unchanged"], again["rejected"]) == (0, 4, 2)
    stored = await client.get(BASE, params={"region_code": empty, "road": road, "limit": 10}, headers=h)
    assert sorted(i["house_number"] for i in stored.json()["items"]) == ["1", "2", "3"]


async def test_import_continues_codes_after_existing_ones(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    road = unique_road()
    first = await create(
        client, h, {"region_code": "330502001000", "road": road, "house_number": "3", "building": "1"}
    )
    r = await _upload(
        client, h, _csv([f"330502001000,,{road},3,,2,,,,,,", f"330502001000,,{road},4,,,,,,,,"])
    )
    assert r.json()["inserted"] == 2
    items = (await client.get(BASE, params={"road": road}, headers=h)).json()["items"]
    codes = {(i["house_number"], i["building"]): split_code(i["address_code"]) for i in items}
    head = split_code(first["address_code"])
    assert codes[("3", "2")]["place"] == head["place"]
    assert codes[("3", "2")]["house"] == head["house"]
    assert codes[("3", "2")]["building"] == "002"
    assert codes[("4", "")]["house"] == str(int(head["house"]) + 1).zfill(4)


async def test_import_numbers_rooms_after_the_highest_under_their_unit(
    client: httpx.AsyncClient, auth: TokenFactory, engine: str
) -> None:
    h = auth("operator", region="330502")
    road = unique_road()
    unit = {"region_code": "330502001000", "road": road, "house_number": "6", "building": "2", "unit": "1"}
    first = await create(client, h, {**unit, "room": "502"})
    lines = [
        f"330502001000,,{road},6,,2,1,,303,,,",
        f"330502001000,,{road},6,,2,1,,1201,,,",
        f"330502001000,,{road},6,,2,1,,,,,",  # the unit itself: no room
        f"330502001000,,{road},6,,2,1,7,,,,",  # a floor without a room number
        f"330502001000,,{road},6,,2,2,,101,,,",  # another unit: its rooms start at 1
    ]
    r = await _upload(client, h, _csv(lines))
    assert r.json()["inserted"] == 5, r.text
    items = (await client.get(BASE, params={"road": road, "limit": 10}, headers=h)).json()["items"]
    codes = {(i["unit"], i["floor"], i["room"]): i["address_code"] for i in items}
    head = split_code(first["address_code"])
    assert head["room"] == "0001"
    parent = first["address_code"][:26]
    assert codes[("1", "", "")] == parent + "0000"
    assert {codes[("1", "", "303")], codes[("1", "", "1201")]} == {parent + "0002", parent + "0003"}
    assert codes[("1", "7", "")] == parent + "0004"
    if engine == "postgresql":  # set-based: new values in code-point order of (floor, room)
        assert codes[("1", "", "1201")] == parent + "0002"
    other = split_code(codes[("2", "", "101")])
    assert (other["place"], other["house"], other["building"]) == (
        head["place"],
        head["house"],
        head["building"],
    )
    assert (other["unit"], other["room"]) == ("02", "0001")


async def test_import_rejects_a_room_when_its_unit_has_no_code_left(
    client: httpx.AsyncClient, auth: TokenFactory, db: Database
) -> None:
    h = auth("operator", region="330502")
    road = unique_road()
    unit = {"region_code": "330502001000", "road": road, "house_number": "8", "building": "1", "unit": "1"}
    first = await create(client, h, {**unit, "room": "101"})
    parent = first["address_code"][:26]
    async with db.writer() as session, session.begin():  # the unit's last room code is issued
        await session.execute(
            update(Address)
            .where(col(Address.id) == uuid.UUID(first["id"]))
            .values(address_code=parent + "9999")
        )
    lines = [
        f"330502001000,,{road},8,,1,1,,102,,,",  # 2: no room code left under the unit
        f"330502001000,,{road},8,,1,2,,101,,,",  # 3: another unit has room
    ]
    r = await _upload(client, h, _csv(lines))
    report = r.json()
    assert (report["inserted"], report["rejected"]) == (1, 1), r.text
    (rejection,) = report["rejections"]
    assert rejection["line"] == 2
    assert rejection["reason"].startswith(f"no free room code under {parent}")


async def test_a_file_that_turns_out_not_utf8_imports_nothing(
    client: httpx.AsyncClient, auth: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging, "COPY_BATCH", 50)  # batches are being copied when the bad bytes come
    h = auth("operator", region="330502")
    road = unique_road()
    lines = [f"330502001000,,{road},{n},,,,,,,," for n in range(1, 1001)]
    body = _csv(lines) + b"330502001000,,\xff\xfe,1,,,,,,,,\n"
    r = await _upload(client, h, body)
    assert r.status_code == 422, r.text
    assert "UTF-8" in r.text
    listed = (await client.get(BASE, params={"road": road, "count": "true"}, headers=h)).json()
    assert listed["total"] == 0


async def test_import_refuses_other_files(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    files = {"file": ("addresses.pdf", b"%PDF", "application/pdf")}
    assert (await client.post(f"{BASE}/import", files=files, headers=h)).status_code == 415
    empty = await _upload(client, h, b"")
    assert empty.status_code == 422
    viewer = auth("viewer", region="330502")
    assert (await _upload(client, viewer, _csv([]))).status_code == 403


async def test_import_takes_the_slow_path_for_a_code_a_retired_address_holds(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    # A unit's own code (room segment 0000) held by a retired address: the set-based insert
    # meets the taken code, and the row goes in one by one instead, with the good rows beside it.
    h = auth("operator", region="330502")
    road = unique_road()
    unit = {"region_code": "330502001000", "road": road, "house_number": "2", "building": "1", "unit": "1"}
    await create(client, h, {**unit, "room": "101"})
    retired = await create(client, h, unit)
    r = await client.post(f"{BASE}/{retired['id']}/retire", json={}, headers=h)
    assert r.status_code == 200, r.text
    lines = [
        f"330502001000,,{road},2,,1,1,,,,,",  # 2: the unit again: its code is the retired one's
        f"330502001000,,{road},2,,1,1,,102,,,",  # 3: a new room
    ]
    r = await _upload(client, h, _csv(lines))
    report = r.json()
    assert (report["rows"], report["inserted"], report["rejected"]) == (2, 2, 0), r.text
    items = (await client.get(BASE, params={"road": road, "limit": 10}, headers=h)).json()["items"]
    active = [i for i in items if i["status"] == "active"]
    codes = [i["address_code"] for i in active]
    assert len(active) == 3
    assert len(set(codes)) == 3
    assert retired["address_code"] not in codes


async def test_import_draws_again_a_plate_taken_or_drawn_twice(
    client: httpx.AsyncClient, auth: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two rows of a segment given the same plate, a third the plate of an address already in
    # the register (PostgreSQL: the set-based insert meets them; SQLite draws one by one and
    # never sees these draws): every row goes in, with plates of its own.
    h = auth("operator", region="330502")
    road = unique_road()
    held = await create(client, h, {"region_code": "330502001000", "road": road, "house_number": "1"})
    twice = "2" * 20
    drawn = iter([[twice, twice, held["plate_code"]]])
    monkeypatch.setattr(staging, "new_plate_codes", lambda count: next(drawn))
    lines = [f"330502001000,,{road},{n},,,,,,,," for n in (2, 3, 4)]
    r = await _upload(client, h, _csv(lines))
    report = r.json()
    assert (report["rows"], report["inserted"], report["rejected"]) == (3, 3, 0), r.text
    items = (await client.get(BASE, params={"road": road, "limit": 10}, headers=h)).json()["items"]
    plates = [i["plate_code"] for i in items]
    assert len(items) == 4
    assert len(set(plates)) == 4
    assert all(looks_like_plate(p) for p in plates)
    assert plates.count(held["plate_code"]) == 1


def test_imports_shorten_the_switch_interval_while_any_runs() -> None:
    before = sys.getswitchinterval()
    with staging.short_switches():
        assert sys.getswitchinterval() == min(staging.SWITCH_INTERVAL, before)
        with staging.short_switches():  # a second import overlapping the first
            pass
        assert sys.getswitchinterval() == min(staging.SWITCH_INTERVAL, before)
    assert sys.getswitchinterval() == before
