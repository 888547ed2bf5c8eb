"""Pure rules: normalisation, noise, parsing, codes and scoring (no database)."""

from __future__ import annotations

import csv
import secrets
from pathlib import Path

import pytest

from app.address.codes import (
    LEVELS,
    PLATE_ALPHABET,
    PLATE_BITS,
    SegmentFull,
    code_range,
    looks_like_plate,
    new_plate_code,
    new_plate_codes,
    next_segment,
    plate_from_number,
    split_code,
)
from app.address.components import ComponentError, Components, full_name, match_key, normalize_components
from app.address.gazetteer import Gazetteer, Place, short_name
from app.address.noise import strip_noise
from app.address.normalize import chinese_numeral_value, implied_floor, normalize_number, normalize_text
from app.address.parser import parse
from app.address.scoring import Reading, name_similarity, score

REGIONS = Path(__file__).resolve().parents[2] / "app" / "region" / "data" / "regions-huzhou.csv"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    with REGIONS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    places = [Place(r["code"], r["name"], r["level"], r["parent_code"] or None) for r in rows]
    places.append(Place("330502001001", "米兰社区", "village", "330502001000"))
    return Gazetteer.build(places)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三", 3),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十一", 21),
        ("一百零三", 103),
        ("三百", 300),
        ("三零一", 301),
        ("两", 2),
        ("一千零一", 1001),
        ("十百", None),
        ("甲", None),
        ("", None),
    ],
)
def test_chinese_numerals(text: str, value: int | None) -> None:
    assert chinese_numeral_value(text) == value


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("人民路１２３号", "人民路123号"),
        ("3栋二单元三零一室", "3幢2单元301室"),
        ("十二号楼5楼501", "12幢5层501"),
        ("A座302房", "A幢302室"),
        ("3#楼 2 单元", "3幢2单元"),
        ("第三单元", "3单元"),
        ("人民路123—1号", "人民路123-1号"),
        ("八里店镇二环路", "八里店镇二环路"),  # numerals in names stay
        ("凤凰小区，3幢。", "凤凰小区3幢"),
        ("ａｂ栋", "AB幢"),
    ],
)
def test_normalize_text(raw: str, canonical: str) -> None:
    assert normalize_text(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("１２３号", "123"),
        ("三单元", "3"),
        ("A座", "A"),
        ("03", "3"),
        ("123-1号", "123-1"),
        ("十二", "12"),
        ("第五", "5"),
    ],
)
def test_normalize_number(raw: str, value: str) -> None:
    assert normalize_number(raw) == value


def test_implied_floor() -> None:
    assert (implied_floor("301"), implied_floor("1203"), implied_floor("5"), implied_floor("A1")) == (
        "3",
        "12",
        "",
        "",
    )


def test_components_normalise_and_reject() -> None:
    parts = normalize_components(
        {"road": " 人民路 ", "house_number": "１２３号", "building": "三栋", "floor": "3", "room": "301"}
    )
    assert parts == Components(
        road="人民路", house_number="123", building="3", room="301"
    )  # floor 3 is in 301
    assert normalize_components({"compound": "凤凰小区", "floor": "5", "room": "1"}).floor == "5"
    with pytest.raises(ComponentError) as missing:
        normalize_components({"house_number": "1"})
    assert missing.value.field == "road"
    with pytest.raises(ComponentError) as bad:
        normalize_components({"road": "人民路", "building": "三栋楼房"})
    assert bad.value.field == "building"


def test_full_name_and_match_key() -> None:
    parts = Components(
        community="米兰社区",
        road="人民路",
        house_number="1",
        compound="凤凰小区",
        building="3",
        unit="2",
        room="301",
    )
    names = ["浙江省", "湖州市", "吴兴区", "月河街道"]
    assert full_name(names, parts) == "浙江省湖州市吴兴区月河街道米兰社区人民路1号凤凰小区3幢2单元301室"
    # a village-level region already names the community
    assert full_name([*names, "米兰社区"], parts).count("米兰社区") == 1
    other_label = Components(**{**parts.as_dict(), "community": "别的社区"})
    assert match_key("330502001000", parts) == match_key("330502001000", other_label)
    assert match_key("330502001000", parts) != match_key("330502002000", parts)


def test_noise_is_removed_by_kind() -> None:
    cleaned = strip_noise("地址：人民路１２３号附近，联系人：张三 138-1234-5678（王先生）0572-2123456")
    assert "1234" not in cleaned.text
    assert "张三" not in cleaned.text
    assert "王" not in cleaned.text
    assert sorted(set(cleaned.removed)) == ["aside", "direction", "label", "name", "phone"]
    assert normalize_text(cleaned.text) == "人民路123号"
    assert normalize_text(strip_noise("凤凰小区(3幢)旁边").text) == "凤凰小区3幢"
    assert normalize_text(strip_noise("人民路口").text) == "人民路"


def test_bracketed_region_names_are_set_apart_not_removed() -> None:
    def is_region(text: str) -> bool:
        return text in {"月河街道", "武康镇", "雉城"}

    cleaned = strip_noise("人民路12号(月河街道)(老茶馆旁)", is_region)
    assert cleaned.regions == ["月河街道"]
    assert cleaned.removed == ["aside"]
    assert normalize_text(cleaned.text) == "人民路12号"
    assert strip_noise("千秋街12号(原武康镇)", is_region).regions == ["武康镇"]
    assert strip_noise("千秋街12号(原红旗路)", is_region).removed == ["aside"]
    assert strip_noise("人民路12号(雉城)", is_region).regions == ["雉城"]  # not a compound in 城
    assert normalize_text(strip_noise("人民路12号(凤凰城)", is_region).text) == "人民路12号凤凰城"
    # without a judge of region names every such bracket is an aside, as before
    assert strip_noise("人民路12号(月河街道)").removed == ["aside"]


def test_short_names() -> None:
    assert short_name("吴兴区", "county") == "吴兴"
    assert short_name("月河街道", "township") == "月河"
    assert short_name("织里镇", "township") == "织里"
    assert short_name("湖州市", "city") == "湖州"
    assert short_name("乡", "township") is None


def _values(text: str, gazetteer: Gazetteer) -> dict[str, str]:
    return {k: c.value for k, c in parse(text, gazetteer).components.items()}


def test_parse_full_address(gazetteer: Gazetteer) -> None:
    parsed = parse("浙江省湖州市吴兴区月河街道米兰社区人民路１２３号凤凰小区3栋二单元三零一室", gazetteer)
    assert {k: c.value for k, c in parsed.components.items()} == {
        "province": "浙江省",
        "city": "湖州市",
        "county": "吴兴区",
        "township": "月河街道",
        "community": "米兰社区",
        "region_code": "330502001001",
        "road": "人民路",
        "house_number": "123",
        "compound": "凤凰小区",
        "building": "3",
        "unit": "2",
        "room": "301",
    }
    assert all(c.confidence >= 0.9 for c in parsed.components.values())
    assert parsed.unparsed == ""


def test_parse_fills_missing_levels_from_short_names(gazetteer: Gazetteer) -> None:
    parsed = parse("织里人民路5号", gazetteer)
    assert parsed.value("township") == "织里镇"
    assert parsed.value("county") == "吴兴区"
    assert parsed.components["county"].confidence == 0.8  # inferred
    assert parsed.components["township"].confidence == 0.9  # short name
    assert parsed.value("road") == "人民路"


def test_parse_keeps_names_that_begin_with_a_region(gazetteer: Gazetteer) -> None:
    assert _values("织里路5号", gazetteer) == {"road": "织里路", "house_number": "5"}
    assert _values("月河小区3-2-301", gazetteer) == {
        "compound": "月河小区",
        "building": "3",
        "unit": "2",
        "room": "301",
    }
    assert _values("吴兴大道88号", gazetteer) == {"road": "吴兴大道", "house_number": "88"}
    assert _values("凤凰新村3幢", gazetteer) == {"compound": "凤凰新村", "building": "3"}


def test_parse_numbers_in_many_spellings(gazetteer: Gazetteer) -> None:
    expected = {"compound": "金园小区", "building": "12", "unit": "3", "room": "501"}
    for text in (
        "金园小区十二号楼三单元501",
        "金园小区12栋3单元501室",
        "金园小区１２幢３单元５０１",
        "金园小区12-3-501",
    ):
        got = _values(text, gazetteer)
        assert {k: got.get(k) for k in expected} == expected, text
    floor = _values("金园小区12幢5楼501", gazetteer)
    assert (floor["floor"], floor["room"]) == ("5", "501")
    bare = parse("人民路123", gazetteer)
    assert bare.value("house_number") == "123"
    assert bare.components["house_number"].confidence < 0.9


def test_parse_without_region_or_markers(gazetteer: Gazetteer) -> None:
    got = _values("长兴县雉城街道金园小区3幢2单元", gazetteer)
    assert (got["region_code"], got["compound"], got["building"], got["unit"]) == (
        "330522001000",
        "金园小区",
        "3",
        "2",
    )
    assert "room" not in got
    positional = parse("龙溪春天3幢201室", gazetteer)
    assert positional.value("building") == "3"
    assert positional.components["compound"].confidence == 0.5


def test_plate_codes_are_random_and_at_least_96_bits() -> None:
    assert PLATE_BITS >= 96
    plates = [new_plate_code() for _ in range(2000)]
    assert len(set(plates)) == len(plates)
    for plate in plates[:50]:
        assert len(plate) == 20
        assert set(plate) <= set(PLATE_ALPHABET)
        assert looks_like_plate(plate)
    # every character position varies: nothing is fixed or derived from a sequence
    for position in range(20):
        assert len({p[position] for p in plates}) > 20
    assert not looks_like_plate("ILOU0000000000000000")
    assert not looks_like_plate("0123456789")


def test_plate_codes_drawn_per_batch_spell_the_first_bits_of_each_draw(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn = bytes(range(256)) * 2  # 512 bytes: 34 draws of 15
    monkeypatch.setattr(secrets, "token_bytes", lambda n: drawn[:n])
    plates = new_plate_codes(34)
    expected = [
        plate_from_number(int.from_bytes(drawn[i * 15 : i * 15 + 15], "big") >> 20) for i in range(34)
    ]
    assert plates == expected
    monkeypatch.undo()
    fresh = new_plate_codes(2000)
    assert len(set(fresh)) == 2000
    assert all(looks_like_plate(p) for p in fresh)
    for position in range(20):
        assert len({p[position] for p in fresh}) == 32
    assert new_plate_codes(0) == []


def test_code_layout_and_segments() -> None:
    code = "330502001000000070123003020015"
    assert split_code(code) == {
        "region": "330502001000",
        "place": "00007",
        "house": "0123",
        "building": "003",
        "unit": "02",
        "room": "0015",
    }
    assert [lv.width for lv in LEVELS] == [5, 4, 3, 2, 4]
    assert code_range("330502001000") == ("330502001000" + "0" * 18, "330502001000" + "9" * 18)
    unit = LEVELS[3]
    assert next_segment(unit, None, "p") == "01"
    assert next_segment(unit, "3305020010000000701230030" + "50015", "p") == "06"
    with pytest.raises(SegmentFull):
        next_segment(unit, "3305020010000000701230039" + "90015", "p")


def test_name_similarity() -> None:
    assert name_similarity("人民路", "人民路") == 1.0
    assert name_similarity("凤凰", "凤凰小区") == 0.8
    assert 0.5 <= name_similarity("人名路", "人民路") < 1.0
    assert name_similarity("人民路", "青铜路") < 0.5
    # the same characters in another order: alike, never the same name
    assert name_similarity("二环东路", "东二环路") == 0.9
    assert name_similarity("测零零二一四二路", "测零零二一四一路") == 0.9


def test_score_prefers_exact_and_less_specific() -> None:
    room = Reading(
        region_code="330502001000", road="人民路", house_number="7", building="2", unit="1", room="102"
    )
    house = Reading(region_code="330502001000", road="人民路", house_number="7")
    text = Reading(region_code="330502000000", road="人民路", house_number="7")
    assert score(text, house).value == 1.0
    assert score(text, room).value < score(text, house).value
    exact = score(Reading(road="人民路", house_number="7", building="2", unit="1", room="102"), room)
    assert exact.value == 1.0
    assert set(exact.agreed) == {"road", "house_number", "building", "unit", "room"}
    elsewhere = score(Reading(region_code="330503001000", road="人民路", house_number="7"), house)
    assert "region" in elsewhere.differed
    assert 0 < elsewhere.value < 1
    floor = score(
        Reading(road="人民路", house_number="7", building="2", unit="1", floor="1", room="102"), room
    )
    assert floor.value == 1.0
    assert score(Reading(), house).value == 0.0
