"""Headline figures for officials: counts, 亿元 totals, year-on-year, start rate, problems."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from geo_service.projects.models import LedgerBaseline, Problem, Project
from geo_service.projects.repository import STARTED_OR_LATER, latest_year
from geo_service.spatial import growth_pct, wan_to_yi


def project_stats(session: Session, *, year: int | None = None) -> dict[str, Any]:
    """Figures for one ledger year (default: the latest), with growth over the year before."""
    year = year or latest_year(session)
    if year is None:
        return {"year": None, "projects": {"count": 0}}
    started = case((Project.status.in_(STARTED_OR_LATER), 1), else_=0)
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Project.total_investment_wan), 0),
            func.coalesce(func.sum(Project.planned_investment_wan), 0),
            func.coalesce(func.sum(Project.completed_wan), 0),
            func.coalesce(func.sum(started), 0),
        ).where(Project.year == year)
    ).one()
    count, total, planned, completed, n_started = row
    base = session.get(LedgerBaseline, year - 1)
    by_domain = {
        d: {"count": c, "total_investment_yi": wan_to_yi(t)}
        for d, c, t in session.execute(
            select(Project.domain, func.count(), func.sum(Project.total_investment_wan))
            .where(Project.year == year)
            .group_by(Project.domain)
            .order_by(Project.domain)
        ).all()
    }
    probs = dict(
        session.execute(
            select(Problem.status, func.count())
            .join(Project, Project.id == Problem.project_id)
            .where(Project.year == year)
            .group_by(Problem.status)
        ).all()
    )
    return {
        "year": year,
        "projects": {
            "count": count,
            "count_last_year": base.project_count if base else None,
            "count_growth_pct": growth_pct(count, base.project_count if base else None),
            "started": n_started,
            "start_rate_pct": round(100 * n_started / count, 1) if count else None,
            "by_domain": by_domain,
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
            "completed_yi": wan_to_yi(completed, 2),
            "completed_share_of_plan_pct": round(float(100 * completed / planned), 1)
            if planned
            else None,
        },
        "problems": {
            "found": sum(probs.values()),
            "resolved": probs.get("resolved", 0),
            "in_progress": probs.get("in_progress", 0),
            "open": probs.get("open", 0),
        },
        "as_of": date.today().isoformat(),
    }
