"""Sentences the PDF (``templates/*.html.j2``) and the Word file (``word.py``) both print: one
source of their text, so the two formats of a report say the same."""

from __future__ import annotations

from typing import Any

#: the map figures' captions, in order (the overview, then the dense area when there is one)
MAP_CAPTIONS = ("红灯、黄灯项目分布", "项目密集区放大")


def problems_sentence(pr: dict[str, Any]) -> str:
    """Section 四's summary of the problems, with the median days to resolve when known."""
    median = pr.get("median_days_to_resolve")
    tail = "" if median is None else f"；问题从发现到解决的中位用时{median:.0f}天"
    return (
        f"累计发现问题{pr['found']}个，已解决{pr['resolved']}个，正在办理{pr['in_progress']}个，"
        f"待处理{pr['open']}个，其中超过办结期限{pr['overdue']}个{tail}。"
    )


def map_caption(i: int) -> str:
    """The caption under the ``i``-th map figure (0-based)."""
    return f"图{i + 1}：{MAP_CAPTIONS[min(i, len(MAP_CAPTIONS) - 1)]}"


def closing_line(r: dict[str, Any]) -> str:
    """The last line: generated from the ledger, as of the day, the same figures as the API."""
    return (
        f"本报告由系统根据台账数据自动生成，数据截至{r['as_of_zh']}；"
        f"指标口径与 /api/v1/stats?as_of={r['as_of']} 一致。"
    )


#: the city report's table of each county's headline figures (PDF and Word)
COUNTY_TITLE = "各县区主要指标"
COUNTY_HEADER = [
    "县区",
    "重点项目",
    "开工率",
    "完成投资（亿元）",
    "红灯项目",
    "逾期项目",
    "净地储备（亩）",
]


def county_row(x: dict[str, Any]) -> list[str]:
    """One county's row of that table (``figures.county_rows``)."""
    from geo_service.reports import labels as L

    reserve = f"{x['reserve_mu']:.2f}（目标{x['reserve_target_mu']:.0f}）"
    return [
        x["name"], str(x["count"]), L.pct(x["start_rate_pct"]), L.yi(x["completed_yi"]),
        str(x["red"]), str(x["overdue"]), reserve,
    ]  # fmt: skip
