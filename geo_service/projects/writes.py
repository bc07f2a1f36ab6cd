"""Set-based writes of the project ledger: upsert by code in the caller's transaction."""

# ruff: noqa: S608  -- only module constants are interpolated; values are always bound

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

PROJECT_COLS = (
    "name",
    "year",
    "domain",
    "industry",
    "description",
    "status",
    "total_investment_wan",
    "planned_investment_wan",
    "completed_wan",
    "leader",
    "responsible_unit",
    "planned_start",
    "actual_start",
    "planned_completion",
    "actual_completion",
    "signed_on",
    "in_production_on",
    "attracted_this_year",
    "source_region",
)
_SET = ", ".join(f"{c} = EXCLUDED.{c}" for c in PROJECT_COLS)
_OLD = ", ".join(f"projects.{c}" for c in PROJECT_COLS)
_NEW = ", ".join(f"EXCLUDED.{c}" for c in PROJECT_COLS)
_VALUES = ", ".join(f":{c}" for c in PROJECT_COLS)


def upsert_projects(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Projects by code; ``wkb`` (hex, lon/lat) or ``lon``/``lat`` give the location."""
    data = []
    for r in rows:
        d = {c: r.get(c) for c in PROJECT_COLS}
        d["code"] = r["code"]
        d["wkb"] = r.get("wkb")
        d["lon"] = r.get("lon")
        d["lat"] = r.get("lat")
        d["parcel_code"] = r.get("parcel_code")
        d["attracted_this_year"] = bool(d["attracted_this_year"])
        data.append(d)
    if data:
        session.execute(
            text(
                f"""INSERT INTO projects (code, {", ".join(PROJECT_COLS)}, geom, parcel_id)
                VALUES (:code, {_VALUES},
                  CASE WHEN CAST(:wkb AS text) IS NOT NULL
                         THEN ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), 4490)
                       WHEN CAST(:lon AS float8) IS NOT NULL
                         THEN ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) END,
                  (SELECT id FROM parcels WHERE code = :parcel_code
                   AND county = gs_current_county()))
                ON CONFLICT (county, code) DO UPDATE SET {_SET}, geom = EXCLUDED.geom,
                  parcel_id = EXCLUDED.parcel_id, updated_at = now(),
                  version = projects.version + 1
                WHERE ({_OLD}, ST_AsBinary(projects.geom), projects.parcel_id)
                  IS DISTINCT FROM ({_NEW}, ST_AsBinary(EXCLUDED.geom), EXCLUDED.parcel_id)"""
            ),
            data,
        )
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
                WHERE ({old}, problems.project_id) IS DISTINCT FROM ({new}, EXCLUDED.project_id)"""
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
            f"DELETE FROM {table} t USING projects p "
            "WHERE t.project_id = p.id AND p.code = ANY(:codes)"
        ),
        {"codes": codes},
    )
    if data:
        session.execute(
            text(
                f"""INSERT INTO {table} (project_id, {", ".join(columns)})
                SELECT p.id, {", ".join(":" + c for c in columns)} FROM projects p
                WHERE p.code = :project_code"""
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
