"""The registry of quality rules: a code, what it checks, its severity and its query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.core.record import ENTITIES
from app.quality import care, checks
from app.quality.checks import Check

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    dataset: str
    severity: Severity
    title_zh: str
    title_en: str
    description: str
    check: Check
    # False when the rule finds gaps (e.g. a missing report) rather than faulty records: it is
    # listed but does not enter the per-dataset score.
    record_based: bool = True


_FIXED = (
    Rule(
        "address_without_coordinates",
        "address",
        "info",
        "标准地址缺少坐标",
        "Addresses without coordinates",
        "Active standard addresses with no longitude/latitude.",
        checks.address_without_coordinates,
    ),
    Rule(
        "household_without_address",
        "recipient_household",
        "warning",
        "救助家庭未关联标准地址",
        "Households without a standard address",
        "Active households with no link to the standard address register (一库一码).",
        checks.household_without_address,
    ),
    Rule(
        "dibao_review_overdue",
        "recipient_household",
        "error",
        "低保家庭超过12个月未复核",
        "Dibao households not reviewed within 12 months",
        "Approved dibao households whose last review is more than 12 months old.",
        checks.dibao_review_overdue,
    ),
    Rule(
        "elderly_assessment_overdue",
        "recipient_member",
        "warning",
        "老年人能力评估逾期",
        "Elderly members with overdue assessments",
        "Members aged 60+ of active households with no capability assessment still in force.",
        checks.elderly_assessment_overdue,
    ),
    Rule(
        "tekun_assessment_missing",
        "recipient_member",
        "warning",
        "特困人员缺少有效能力评估",
        "Tekun members without a current assessment",
        "Members of active tekun households with no assessment of self-care ability in force — aged "
        "60+ no capability assessment (GB/T 42195-2022), under 60 no self-care assessment "
        "(民发〔2021〕43号 art. 12) made within 12 months: the care allowance (照料护理) tier is "
        "unknown, so no care allowance is paid.",
        checks.tekun_assessment_missing,
    ),
    Rule(
        "payment_after_death",
        "payment",
        "error",
        "死亡后仍发放救助金",
        "Payments after a recorded death",
        "Payments for a month after a recorded death: to the member who died, or to a household "
        "whose head or only member died before that month.",
        checks.payment_after_death,
    ),
    Rule(
        "indicator_report_missing",
        "indicator_report",
        "warning",
        "上期指标未报送",
        "Indicator reports missing for the last period",
        "Reported indicators (not computed, not set at one level only) with no report from a county "
        "for the last full year.",
        checks.indicator_report_missing,
        record_based=False,
    ),
    Rule(
        "charity_trust_filed_late",
        "charity_trust",
        "warning",
        "慈善信托逾期备案",
        "Charity trusts filed late",
        "Trusts filed more than 7 days after the trust deed was signed.",
        checks.charity_trust_filed_late,
    ),
    Rule(
        "charity_trust_annual_report_missing",
        "charity_trust",
        "error",
        "慈善信托未报送年度报告",
        "Charity trusts missing an annual report",
        "Filed trusts with no annual report for the latest year whose report is due (30 April).",
        checks.charity_trust_annual_report_missing,
    ),
    Rule(
        "visit_overdue",
        "recipient_member",
        "warning",
        "探访关爱逾期",
        "Visits overdue",
        "Members under a visit rule (80+ living alone, tekun at home, assessed level 3–4, grade 1–2 "
        "disability, children with both parents absent) not visited within the rule's interval.",
        care.visit_overdue,
        record_based=False,
    ),
    Rule(
        "referral_overdue",
        "care_referral",
        "warning",
        "服务派单超时",
        "Referrals overdue",
        "Active referrals not accepted within 3 working days or not served by their due date.",
        care.referral_overdue,
        record_based=False,
    ),
    Rule(
        "resource_over_capacity",
        "care_resource",
        "info",
        "资源项目超出服务容量",
        "Resources over capacity",
        "Resources holding more active referrals than places (the capacity was lowered after they "
        "were made).",
        care.resource_over_capacity,
    ),
)


def _region_rules() -> tuple[Rule, ...]:
    out = []
    for name, spec in sorted(ENTITIES.items()):
        if spec.kind != "business":
            continue
        out.append(
            Rule(
                f"{name}_region_invalid",
                name,
                "error",
                f"{spec.title_zh}区划代码无效",
                f"{spec.title_en} with an invalid region code",
                "Records whose region code is unknown or no longer in force.",
                checks.region_invalid(spec),
            )
        )
    return tuple(out)


def all_rules() -> dict[str, Rule]:
    return {rule.code: rule for rule in (*_FIXED, *_region_rules())}
