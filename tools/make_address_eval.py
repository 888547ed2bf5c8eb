"""Write the synthetic evaluation set: ``tests/data/address_eval.csv``, noisy free-text
addresses over the synthetic register of :func:`tools.address_synthetic.eval_register`, each with
the standard address it means and the components a perfect parser would read from it; and
``tests/data/address_eval.register.csv``, that register as an import file.

Run from the repository root: ``python -m tools.make_address_eval`` (deterministic: the same
seed writes the same files). This set measures the matcher's consistency with a generator built
alongside it; the hand-written set (``tests/data/addresses_handwritten.csv``) measures how it
reads what people write.

The noise is what free text in the wild carries: missing province, city or county; short
names (吴兴, 织里, 月河); 栋/幢/号楼/#; full-width digits; Chinese numerals (三单元, 三零一室);
compact numbers (3-2-301); phone numbers, names, 附近/旁边/对面/门口, labels, spaces and
punctuation; a compound in brackets; a missing room (the text names a building the register
holds as such) or unit (3幢301室, when only one unit has that room); a road left out when the
compound is enough; old names kept as aliases; a wrong character. Every
text is checked to be resolvable: the address it means is the single least specific
register entry that agrees with everything the text says.
"""

from __future__ import annotations

import csv
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

from app.address.gazetteer import short_name
from tools.address_synthetic import (
    SyntheticAddress,
    eval_register,
    region_names,
    standard_name,
    to_csv,
)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "address_eval.csv"
SEED = 20221130
SIZE = 420
FIELDS = ("community", "road", "house_number", "compound", "building", "unit", "floor", "room")
COLUMNS = ("category", "text", "expected_full_name", "region_code", *FIELDS)
DIGITS = "零一二三四五六七八九"
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡"
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "建国", "秀英", "志强")
NEARBY = ("附近", "旁边", "对面", "门口", "隔壁")
TYPO_CHARS = "东西南北中新华兴安康"
Regions = dict[str, tuple[str, str, str | None]]


def chinese(n: int) -> str:
    """12 → 十二, 103 → 一百零三 (house numbers and the like)."""
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return DIGITS[n // 10] + "十" + (DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = (
        ""
        if rest == 0
        else ("零" + DIGITS[rest] if rest < 10 else chinese(rest) if rest >= 20 else "一" + chinese(rest))
    )
    return DIGITS[n // 100] + "百" + tail


def spelled(digits: str) -> str:
    """301 → 三零一 (room numbers read digit by digit)."""
    return "".join(DIGITS[int(d)] for d in digits)


@dataclass
class Rendering:
    parts: list[str] = field(default_factory=list)
    said: dict[str, str] = field(default_factory=dict)  # components the text gives (true values)
    parsed: dict[str, str] = field(default_factory=dict)  # what a perfect parser reads
    region_code: str = ""


def _region(address: SyntheticAddress, regions: Regions, rng: random.Random, style: str) -> tuple[str, str]:
    township = address.region_code
    county = regions[township][2] or ""
    t_name, c_name = regions[township][0], regions[county][0]
    t_short = short_name(t_name, "township") or t_name
    c_short = short_name(c_name, "county") or c_name
    if style == "full":
        return "浙江省湖州市" + c_name + t_name, township
    if style == "city":
        return rng.choice(("湖州市", "湖州")) + c_name + t_name, township
    if style == "county":
        return rng.choice((c_name, c_short)) + rng.choice((t_name, t_short)), township
    if style == "township":
        name = rng.choice((t_name, t_short))
        # 南浔 names the district before the town of the same name: that is all the text says
        return name, county if name in (c_name, c_short) else township
    if style == "county_only":
        return rng.choice((c_name, c_short)), county
    return "", ""


def _building(value: str, rng: random.Random) -> str:
    style = rng.choices(("幢", "栋", "号楼", "cn", "#"), weights=(40, 25, 20, 10, 5))[0]
    if style == "cn":
        return chinese(int(value)) + "栋"
    return value + style


def _room(value: str, rng: random.Random, out: Rendering) -> str:
    style = rng.choices(("室", "bare", "cn", "floor"), weights=(50, 30, 10, 10))[0]
    if style == "bare":
        return value
    if style == "cn":
        return spelled(value) + "室"
    if style == "floor":
        floor = value[:-2]
        out.parsed["floor"] = floor
        return f"{floor}楼{value}"
    return value + "室"


def _typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(len(name) - 1)  # never the suffix
    choices = [c for c in TYPO_CHARS if c != name[i]]
    return name[:i] + rng.choice(choices) + name[i + 1 :]


def render(address: SyntheticAddress, regions: Regions, rng: random.Random, *, plain: bool) -> Rendering:
    p = address.parts
    out = Rendering()
    style = (
        "full"
        if plain
        else rng.choices(
            ("full", "city", "county", "township", "county_only", "none"), weights=(15, 15, 25, 20, 10, 15)
        )[0]
    )
    text, code = _region(address, regions, rng, style)
    if text:
        out.parts.append(text)
        out.region_code = code
    if p.community and (plain or rng.random() < 0.35):
        out.parts.append(p.community)
        out.said["community"] = out.parsed["community"] = p.community
    skip_road = bool(p.road and p.compound and not plain and rng.random() < 0.3)
    alias = address.aliases[0] if address.aliases and not plain and rng.random() < 0.6 else ""
    if alias:
        out.parts.append(alias)
        out.said["alias"] = alias
        out.parsed["road"], out.parsed["house_number"] = alias[:-1].rstrip("0123456789"), p.house_number
    elif p.road and not skip_road:
        road = _typo(p.road, rng) if not plain and rng.random() < 0.08 else p.road
        number = int(p.house_number)
        spelt = rng.choices((f"{number}号", f"{chinese(number)}号", f"{number}"), weights=(75, 12, 13))[0]
        if spelt == str(number) and not p.compound:
            spelt += "号"
        out.parts.append(road + spelt)
        out.said.update(road=p.road, house_number=p.house_number)
        out.parsed.update(road=road, house_number=p.house_number)
    if p.compound:
        compound = _typo(p.compound, rng) if not plain and rng.random() < 0.06 else p.compound
        bracketed = not plain and bool(p.road) and rng.random() < 0.08
        out.parts.append(f"({compound})" if bracketed else compound)
        out.said["compound"] = p.compound
        out.parsed["compound"] = compound
    drop_unit = bool(p.unit and p.room and not plain and rng.random() < 0.1)  # 3幢301室
    if p.building and p.unit and p.room and not plain and not drop_unit and rng.random() < 0.15:
        out.parts.append(f"{p.building}-{p.unit}-{p.room}")
    else:
        if p.building:
            out.parts.append(_building(p.building, rng) if not plain else p.building + "幢")
        if p.unit and not drop_unit:
            out.parts.append(
                p.unit + "单元" if plain or rng.random() < 0.7 else chinese(int(p.unit)) + "单元"
            )
        if p.room:
            out.parts.append(p.room + "室" if plain else _room(p.room, rng, out))
    for name in ("building", "unit", "room"):
        if getattr(p, name) and not (name == "unit" and drop_unit):
            out.said[name] = out.parsed[name] = getattr(p, name)
    return out


def _consistent(candidate: SyntheticAddress, out: Rendering) -> bool:
    if out.region_code and not candidate.region_code.startswith(out.region_code.rstrip("0")):
        return False
    if "alias" in out.said and out.said["alias"] not in candidate.aliases:
        return False
    return all(getattr(candidate.parts, k) == v for k, v in out.said.items() if k != "alias")


def _extra(candidate: SyntheticAddress, out: Rendering) -> int:
    said = set(out.said) | ({"road", "house_number"} if "alias" in out.said else set())
    return sum(1 for k in FIELDS if k not in said and k != "community" and getattr(candidate.parts, k))


def resolvable(target: SyntheticAddress, register: list[SyntheticAddress], out: Rendering) -> bool:
    matches = [a for a in register if _consistent(a, out)]
    if target not in matches:
        return False
    least = _extra(target, out)
    return all(_extra(a, out) > least for a in matches if a is not target)


def noisy(parts: list[str], rng: random.Random) -> str:
    glue = rng.choices(("", " ", ","), weights=(70, 20, 10))[0]
    text = glue.join(parts)
    if rng.random() < 0.2:
        text += rng.choice(NEARBY)
    if rng.random() < 0.15:
        text = rng.choice(("地址：", "家住", "住址:")) + text
    if rng.random() < 0.15:
        text = text.translate(FULL_WIDTH)
    if rng.random() < 0.25:
        phone = rng.choice(
            (
                "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9)),
                "0572-2" + "".join(rng.choice("0123456789") for _ in range(6)),
            )
        )
        text = f"{text} {rng.choice(('', '电话', '电话：', '手机'))}{phone}"
    if rng.random() < 0.2:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        form = rng.choice((f"找{name}", f"联系人：{name}", f"{name[0]}先生", f"{name[0]}女士"))
        text = f"{form} {text}" if rng.random() < 0.4 else f"{text} {form}"
    return text


def build(seed: int = SEED, size: int = SIZE) -> list[dict[str, str]]:
    rng = random.Random(seed)
    regions = region_names()
    register = eval_register()
    pools = {
        "house": [a for a in register if "house" in a.tags],
        "room": [a for a in register if "room" in a.tags],
        "building": [a for a in register if "building" in a.tags],
        "alias": [a for a in register if a.aliases],
    }
    weights = {"house": 30, "room": 45, "building": 15, "alias": 10}
    rows: list[dict[str, str]] = []
    while len(rows) < size:
        kind = rng.choices(list(weights), weights=list(weights.values()))[0]
        target = rng.choice(pools[kind])
        for attempt in range(8):
            out = render(target, regions, rng, plain=attempt == 7)
            if resolvable(target, register, out):
                break
        else:
            raise RuntimeError(f"cannot render {target} resolvably")
        expected = {k: out.parsed.get(k, "") for k in FIELDS}
        rows.append(
            {
                "category": "synthetic",
                "text": noisy(out.parts, rng),
                "expected_full_name": standard_name(target, regions),
                "region_code": out.region_code,
                **expected,
            }
        )
    return rows


def write(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_register(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        for chunk in to_csv(a.csv_row() for a in eval_register()):
            f.write(chunk)


def register_path(path: Path) -> Path:
    return path.with_name(path.stem + ".register.csv")


def main() -> None:
    """``python -m tools.make_address_eval [SEED OUT]``: another seed writes a held-out set
    elsewhere (with its register beside it)."""
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else SEED
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else OUT
    rows = build(seed)
    write(rows, out)
    write_register(register_path(out))
    print(f"wrote {len(rows)} rows to {out} and the register to {register_path(out)}")


if __name__ == "__main__":
    main()
