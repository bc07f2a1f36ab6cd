"""Set-based writes of the project ledger: upsert by code in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.projects.fields import PROJECT_FIELDS

#: kept for callers of the older name
PROJECT_COLS = PROJECT_FIELDS

_FIELDS = ", ".join(PROJECT_FIELDS)
_VALUES = ", ".join(f":{c}" for c in PROJECT_FIELDS)
_SET = ", ".join(f"{c} = EXCLUDED.{c}" for c in PROJECT_FIELDS)
_OLD = ", ".join(f"projects.{c}" for c in PROJECT_FIELDS)
_NEW = ", ".join(f"EXCLUDED.{c}" for c in PROJECT_FIELDS)

#: The one project upsert (the API's loads, the demo, the ledger import). Geometry, as a user
#: expects it: a row without a location keeps the stored one; a point that is where the stored
#: shape is (within 1 m of its point on surface: the 经度/纬度 an export wrote for a drawn polygon)
#: keeps the shape; a new shape (``wkb``) or a point elsewhere replaces it. The parcel link changes
#: only when the row says which parcel (``has_parcel``), so a file without the column keeps it.
UPSERT_SQL = f"""
INSERT INTO projects (code, {_FIELDS}, geom, parcel_id)
VALUES (:code, {_VALUES},
  CASE WHEN CAST(:wkb AS text) IS NOT NULL
         THEN ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), 4490)
       WHEN CAST(:lon AS float8) IS NOT NULL
         THEN ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) END,
  coalesce(CAST(:parcel_id AS bigint), (SELECT id FROM parcels WHERE code = :parcel_code
                                               AND county = gs_current_county())))
ON CONFLICT (county, code) DO UPDATE SET {_SET},
  geom = CASE
    WHEN EXCLUDED.geom IS NULL THEN projects.geom
    WHEN CAST(:wkb AS text) IS NULL AND projects.geom IS NOT NULL
         AND ST_DWithin(ST_PointOnSurface(projects.geom)::geography,
                        EXCLUDED.geom::geography, 1.0) THEN projects.geom
    ELSE EXCLUDED.geom END,
  parcel_id = CASE WHEN CAST(:has_parcel AS boolean) THEN EXCLUDED.parcel_id
                   ELSE projects.parcel_id END,
  updated_at = now(), version = projects.version + 1
WHERE ({_OLD}, projects.parcel_id)
   IS DISTINCT FROM ({_NEW},
     CASE WHEN CAST(:has_parcel AS boolean) THEN EXCLUDED.parcel_id ELSE projects.parcel_id END)
   OR (EXCLUDED.geom IS NOT NULL AND (projects.geom IS NULL
       OR (CAST(:wkb AS text) IS NOT NULL AND NOT ST_Equals(projects.geom, EXCLUDED.geom))
       OR (CAST(:wkb AS text) IS NULL AND NOT ST_DWithin(
             ST_PointOnSurface(projects.geom)::geography, EXCLUDED.geom::geography, 1.0))))
"""  # noqa: S608 -- fixed fragments only; values bound


def upsert_projects(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Projects by code; ``wkb`` (hex, lon/lat) or ``lon``/``lat`` give the location, ``parcel_id``
    or ``parcel_code`` the parcel (see ``UPSERT_SQL`` for what is kept)."""
    data = []
    for r in rows:
        d = {c: r.get(c) for c in PROJECT_FIELDS}
        d["code"] = r["code"]
        for k in ("wkb", "lon", "lat", "parcel_id", "parcel_code"):
            d[k] = r.get(k)
        d["has_parcel"] = r.get("has_parcel", "parcel_id" in r or "parcel_code" in r)
        d["attracted_this_year"] = bool(d["attracted_this_year"])
        data.append(d)
    if data:
        session.execute(text(UPSERT_SQL), data)
    return len(data)


def upsert_visits(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    data = [dict(r) for r in rows]
    if data:
        session.execute(
            text(
                """INSERT INTO visits (code, project_id, leader, visited_on, notes)
                SELECT :code, id, :leader, :visited_on, :notes FROM projects
                WHERE code = :project_code AND county = gs_current_county()
                ON CONFLICT (county, code) DO UPDATE SET project_id = EXCLUDED.project_id,
                  leader = EXCLUDED.leader, visited_on = EXCLUDED.visited_on,
                  notes = EXCLUDED.notes, updated_at = now(), version = visits.version + 1
                WHERE (visits.project_id, visits.leader, visits.visited_on, visits.notes)
                  IS DISTINCT FROM (EXCLUDED.project_id, EXCLUDED.leader,
                                    EXCLUDED.visited_on, EXCLUDED.notes)"""
            ),
            data,
        )
    return len(data)


PROBLEM_COLS = (
    "description",
    "found_on",
    "assignee_unit",
    "assignee_leader",
    "deadline",
    "status",
    "resolved_on",
    "resolution",
)


def upsert_problems(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    data = []
    for r in rows:
        d = {c: r.get(c) for c in PROBLEM_COLS}
        d.update(code=r["code"], project_code=r["project_code"], visit_code=r.get("visit_code"))
        data.append(d)
    if data:
        cols = ", ".join(PROBLEM_COLS)
        vals = ", ".join(f":{c}" for c in PROBLEM_COLS)
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in PROBLEM_COLS)
        old = ", ".join(f"problems.{c}" for c in PROBLEM_COLS)
        new = ", ".join(f"EXCLUDED.{c}" for c in PROBLEM_COLS)
        session.execute(
            text(
                f"""INSERT INTO problems (code, project_id, visit_id, {cols})
                SELECT :code, p.id, (SELECT id FROM visits WHERE code = :visit_code
                   AND county = gs_current_county()), {vals}
                FROM projects p WHERE p.code = :project_code AND p.county = gs_current_county()
                ON CONFLICT (county, code) DO UPDATE SET project_id = EXCLUDED.project_id,
                  visit_id = EXCLUDED.visit_id, {sets}, updated_at = now(),
                  version = problems.version + 1
                WHERE ({old}, problems.project_id) IS DISTINCT FROM ({new}, EXCLUDED.project_id)"""  # noqa: S608 -- fixed fragments only; values bound
            ),
            data,
        )
    return len(data)


def replace_children(
    session: Session, *, table: str, columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]
) -> int:
    """Replace the rows of a per-project child table for the projects named in ``rows``.

    ``table`` and ``columns`` come from code, never from input.
    """
    assert table in {"project_rounds", "project_funding", "investment_reports", "milestones"}
    data = [dict(r) for r in rows]
    codes = sorted({d["project_code"] for d in data})
    session.execute(
        text(
            f"DELETE FROM {table} t USING projects p "  # noqa: S608 -- fixed fragments only; values bound
            "WHERE t.project_id = p.id AND p.code = ANY(:codes)"
        ),
        {"codes": codes},
    )
    if data:
        session.execute(
            text(
                f"""INSERT INTO {table} (project_id, {", ".join(columns)})
                SELECT p.id, {", ".join(":" + c for c in columns)} FROM projects p
                WHERE p.code = :project_code"""  # noqa: S608 -- fixed fragments only; values bound
            ),
            data,
        )
    return len(data)


def upsert_baselines(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    data = [dict(r) for r in rows]
    if data:
        session.execute(
            text(
                """INSERT INTO ledger_baselines (year, project_count, total_investment_wan,
                    planned_investment_wan)
                VALUES (:year, :project_count, :total_investment_wan, :planned_investment_wan)
                ON CONFLICT (county, year) DO UPDATE SET project_count = EXCLUDED.project_count,
                  total_investment_wan = EXCLUDED.total_investment_wan,
                  planned_investment_wan = EXCLUDED.planned_investment_wan, updated_at = now()"""
            ),
            data,
        )
    return len(data)


def link_rounds(session: Session) -> int:
    """Link every "in production" round entry to the project's latest earlier "started" one."""
    res = session.execute(
        text(
            """UPDATE project_rounds r SET follows_id = s.id
            FROM project_rounds r2
            LEFT JOIN LATERAL (
              SELECT s.id FROM project_rounds s
              WHERE s.project_id = r2.project_id AND s.list = 'started'
                AND s.round_no < r2.round_no
              ORDER BY s.round_no DESC LIMIT 1) s ON true
            WHERE r.id = r2.id AND r.list = 'in_production'
              AND r.follows_id IS DISTINCT FROM s.id"""
        )
    )
    return int(res.rowcount or 0)  # type: ignore[attr-defined]
