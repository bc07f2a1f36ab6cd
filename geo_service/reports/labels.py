"""Chinese labels and formats of the documents: dates (2026年11月27日), statuses, reasons."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DOMAINS = {
    "innovation": "创新能力提升",
    "infrastructure": "基础设施建设",
    "industrial_transformation": "产业转型发展",
    "green_low_carbon": "绿色低碳转型",
    "livelihood": "民生和社会事业改善",
}
STATUSES = {
    "planned": "谋划",
    "signed": "签约",
    "started": "开工",
    "under_construction": "在建",
    "completed": "竣工",
    "in_production": "投产",
}
RAG = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}
RULES = {
    "not_started": "未按期开工",
    "completion_overdue": "未按期竣工",
    "investment_behind": "投资进度滞后",
    "milestone_overdue": "节点逾期",
    "problem_overdue": "问题超期未解决",
}
PROBLEM_STATUSES = {"open": "待处理", "in_progress": "办理中", "resolved": "已解决"}
NONE_KEY = "(none)"

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def zh_date(d: date | str | None) -> str:
    """2026-11-27 → 2026年11月27日 (empty for None)."""
    if d is None:
        return ""
    if isinstance(d, str):
        d = date.fromisoformat(d[:10])
    return f"{d.year}年{d.month}月{d.day}日"


def zh_dates_in(text: str) -> str:
    """Every ISO date inside ``text`` written the Chinese way."""
    return _ISO.sub(lambda m: zh_date(m.group(0)), text)


def md(d: date | str | None) -> str:
    """A short date for tables: 11月27日."""
    if d is None:
        return ""
    if isinstance(d, str):
        d = date.fromisoformat(d[:10])
    return f"{d.month}月{d.day}日"


_REASON_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "not_started": (re.compile(r"planned to start on (\S+), not started"), "计划{0}开工，尚未开工"),
    "completion_overdue": (
        re.compile(r"planned to be completed on (\S+), not completed"),
        "计划{0}竣工，尚未竣工",
    ),
    "investment_behind": (
        re.compile(r"completed (\S+) of (\S+) 万元 due by now \((\S+) %\)"),
        "已完成{0}万元，按计划应完成{1}万元（{2}%）",
    ),
    "milestone_overdue": (
        re.compile(r"(\d+) milestone\(s\) overdue, the first due on (\S+)"),
        "{0}个节点逾期，最早应于{1}完成",
    ),
    "problem_overdue": (
        re.compile(r"(\d+) problem\(s\) past deadline, the first on (\S+)"),
        "{0}个问题超过办结期限，最早期限{1}",
    ),
}


def reason_zh(reason: dict[str, Any]) -> str:
    """One RAG reason (from ``projects/rag.py``) as a Chinese sentence: 未按期开工：计划…开工."""
    rule = str(reason.get("rule", ""))
    detail = str(reason.get("detail", ""))
    label = RULES.get(rule, rule)
    pattern = _REASON_PATTERNS.get(rule)
    if pattern is not None and (m := pattern[0].fullmatch(detail)):
        return f"{label}：" + pattern[1].format(*(zh_dates_in(g) for g in m.groups()))
    return f"{label}：{zh_dates_in(detail)}" if detail else label


def leader_name(leader: str | None) -> str:
    return "（未指定）" if leader in (None, "", NONE_KEY) else str(leader)


def pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}%"


def yi(v: float | None, places: int = 1) -> str:
    """亿元 for display: one decimal, rounded half-up (docs/ledger.md; ``spatial.wan_to_yi``)."""
    if v is None:
        return "—"
    q = Decimal(1).scaleb(-places)
    return str(Decimal(str(v)).quantize(q, rounding=ROUND_HALF_UP))


#: who issues the documents (printed under the title)
OFFICE = "重点项目督查室"
