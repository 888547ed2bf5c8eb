"""Pure rules for the forms of text people write: Latin place names, village addresses, building,
floor and dash forms, Chinese numerals everywhere, other names of regions, homophones, and the
kind and confidence a candidate is given."""

from __future__ import annotations

import pytest

from app.address.aliases import shipped_rows as shipped_aliases
from app.address.gazetteer import Gazetteer, Place
from app.address.normalize import normalize_text
from app.address.parser import parse
from app.address.scoring import MATCHED_AT, Reading, judge, name_similarity, score
from app.core.config import SyncPeer
from app.core.record import ENTITIES
from app.models import import_all_models
from app.region.reference import shipped_rows
from app.sync.puller import default_entities


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    places = [Place(r["code"], r["name"], r["level"], r["parent_code"] or None) for r in shipped_rows()]
    aliases = [(normalize_text(a["name"]), a["region_code"]) for a in shipped_aliases()]
    return Gazetteer.build(places, aliases)


def _values(text: str, gaz: Gazetteer) -> dict[str, str]:
    return {k: c.value for k, c in parse(text, gaz).components.items()}


@pytest.mark.parametrize(
    ("text", "county", "township"),
    [
        ("Huzhou 吴兴区红旗路88号", "吴兴区", None),
        ("HUZHOU CITY WUXING DISTRICT 红旗路88号", "吴兴区", None),
        ("Zhejiang Province, Huzhou City, Anji County 天目路258号", "安吉县", None),
        ("ZHEJIANGHUZHOU Deqing Wukang 北湖街8号", "德清县", "武康街道"),
        ("Changxing Zhicheng 金陵路318号", "长兴县", "雉城街道"),
        ("P.R.China Huzhou Nanxun Shuanglin 双林路77号", "南浔区", "双林镇"),
        ("劳动路155号, Wuxing District, Huzhou", "吴兴区", None),
    ],
)
def test_latin_place_names_are_read_or_dropped(
    gaz: Gazetteer, text: str, county: str | None, township: str | None
) -> None:
    got = _values(text, gaz)
    assert got.get("county") == county, got
    assert got.get("township") == township, got
    assert "road" in got, got
    assert "house_number" in got, got
    assert not any(c.isascii() and c.isalpha() for c in parse(text, gaz).normalized)


def test_single_letters_stay_in_numbers(gaz: Gazetteer) -> None:
    got = _values("安吉县玉磬花园A座1单元502室", gaz)
    assert (got["building"], got["unit"], got["room"]) == ("A", "1", "502")
    assert _values("人民路12A号", gaz)["house_number"] == "12A"


@pytest.mark.parametrize(
    ("text", "village", "group", "house"),
    [
        ("妙西镇西山村3组12号", "西山村", "3", "12"),
        ("妙西镇西山村三组十二号", "西山村", "3", "12"),
        ("西山村5队8号", "西山村", "5", "8"),
        ("西山村第3村民小组12号", "西山村", "3", "12"),
        ("太平村6生产队25号", "太平村", "6", "25"),
        ("东阳村12号", "东阳村", None, "12"),
        ("天荒坪镇余村1号", "余村", None, "1"),
    ],
)
def test_village_addresses(gaz: Gazetteer, text: str, village: str, group: str | None, house: str) -> None:
    got = _values(text, gaz)
    assert got["community"] == village
    assert got.get("village_group") == group
    assert got["house_number"] == house
    assert "compound" not in got
    assert "road" not in got


def test_a_new_village_is_a_compound_not_a_village(gaz: Gazetteer) -> None:
    got = _values("凤凰新村3幢2单元301室", gaz)
    assert got["compound"] == "凤凰新村"
    assert "village_group" not in got


@pytest.mark.parametrize(
    ("text", "building", "unit", "floor", "room"),
    [
        ("米兰花园3号楼1单元301室", "3", "1", None, "301"),
        ("米兰花园3栋楼2单元301室", "3", "2", None, "301"),
        ("米兰花园3座2单元301", "3", "2", None, "301"),
        ("米兰花园3幢1单元3楼301", "3", "1", "3", "301"),
        ("米兰花园3幢1单元3层301室", "3", "1", "3", "301"),
        ("米兰花园3-2-301", "3", "2", None, "301"),
        ("人民路27号3栋2-302", "3", "2", None, "302"),
        ("米兰花园5号楼", "5", None, None, None),
    ],
)
def test_building_floor_and_dash_forms(
    gaz: Gazetteer, text: str, building: str, unit: str | None, floor: str | None, room: str | None
) -> None:
    got = _values(text, gaz)
    assert (got.get("building"), got.get("unit"), got.get("floor"), got.get("room")) == (
        building,
        unit,
        floor,
        room,
    )


def test_chinese_numerals_in_every_component(gaz: Gazetteer) -> None:
    got = _values("吴兴区月河街道人民路二百八十三号四幢一单元六零一室", gaz)
    assert (got["house_number"], got["building"], got["unit"], got["room"]) == ("283", "4", "1", "601")
    assert _values("人民路二八三号四幢一单元六〇一室", gaz)["room"] == "601"
    assert _values("金陵路三一八号二幢一单元十二楼一二零一", gaz)["floor"] == "12"
    assert _values("千秋街第十四号", gaz)["house_number"] == "14"
    # numerals inside names stay names
    assert _values("五一路3号", gaz)["road"] == "五一路"


@pytest.mark.parametrize(
    ("text", "township", "code"),
    [
        ("德清县武康镇千秋街12号", "武康街道", "330521001000"),
        ("安吉递铺镇天目路258号", "递铺街道", "330523001000"),
        ("雉城镇明珠路1278号", "雉城街道", "330522001000"),
        ("湖州开发区康山街道康山路600号", "康山街道", "330502007000"),
        ("南太湖新区滨湖街道太湖路555号", "滨湖街道", "330502009000"),
    ],
)
def test_zones_and_former_town_names(gaz: Gazetteer, text: str, township: str, code: str) -> None:
    got = _values(text, gaz)
    assert got["township"] == township
    assert got["region_code"] == code


@pytest.mark.parametrize(
    ("text", "township", "code", "road"),
    [
        ("湖州人民路12号(月河街道)", "月河街道", "330502001000", "人民路"),
        ("湖州人民路12号(菱湖)", "菱湖镇", "330503105000", "人民路"),
        ("湖州人民路12号【雉城】", "雉城街道", "330522001000", "人民路"),  # 城 ends no compound here
        ("人民路12号【吴兴区月河街道】", "月河街道", "330502001000", "人民路"),
        ("德清千秋街12号(原武康镇)", "武康街道", "330521001000", "千秋街"),
        ("吴兴区人民路12号(菱湖镇)", "菱湖镇", "330503105000", "人民路"),  # the later name wins
    ],
)
def test_a_bracketed_region_counts_as_written_before_the_road(
    gaz: Gazetteer, text: str, township: str, code: str, road: str
) -> None:
    parsed = parse(text, gaz)
    got = {k: c.value for k, c in parsed.components.items()}
    assert (got["township"], got["region_code"]) == (township, code)
    assert (got["road"], got["house_number"]) == (road, "12")
    assert "aside" not in parsed.removed
    assert parsed.unparsed == ""


@pytest.mark.parametrize(
    "text",
    [
        "湖州人民路12号(月河街道办事处旁)",
        "湖州人民路12号(菱湖中学)",
        "湖州人民路12号(找月河)",
        "湖州人民路12号(王先生)",
    ],
)
def test_a_bracketed_landmark_or_remark_is_still_an_aside(gaz: Gazetteer, text: str) -> None:
    parsed = parse(text, gaz)
    got = {k: c.value for k, c in parsed.components.items()}
    assert "township" not in got
    assert got["region_code"] == "330500000000"
    assert (got["road"], got["house_number"]) == ("人民路", "12")
    assert parsed.removed


def test_a_zone_alone_gives_its_county(gaz: Gazetteer) -> None:
    got = _values("湖州经济技术开发区西山漾路58号", gaz)
    assert got["county"] == "吴兴区"
    assert got["road"] == "西山漾路"


def test_place_aliases_are_reference_data_synced_from_the_parent() -> None:
    import_all_models()  # the entity registry is filled explicitly, as the app factory does
    spec = ENTITIES["place_alias"]
    assert spec.kind == "reference"
    parent = SyncPeer(name="city", base_url="http://127.0.0.1:1", relation="parent", token="t")
    child = SyncPeer(name="county", base_url="http://127.0.0.1:2", relation="child", token="t")
    assert "place_alias" in default_entities(parent)
    assert "place_alias" not in default_entities(child)
    names = {row["name"] for row in shipped_aliases()}
    assert {
        "南太湖新区",
        "湖州经济技术开发区",
        "湖州开发区",
        "太湖旅游度假区",
        "武康镇",
        "递铺镇",
        "雉城镇",
    } <= names


def test_homophones_and_near_sounds() -> None:
    assert name_similarity("千秋街", "千秋接") == 0.95
    assert name_similarity("莲花庄路", "连花庄路") == 0.95
    assert name_similarity("人民路", "人明路") >= 0.8
    assert name_similarity("吉祥新村", "御景新村") < 0.5  # a shared 新村 is not a likeness
    assert name_similarity("人民路", "解放路") < 0.5


def test_kind_and_confidence() -> None:
    text = Reading(region_code="330502001000", road="人民路", house_number="12")
    same = Reading(region_code="330502001000", road="人民路", house_number="12")
    assert judge(text, score(text, same)) == ("exact", 1.0)
    heard = Reading(region_code="330502001000", road="人民接", house_number="12")
    kind, confidence = judge(heard, score(heard, same))
    assert kind == "fuzzy"
    assert MATCHED_AT <= confidence < 1.0
    other_house = Reading(region_code="330502001000", road="人民路", house_number="13")
    kind, confidence = judge(other_house, score(other_house, same))
    assert kind != "exact"
    assert confidence < MATCHED_AT
    room = Reading(region_code="330502001000", road="人民路", house_number="12", building="3", room="301")
    kind, confidence = judge(room, score(room, same))
    assert kind == "component"
    assert confidence < MATCHED_AT
    house_of_room = Reading(region_code="330502001000", road="人民路", house_number="12", building="3")
    kind, _ = judge(text, score(text, house_of_room))
    assert kind == "component"  # the entry has a building the text does not name
