"""What the weekly 督查专报 and the monthly pack say: the headline figures and each document's
contents, gathered from the ledger modules as of the report's day.

Every figure comes from the function the API uses for it (``project_stats`` for the headline
figures, ``parcels.stats`` for the land reserve, ``supply.service.check_all`` for the supply
clocks and idle land, through ``land.py``), so the report and ``GET /api/v1/stats?as_of=`` /
``GET /api/v1/supply/idle?as_of=`` agree. The lists (flagged projects, problems, visits, the
week's changes) are ``lists.py``'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.counties import scope as county_scope
from geo_service.counties.rollup import per_county
from geo_service.counties.targets import reserve_target_mu
from geo_service.parcels.stats import land_stats
from geo_service.projects import edits, problems, visits
from geo_service.projects.stats import project_stats
from geo_service.reports import labels as L
from geo_service.reports import land as LD
from geo_service.reports.lists import (
    ALL,
    STUCK_WEEKS,
    changes,
    flag_row,
    flagged_by_leader,
    not_visited,
    open_problems,
    projects_as_of,
    stuck_codes,
    stuck_rule_zh,
)
from geo_service.settings import Settings


@dataclass(frozen=True)
class ReportOptions:
    """What a report is about: the day it is written as of, the ledger year."""

    as_of: date
    year: int | None = None
    #: 久推不动: red on the report day and at every weekly check back over this many weeks
    stuck_weeks: int = STUCK_WEEKS


def district_name(settings: Settings) -> str:
    """The district's name from the boundary file (``properties.name``), else empty."""
    try:
        data = json.loads(Path(settings.district_boundary).read_text(encoding="utf-8"))
        feats = data.get("features") or [data]
        return str(feats[0].get("properties", {}).get("name") or "")
    except (OSError, ValueError, AttributeError, IndexError):
        return ""


def place_name(session: Session, settings: Settings, lang: str = "zh") -> str:
    """Whose figures a title names: the county the request is walled to or asked for, else the
    city when the service holds several counties, else the district of the boundary file."""
    county = county_scope.current()
    rows = session.execute(
        text("SELECT code, name_zh, name_en FROM counties ORDER BY home DESC, code")
    ).all()
    names = {r.code: (r.name_zh, r.name_en) for r in rows}
    if county in names:
        return names[county][0 if lang == "zh" else 1]
    if len(names) > 1:
        return settings.city_name_zh if lang == "zh" else settings.city_name_en
    if names:
        return next(iter(names.values()))[0 if lang == "zh" else 1]
    return district_name(settings)


def headline(session: Session, settings: Settings, opts: ReportOptions) -> dict[str, Any]:
    """The figures of ``GET /api/v1/stats?as_of=`` (the same call), with the land reserve.

    ``land_stats`` knows only today's reserve; for a report about an earlier day the reserve is
    the one replayed from the supply events as of that day (``land.reserve_history``, the
    reserve chart's last point), marked ``replayed``."""
    stats = project_stats(
        session, year=opts.year or settings.ledger_year, as_of=opts.as_of, rules=settings.projects
    )
    land = land_stats(session, reserve_target_mu=reserve_target_mu(session, settings))
    if opts.as_of < date.today():
        then = LD.reserve_history(session, settings, as_of=opts.as_of, months=0)["points"][-1]
        if then["reserve_mu"] != land["net_land_reserve_mu"]:
            mu = then["reserve_mu"]
            land = land | {
                "net_land_reserve_mu": mu,
                "net_land_reserve_met": mu >= land["net_land_reserve_target_mu"],
                "replayed": True,
            }
    stats["land"] = land
    return stats


def headline_rows(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures against their targets, as rows: 指标, 目标, 实际, 是否达标."""
    rows: list[dict[str, Any]] = []
    p = stats.get("projects", {})
    if not p.get("count"):
        return rows
    rows.append(
        {
            "label": "重点项目",
            "target": "",
            "actual": f"{p['count']}个",
            "note": ""
            if p.get("count_growth_pct") is None
            else f"同比{p['count_growth_pct']:+.1f}%",
            "met": None,
        }
    )
    rows.append(
        {
            "label": "开工率（当前）",
            "target": "",
            "actual": f"{L.pct(p.get('start_rate_pct'))}（{p.get('started', 0)}个）",
            "note": "",
            "met": None,
        }
    )
    for t in p.get("start_rate_targets", []):
        shown = t["actual_pct"] if t["actual_pct"] is not None else t["forecast_pct"]
        kind = "实际" if t["actual_pct"] is not None else "预计"
        rows.append(
            {
                "label": f"开工率（{L.zh_date(t['by'])}前）",
                "target": f"≥{t['target_pct']:.0f}%",
                "actual": f"{kind}{L.pct(shown)}",
                "note": "",
                "met": t["on_track"],
            }
        )
    inv = stats.get("investment", {})
    rows.append(
        {
            "label": "年度计划投资完成",
            "target": f"{L.yi(inv.get('planned_this_year_yi'))}亿元",
            "actual": f"{L.yi(inv.get('completed_yi'))}亿元",
            "note": f"完成{L.pct(inv.get('completed_share_of_plan_pct'))}",
            "met": None,
        }
    )
    rows.append(
        {
            "label": "总投资",
            "target": "",
            "actual": f"{L.yi(inv.get('total_yi'))}亿元",
            "note": ""
            if inv.get("total_growth_pct") is None
            else f"同比{inv['total_growth_pct']:+.1f}%",
            "met": None,
        }
    )
    for key, a in stats.get("attraction", {}).items():
        size = key.removeprefix("at_least_").removesuffix("_yi")
        rows.append(
            {
                "label": f"招商引资（{size}亿元以上项目）",
                "target": f"{a['target']}个",
                "actual": f"{a['count']}个",
                "note": "",
                "met": a["met"],
            }
        )
    pr = stats.get("problems", {})
    rows.append(
        {
            "label": "问题（发现/解决/未解决）",
            "target": "",
            "actual": f"{pr.get('found', 0)}/{pr.get('resolved', 0)}/"
            f"{pr.get('in_progress', 0) + pr.get('open', 0)}",
            "note": f"超期{pr.get('overdue', 0)}个",
            "met": None,
        }
    )
    land = stats.get("land")
    if land:
        rows.append(
            {
                "label": "净地储备",
                "target": f"≥{land['net_land_reserve_target_mu']:.0f}亩",
                "actual": f"{land['net_land_reserve_mu']:.2f}亩",
                "note": "按供地事件回溯" if land.get("replayed") else "",
                "met": land["net_land_reserve_met"],
            }
        )
    return rows


def county_rows(session: Session, settings: Settings, opts: ReportOptions) -> list[dict[str, Any]]:
    """Each county's headline figures, for a report of the whole city of several counties (the
    same figures as its own report: ``headline`` inside its wall); none for one county's."""
    if county_scope.in_view(session) is not None:
        return []
    by = per_county(session, lambda: headline(session, settings, opts))
    if len(by) < 2:
        return []
    rows = []
    for x in by.values():
        p, land = x.get("projects", {}), x["land"]
        rows.append(
            {
                "name": x["name_zh"],
                "count": p.get("count", 0),
                "start_rate_pct": p.get("start_rate_pct"),
                "completed_yi": x.get("investment", {}).get("completed_yi"),
                "red": p.get("rag", {}).get("red", 0),
                "overdue": p.get("overdue", 0),
                "reserve_mu": land["net_land_reserve_mu"],
                "reserve_target_mu": land["net_land_reserve_target_mu"],
            }
        )
    return rows


def weekly(session: Session, settings: Settings, opts: ReportOptions) -> dict[str, Any]:
    """Everything the weekly 督查专报 shows, as of ``opts.as_of``."""
    stats = headline(session, settings, opts)
    supply = _supply(session, settings, opts, stats)
    year = stats.get("year")
    projects = projects_as_of(session, settings, as_of=opts.as_of, year=year) if year else []
    flagged = flagged_by_leader(projects)
    return {
        "kind": "weekly",
        "as_of": opts.as_of.isoformat(),
        "as_of_zh": L.zh_date(opts.as_of),
        "week_from_zh": L.zh_date(opts.as_of - timedelta(days=6)),
        "issue": f"{opts.as_of.isocalendar().year}年第{opts.as_of.isocalendar().week}期",
        "district": place_name(session, settings),
        "year": year,
        "stats": stats,
        "headline": headline_rows(stats) + LD.headline_rows(supply),
        "by_county": county_rows(session, settings, opts) if year else [],
        "flagged": flagged,
        "flagged_codes": [r["code"] for g in flagged for r in g["projects"]],
        "flagged_points": [
            {"code": p["code"], "rag": p["rag"], "lon": p["lon"], "lat": p["lat"]}
            for p in projects
            if p["rag"] in ("red", "yellow") and p["lon"] is not None
        ],
        "problems_open": open_problems(session, as_of=opts.as_of, year=year),
        "not_visited": not_visited(session, settings, as_of=opts.as_of, year=year),
        "changes": changes(
            session,
            settings,
            as_of=opts.as_of,
            year=year,
            now=projects,
            stats_now=stats,
            stuck_weeks=opts.stuck_weeks,
        )
        if year
        else None,
        "supply": supply,
    }


def _supply(
    session: Session, settings: Settings, opts: ReportOptions, stats: dict[str, Any]
) -> dict[str, Any]:
    figs = LD.supply_figures(session, settings, as_of=opts.as_of)
    return figs | {"text_zh": LD.summary_zh(figs, stats.get("land"))}


def stuck_projects(
    session: Session, settings: Settings, opts: ReportOptions, *, year: int | None
) -> list[dict[str, Any]]:
    """久推不动 (``lists.stuck_codes``, the weekly report's count too) over ``stuck_weeks``."""
    now = projects_as_of(session, settings, as_of=opts.as_of, year=year)
    red = stuck_codes(
        session, settings, as_of=opts.as_of, year=year, weeks=opts.stuck_weeks, now=now
    )
    return [p for p in now if p["code"] in red]


def monthly(session: Session, settings: Settings, opts: ReportOptions) -> dict[str, Any]:
    """The monthly meeting pack: headline figures and each stuck project with its history."""
    stats = headline(session, settings, opts)
    supply = _supply(session, settings, opts, stats)
    year = stats.get("year")
    stuck = stuck_projects(session, settings, opts, year=year) if year else []
    pages = []
    for p in sorted(stuck, key=lambda p: (L.leader_name(p.get("leader")), p["code"])):
        probs, _ = problems.list_problems(session, project=p["code"], as_of=opts.as_of, limit=ALL)
        probs = [x for x in probs if x["found_on"] <= opts.as_of.isoformat()]
        vis, _ = visits.list_visits(session, project=p["code"], limit=ALL)
        vis = [v for v in vis if v["visited_on"] <= opts.as_of.isoformat()]
        prog = edits.progress(session, code=p["code"], as_of=opts.as_of)
        pages.append(
            flag_row(p)
            | {
                "total_yi": p.get("total_investment_yi"),
                "planned_wan": prog["planned_this_year_wan"],
                "completed_wan": prog["completed_this_year_wan"],
                "share_pct": prog["share_of_plan_pct"],
                "planned_start": L.zh_date(p.get("planned_start")),
                "actual_start": L.zh_date(p.get("actual_start")),
                "planned_completion": L.zh_date(p.get("planned_completion")),
                "milestones": [
                    m
                    | {
                        "due_zh": L.zh_date(m["due_on"]),
                        "done_zh": L.zh_date(m["done_on"]),
                        "late": (m["done_on"] is None or m["done_on"] > opts.as_of.isoformat())
                        and m["due_on"] < opts.as_of.isoformat(),
                    }
                    for m in prog["milestones"]
                ],
                "problems": [
                    x
                    | {
                        "status_zh": L.PROBLEM_STATUSES.get(x["status"], x["status"])
                        if not (x["resolved_on"] and x["resolved_on"] > opts.as_of.isoformat())
                        else L.PROBLEM_STATUSES["in_progress"],
                    }
                    for x in sorted(probs, key=lambda x: x["found_on"])
                ],
                "visits": sorted(vis, key=lambda v: v["visited_on"]),
            }
        )
    return {
        "kind": "monthly",
        "as_of": opts.as_of.isoformat(),
        "as_of_zh": L.zh_date(opts.as_of),
        "month_zh": f"{opts.as_of.year}年{opts.as_of.month}月",
        "district": place_name(session, settings),
        "year": year,
        "stuck_weeks": opts.stuck_weeks,
        "stuck_rule_zh": stuck_rule_zh(opts.stuck_weeks),
        "stats": stats,
        "headline": headline_rows(stats) + LD.headline_rows(supply),
        "stuck": pages,
        "stuck_codes": [p["code"] for p in pages],
        "supply": supply,
    }
