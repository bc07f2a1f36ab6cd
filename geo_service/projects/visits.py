"""Supervision visits (督导): leader, date, notes, the problems found on the spot."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from geo_service import audit
from geo_service.errors import InvalidInput
from geo_service.projects.edits import get_by_code
from geo_service.projects.models import Problem, Project, Visit
from geo_service.projects.problems import add_problem, new_code
from geo_service.projects.schemas import VisitCreate


def record_visit(
    session: Session, *, project_code: str, body: VisitCreate, actor: str
) -> dict[str, Any]:
    """A visit and the problems found on it, each assigned with a deadline, in one go."""
    project = get_by_code(session, project_code)
    code = body.code or new_code(f"{project.code}-V")
    if session.execute(select(Visit.id).where(Visit.code == code)).first():
        raise InvalidInput(f"a visit with code {code!r} exists; choose another code")
    v = Visit(
        code=code,
        project_id=project.id,
        leader=body.leader,
        visited_on=body.visited_on,
        notes=body.notes,
    )
    session.add(v)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="visit.create",
        entity_type="visit",
        entity_code=code,
        after={
            "project": project.code,
            "leader": v.leader,
            "visited_on": v.visited_on.isoformat(),
            "notes": v.notes,
        },
    )
    problems = []
    for i, p in enumerate(body.problems):
        try:
            pr = add_problem(
                session,
                project=project,
                body=p,
                found_on=p.found_on or body.visited_on,
                actor=actor,
                visit=v,
            )
        except InvalidInput as e:
            raise InvalidInput(f"problems[{i}]: {e.public}") from None
        problems.append(pr.code)
    return {
        "code": code,
        "project": project.code,
        "leader": v.leader,
        "visited_on": v.visited_on.isoformat(),
        "notes": v.notes,
        "problems": problems,
    }


def list_visits(
    session: Session, *, project: str | None, limit: int, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    n_problems = (
        select(func.count()).where(Problem.visit_id == Visit.id).correlate(Visit).scalar_subquery()
    )
    q = (
        select(Visit, Project.code.label("project_code"), n_problems.label("n_problems"))
        .join(Project, Project.id == Visit.project_id)
        .order_by(Visit.visited_on.desc(), Visit.code)
    )
    if project is not None:
        q = q.where(Project.code == project)
    total = session.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar()
    items = [
        {
            "code": r.Visit.code,
            "project": r.project_code,
            "leader": r.Visit.leader,
            "visited_on": r.Visit.visited_on.isoformat(),
            "notes": r.Visit.notes,
            "problems_found": int(r.n_problems),
        }
        for r in session.execute(q.limit(limit).offset(offset)).all()
    ]
    return items, int(total or 0)


def not_visited(
    session: Session,
    *,
    as_of: date,
    days: int,
    year: int | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Projects with no visit in the ``days`` days up to ``as_of`` (inclusive), oldest first."""
    since = as_of - timedelta(days=days - 1)
    last = (
        select(Visit.project_id, func.max(Visit.visited_on).label("last_visit"))
        .where(Visit.visited_on <= as_of)
        .group_by(Visit.project_id)
        .subquery()
    )
    q = (
        select(
            Project.code,
            Project.name,
            Project.leader,
            Project.responsible_unit,
            Project.status,
            last.c.last_visit,
        )
        .outerjoin(last, last.c.project_id == Project.id)
        .where(and_(func.coalesce(last.c.last_visit, date(1900, 1, 1)) < since))
        .order_by(last.c.last_visit.asc().nulls_first(), Project.code)
    )
    if year is not None:
        q = q.where(Project.year == year)
    total = session.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar()
    items = [
        {
            "project": r.code,
            "name": r.name,
            "leader": r.leader,
            "responsible_unit": r.responsible_unit,
            "status": r.status,
            "last_visit": r.last_visit.isoformat() if r.last_visit else None,
            "days_since_visit": (as_of - r.last_visit).days if r.last_visit else None,
        }
        for r in session.execute(q.limit(limit).offset(offset)).all()
    ]
    return items, int(total or 0)
