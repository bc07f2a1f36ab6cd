"""What the weekly 督查专报 and the monthly pack say, gathered from the ledger modules.

Every figure comes from the function the API uses for it (``project_stats`` for the headline
figures, ``projects.repository`` for red/yellow/green and the reasons, ``projects.problems`` for
problems, ``projects.visits`` for visits, ``parcels.stats`` for the land reserve), evaluated
``as_of`` the report's date, so the report and ``GET /api/v1/stats?as_of=`` agree. "What changed
since last week" compares the same functions a week earlier and reads the dated records (starts,
problems found and resolved, visits) and the audit log of the week; no table of its own.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo_service.audit import AuditEvent
from geo_service.parcels.stats import land_stats
from geo_service.projects import edits, problems, visits
from geo_service.projects import repository as repo
from geo_service.projects.stats import project_stats
from geo_service.reports import labels as L
from geo_service.settings import Settings

#: every record at once: the lists in a report are not paged
_ALL = 1_000_000


@dataclass(frozen=True)
class ReportOptions:
    """What a report is about: the day it is written as of, the ledger year."""

    as_of: date
    year: int | None = None
    #: 久推不动: red on the report day and at every 4-week step back over this many weeks
    stuck_weeks: int = 8


def district_name(settings: Settings) -> str:
    """The district's name from the boundary file (``properties.name``), else empty."""
    try:
        data = json.loads(Path(settings.district_boundary).read_text(encoding="utf-8"))
        feats = data.get("features") or [data]
        return str(feats[0].get("properties", {}).get("name") or "")
    except (OSError, ValueError, AttributeError, IndexError):
        return ""


def headline(session: Session, settings: Settings, opts: ReportOptions) -> dict[str, Any]:
    """The figures of ``GET /api/v1/stats?as_of=`` (the same call), with the land reserve."""
    stats = project_stats(
        session, year=opts.year or settings.ledger_year, as_of=opts.as_of, rules=settings.projects
    )
    stats["land"] = land_stats(session, reserve_target_mu=settings.net_land_reserve_target_mu)
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
            "actual": f"{L.yi(inv.get('completed_yi'), 2)}亿元",
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
                "note": "",
                "met": land["net_land_reserve_met"],
            }
        )
    return rows


def projects_as_of(
    session: Session, settings: Settings, *, as_of: date, year: int | None
) -> list[dict[str, Any]]:
    """Every project's properties with ``rag``/``reasons`` as of the date (the API's listing)."""
    f = repo.ProjectFilter(year=year, as_of=as_of, rules=settings.projects)
    feats, _ = repo.list_projects(session, filters=f, limit=_ALL)
    out = []
    for ft in feats:
        p = dict(ft["properties"])
        p["lon"], p["lat"] = _point(ft.get("geometry"))
        out.append(p)
    return out


def _point(geom: dict[str, Any] | None) -> tuple[float | None, float | None]:
    """A representative lon/lat of a GeoJSON geometry (its first coordinate)."""
    if not geom:
        return None, None
    c: Any = geom.get("coordinates")
    while isinstance(c, list) and c and isinstance(c[0], list):
        c = c[0]
    if isinstance(c, list) and len(c) >= 2:
        return float(c[0]), float(c[1])
    return None, None


def _flag_row(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": p["code"],
        "name": p["name"],
        "status": L.STATUSES.get(p["status"], p["status"]),
        "rag": p["rag"],
        "rag_zh": L.RAG.get(p["rag"], p["rag"]),
        "overdue": p["overdue"],
        "unit": p.get("responsible_unit") or "",
        "domain": L.DOMAINS.get(p["domain"], p["domain"]),
        "reasons": [L.reason_zh(r) for r in (p.get("reasons") or [])],
        "leader": L.leader_name(p.get("leader")),
    }


def flagged_by_leader(projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Red and yellow projects grouped by leader: most red first, red before yellow inside."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in projects:
        if p["rag"] in ("red", "yellow"):
            groups[L.leader_name(p.get("leader"))].append(_flag_row(p))
    out = []
    for leader, rows in groups.items():
        rows.sort(key=lambda r: (r["rag"] != "red", r["code"]))
        red = sum(r["rag"] == "red" for r in rows)
        out.append({"leader": leader, "projects": rows, "red": red, "yellow": len(rows) - red})
    out.sort(key=lambda g: (-g["red"], -len(g["projects"]), g["leader"]))
    return out


def open_problems(session: Session, *, as_of: date, year: int | None) -> list[dict[str, Any]]:
    """Problems found by ``as_of`` and not resolved by then: overdue first, then by deadline."""
    items, _ = problems.list_problems(session, as_of=as_of, limit=_ALL)
    codes = _project_codes(session, year)
    out = []
    for it in items:
        if codes is not None and it["project"] not in codes:
            continue
        if it["found_on"] > as_of.isoformat():
            continue
        if (
            it["status"] == "resolved"
            and it["resolved_on"]
            and it["resolved_on"] <= as_of.isoformat()
        ):
            continue
        status = it["status"] if it["status"] != "resolved" else "in_progress"
        out.append(
            it
            | {
                "status_zh": L.PROBLEM_STATUSES.get(status, status),
                "days_overdue": (as_of - date.fromisoformat(it["deadline"])).days
                if it["overdue"] and it["deadline"]
                else 0,
            }
        )
    out.sort(key=lambda r: (not r["overdue"], r["deadline"] or "9999", r["code"]))
    return out


def _project_codes(session: Session, year: int | None) -> set[str] | None:
    if year is None:
        return None
    from geo_service.projects.models import Project

    return set(session.execute(select(Project.code).where(Project.year == year)).scalars())


def problems_in_window(
    session: Session, *, since: date, until: date, year: int | None
) -> dict[str, list[dict[str, Any]]]:
    """Problems found, and problems resolved, in (since, until] (dated records)."""
    items, _ = problems.list_problems(session, as_of=until, limit=_ALL)
    codes = _project_codes(session, year)
    lo, hi = since.isoformat(), until.isoformat()
    items = [i for i in items if codes is None or i["project"] in codes]
    return {
        "found": [i for i in items if lo < i["found_on"] <= hi],
        "resolved": [
            i
            for i in items
            if i["status"] == "resolved" and i["resolved_on"] and lo < i["resolved_on"] <= hi
        ],
    }


def not_visited(
    session: Session, settings: Settings, *, as_of: date, year: int | None
) -> dict[str, Any]:
    """Projects no leader visited in the visit interval (the API's ``/projects/not-visited``)."""
    days = settings.projects.visit_interval_days
    items, total = visits.not_visited(session, as_of=as_of, days=days, year=year, limit=_ALL)
    by_leader = Counter(L.leader_name(i["leader"]) for i in items)
    lapsed = [i for i in items if i["last_visit"] is not None]
    return {
        "days": days,
        "total": total,
        "never": total - len(lapsed),
        "lapsed": lapsed,
        "by_leader": sorted(by_leader.items(), key=lambda kv: (-kv[1], kv[0])),
    }


def changes(
    session: Session,
    settings: Settings,
    *,
    as_of: date,
    year: int | None,
    now: list[dict[str, Any]],
    stats_now: dict[str, Any],
) -> dict[str, Any]:
    """What changed in the 7 days up to ``as_of``: the same figures a week earlier, dated records
    of the week (starts, problems, visits), and the audit log of the week."""
    since = as_of - timedelta(days=7)
    before = {p["code"]: p for p in projects_as_of(session, settings, as_of=since, year=year)}
    order = {"green": 0, "yellow": 1, "red": 2}
    worse, better = [], []
    for p in now:
        b = before.get(p["code"])
        was = b["rag"] if b else "green"
        if order[p["rag"]] > order[was]:
            worse.append(_flag_row(p) | {"was": L.RAG[was]})
        elif order[p["rag"]] < order[was]:
            better.append(_flag_row(p) | {"was": L.RAG[was]})
    lo, hi = since.isoformat(), as_of.isoformat()
    started = [p for p in now if p.get("actual_start") and lo < p["actual_start"] <= hi]
    stats_then = project_stats(session, year=year, as_of=since, rules=settings.projects)
    pw = problems_in_window(session, since=since, until=as_of, year=year)
    vis, _ = visits.list_visits(session, project=None, limit=_ALL)
    codes = {p["code"] for p in now}
    week_visits = [v for v in vis if lo < v["visited_on"] <= hi and v["project"] in codes]
    start = datetime.combine(since + timedelta(days=1), time.min, tzinfo=UTC)
    end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)
    audit_rows = session.execute(
        select(AuditEvent.action, func.count())
        .where(AuditEvent.at >= start, AuditEvent.at < end)
        .group_by(AuditEvent.action)
        .order_by(AuditEvent.action)
    ).all()

    def delta(path: tuple[str, ...]) -> dict[str, Any]:
        a: Any = stats_now
        b: Any = stats_then
        for k in path:
            a = (a or {}).get(k)
            b = (b or {}).get(k)
        d = None if a is None or b is None else round(float(a) - float(b), 2)
        return {"now": a, "then": b, "delta": d}

    return {
        "since": since.isoformat(),
        "since_zh": L.zh_date(since + timedelta(days=1)),
        "worse": worse,
        "better": better,
        "started": [_flag_row(p) for p in started],
        "problems_found": pw["found"],
        "problems_resolved": pw["resolved"],
        "visits": len(week_visits),
        "visit_leaders": len({v["leader"] for v in week_visits}),
        "start_rate": delta(("projects", "start_rate_pct")),
        "completed_yi": delta(("investment", "completed_yi")),
        "red": delta(("projects", "rag", "red")),
        "audit": [{"action": a, "count": int(n)} for a, n in audit_rows],
    }


def weekly(session: Session, settings: Settings, opts: ReportOptions) -> dict[str, Any]:
    """Everything the weekly 督查专报 shows, as of ``opts.as_of``."""
    stats = headline(session, settings, opts)
    year = stats.get("year")
    projects = projects_as_of(session, settings, as_of=opts.as_of, year=year) if year else []
    flagged = flagged_by_leader(projects)
    return {
        "kind": "weekly",
        "as_of": opts.as_of.isoformat(),
        "as_of_zh": L.zh_date(opts.as_of),
        "week_from_zh": L.zh_date(opts.as_of - timedelta(days=6)),
        "issue": f"{opts.as_of.isocalendar().year}年第{opts.as_of.isocalendar().week}期",
        "district": district_name(settings),
        "year": year,
        "stats": stats,
        "headline": headline_rows(stats),
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
            session, settings, as_of=opts.as_of, year=year, now=projects, stats_now=stats
        )
        if year
        else None,
    }


def stuck_projects(
    session: Session, settings: Settings, opts: ReportOptions, *, year: int | None
) -> list[dict[str, Any]]:
    """久推不动: red on the report day and at every 4-week step back over ``stuck_weeks``."""
    now = projects_as_of(session, settings, as_of=opts.as_of, year=year)
    red = {p["code"] for p in now if p["rag"] == "red"}
    for weeks in range(4, opts.stuck_weeks + 1, 4):
        then = projects_as_of(
            session, settings, as_of=opts.as_of - timedelta(weeks=weeks), year=year
        )
        red &= {p["code"] for p in then if p["rag"] == "red"}
    return [p for p in now if p["code"] in red]


def monthly(session: Session, settings: Settings, opts: ReportOptions) -> dict[str, Any]:
    """The monthly meeting pack: headline figures and each stuck project with its history."""
    stats = headline(session, settings, opts)
    year = stats.get("year")
    stuck = stuck_projects(session, settings, opts, year=year) if year else []
    pages = []
    for p in sorted(stuck, key=lambda p: (L.leader_name(p.get("leader")), p["code"])):
        probs, _ = problems.list_problems(session, project=p["code"], as_of=opts.as_of, limit=_ALL)
        probs = [x for x in probs if x["found_on"] <= opts.as_of.isoformat()]
        vis, _ = visits.list_visits(session, project=p["code"], limit=_ALL)
        vis = [v for v in vis if v["visited_on"] <= opts.as_of.isoformat()]
        prog = edits.progress(session, code=p["code"], as_of=opts.as_of)
        pages.append(
            _flag_row(p)
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
        "district": district_name(settings),
        "year": year,
        "stuck_weeks": opts.stuck_weeks,
        "stats": stats,
        "headline": headline_rows(stats),
        "stuck": pages,
        "stuck_codes": [p["code"] for p in pages],
    }
