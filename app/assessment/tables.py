"""Scoring tables, one per assessment standard, versioned by the standard's code.

A table holds everything that differs between standards: the items with their ranges and
option labels, the dimensions they add up to, the level bands over the total, the level
changes, and the re-assessment interval. The scoring code (``scoring.py``) reads only the
table, so another standard (an MZ/T 039-2013 table, say) is one more entry in ``TABLES``, and
assessments keep the rules of the standard they were made under.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal


@dataclass(frozen=True, slots=True)
class Conditions:
    """Facts about the person, beside the item scores, that can change the level."""

    coma: bool = False
    dementia: bool = False
    psychiatric_disorder: bool = False
    care_risk_events_30d: int = 0


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    name_zh: str
    dimension: str
    options: tuple[str, ...]
    """Label of each score, indexed by the score: ``options[0]`` is the label of 0 points."""

    @property
    def max(self) -> int:
        return len(self.options) - 1


@dataclass(frozen=True, slots=True)
class Dimension:
    code: str
    name_zh: str


@dataclass(frozen=True, slots=True)
class LevelBand:
    level: int
    code: str
    name_zh: str
    min_total: int
    max_total: int


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A rule applied to the level from the total: ``worst`` sets the worst level directly,
    ``raise`` raises the level by one (never past the worst); raises do not stack — any number
    of them raise one level (see ``scoring.adjust``)."""

    code: str
    name_zh: str
    effect: Literal["worst", "raise"]
    applies: Callable[[Conditions], bool]


@dataclass(frozen=True, slots=True)
class Table:
    code: str
    name_zh: str
    effective_from: date
    dimensions: tuple[Dimension, ...]
    items: tuple[Item, ...]
    bands: tuple[LevelBand, ...]
    changes: tuple[LevelChange, ...]
    reassessment_months: int
    consciousness_item: str | None = None
    """The item a coma must agree with (scored 0), when the table has one."""

    @property
    def max_total(self) -> int:
        return sum(item.max for item in self.items)

    @property
    def worst_level(self) -> int:
        return max(band.level for band in self.bands)

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def dimension_max(self, code: str) -> int:
        return sum(i.max for i in self.items if i.dimension == code)


# The five-step help scale GB/T 42195-2022 uses for most self-care and movement items.
_HELP = (
    "完全依赖他人协助，且不能给予配合",
    "主要依靠他人协助，自身能给予配合",
    "需要他人协助，但以自身完成为主",
    "在他人指导或提示下完成",
    "独立完成，不需要协助",
)

GB_T_42195_2022 = Table(
    code="GB/T 42195-2022",
    name_zh="老年人能力评估规范",
    effective_from=date(2022, 12, 30),
    dimensions=(
        Dimension("self_care", "自理能力"),
        Dimension("mobility", "基础运动能力"),
        Dimension("mental", "精神状态"),
        Dimension("perception_social", "感知觉与社会参与"),
    ),
    items=(
        Item(
            "eating",
            "进食",
            "self_care",
            (
                "完全依赖他人协助进食，或吞咽困难，或留置营养管",
                "进食中需要大量接触式协助，经常（每周一次及以上）呛咳",
                "进食中需要少量接触式协助，偶尔（每月一次及以上）呛咳",
                "在他人指导或提示下完成，或独立使用辅具，没有呛咳",
                "独立使用器具将食物送进口中并咽下，没有呛咳",
            ),
        ),
        Item("grooming", "修饰", "self_care", _HELP),
        Item("bathing", "洗澡", "self_care", _HELP),
        Item("dressing_upper", "穿/脱上衣", "self_care", _HELP),
        Item("dressing_lower", "穿/脱裤子和鞋袜", "self_care", _HELP),
        Item(
            "urination",
            "小便控制",
            "self_care",
            (
                "小便失禁，完全不能控制排尿，或留置导尿管",
                "白天大部分时间不能控制排尿（每天1次及以上），夜间尿失禁，或需他人大量协助使用尿布、尿垫",
                "白天大部分时间可自行控制排尿，偶有尿失禁（每周1次以上、每天不到1次），"
                "或需他人少量协助使用尿布、尿垫",
                "白天可自行控制排尿，夜间排尿次数增多、控制较差，或自行使用尿布、尿垫等辅助用物",
                "可自行控制排尿，排尿次数、排尿控制均正常",
            ),
        ),
        Item(
            "defecation",
            "大便控制",
            "self_care",
            (
                "严重便秘或完全大便失禁，需要依赖他人协助排便或清洁皮肤",
                "大部分时间（每天1次及以上）便秘或大便失禁，但尚非完全失控，或需他人大量协助使用开塞露、尿垫",
                "经常（每周1次以上、每天不到1次）便秘或大便失禁，或需他人少量协助使用开塞露、尿垫",
                "有时（每周不到1次）便秘或大便失禁，或自行使用开塞露、尿垫等辅助用物",
                "可正常自行控制大便排出",
            ),
        ),
        Item("toileting", "如厕", "self_care", _HELP),
        Item("bed_mobility", "床上体位转移", "mobility", _HELP),
        Item("transfer", "床椅转移", "mobility", _HELP),
        Item(
            "walking",
            "平地行走",
            "mobility",
            (
                "完全不能步行",
                "步行时需要他人大量扶持协助",
                "步行时需要他人少量扶持协助",
                "能平地步行50 m左右，存在摔倒风险，需要他人监护或指导，或使用拐杖、助行器等辅助工具",
                "独立平地步行50 m左右，不需要协助，无摔倒风险",
            ),
        ),
        Item(
            "stairs",
            "上下楼梯",
            "mobility",
            (
                "主要依靠他人协助，或完全依赖他人协助",
                "需要他人协助，但以自身完成为主",
                "在他人指导或提示下完成",
                "可独立上下楼梯（连续上下10～15个台阶），不需要协助",
            ),
        ),
        Item(
            "orientation_time",
            "时间定向",
            "mental",
            (
                "无时间观念",
                "时间观念很差，年、月、日不清楚，可知上午、下午或白天、夜间",
                "时间观念较差，年、月、日不清楚，可知上半年或下半年或季节",
                "时间观念有些下降，年、月、日（或星期几）不能全部分清（相差两天或以上）",
                "时间观念（年、月）清楚，日期（或星期几）可相差一天",
            ),
        ),
        Item(
            "orientation_place",
            "空间定向",
            "mental",
            (
                "不能单独外出，无空间观念",
                "不能单独外出，知道较少自己居住或生活所在地的地址信息",
                "不能单独外出，但知道较多有关自己日常生活的地址信息",
                "不能单独外出，但能准确知道自己日常生活所在地的地址信息",
                "能在日常生活范围内单独外出，如在居住小区内独自外出购物等",
            ),
        ),
        Item(
            "orientation_person",
            "人物定向",
            "mental",
            (
                "不认识任何人（包括自己）",
                "只认识自己或极少数日常同住的亲人或照护者",
                "能认识部分日常同住的亲人或照护者，能称呼或知道关系",
                "能认识大部分共同生活居住的人，能称呼或知道关系",
                "认识长期共同生活的人，能称呼家人、熟人或护理员，并知道关系",
            ),
        ),
        Item(
            "memory",
            "记忆",
            "mental",
            (
                "记忆完全紊乱，或完全不能对既往事物进行正确的回忆",
                "重度记忆紊乱或回忆不能（不能回忆远期记忆，不记得自己的老朋友）",
                "中度记忆紊乱或回忆不能（不能回忆近期记忆，不记得上一顿饭吃了什么）",
                "轻度记忆紊乱或回忆不能（3个词语经过5分钟后仅能回忆0～1个）",
                "总是能保持与社会、年龄相适应的记忆能力，能完整地回忆",
            ),
        ),
        Item(
            "comprehension",
            "理解能力",
            "mental",
            (
                "完全不能理解他人的话",
                "理解有严重困难，需要大量他人帮助",
                "理解有困难，需频繁重复或简化口头表达",
                "能理解他人的话，但需要增加时间",
                "能正常理解他人的话",
            ),
        ),
        Item(
            "expression",
            "表达能力",
            "mental",
            (
                "完全不能表达需要",
                "表达有严重困难，需要大量他人帮助",
                "表达需要有困难，需频繁重复或简化口头表达",
                "能表达自己的需要，但需要增加时间",
                "能正常表达自己的想法",
            ),
        ),
        Item("aggression", "攻击行为", "mental", ("近一个月内出现过攻击行为", "未出现")),
        Item("depression", "抑郁症状", "mental", ("近一个月内出现过负性情绪", "未出现")),
        Item(
            "consciousness",
            "意识水平",
            "mental",
            (
                "昏睡或昏迷",
                "嗜睡或意识模糊",
                "神志清醒，对周围环境能做出正确反应",
            ),
        ),
        Item(
            "vision",
            "视力",
            "perception_social",
            (
                "只能看到光、颜色和形状，或完全失明",
                "能看清楚大字体但看不清书报上的标准字体，或看不清报纸大标题但能辨认物体",
                "视力正常",
            ),
        ),
        Item(
            "hearing",
            "听力",
            "perception_social",
            (
                "讲话者大声说话或说话很慢才能部分听见，或完全失聪",
                "轻声说话或说话距离超过2 m时听不清，或需在安静环境、大声说话才能听到",
                "听力正常",
            ),
        ),
        Item(
            "daily_affairs",
            "执行日常事务",
            "perception_social",
            (
                "完全依赖他人进行日常事务",
                "计划、安排和完成日常事务时需要大量协助",
                "计划、安排和完成日常事务时需要少量协助",
                "计划、安排和完成日常事务时需要他人监护或指导",
                "能完全独立计划、安排和完成日常事务，无需协助",
            ),
        ),
        Item(
            "transport",
            "使用交通工具外出",
            "perception_social",
            (
                "只能在他人协助下搭乘出租车或私家车外出，或完全不能出门",
                "有人协助或陪伴时可搭乘公共交通工具外出",
                "能自己搭乘出租车，但不会搭乘其他公共交通工具外出",
                "能自己骑车或搭乘公共交通工具外出",
            ),
        ),
        Item(
            "social_interaction",
            "社会交往能力",
            "perception_social",
            (
                "不能与人交往",
                "勉强可与他人接触，谈吐内容不清楚，表情不恰当",
                "脱离社会，可被动接触，不会主动待人，谈话中很多不适词句，容易上当受骗",
                "能适应单纯环境，主动接触他人，初见面时难让人发现智力问题，不能理解隐喻语",
                "参与社会，在社会环境中有一定的适应能力，待人接物恰当",
            ),
        ),
    ),
    bands=(
        LevelBand(0, "intact", "能力完好", 90, 90),
        LevelBand(1, "mild", "轻度失能", 66, 89),
        LevelBand(2, "moderate", "中度失能", 46, 65),
        LevelBand(3, "severe", "重度失能", 30, 45),
        LevelBand(4, "total", "完全失能", 0, 29),
    ),
    changes=(
        LevelChange("coma", "处于昏迷状态者，直接评定为完全失能", "worst", lambda c: c.coma),
        LevelChange(
            "mental_disorder",
            "确诊为痴呆（F00～F03）或其他精神和行为障碍疾病（F04～F99），在原有级别上提高一个级别",
            "raise",
            lambda c: c.dementia or c.psychiatric_disorder,
        ),
        LevelChange(
            "care_risk_events",
            "近30天内发生过2次及以上照护风险事件（跌倒、噎食、自杀、自伤、走失等），在原有级别上提高一个级别",
            "raise",
            lambda c: c.care_risk_events_30d >= 2,
        ),
    ),
    reassessment_months=12,
    consciousness_item="consciousness",
)

DEFAULT_STANDARD = GB_T_42195_2022.code

TABLES: dict[str, Table] = {GB_T_42195_2022.code: GB_T_42195_2022}


def level_codes() -> list[str]:
    """Every level code of every table, the default table's order first."""
    codes: list[str] = []
    for table in (TABLES[DEFAULT_STANDARD], *TABLES.values()):
        codes += [b.code for b in table.bands if b.code not in codes]
    return codes


def check_table(table: Table) -> None:
    """Refuse a table whose bands leave a total unrated or rate one twice, or whose items
    name an unknown dimension; run for every table at import."""
    known = {d.code for d in table.dimensions}
    for item in table.items:
        if item.dimension not in known:
            raise ValueError(f"{table.code}: item {item.code} names unknown dimension {item.dimension}")
    covered = sorted(t for band in table.bands for t in range(band.min_total, band.max_total + 1))
    if covered != list(range(table.max_total + 1)):
        raise ValueError(f"{table.code}: level bands must cover 0–{table.max_total} exactly once")


for _table in TABLES.values():
    check_table(_table)
