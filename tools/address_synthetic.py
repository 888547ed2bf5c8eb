"""Synthetic Huzhou registers, generated deterministically from a seed: a small register with
deliberate look-alikes for the synthetic evaluation set, and registers of any size for
benchmarks. (A development tool: the service itself never generates addresses.)

Nothing here is real data; the names are made up from common place-name words and the real
township codes of ``app/region/data/regions-huzhou.csv``.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.address.components import Components, full_name
from app.region.reference import shipped_rows

CSV_COLUMNS = (
    "region_code",
    "community",
    "village_group",
    "road",
    "house_number",
    "compound",
    "building",
    "unit",
    "floor",
    "room",
    "aliases",
    "lon",
    "lat",
)
ROAD_WORDS = (
    "青铜", "劳动", "红丰", "学士", "仪凤", "苕溪", "潮音", "龙王山", "白雀", "金盖", "岳鸣", "衣裳",
    "馆驿河", "新华", "南浔", "清源", "东升", "振兴", "兴业", "长乐", "太平", "永安", "双桥", "桂花",
    "枫林", "梧桐", "北塘", "南塘", "荷花", "菱湖", "竹墩", "獐山", "鹿山", "云巢", "碧浪", "月亮湾",
    "栖贤", "杨家", "西山漾", "钱山漾",
)  # fmt: skip
SHARED_ROADS = ("人民路", "解放路", "青年路", "凤凰路")
ROAD_SUFFIXES = ("路", "街", "大道", "巷")
COMPOUND_WORDS = (
    "翡翠", "碧水", "金色", "阳光", "御景", "锦绣", "丽景", "东方", "明珠", "世纪", "绿洲", "春江",
    "清水", "白鹭", "紫荆", "银杏", "香樟", "丹桂", "玉兰", "海棠", "蓝湾", "水岸", "星河", "云溪",
    "凤凰", "滨湖", "湖畔", "太湖", "吉祥", "福园", "康乐", "怡和", "天悦", "锦江", "金域", "龙溪",
)  # fmt: skip
COMPOUND_SUFFIXES = ("小区", "花园", "家园", "公寓", "新村", "苑", "府")
COMMUNITY_WORDS = (
    "米兰", "南门", "北门", "东街", "西街", "百家", "新兴", "景湖", "海岛", "府庙", "塘甸", "马军巷",
    "桑园", "红旗", "环渚", "太湖", "清河", "双林", "凤鸣", "白鱼潭",
)  # fmt: skip
OLD_ROADS = ("红卫路", "东风路", "向阳路", "卫东街", "跃进路", "五一路", "工农路", "胜利街", "前进路")
EVAL_TOWNSHIPS = (
    "330502001000",
    "330502003000",
    "330502006000",
    "330502100000",
    "330503100000",
    "330503105000",
    "330521001000",
    "330521102000",
    "330522001000",
    "330522101000",
    "330523001000",
    "330523105000",
)
# Huzhou's extent, roughly: coordinates stay inside it.
LON = (119.24, 120.49)
LAT = (30.38, 31.18)


@dataclass(frozen=True, slots=True)
class SyntheticAddress:
    region_code: str
    parts: Components
    aliases: tuple[str, ...] = ()
    lon: float | None = None
    lat: float | None = None
    tags: frozenset[str] = field(default_factory=frozenset)

    def csv_row(self) -> dict[str, str]:
        row = self.parts.as_dict()
        row.pop("village", None)
        row["region_code"] = self.region_code
        row["aliases"] = "|".join(self.aliases)
        row["lon"] = "" if self.lon is None else f"{self.lon:.6f}"
        row["lat"] = "" if self.lat is None else f"{self.lat:.6f}"
        return row


def region_names() -> dict[str, tuple[str, str, str | None]]:
    """code → (name, level, parent) of the shipped regions."""
    return {r["code"]: (r["name"], r["level"], r["parent_code"] or None) for r in shipped_rows()}


def region_path(code: str, regions: dict[str, tuple[str, str, str | None]]) -> list[str]:
    names: list[str] = []
    current: str | None = code
    while current:
        name, _level, parent = regions[current]
        names.append(name)
        current = parent
    return list(reversed(names))


def standard_name(address: SyntheticAddress, regions: dict[str, tuple[str, str, str | None]]) -> str:
    return full_name(region_path(address.region_code, regions), address.parts)


def _room(rng: random.Random) -> str:
    return f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}"


def _coordinates(rng: random.Random) -> tuple[float, float]:
    return round(rng.uniform(*LON), 6), round(rng.uniform(*LAT), 6)


def _compound_addresses(
    rng: random.Random,
    region: str,
    community: str,
    base: dict[str, str],
    buildings: int,
) -> Iterator[SyntheticAddress]:
    for building in range(1, buildings + 1):
        if rng.random() < 0.5:
            parts = Components(community=community, building=str(building), **base)
            yield SyntheticAddress(region, parts, tags=frozenset({"building"}))
        for unit in range(1, rng.randint(1, 3) + 1):
            rooms = {_room(rng) for _ in range(4)}
            for room in sorted(rooms):
                parts = Components(
                    community=community, building=str(building), unit=str(unit), room=room, **base
                )
                yield SyntheticAddress(region, parts, tags=frozenset({"room"}))


def eval_register(seed: int = 2022) -> list[SyntheticAddress]:
    """About 1,900 addresses over twelve townships, with look-alikes on purpose: the same road
    names and compound names in several townships, neighbouring house numbers, every room of
    a unit, building-level entries beside their rooms, and old names kept as aliases."""
    rng = random.Random(seed)
    out: list[SyntheticAddress] = []
    road_words = list(ROAD_WORDS)
    compound_words = list(COMPOUND_WORDS)
    rng.shuffle(road_words)
    rng.shuffle(compound_words)
    for t, region in enumerate(EVAL_TOWNSHIPS):
        communities = [COMMUNITY_WORDS[(2 * t + i) % len(COMMUNITY_WORDS)] + "社区" for i in range(2)]
        roads = [*rng.sample(SHARED_ROADS, 2)]
        roads += [road_words[(3 * t + i) % len(road_words)] + ROAD_SUFFIXES[(t + i) % 3] for i in range(3)]
        compounds = ["阳光" + COMPOUND_SUFFIXES[t % 2]]
        compounds += [
            compound_words[(3 * t + i) % len(compound_words)] + rng.choice(COMPOUND_SUFFIXES)
            for i in range(3)
        ]
        for r, road in enumerate(roads):
            numbers = sorted(rng.sample(range(1, 160), 8))
            for n in numbers:
                aliases: tuple[str, ...] = ()
                if r >= 2 and rng.random() < 0.12:
                    aliases = (f"{rng.choice(OLD_ROADS)}{n}号",)
                lon, lat = _coordinates(rng)
                parts = Components(community=communities[r % 2], road=road, house_number=str(n))
                out.append(SyntheticAddress(region, parts, aliases, lon, lat, frozenset({"house"})))
            if r < 2:
                host = numbers[rng.randrange(len(numbers))] + 200
                base = {"road": road, "house_number": str(host), "compound": compounds[r]}
                out.extend(_compound_addresses(rng, region, communities[r % 2], base, rng.randint(2, 3)))
        for c in compounds[2:]:
            out.extend(_compound_addresses(rng, region, communities[1], {"compound": c}, rng.randint(2, 4)))
    return out


def bulk_rows(count: int, seed: int = 7) -> Iterator[dict[str, str]]:
    """``count`` distinct addresses as CSV rows, spread over every township, generated on the
    fly (nothing is kept in memory). Even places are roads with house numbers, odd ones
    compounds; each house or compound has buildings, units and rooms."""
    rng = random.Random(seed)
    townships = [code for code, (_n, level, _p) in region_names().items() if level == "township"]
    places, houses, buildings, units, rooms = 24, 5, 4, 2, 18
    made = 0
    for p in range(places):
        for t, region in enumerate(townships):
            word = (
                ROAD_WORDS[(p + t) % len(ROAD_WORDS)]
                if p % 2 == 0
                else COMPOUND_WORDS[(p + t) % len(COMPOUND_WORDS)]
            )
            if p % 2 == 0:
                base = {"road": word + ROAD_SUFFIXES[(p // 2) % len(ROAD_SUFFIXES)], "compound": ""}
            else:
                base = {"road": "", "compound": word + COMPOUND_SUFFIXES[(p // 2) % len(COMPOUND_SUFFIXES)]}
            community = COMMUNITY_WORDS[(p * 7 + t) % len(COMMUNITY_WORDS)] + "社区"
            for h in range(houses):
                number = str(h * 2 + 1) if base["road"] else ""
                for b in range(1, buildings + 1):
                    for u in range(1, units + 1):
                        for r in range(rooms):
                            if made >= count:
                                return
                            lon, lat = _coordinates(rng)
                            yield {
                                "region_code": region,
                                "community": community,
                                "village_group": "",
                                "road": base["road"],
                                "house_number": number,
                                "compound": base["compound"] if base["road"] == "" else "",
                                "building": str(b + (0 if base["road"] else h * buildings)),
                                "unit": str(u),
                                "floor": "",
                                "room": f"{r // 2 + 1}{r % 2 + 1:02d}",
                                "aliases": "",
                                "lon": f"{lon:.6f}",
                                "lat": f"{lat:.6f}",
                            }
                            made += 1


def to_csv(rows: Iterator[dict[str, str]] | list[dict[str, str]]) -> Iterator[str]:
    """CSV text, header first, one row at a time."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()
