"""Time series and splits behind the charts, from the same functions as the headline figures.

A point of the start-rate or investment series on a day is ``project_stats(as_of=that day)``:
the chart's last point is the figure ``GET /api/v1/stats?as_of=`` gives for the report's day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.projects.stats import project_stats
from geo_service.reports import labels as L
from geo_service.settings import Settings


def month_ends(year: int, as_of: date) -> list[date]:
    """The last day of each month of ``year`` up to ``as_of``, and ``as_of`` itself last."""
    out = []
    for m in range(1, 13):
        end = (date(year, m, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if end >= as_of:
            break
        out.append(end)
    if as_of.year == year or not out:
        out.append(min(as_of, date(year, 12, 31)))
    return out


def monthly_figures(
    session: Session,
    settings: Settings,
    *,
    as_of: date,
    year: int | None = None,
    stats: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Start rate and investment completed at each month end of the ledger year (and as_of);
    ``stats``: ``project_stats`` as of ``as_of`` when the caller has it already."""
    first = stats or project_stats(
        session, year=year or settings.ledger_year, as_of=as_of, rules=settings.projects
    )
    y = first.get("year")
    if not y or not first["projects"].get("count"):
        return {"year": y, "points": [], "targets": [], "planned_yi": None}
    points = []
    for d in month_ends(y, as_of):
        s = (
            first
            if d == as_of
            else project_stats(session, year=y, as_of=d, rules=settings.projects)
        )
        points.append(
            {
                "date": d.isoformat(),
                "label": f"{d.month}月" if d != as_of else L.md(d),
                "start_rate_pct": s["projects"]["start_rate_pct"],
                "completed_yi": s["investment"]["completed_yi"],
            }
        )
    planned = first["investment"]["planned_this_year_yi"]
    for pt in points:  # the plan spread evenly over the year: 序时进度
        d = date.fromisoformat(pt["date"])
        share = (d - date(y, 1, 1)).days + 1
        pt["plan_yi"] = round(planned * share / ((date(y, 12, 31) - date(y, 1, 1)).days + 1), 2)
    targets = [
        {"by": t["by"], "target_pct": t["target_pct"]}
        for t in first["projects"]["start_rate_targets"]
    ]
    return {"year": y, "points": points, "targets": targets, "planned_yi": planned}


_PROBLEM_WEEKS = """
WITH weeks AS (
  SELECT generate_series(CAST(:first AS date), CAST(:last AS date), interval '7 days')::date AS wk
)
SELECT w.wk,
  (SELECT count(*) FROM problems pr JOIN projects p ON p.id = pr.project_id
    WHERE (CAST(:year AS int) IS NULL OR p.year = :year)
      AND pr.found_on >= w.wk AND pr.found_on < w.wk + 7 AND pr.found_on <= :as_of) AS opened,
  (SELECT count(*) FROM problems pr JOIN projects p ON p.id = pr.project_id
    WHERE (CAST(:year AS int) IS NULL OR p.year = :year) AND pr.status = 'resolved'
      AND pr.resolved_on >= w.wk AND pr.resolved_on < w.wk + 7 AND pr.resolved_on <= :as_of)
    AS closed
FROM weeks w ORDER BY w.wk
"""


def problem_weeks(
    session: Session, *, as_of: date, year: int | None, weeks: int = 12
) -> list[dict[str, Any]]:
    """Problems found and resolved per report week, the last ``weeks`` of them: the seven days
    ending on the report day (the weekly report's 本周, so its last bar is the text's count) and
    the seven-day weeks before it; each labelled by its first day."""
    last = as_of - timedelta(days=6)
    first = last - timedelta(weeks=weeks - 1)
    rows = session.execute(
        text(_PROBLEM_WEEKS),
        {"first": first, "last": last, "as_of": as_of, "year": year},
    ).all()
    return [
        {
            "week": r.wk.isoformat(),
            "label": L.md(r.wk),
            "opened": int(r.opened),
            "closed": int(r.closed),
        }
        for r in rows
    ]


def splits(stats: dict[str, Any], dim: str) -> list[dict[str, Any]]:
    """Red/yellow/green project counts by ``domain``, ``leader`` or ``unit`` (from the stats)."""
    groups = stats.get(f"by_{dim}") or {}
    out = []
    for key, g in groups.items():
        label = L.DOMAINS.get(key, key) if dim == "domain" else L.leader_name(key)
        out.append({"key": key, "label": label, "count": g["count"], **g["rag"]})
    out.sort(key=lambda r: (-r["red"], -r["count"], r["label"]))
    return out
