"""The named charts (``GET /api/v1/charts/{name}.svg``, the dashboard, the reports), zh or en.

What each chart shows and what it is built from; the drawing is ``svg.py``'s, the figures come
from ``series.py`` (project figures) and ``land.py`` (supply clocks, the reserve over time).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from geo_service.reports import land as LD
from geo_service.reports import series as S
from geo_service.reports.svg import (
    BLUE,
    GREEN,
    GREY,
    RED,
    YELLOW,
    bar_chart,
    line_chart,
    stacked_hbar_chart,
)
from geo_service.settings import Settings

CHART_NAMES = (
    "start-rate",
    "investment",
    "problems",
    "by-domain",
    "by-leader",
    "by-unit",
    "reserve",
    "supply",
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: the words of the charts, per language
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "start_title": "{year}年开工率走势与目标",
        "start": "开工率",
        "target": "目标 {pct:.0f}%（{month}月底）",
        "inv_title": "{year}年计划与完成投资（累计）",
        "plan": "计划（序时进度）",
        "completed": "实际完成",
        "yi": "亿元",
        "prob_title": "每周发现与解决问题数",
        "found": "发现",
        "resolved": "解决",
        "count": "个",
        "split_title": "重点项目{dim}分布（红黄绿灯）",
        "domain": "按领域",
        "leader": "按分包领导",
        "unit": "按责任单位",
        "red": "红灯",
        "yellow": "黄灯",
        "green": "绿灯",
        "res_title": "净地储备（未出让的净地）与{target:.0f}亩目标",
        "reserve": "净地储备",
        "res_target": "储备目标 {target:.0f}亩",
        "mu": "亩",
        "res_note": "按供地事件回溯：今日{n}宗净地中{k}宗有供地事件（成交即移出储备）；\n"
        "其余地块按台账现状；是否净地按当前五项条件核查结果。",
        "sup_title": "逾期未履行的供地期限（截至{day}）",
        "late": "逾期天数",
        "days": "天",
        "none": "无逾期",
    },
    "en": {
        "start_title": "Start rate in {year} against the targets",
        "start": "Start rate",
        "target": "Target {pct:.0f}% (end of {month_en})",
        "inv_title": "Investment planned and completed in {year} (cumulative)",
        "plan": "Plan (pro rata)",
        "completed": "Completed",
        "yi": "¥100M",  # 亿元 (short: it stands left of the axis)
        "prob_title": "Problems found and resolved per week",
        "found": "Found",
        "resolved": "Resolved",
        "count": "",
        "split_title": "Key projects {dim} (red / yellow / green)",
        "domain": "by domain",
        "leader": "by leader",
        "unit": "by responsible unit",
        "red": "Red",
        "yellow": "Yellow",
        "green": "Green",
        "res_title": "Net-land reserve (net land not sold) against {target:.0f} mu",
        "reserve": "Reserve",
        "res_target": "Target {target:.0f} mu",
        "mu": "mu",
        "res_note": "Replayed from supply events: {k} of today's {n} net parcels have events "
        "(a closed sale takes a parcel out of the reserve);\nthe others at today's register stage; "
        "net land as checked today (the five conditions).",
        "sup_title": "Missed land-supply deadlines (as of {day})",
        "late": "Days late",
        "days": " d",
        "none": "none missed",
    },
}


def words(lang: str) -> dict[str, str]:
    return WORDS["en" if lang == "en" else "zh"]


def _day_label(d: date, lang: str, *, month_end: bool) -> str:
    if lang == "en":
        return _MONTHS[d.month - 1] if month_end else f"{_MONTHS[d.month - 1]} {d.day}"
    return f"{d.month}月" if month_end else f"{d.month}月{d.day}日"


def _labels(points: list[dict[str, Any]], lang: str) -> list[str]:
    """Month-end points by month, the last (the day itself) by day; zh as ``series`` gives."""
    if lang != "en":
        return [p["label"] for p in points]
    n = len(points)
    return [
        _day_label(date.fromisoformat(p["date"]), lang, month_end=i < n - 1)
        for i, p in enumerate(points)
    ]


def start_rate_chart(monthly: dict[str, Any], lang: str = "zh") -> str:
    w = words(lang)
    pts = monthly["points"]
    refs = [
        {
            "value": t["target_pct"],
            "label": w["target"].format(
                pct=t["target_pct"],
                month=t["by"][5:7].lstrip("0"),
                month_en=_MONTHS[int(t["by"][5:7]) - 1],
            ),
            "color": RED if i == 0 else "#8e44ad",
        }
        for i, t in enumerate(monthly["targets"])
    ]
    values = [p["start_rate_pct"] for p in pts]
    series = [{"key": "start_rate", "name": w["start"], "color": BLUE, "values": values}]
    return line_chart(
        "start-rate",
        w["start_title"].format(year=monthly["year"] or ""),
        _labels(pts, lang),
        series,
        unit="%",
        refs=refs,
        y_max=100,
    )


def investment_chart(monthly: dict[str, Any], lang: str = "zh") -> str:
    w = words(lang)
    pts = monthly["points"]
    return line_chart(
        "investment",
        w["inv_title"].format(year=monthly["year"] or ""),
        _labels(pts, lang),
        [
            {
                "key": "plan",
                "name": w["plan"],
                "color": GREY,
                "values": [p["plan_yi"] for p in pts],
            },
            {
                "key": "completed",
                "name": w["completed"],
                "color": BLUE,
                "values": [p["completed_yi"] for p in pts],
            },
        ],
        unit=w["yi"],
    )


def problems_chart(weeks: list[dict[str, Any]], lang: str = "zh") -> str:
    w = words(lang)
    labels = [
        wk["label"]
        if lang != "en"
        else _day_label(date.fromisoformat(wk["week"]), lang, month_end=False)
        for wk in weeks
    ]
    return bar_chart(
        "problems",
        w["prob_title"],
        labels,
        [
            {
                "key": "opened",
                "name": w["found"],
                "color": RED,
                "values": [x["opened"] for x in weeks],
            },
            {
                "key": "closed",
                "name": w["resolved"],
                "color": GREEN,
                "values": [x["closed"] for x in weeks],
            },
        ],
        unit=w["count"],
    )


def split_chart(stats: dict[str, Any], dim: str, lang: str = "zh") -> str:
    w = words(lang)
    rows = S.splits(stats, dim)
    if lang == "en" and dim == "domain":
        rows = [r | {"label": r["key"].replace("_", " ")} for r in rows]
    return stacked_hbar_chart(
        f"by-{dim}",
        w["split_title"].format(dim=w[dim]),
        rows,
        (("red", w["red"], RED), ("yellow", w["yellow"], YELLOW), ("green", w["green"], GREEN)),
        unit=w["count"],
    )


def reserve_chart(hist: dict[str, Any], lang: str = "zh") -> str:
    """The reserve at each month end and on the day (``land.reserve_history``), the target."""
    w = words(lang)
    pts = hist["points"]
    n = len(pts)
    labels = []
    for i, p in enumerate(pts):
        d = date.fromisoformat(p["date"])
        if i == n - 1:
            labels.append(_day_label(d, lang, month_end=False))
        else:
            labels.append(f"{d.year}.{d.month:02d}")
    return line_chart(
        "reserve",
        w["res_title"].format(target=hist["target_mu"]),
        labels,
        [
            {
                "key": "reserve",
                "name": w["reserve"],
                "color": GREEN,
                "values": [p["reserve_mu"] for p in pts],
            }
        ],
        unit=w["mu"],
        refs=[
            {"value": hist["target_mu"], "label": w["res_target"].format(target=hist["target_mu"])}
        ],
        note=w["res_note"].format(n=hist["net_parcels"], k=hist["replayed_parcels"]),
    )


def supply_chart(figs: dict[str, Any], lang: str = "zh") -> str:
    """One bar per missed deadline (``land.supply_figures``): the days it is late."""
    w = words(lang)
    rows = [
        {
            "label": f"{m['parcel']} {m['rule_zh'] if lang != 'en' else m['rule_en']}",
            "late": m["days_late"] or 0,
        }
        for m in figs["missed"]
    ]
    d = figs["as_of"]
    day = d.isoformat() if lang == "en" else f"{d.year}年{d.month}月{d.day}日"
    return stacked_hbar_chart(
        "supply",
        w["sup_title"].format(day=day)
        if rows
        else f"{w['sup_title'].format(day=day)}：{w['none']}",
        rows,
        (("late", w["late"], RED),),
        unit=w["days"],
    )


def render_chart(
    name: str,
    session: Session,
    settings: Settings,
    *,
    as_of: Any,
    year: int | None = None,
    lang: str = "zh",
) -> str:
    """One named chart (see ``CHART_NAMES``) as SVG, as of the date."""
    from geo_service.reports.figures import ReportOptions, headline

    if name in ("start-rate", "investment"):
        m = S.monthly_figures(session, settings, as_of=as_of, year=year)
        return start_rate_chart(m, lang) if name == "start-rate" else investment_chart(m, lang)
    if name == "problems":
        stats = headline(session, settings, ReportOptions(as_of=as_of, year=year))
        return problems_chart(S.problem_weeks(session, as_of=as_of, year=stats.get("year")), lang)
    if name.startswith("by-"):
        stats = headline(session, settings, ReportOptions(as_of=as_of, year=year))
        return split_chart(stats, name.removeprefix("by-"), lang)
    if name == "reserve":
        return reserve_chart(LD.reserve_history(session, settings, as_of=as_of), lang)
    if name == "supply":
        return supply_chart(LD.supply_figures(session, settings, as_of=as_of), lang)
    raise ValueError(f"unknown chart {name!r}")
