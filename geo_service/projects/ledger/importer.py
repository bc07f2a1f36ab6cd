"""The ledger import: check everything, then write projects and problems in one transaction."""

# ruff: noqa: S608  -- only module constants are interpolated; values are always bound

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo_service import audit
from geo_service.audit import ImportRecord
from geo_service.errors import ImportRejected
from geo_service.projects import problems as problem_rules
from geo_service.projects.edits import SNAPSHOT_FIELDS
from geo_service.projects.ledger.checks import (
    ProjectPlan,
    check_projects,
    jsonable,
)
from geo_service.projects.ledger.problem_checks import ProblemPlan, check_problems
from geo_service.projects.ledger.reading import read_workbook
from geo_service.projects.models import (
    Project,
)


def _write_problems(session: Session, plan: ProblemPlan, *, actor: str) -> None:
    """Create and update the problems of a checked plan, each audited like the API's writes."""
    ids: dict[str, int] = {}
    if wanted := {p["project"] for p in plan.new}:
        q = select(Project.code, Project.id).where(Project.code.in_(wanted))
        ids = {code: pid for code, pid in session.execute(q)}
    for fields in plan.new:
        project = fields["project"]
        problem_rules.insert_problem(
            session,
            fields={k: v for k, v in fields.items() if k != "project"},
            project_id=ids[project],
            project_code=project,
            actor=actor,
            action="problem.import",
        )
    for pr, changes in plan.changes:
        problem_rules.apply_change(session, pr, changes, actor=actor, action="problem.import")


def import_ledger(
    session: Session,
    *,
    data: bytes,
    filename: str,
    actor: str,
    dry_run: bool = False,
    max_problems: int = 200,
) -> dict[str, Any]:
    """Check every cell of both sheets, then create/update the projects and the problems
    (问题清单) in the caller's transaction.

    Raises ImportRejected listing every problem (sheet, row, column) and writes nothing.
    """
    sheet, problem_sheet = read_workbook(data, filename=filename)
    ignored: list[str] = []
    problems: list[str] = []
    plan = (
        check_projects(
            session,
            sheet,
            filename=filename,
            ignored=ignored,
            problems=problems,
            max_problems=max_problems,
        )
        if sheet is not None
        else ProjectPlan()
    )
    pplan = (
        check_problems(
            session,
            problem_sheet,
            filename=filename,
            projects=plan.codes,
            ignored=ignored,
            problems=problems,
        )
        if problem_sheet is not None
        else None
    )
    if problems:
        raise ImportRejected(
            f"{filename}: {len(problems)} problem(s) found, nothing was written; "
            "fix them and import the file again",
            extra={"problems": problems[:max_problems]},
        )
    result: dict[str, Any] = {
        "file": filename,
        "rows": plan.rows,
        "created": plan.created,
        "updated": plan.updated,
        "unchanged": plan.unchanged,
        **{f"{k}_codes": v[:1000] for k, v in plan.by_outcome.items()},
        "problem_sheet": pplan.counts() if pplan is not None else None,
        "ignored_columns": ignored,
        "dry_run": dry_run,
    }
    if dry_run:
        return result
    _write(session, plan.writes)
    for code, before, after in plan.audits:
        audit.record(
            session,
            actor=actor,
            action="project.import",
            entity_type="project",
            entity_code=code,
            before=before,
            after=jsonable(after),
        )
    if pplan is not None:
        _write_problems(session, pplan, actor=actor)
    sha = hashlib.sha256(data).hexdigest()
    counts = {k: result[k] for k in ("rows", "created", "updated", "unchanged")}
    if pplan is not None:
        counts["problem_sheet"] = result["problem_sheet"]
    session.add(
        ImportRecord(
            kind="projects", file_name=filename[:500], sha256=sha, actor=actor, counts=counts
        )
    )
    audit.record(
        session,
        actor=actor,
        action="ledger.import",
        entity_type="ledger",
        entity_code=filename[:200],
        after=counts | {"sha256": sha},
    )
    return result


_COLS = [f for f in SNAPSHOT_FIELDS if f != "code"]
_UPSERT = f"""
INSERT INTO projects (code, {", ".join(_COLS)}, geom, parcel_id)
VALUES (:code, {", ".join(":" + c for c in _COLS)},
  CASE WHEN CAST(:wkb AS text) IS NOT NULL
         THEN ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), 4490)
       WHEN CAST(:lon AS float8) IS NOT NULL
         THEN ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) END,
  :parcel_id)
ON CONFLICT (county, code) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _COLS)},
  geom = CASE
    WHEN EXCLUDED.geom IS NULL THEN projects.geom
    -- a point written from a polygon's 经度/纬度 comes back unchanged: keep the polygon
    WHEN CAST(:wkb AS text) IS NULL AND projects.geom IS NOT NULL
         AND ST_DWithin(ST_PointOnSurface(projects.geom)::geography,
                        EXCLUDED.geom::geography, 1.0) THEN projects.geom
    ELSE EXCLUDED.geom END,
  parcel_id = CASE WHEN CAST(:has_parcel AS boolean) THEN EXCLUDED.parcel_id
                   ELSE projects.parcel_id END,
  updated_at = now(), version = projects.version + 1
WHERE ({", ".join("projects." + c for c in _COLS)}, projects.parcel_id)
   IS DISTINCT FROM ({", ".join("EXCLUDED." + c for c in _COLS)},
     CASE WHEN CAST(:has_parcel AS boolean) THEN EXCLUDED.parcel_id ELSE projects.parcel_id END)
   OR (EXCLUDED.geom IS NOT NULL AND (projects.geom IS NULL
       OR (CAST(:wkb AS text) IS NOT NULL AND NOT ST_Equals(projects.geom, EXCLUDED.geom))
       OR (CAST(:wkb AS text) IS NULL AND NOT ST_DWithin(
             ST_PointOnSurface(projects.geom)::geography, EXCLUDED.geom::geography, 1.0))))
"""


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(text(_UPSERT), rows)
