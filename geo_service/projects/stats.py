"""Headline figures for officials: counts, 亿元 totals, year-on-year, start rate and its forecast,
investment attraction, problems, red/yellow/green; all also by domain, leader and unit.

Evaluated ``as_of`` a date (default today) so that a figure can be reproduced later: only starts,
reports, problems and resolutions dated on or before it count.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from geo_service.counties.targets import attraction_targets
from geo_service.errors import ConfigurationError
from geo_service.projects.models import LedgerBaseline
from geo_service.projects.rag import SQL as RAG_SQL
from geo_service.projects.rag import STARTED_OR_LATER_SQL
from geo_service.projects.rag import params as rag_params
from geo_service.projects.repository import latest_year
from geo_service.settings import ProjectRules
from geo_service.spatial import growth_pct, wan_to_yi

NONE_KEY = "(none)"

_PER_PROJECT = f"""
WITH rag AS MATERIALIZED ({RAG_SQL}),
rep AS MATERIALIZED (
  SELECT r.project_id,
         sum(r.completed_wan) FILTER (WHERE r.month <= :as_of
                                       AND extract(year FROM r.month) = :year) AS done
  FROM investment_reports r GROUP BY r.project_id
),
prob AS MATERIALIZED (
  SELECT project_id,
    count(*) FILTER (WHERE found_on <= :as_of) AS found,
    count(*) FILTER (WHERE status = 'resolved' AND resolved_on <= :as_of) AS resolved,
    count(*) FILTER (WHERE found_on <= :as_of AND status <> 'open'
                       AND NOT (status = 'resolved' AND resolved_on <= :as_of)) AS in_progress,
    count(*) FILTER (WHERE found_on <= :as_of AND status = 'open') AS open,
    count(*) FILTER (WHERE found_on <= :as_of AND deadline < :as_of
                       AND NOT (status = 'resolved' AND resolved_on <= :as_of)) AS overdue
  FROM problems GROUP BY project_id
),
pp AS (
  SELECT p.id, p.domain, coalesce(p.leader, '{NONE_KEY}') AS leader,
         coalesce(p.responsible_unit, '{NONE_KEY}') AS unit,
         p.total_investment_wan AS total, p.planned_investment_wan AS planned,
         CASE WHEN rep.project_id IS NULL THEN p.completed_wan ELSE coalesce(rep.done, 0) END
           AS completed,
         CASE WHEN p.actual_start <= :as_of
                OR (p.actual_start IS NULL AND p.status IN {STARTED_OR_LATER_SQL})
              THEN 1 ELSE 0 END AS started,
         CASE WHEN rag.rag = 'red' THEN 1 ELSE 0 END AS red,
         CASE WHEN rag.rag = 'yellow' THEN 1 ELSE 0 END AS yellow,
         CASE WHEN rag.rag = 'green' THEN 1 ELSE 0 END AS green,
         CASE WHEN rag.overdue THEN 1 ELSE 0 END AS overdue,
         coalesce(prob.found, 0) AS p_found, coalesce(prob.resolved, 0) AS p_resolved,
         coalesce(prob.in_progress, 0) AS p_in_progress, coalesce(prob.open, 0) AS p_open,
         coalesce(prob.overdue, 0) AS p_overdue
  FROM projects p
  JOIN rag ON rag.project_id = p.id
  LEFT JOIN rep ON rep.project_id = p.id
  LEFT JOIN prob ON prob.project_id = p.id
  WHERE p.year = :year AND (CAST(:ids AS bigint[]) IS NULL OR p.id = ANY(CAST(:ids AS bigint[])))
)
"""  # noqa: S608 -- fixed fragments only; values bound

_GROUPS = (
    _PER_PROJECT
    + """
SELECT GROUPING(domain) AS g_domain, GROUPING(leader) AS g_leader, GROUPING(unit) AS g_unit,
       domain, leader, unit, count(*) AS n,
       sum(total) AS total, sum(planned) AS planned, sum(completed) AS completed,
       sum(started) AS started, sum(red) AS red, sum(yellow) AS yellow, sum(green) AS green,
       sum(overdue) AS overdue, sum(p_found) AS p_found, sum(p_resolved) AS p_resolved,
       sum(p_in_progress) AS p_in_progress, sum(p_open) AS p_open, sum(p_overdue) AS p_overdue
FROM pp
GROUP BY GROUPING SETS ((), (domain), (leader), (unit))
"""
)

_START_FORECAST = f"""
SELECT
  count(*) AS n,
  count(*) FILTER (WHERE p.actual_start <= :target
                     OR (p.actual_start IS NULL AND p.status IN {STARTED_OR_LATER_SQL}
                         AND :target >= :as_of)) AS started_by_target,
  count(*) FILTER (WHERE p.actual_start <= :as_of
                     OR (p.actual_start IS NULL AND p.status IN {STARTED_OR_LATER_SQL}))
    AS started_now,
  count(*) FILTER (WHERE NOT coalesce(p.actual_start <= :as_of
                       OR (p.actual_start IS NULL AND p.status IN {STARTED_OR_LATER_SQL}), false)
                     AND p.planned_start >= :as_of AND p.planned_start <= :target) AS to_start
FROM projects p WHERE p.year = :year
"""  # noqa: S608 -- fixed fragments only; values bound

_MEDIAN = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY pr.resolved_on - pr.found_on)
FROM problems pr JOIN projects p ON p.id = pr.project_id
WHERE p.year = :year AND pr.status = 'resolved' AND pr.resolved_on <= :as_of
"""

_ATTRACTED = """
SELECT count(*) FROM projects
WHERE year = :year AND attracted_this_year AND total_investment_wan >= :threshold
"""


def _pct(part: int | Decimal, whole: int | Decimal) -> float | None:
    if not whole:
        return None
    q = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))
    return float(q)


def _figures(r: Any) -> dict[str, Any]:
    return {
        "count": int(r.n or 0),
        "total_investment_yi": wan_to_yi(r.total),
        "planned_this_year_yi": wan_to_yi(r.planned),
        "completed_yi": wan_to_yi(r.completed),  # 亿元: one decimal, as every 亿元
        "completed_share_of_plan_pct": _pct(r.completed, r.planned),
        "started": int(r.started or 0),
        "start_rate_pct": _pct(int(r.started or 0), int(r.n or 0)),
        "rag": {"red": int(r.red or 0), "yellow": int(r.yellow or 0), "green": int(r.green or 0)},
        "overdue": int(r.overdue or 0),
        "problems": {
            "found": int(r.p_found or 0),
            "resolved": int(r.p_resolved or 0),
            "in_progress": int(r.p_in_progress or 0),
            "open": int(r.p_open or 0),
            "overdue": int(r.p_overdue or 0),
        },
    }


def _target_date(year: int, month_day: str) -> date:
    try:
        m, d = (int(x) for x in month_day.split("-"))
        return date(year, m, d)
    except ValueError:
        raise ConfigurationError(
            f"start-rate target {month_day!r} is not MM-DD; fix GEO_SERVICE_PROJECTS__"
            "START_RATE_TARGETS"
        ) from None


def project_stats(
    session: Session,
    *,
    year: int | None = None,
    as_of: date | None = None,
    rules: ProjectRules | None = None,
) -> dict[str, Any]:
    """Figures for one ledger year (default: the latest), with growth over the year before."""
    year = year or latest_year(session)
    if year is None:
        return {"year": None, "projects": {"count": 0}}
    rules = rules or ProjectRules()
    as_of = as_of or date.today()
    bind = {**rag_params(as_of, rules), "year": year, "ids": None}
    groups = session.execute(text(_GROUPS), bind).all()
    overall = next((g for g in groups if g.g_domain and g.g_leader and g.g_unit), None)
    if overall is None or not overall.n:  # no project in that year
        return {"year": year, "as_of": as_of.isoformat(), "projects": {"count": 0}}
    all_ = _figures(overall)

    def by(dim: str) -> dict[str, Any]:
        rows = [g for g in groups if getattr(g, f"g_{dim}") == 0]
        return {getattr(g, dim): _figures(g) for g in sorted(rows, key=lambda g: getattr(g, dim))}

    # the baselines of the counties in view (RLS: one county when scoped), summed
    base = session.execute(
        select(
            func.sum(LedgerBaseline.project_count).label("project_count"),
            func.sum(LedgerBaseline.total_investment_wan).label("total_investment_wan"),
            func.sum(LedgerBaseline.planned_investment_wan).label("planned_investment_wan"),
        )
        .where(LedgerBaseline.year == year - 1)
        .having(func.count() > 0)
    ).first()
    count = all_["count"]
    total, planned = Decimal(overall.total), Decimal(overall.planned)

    targets = []
    for md, target_pct in sorted(rules.start_rate_targets.items()):
        by_date = _target_date(year, md)
        f = session.execute(text(_START_FORECAST), {**bind, "target": by_date}).one()
        passed = by_date <= as_of
        actual = _pct(f.started_by_target, f.n) if passed else None
        forecast = actual if passed else _pct(f.started_now + f.to_start, f.n)
        targets.append(
            {
                "by": by_date.isoformat(),
                "target_pct": target_pct,
                "actual_pct": actual,
                "forecast_pct": forecast,
                "on_track": None if forecast is None else forecast >= target_pct,
            }
        )

    attraction = {}
    for threshold, target in sorted(attraction_targets(session, rules.attraction_targets).items()):
        n = session.execute(text(_ATTRACTED), {"year": year, "threshold": threshold}).scalar()
        key = f"at_least_{wan_to_yi(threshold, 0):g}_yi"
        attraction[key] = {"count": int(n or 0), "target": target, "met": int(n or 0) >= target}

    median = session.execute(text(_MEDIAN), bind).scalar()
    problems = dict(all_["problems"])
    problems["median_days_to_resolve"] = None if median is None else float(median)

    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "projects": {
            "count": count,
            "count_last_year": base.project_count if base else None,
            "count_growth_pct": growth_pct(count, base.project_count if base else None),
            "started": all_["started"],
            "start_rate_pct": all_["start_rate_pct"],
            "start_rate_targets": targets,
            "rag": all_["rag"],
            "overdue": all_["overdue"],
            # kept for older clients: count and total per domain
            "by_domain": {
                k: {"count": v["count"], "total_investment_yi": v["total_investment_yi"]}
                for k, v in by("domain").items()
            },
        },
        "investment": {
            "total_yi": wan_to_yi(total),
            "total_wan": f"{total:.2f}",
            "total_growth_pct": growth_pct(total, base.total_investment_wan if base else None),
            "planned_this_year_yi": wan_to_yi(planned),
            "planned_this_year_wan": f"{planned:.2f}",
            "planned_growth_pct": growth_pct(
                planned, base.planned_investment_wan if base else None
            ),
            "completed_yi": all_["completed_yi"],
            "completed_wan": f"{Decimal(overall.completed):.2f}",
            "completed_share_of_plan_pct": all_["completed_share_of_plan_pct"],
        },
        "attraction": attraction,
        "problems": problems,
        "by_domain": by("domain"),
        "by_leader": by("leader"),
        "by_unit": by("unit"),
    }


def figures_for(
    session: Session,
    *,
    project_ids: list[int],
    year: int | None = None,
    as_of: date | None = None,
    rules: ProjectRules | None = None,
) -> dict[str, Any]:
    """The headline figures (:func:`_figures`, the same definition as ``project_stats``) of a
    chosen set of projects of one ledger year: what a filtered map shows."""
    year = year or latest_year(session)
    if year is None:
        return _figures(_Empty())
    bind = {**rag_params(as_of or date.today(), rules or ProjectRules()), "year": year,
            "ids": list(project_ids)}  # fmt: skip
    groups = session.execute(text(_GROUPS), bind).all()
    overall = next((g for g in groups if g.g_domain and g.g_leader and g.g_unit), None)
    return _figures(overall if overall is not None else _Empty())


class _Empty:
    """A group with nothing in it."""

    def __getattr__(self, name: str) -> int:
        return 0
