"""The lists of the reports: projects as of a day, flagged projects by leader, open problems,
projects not visited, and what changed in the week.

Each comes from the function the API uses for it (``projects.repository`` for red/yellow/green
and the reasons, ``projects.problems``, ``projects.visits``), evaluated ``as_of`` the report's
day. "What changed since last week" compares the same functions a week earlier and reads the
dated records of the week and the audit log of the week; no table of its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo_service.audit import AuditEvent
from geo_service.projects import problems, visits
from geo_service.projects import repository as repo
from geo_service.projects.stats import project_stats
from geo_service.reports import labels as L
from geo_service.settings import Settings

#: every record at once: the lists in a report are not paged
ALL = 1_000_000

#: 久推不动 looks back this many weeks by default (the pack's ``stuck_weeks``)
STUCK_WEEKS = 8


def stuck_rule_zh(weeks: int) -> str:
    """The 久推不动 rule in words, printed in the pack and the weekly report."""
    return (
        f"报告日为红灯，且此前{weeks}周逐周复核（每7天一次，连同报告日共{weeks + 1}次）均为红灯；"
        "其间任一周为黄灯或绿灯的不计入"
    )


def stuck_codes(
    session: Session,
    settings: Settings,
    *,
    as_of: date,
    year: int | None,
    weeks: int,
    now: list[dict[str, Any]],
) -> set[str]:
    """久推不动: the codes red on ``as_of`` (``now``) and at every weekly check back over
    ``weeks`` weeks (``as_of`` − 7, − 14, … days), by the API's own red/yellow/green.

    The one definition: the monthly pack lists these projects, the weekly report counts them."""
    red = {p["code"] for p in now if p["rag"] == "red"}
    for k in range(1, weeks + 1):
        if not red:
            break
        then = projects_as_of(session, settings, as_of=as_of - timedelta(weeks=k), year=year)
        red &= {p["code"] for p in then if p["rag"] == "red"}
    return red


def projects_as_of(
    session: Session, settings: Settings, *, as_of: date, year: int | None
) -> list[dict[str, Any]]:
    """Every project's properties with ``rag``/``reasons`` as of the date (the API's listing)."""
    f = repo.ProjectFilter(year=year, as_of=as_of, rules=settings.projects)
    feats, _ = repo.list_projects(session, filters=f, limit=ALL)
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


def flag_row(p: dict[str, Any]) -> dict[str, Any]:
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
            groups[L.leader_name(p.get("leader"))].append(flag_row(p))
    out = []
    for leader, rows in groups.items():
        rows.sort(key=lambda r: (r["rag"] != "red", r["code"]))
        red = sum(r["rag"] == "red" for r in rows)
        out.append({"leader": leader, "projects": rows, "red": red, "yellow": len(rows) - red})
    out.sort(key=lambda g: (-g["red"], -len(g["projects"]), g["leader"]))
    return out


def open_problems(session: Session, *, as_of: date, year: int | None) -> list[dict[str, Any]]:
    """Problems found by ``as_of`` and not resolved by then: overdue first, then by deadline."""
    items, _ = problems.list_problems(session, as_of=as_of, limit=ALL)
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
    items, _ = problems.list_problems(session, as_of=until, limit=ALL)
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
    items, total = visits.not_visited(session, as_of=as_of, days=days, year=year, limit=ALL)
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
    stuck_weeks: int = STUCK_WEEKS,
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
            worse.append(flag_row(p) | {"was": L.RAG[was]})
        elif order[p["rag"]] < order[was]:
            better.append(flag_row(p) | {"was": L.RAG[was]})
    stuck = stuck_codes(session, settings, as_of=as_of, year=year, weeks=stuck_weeks, now=now)
    lo, hi = since.isoformat(), as_of.isoformat()
    started = [p for p in now if p.get("actual_start") and lo < p["actual_start"] <= hi]
    stats_then = project_stats(session, year=year, as_of=since, rules=settings.projects)
    pw = problems_in_window(session, since=since, until=as_of, year=year)
    vis, _ = visits.list_visits(session, project=None, limit=ALL)
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
        "stuck": sorted(stuck),
        "stuck_weeks": stuck_weeks,
        "stuck_rule_zh": stuck_rule_zh(stuck_weeks),
        "started": [flag_row(p) for p in started],
        "problems_found": pw["found"],
        "problems_resolved": pw["resolved"],
        "visits": len(week_visits),
        "visit_leaders": len({v["leader"] for v in week_visits}),
        "start_rate": delta(("projects", "start_rate_pct")),
        "completed_yi": delta(("investment", "completed_yi")),
        "red": delta(("projects", "rag", "red")),
        "audit": [{"action": a, "count": int(n)} for a, n in audit_rows],
    }
