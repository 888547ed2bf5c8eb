"""What the matcher answers over HTTP: the kind and confidence of each candidate, ``matched``,
and the forms of text people write — homophones, Latin prefixes, village addresses, functional
zones and former town names (runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.address.helpers import BASE, address, create, unique_road
from tests.conftest import TokenFactory


async def _match(client: httpx.AsyncClient, h: dict[str, str], text: str, limit: int = 5) -> dict[str, Any]:
    r = await client.post(f"{BASE}/match", json={"text": text, "limit": limit}, headers=h)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def _homophone_road() -> tuple[str, str]:
    """A road of this test's own and the same name with one character swapped for another of
    the same sound (街 → 接)."""
    road = unique_road()[:-1] + "街"
    return road, road[:-1] + "接"


async def test_a_road_of_the_same_characters_in_another_order_is_another_road(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    # 东二环路 and 二环东路 (or 测…二一四一路 and 测…二一四二路) share every character: the
    # road the text names is the answer, the other (found through the compound both name)
    # only a likeness.
    h = auth("operator", region="330502")
    core = unique_road()[1:-1]
    named, other, compound = f"{core}二环东路", f"东{core}二环路", f"{core}苑"
    house = await create(client, h, address(road=named, house_number="5", compound=compound, building="1"))
    await create(client, h, address(road=other, house_number="5", compound=compound, building="1"))
    found = await _match(client, h, f"{named}5号{compound}1幢")
    assert (found["matched"], found["ambiguous"]) == (True, False)
    assert found["candidates"][0]["address"]["id"] == house["id"]
    assert found["candidates"][0]["match_kind"] == "exact"
    assert [other in c["address"]["full_name"] for c in found["candidates"][1:]] == [True]
    assert found["candidates"][1]["match_kind"] == "fuzzy"
    assert found["candidates"][1]["confidence"] < found["candidates"][0]["confidence"]


async def test_exact_component_and_absent(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    road = unique_road()
    house = await create(client, h, address(road=road, house_number="12"))
    room = await create(client, h, address(road=road, house_number="12", building="3", unit="1", room="301"))

    exact = await _match(client, h, f"湖州市吴兴区月河街道{road}12号")
    assert (exact["matched"], exact["ambiguous"]) == (True, False)
    top = exact["candidates"][0]
    assert top["address"]["id"] == house["id"]
    assert (top["match_kind"], top["confidence"]) == ("exact", 1.0)
    assert all(c["match_kind"] != "exact" for c in exact["candidates"][1:])

    deeper = await _match(client, h, f"月河街道{road}12号3幢1单元301室")
    assert deeper["candidates"][0]["address"]["id"] == room["id"]
    assert deeper["candidates"][0]["match_kind"] == "exact"

    # the text names a room the register lacks: the house is offered, not as exact
    partial = await _match(client, h, f"月河街道{road}12号3幢1单元302室")
    assert all(c["match_kind"] != "exact" for c in partial["candidates"])

    for text in (f"月河街道{road}13号", f"吴兴区{road}999号", f"{road}一百二十号", f"HUZHOU {road}13号"):
        absent = await _match(client, h, text)
        assert absent["matched"] is False, (text, absent)
        assert all(c["match_kind"] != "exact" for c in absent["candidates"]), text
        assert all(c["confidence"] < 0.8 for c in absent["candidates"]), text


async def test_nothing_resembling_is_not_matched(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    result = await _match(client, h, "完全无关的一句话")
    assert result["matched"] is False
    assert all(c["match_kind"] != "exact" for c in result["candidates"])


async def test_homophone_road_is_found_as_fuzzy(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330521")
    road, heard = _homophone_road()
    target = await create(client, h, address(region="330521001000", road=road, house_number="12"))
    result = await _match(client, h, f"德清县武康街道{heard}12号")
    top = result["candidates"][0]
    assert top["address"]["id"] == target["id"]
    assert top["match_kind"] == "fuzzy"
    assert result["matched"] is True
    assert 0.8 <= top["confidence"] < 1.0
    # a homophone road with a house number the register lacks is not an answer
    missing = await _match(client, h, f"德清县武康街道{heard}13号")
    assert missing["matched"] is False


async def test_latin_prefixes_are_read_or_dropped(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330523")
    road = unique_road()
    target = await create(client, h, address(region="330523001000", road=road, house_number="8"))
    for text in (
        f"Huzhou 安吉县递铺街道{road}8号",
        f"HUZHOU CITY Anji County {road}8号",
        f"Zhejiang Huzhou Anji Dipu {road}8号",
        f"P.R. China, ZHEJIANGHUZHOU {road}8号",
    ):
        result = await _match(client, h, text)
        assert result["candidates"][0]["address"]["id"] == target["id"], text
        assert result["candidates"][0]["match_kind"] == "exact", text
    parsed = (await client.post(f"{BASE}/parse", json={"text": f"Anji Dipu {road}8号"}, headers=h)).json()
    assert parsed["components"]["county"]["value"] == "安吉县"
    assert parsed["components"]["township"]["value"] == "递铺街道"
    assert "latin" in parsed["removed"]


async def test_village_addresses(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    village = "测" + unique_road()[1:-1][-4:] + "村"
    body = {
        "region_code": "330502102000",
        "community": village,
        "village_group": "三组",
        "house_number": "12",
    }
    r = await client.post(BASE, json=body, headers=h)
    assert r.status_code == 201, r.text
    grouped = r.json()
    assert grouped["village_group"] == "3"
    assert grouped["full_name"] == f"浙江省湖州市吴兴区妙西镇{village}3组12号"
    other = await create(
        client,
        h,
        {"region_code": "330502102000", "community": village, "village_group": "5", "house_number": "12"},
    )
    plain = await create(
        client, h, {"region_code": "330502102000", "community": village, "house_number": "30"}
    )
    assert len({grouped["address_code"], other["address_code"], plain["address_code"]}) == 3

    for text, wanted in (
        (f"妙西镇{village}3组12号", grouped),
        (f"吴兴区妙西镇{village}三组十二号", grouped),
        (f"妙西镇{village}5队12号", other),
        (f"{village}30号", plain),
    ):
        result = await _match(client, h, text)
        assert result["candidates"][0]["address"]["id"] == wanted["id"], text
    parsed = (await client.post(f"{BASE}/parse", json={"text": f"{village}3组12号"}, headers=h)).json()
    assert parsed["components"]["community"]["value"] == village
    assert parsed["components"]["village_group"]["value"] == "3"
    assert parsed["components"]["house_number"]["value"] == "12"
    assert parsed["components"].get("compound") is None
    absent = await _match(client, h, f"妙西镇{village}3组13号")
    assert absent["matched"] is False


async def test_functional_zones_and_former_town_names(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330500")
    kangshan = await create(client, h, address(region="330502007000", house_number="600"))
    wukang = await create(client, h, address(region="330521001000", house_number="12"))
    dipu = await create(client, h, address(region="330523001000", house_number="5"))
    zhicheng = await create(client, h, address(region="330522001000", house_number="9"))
    for text, wanted in (
        (f"湖州开发区康山街道{kangshan['full_name'][-9:]}", kangshan),
        (f"湖州经济技术开发区{kangshan['full_name'][-9:]}", kangshan),
        (f"德清县武康镇{wukang['full_name'][-8:]}", wukang),
        (f"安吉递铺镇{dipu['full_name'][-7:]}", dipu),
        (f"长兴县雉城镇{zhicheng['full_name'][-7:]}", zhicheng),
    ):
        result = await _match(client, h, text)
        assert result["candidates"][0]["address"]["id"] == wanted["id"], text
    parsed = (await client.post(f"{BASE}/parse", json={"text": "德清县武康镇千秋街12号"}, headers=h)).json()[
        "components"
    ]
    assert parsed["township"]["value"] == "武康街道"
    assert parsed["region_code"]["value"] == "330521001000"
    zone = (
        await client.post(f"{BASE}/parse", json={"text": "南太湖新区滨湖街道太湖路1号"}, headers=h)
    ).json()
    assert zone["components"]["county"]["value"] == "吴兴区"
    assert zone["components"]["township"]["value"] == "滨湖街道"


async def test_courier_clutter_is_removed(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330502")
    road = unique_road()
    target = await create(client, h, address(road=road, house_number="36"))
    text = f"收件人:李芳 电话:13905721234 湖州市吴兴区{road}36号(老茶馆旁) 王女士收 【菜鸟驿站代收】"
    result = await _match(client, h, text)
    assert result["candidates"][0]["address"]["id"] == target["id"]
    assert result["candidates"][0]["match_kind"] == "exact"
    removed = set(result["parsed"]["removed"])
    assert {"phone", "name", "aside"} <= removed
    assert "13905721234" not in str(result)


LINGHU, YUEHE, ZHICHENG, WUKANG = "330503105000", "330502001000", "330522001000", "330521001000"


async def test_a_bracketed_township_picks_its_address(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330500")
    road = unique_road()
    by_region = {
        region: await create(client, h, address(region=region, road=road, house_number="12"))
        for region in (LINGHU, YUEHE, WUKANG)
    }
    for text, region in (
        (f"湖州{road}12号(月河街道)", YUEHE),
        (f"湖州{road}12号(菱湖)", LINGHU),
        (f"{road}12号【吴兴区月河街道】 王先生 13905721234", YUEHE),
        (f"{road}12号(原武康镇)", WUKANG),  # a former town name
    ):
        result = await _match(client, h, text)
        top = result["candidates"][0]
        assert top["address"]["id"] == by_region[region]["id"], (text, result)
        assert (top["match_kind"], top["confidence"]) == ("exact", 1.0), text
        assert (result["matched"], result["ambiguous"]) == (True, False), text
        assert all(c["confidence"] < 0.8 and not c["tied"] for c in result["candidates"][1:]), text
        assert "aside" not in result["parsed"]["removed"], text
        assert result["parsed"]["components"]["region_code"]["value"] == region, text


async def test_a_bracketed_landmark_is_still_clutter(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("operator", region="330500")
    road = unique_road()
    target = await create(client, h, address(region=YUEHE, road=road, house_number="36"))
    await create(client, h, address(region=LINGHU, road=road, house_number="12"))
    landmark = await _match(client, h, f"月河街道{road}36号(菱湖中学旁)")
    top = landmark["candidates"][0]
    assert top["address"]["id"] == target["id"]
    assert top["match_kind"] == "exact"
    assert landmark["parsed"]["components"]["township"]["value"] == "月河街道"
    assert "aside" in landmark["parsed"]["removed"]
    # a bracket that mentions a township among other words is a landmark, not a region
    near = await _match(client, h, f"湖州{road}12号(菱湖镇政府对面)")
    assert near["parsed"]["components"]["township"] is None
    assert "aside" in near["parsed"]["removed"]


async def test_equal_addresses_in_several_townships_are_ambiguous(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330500")
    road = unique_road()
    rows = [
        await create(client, h, address(region=region, road=road, house_number="12"))
        for region in (LINGHU, YUEHE, ZHICHENG)
    ]
    other = await create(client, h, address(region=YUEHE, road=road, house_number="12", building="3"))
    ids = {row["id"] for row in rows}
    for limit in (5, 1):
        result = await _match(client, h, f"湖州{road}12号", limit=limit)
        assert (result["matched"], result["ambiguous"]) == (False, True), result
        tied = [c for c in result["candidates"] if c["tied"]]
        assert {c["address"]["id"] for c in tied} == ids  # every tied row, even beyond the limit
        assert result["candidates"][: len(ids)] == tied
        assert all(c["match_kind"] != "exact" for c in result["candidates"])
        assert all(c["confidence"] < 0.8 for c in result["candidates"])
        assert other["id"] not in {c["address"]["id"] for c in tied}
    batch = await client.post(f"{BASE}/match-batch", json={"texts": [f"{road}12号"]}, headers=h)
    assert batch.status_code == 200, batch.text
    (answer,) = batch.json()["results"]
    assert (answer["matched"], answer["ambiguous"]) == (False, True)
    assert {c["address"]["id"] for c in answer["candidates"]} == ids

    # naming the township of one of them answers that one
    for text, row in (
        (f"湖州菱湖镇{road}12号", rows[0]),
        (f"湖州{road}12号(月河街道)", rows[1]),
        (f"长兴县{road}12号", rows[2]),
    ):
        named = await _match(client, h, text)
        top = named["candidates"][0]
        assert top["address"]["id"] == row["id"], (text, named)
        assert (top["match_kind"], top["confidence"]) == ("exact", 1.0), text
        assert (named["matched"], named["ambiguous"]) == (True, False), text
        assert not any(c["tied"] for c in named["candidates"]), text
    # a room in one of them is one address: not ambiguous
    room = await _match(client, h, f"湖州{road}12号3幢")
    assert room["candidates"][0]["address"]["id"] == other["id"]
    assert (room["matched"], room["ambiguous"]) == (True, False)
