"""The address register over HTTP (runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from app.address.codes import looks_like_plate, split_code
from tests.address.helpers import BASE, address, create, unique_road
from tests.conftest import TokenFactory


async def test_create_normalises_and_codes(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    road = unique_road()
    body = {
        "region_code": "330502001000",
        "community": "米兰社区",
        "road": road,
        "house_number": "１２３号",
        "compound": "凤凰小区",
        "building": "3栋",
        "unit": "二单元",
        "room": "三零一",
        "aliases": ["  老凤凰小区３号楼  ", "老凤凰小区3号楼"],
        "lon": 120.09,
        "lat": 30.87,
    }
    r = await client.post(BASE, json=body, headers=h)
    assert r.status_code == 201, r.text
    got = r.json()
    assert (got["house_number"], got["building"], got["unit"], got["room"]) == ("123", "3", "2", "301")
    assert got["full_name"] == f"浙江省湖州市吴兴区月河街道米兰社区{road}123号凤凰小区3幢2单元301室"
    assert got["aliases"] == ["老凤凰小区3幢"]
    assert [s["name"] for s in got["region_path"]] == ["浙江省", "湖州市", "吴兴区", "月河街道"]
    code = got["address_code"]
    assert len(code) == 30
    assert code.startswith("330502001000")
    segments = split_code(code)
    assert (segments["house"], segments["building"], segments["room"]) == ("0001", "001", "0001")
    assert looks_like_plate(got["plate_code"])
    assert r.headers["etag"] == '"1"'
    assert r.headers["location"] == f"{BASE}/{got['id']}"


async def test_duplicate_is_409_naming_the_existing(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    body = address(building="5")
    first = await create(client, h, body)
    again = {**body, "house_number": "１２", "building": "五号楼"}
    r = await client.post(BASE, json=again, headers=h)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["existing_id"] == first["id"]
    assert first["address_code"] in problem["detail"]


async def test_codes_share_segments_down_the_hierarchy(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    road = unique_road()
    rooms = [
        await create(client, h, address(road=road, house_number="8", building="1", unit="1", room=str(r)))
        for r in (101, 102)
    ]
    other_unit = await create(
        client, h, address(road=road, house_number="8", building="1", unit="2", room="101")
    )
    house = await create(client, h, address(road=road, house_number="8"))
    next_house = await create(client, h, address(road=road, house_number="9"))
    a, b, c = (split_code(x["address_code"]) for x in (*rooms, other_unit))
    assert a["place"] == b["place"] == c["place"]
    assert (a["house"], a["building"], a["unit"]) == (b["house"], b["building"], b["unit"])
    assert (a["room"], b["room"]) == ("0001", "0002")
    assert (c["unit"], c["room"]) == ("02", "0001")
    h8, h9 = split_code(house["address_code"]), split_code(next_house["address_code"])
    assert (h8["house"], h8["building"], h8["room"]) == (a["house"], "000", "0000")
    assert int(h9["house"]) == int(h8["house"]) + 1


async def test_validation_errors_point_at_the_field(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    cases = [
        (address(road="", compound=""), ["body", "road"]),
        (address(building="三栋楼房"), ["body", "building"]),
        (address(region="330502000000"), ["body", "region_code"]),
        (address(region="330502999000"), ["body", "region_code"]),
        (address(lon=120.1), ["body"]),
        (address(lon=200.0, lat=30.0), ["body", "lon"]),
        (address(road="x" * 51), ["body", "road"]),
    ]
    for body, loc in cases:
        r = await client.post(BASE, json=body, headers=h)
        assert r.status_code == 422, (loc, r.text)
        assert loc in [e["loc"] for e in r.json()["errors"]], (loc, r.json())


async def test_scope_403_on_write_404_on_read(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    r = await client.post(
        BASE, json=address(region="330503001000"), headers=auth("operator", region="330502")
    )
    assert r.status_code == 403
    created = await create(client, auth("operator", region="330502"))
    other = auth("operator", region="330503")
    assert (await client.get(f"{BASE}/{created['id']}", headers=other)).status_code == 404
    r = await client.patch(
        f"{BASE}/{created['id']}", json={"room": "1"}, headers={**other, "If-Match": '"1"'}
    )
    assert r.status_code == 404
    assert (await client.get(f"{BASE}/{created['id']}/plate.svg", headers=other)).status_code == 404
    viewer = auth("viewer", region="330502")
    assert (await client.post(BASE, json=address(), headers=viewer)).status_code == 403
    assert (await client.get(f"{BASE}/{created['id']}", headers=viewer)).status_code == 200
    assert (await client.get(f"{BASE}/{created['id']}")).status_code == 401


async def test_patch_corrects_and_keeps_the_code(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    created = await create(client, h, address(building="1", room="201"))
    url = f"{BASE}/{created['id']}"
    assert (await client.patch(url, json={"room": "202"}, headers=h)).status_code == 428
    stale = await client.patch(url, json={"room": "202"}, headers={**h, "If-Match": '"7"'})
    assert stale.status_code == 412
    r = await client.patch(
        url,
        json={"room": "二零二", "aliases": ["旧名"], "lon": 120.1, "lat": 30.9},
        headers={**h, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["room"] == "202"
    assert got["full_name"].endswith("1幢202室")
    assert got["address_code"] == created["address_code"]
    assert got["plate_code"] == created["plate_code"]
    assert (got["version"], r.headers["etag"]) == (2, '"2"')
    bad = await client.patch(url, json={"lon": None}, headers={**h, "If-Match": '"2"'})
    assert bad.status_code == 422
    listed = (await client.get(BASE, params={"q": "旧名", "road": created["road"]}, headers=h)).json()
    assert [i["id"] for i in listed["items"]] == [created["id"]]


async def test_patch_into_an_existing_address_is_409(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    road = unique_road()
    first = await create(client, h, address(road=road, house_number="1"))
    second = await create(client, h, address(road=road, house_number="2"))
    r = await client.patch(
        f"{BASE}/{second['id']}", json={"house_number": "1"}, headers={**h, "If-Match": '"1"'}
    )
    assert r.status_code == 409
    assert r.json()["existing_id"] == first["id"]


async def test_retire_keeps_the_code_and_points_to_the_successor(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    old = await create(client, h)
    new = await create(client, h)
    url = f"{BASE}/{old['id']}/retire"
    assert (await client.post(url, json={"successor_id": old["id"]}, headers=h)).status_code == 422
    r = await client.post(url, json={"successor_id": new["id"]}, headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["status"], got["successor_id"], got["address_code"]) == (
        "retired",
        new["id"],
        old["address_code"],
    )
    assert (await client.post(url, json={}, headers=h)).status_code == 409
    patch = await client.patch(f"{BASE}/{old['id']}", json={"room": "1"}, headers={**h, "If-Match": '"2"'})
    assert patch.status_code == 409
    # the same components may be registered again once the old entry is retired
    again = {k: old[k] for k in ("region_code", "road", "house_number")}
    recreated = await create(client, h, again)
    assert recreated["address_code"] != old["address_code"]
    retired = (await client.get(BASE, params={"road": old["road"], "status": "retired"}, headers=h)).json()
    assert [i["id"] for i in retired["items"]] == [old["id"]]


async def test_list_search_filters_and_pages(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    road = unique_road()
    made = [
        await create(
            client, h, address(road=road, house_number="3", compound="翠苑", building=str(b), unit="2")
        )
        for b in (1, 2, 3)
    ]
    await create(client, h, address(region="330502002000", road=road, house_number="3"))
    everything = await client.get(BASE, params={"q": road, "count": "true"}, headers=h)
    assert everything.json()["total"] == 4
    by_region = await client.get(BASE, params={"q": road, "region_code": "330502001000"}, headers=h)
    assert {i["id"] for i in by_region.json()["items"]} == {m["id"] for m in made}
    # numerals, markers and full-width digits are normalised like the register
    fuzzy = await client.get(BASE, params={"q": f"{road} 二栋 ２单元"}, headers=h)
    assert [i["id"] for i in fuzzy.json()["items"]] == [made[1]["id"]]
    # a term under three characters cannot use the trigram index but still finds the address
    short = await client.get(BASE, params={"q": f"{road} 3幢"}, headers=h)
    assert [i["id"] for i in short.json()["items"]] == [made[2]["id"]]
    by_code = await client.get(BASE, params={"code": made[0]["plate_code"]}, headers=h)
    assert [i["id"] for i in by_code.json()["items"]] == [made[0]["id"]]
    first = (await client.get(BASE, params={"q": road, "limit": 3}, headers=h)).json()
    assert len(first["items"]) == 3
    rest = (await client.get(BASE, params={"q": road, "cursor": first["next_cursor"]}, headers=h)).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    outside = await client.get(BASE, params={"q": road}, headers=auth("viewer", region="330503"))
    assert outside.json()["items"] == []


async def test_parse_reads_components_with_confidence(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    text = "联系人：王五 吴兴月河 人民路１２３号凤凰小区3栋二单元三零一室附近 13812345678"
    r = await client.post(f"{BASE}/parse", json={"text": text}, headers=auth("viewer"))
    assert r.status_code == 200, r.text
    got = r.json()
    parts = {k: v["value"] for k, v in got["components"].items() if v}
    assert parts == {
        "province": "浙江省",
        "city": "湖州市",
        "county": "吴兴区",
        "township": "月河街道",
        "region_code": "330502001000",
        "road": "人民路",
        "house_number": "123",
        "compound": "凤凰小区",
        "building": "3",
        "unit": "2",
        "room": "301",
    }
    assert got["components"]["city"]["confidence"] < got["components"]["road"]["confidence"]
    assert set(got["removed"]) == {"phone", "name", "direction"}
    assert "13812345678" not in r.text
    assert "王五" not in r.text


async def test_match_ranks_the_right_address_first(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    road = unique_road()
    house = await create(client, h, address(road=road, house_number="7"))
    rooms = [
        await create(client, h, address(road=road, house_number="7", building="2", unit="1", room=str(r)))
        for r in (101, 102, 201)
    ]
    await create(
        client,
        h,
        address(region="330502002000", road=road, house_number="7", building="2", unit="1", room="102"),
    )
    text = f"湖州吴兴区月河街道{road}七号二栋一单元102 旁边"
    r = await client.post(f"{BASE}/match", json={"text": text, "limit": 3}, headers=h)
    assert r.status_code == 200, r.text
    candidates = r.json()["candidates"]
    assert candidates[0]["address"]["id"] == rooms[1]["id"]
    assert candidates[0]["score"] == 1.0
    assert {"region", "road", "house_number", "building", "unit", "room"} <= set(candidates[0]["agreed"])
    assert candidates[1]["score"] < 1.0
    # the house itself when the text names no room
    r = await client.post(f"{BASE}/match", json={"text": f"{road}7号"}, headers=h)
    assert r.json()["candidates"][0]["address"]["id"] == house["id"]
    batch = await client.post(
        f"{BASE}/match-batch", json={"texts": [f"{road}7号2幢1单元201室", "完全无关的文字"]}, headers=h
    )
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert results[0]["candidates"][0]["address"]["id"] == rooms[2]["id"]
    assert len(results) == 2
    too_many = await client.post(f"{BASE}/match-batch", json={"texts": ["x"] * 1001}, headers=h)
    assert too_many.status_code == 422


async def test_match_finds_old_names_and_typos_through_the_index(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    road = unique_road()
    target = await create(client, h, address(road=road, house_number="15", aliases=["红旗巷旧址十五号"]))
    by_alias = await client.post(f"{BASE}/match", json={"text": "红旗巷旧址15号"}, headers=h)
    assert by_alias.json()["candidates"][0]["address"]["id"] == target["id"]
    typo = road[:-2] + "乙路"  # one character wrong
    by_typo = await client.post(f"{BASE}/match", json={"text": f"月河街道{typo}15号"}, headers=h)
    assert by_typo.json()["candidates"][0]["address"]["id"] == target["id"]


async def test_concurrent_creates_share_segments_and_never_collide(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    road = unique_road()

    async def make(number: int) -> httpx.Response:
        return await client.post(
            BASE, json=address(road=road, house_number=str(number), building="1"), headers=h
        )

    responses = await asyncio.gather(*(make(n) for n in range(1, 9)))
    assert [r.status_code for r in responses] == [201] * 8
    codes = [split_code(r.json()["address_code"]) for r in responses]
    assert len({r.json()["address_code"] for r in responses}) == 8
    assert len({c["place"] for c in codes}) == 1
    assert sorted(int(c["house"]) for c in codes) == list(range(1, 9))


async def test_idempotency_key_replays_the_first_create(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = {**auth("operator", region="330502"), "Idempotency-Key": f"addr-{uuid.uuid4()}"}
    body = address()
    first = await client.post(BASE, json=body, headers=h)
    again = await client.post(BASE, json=body, headers=h)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotency-replayed"] == "true"


async def test_search_index_follows_changes(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    marker = unique_road()[1:-1]
    created = await create(client, h, address(aliases=[f"旧称{marker}"]))
    found = await client.get(BASE, params={"q": f"旧称{marker}"}, headers=h)
    assert [i["id"] for i in found.json()["items"]] == [created["id"]]
    r = await client.patch(
        f"{BASE}/{created['id']}", json={"aliases": [f"新称{marker}"]}, headers={**h, "If-Match": '"1"'}
    )
    assert r.status_code == 200
    assert (await client.get(BASE, params={"q": f"旧称{marker}"}, headers=h)).json()["items"] == []
    renamed = await client.get(BASE, params={"q": f"新称{marker}"}, headers=h)
    assert [i["id"] for i in renamed.json()["items"]] == [created["id"]]


async def test_match_stays_inside_the_scope(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    road = unique_road()
    made = await create(client, auth("operator", region="330503"), address(region="330503001000", road=road))
    text = {"text": f"{road}12号"}
    inside = await client.post(f"{BASE}/match", json=text, headers=auth("viewer", region="330503"))
    assert inside.json()["candidates"][0]["address"]["id"] == made["id"]
    outside = await client.post(f"{BASE}/match", json=text, headers=auth("viewer", region="330502"))
    assert all(c["address"]["region_code"].startswith("330502") for c in outside.json()["candidates"])
