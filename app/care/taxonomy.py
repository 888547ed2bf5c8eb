"""The care loop's fixed vocabularies, each value with its Chinese label."""

from __future__ import annotations

from typing import Literal

NeedType = Literal[
    "medical",
    "education",
    "care",
    "home_adaptation",
    "meals",
    "employment",
    "psychological",
    "legal",
    "living",
    "other",
]
Urgency = Literal["routine", "urgent"]
Source = Literal["self", "visit", "discovery", "referral_in"]
NeedStatus = Literal["open", "referred", "served", "closed", "declined", "withdrawn"]
ProviderKind = Literal[
    "government", "social_org", "charity_trust", "enterprise", "volunteer", "social_work_station"
]
ReferralStatus = Literal["dispatched", "accepted", "declined", "served", "closed"]
ReferralAction = Literal["accept", "decline", "serve", "close"]
NeedAction = Literal["decline", "withdraw", "reopen"]

NEED_TYPES: dict[str, str] = {
    "medical": "助医",
    "education": "助学",
    "care": "照护",
    "home_adaptation": "居家改善/适老化",
    "meals": "助餐",
    "employment": "助就业",
    "psychological": "心理疏导",
    "legal": "法律援助",
    "living": "基本生活",
    "other": "其他",
}
URGENCIES: dict[str, str] = {"routine": "一般", "urgent": "紧急"}
SOURCES: dict[str, str] = {
    "self": "本人申请",
    "visit": "探访发现",
    "discovery": "主动发现",
    "referral_in": "外部转介",
}
NEED_STATUSES: dict[str, str] = {
    "open": "待派单",
    "referred": "已派单",
    "served": "已服务",
    "closed": "已办结",
    "declined": "本人拒绝",
    "withdrawn": "已撤回",
}
PROVIDER_KINDS: dict[str, str] = {
    "government": "政府部门",
    "social_org": "社会组织",
    "charity_trust": "慈善信托",
    "enterprise": "企业",
    "volunteer": "志愿者",
    "social_work_station": "社会工作站",
}
REFERRAL_STATUSES: dict[str, str] = {
    "dispatched": "已派单",
    "accepted": "已接单",
    "declined": "已退单",
    "served": "已服务",
    "closed": "已办结",
}
REFERRAL_ACTIONS: dict[str, str] = {
    "accept": "接单",
    "decline": "退单",
    "serve": "服务",
    "close": "办结",
}
NEED_ACTIONS: dict[str, str] = {"decline": "本人拒绝", "withdraw": "撤回", "reopen": "重新开启"}

VOCABULARIES: dict[str, dict[str, str]] = {
    "need_type": NEED_TYPES,
    "urgency": URGENCIES,
    "source": SOURCES,
    "need_status": NEED_STATUSES,
    "need_action": NEED_ACTIONS,
    "provider_kind": PROVIDER_KINDS,
    "referral_status": REFERRAL_STATUSES,
    "referral_action": REFERRAL_ACTIONS,
}


def described(labels: dict[str, str]) -> str:
    """``medical 助医, education 助学, …`` for schema descriptions."""
    return ", ".join(f"`{code}` {label}" for code, label in labels.items())
