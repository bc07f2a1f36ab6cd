"""Problems (问题): found on a visit or entered directly, assigned on the spot with a deadline,
open → in_progress → resolved (resolution text and date required), escalated when overdue."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from geo_service import audit
from geo_service.errors import InvalidInput, NotFound, check_version
from geo_service.projects.edits import get_by_code
from geo_service.projects.models import PROBLEM_STATUSES, Problem, Project, Visit
from geo_service.projects.schemas import ProblemIn, ProblemUpdate


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def snapshot(pr: Problem) -> dict[str, Any]:
    return {
        "code": pr.code,
        "description": pr.description,
        "found_on": _iso(pr.found_on),
        "assignee_unit": pr.assignee_unit,
        "assignee_leader": pr.assignee_leader,
        "deadline": _iso(pr.deadline),
        "status": pr.status,
        "resolved_on": _iso(pr.resolved_on),
        "resolution": pr.resolution,
        "escalated": pr.escalated,
    }


def new_code(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3).upper()}"


def add_problem(
    session: Session,
    *,
    project: Project,
    body: ProblemIn,
    found_on: date,
    actor: str,
    visit: Visit | None = None,
) -> Problem:
    """A new open problem, assigned to a unit and a leader with a deadline."""
    if body.deadline < found_on:
        raise InvalidInput(
            f"deadline {body.deadline} is before the day the problem was found ({found_on})"
        )
    code = body.code or new_code(f"{project.code}-Q")
    if session.execute(select(Problem.id).where(Problem.code == code)).first():
        raise InvalidInput(f"a problem with code {code!r} exists; choose another code")
    pr = Problem(
        code=code,
        project_id=project.id,
        visit_id=visit.id if visit else None,
        description=body.description,
        found_on=found_on,
        assignee_unit=body.assignee_unit,
        assignee_leader=body.assignee_leader,
        deadline=body.deadline,
        status="open",
        escalated=False,
    )
    session.add(pr)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="problem.create",
        entity_type="problem",
        entity_code=code,
        after=snapshot(pr) | {"project": project.code, "visit": visit.code if visit else None},
    )
    return pr


def create_problem(
    session: Session, *, project_code: str, body: ProblemIn, found_on: date, actor: str
) -> Problem:
    return add_problem(
        session,
        project=get_by_code(session, project_code),
        body=body,
        found_on=found_on,
        actor=actor,
    )


def update_problem(
    session: Session, *, code: str, body: ProblemUpdate, actor: str, if_match: Collection[int]
) -> Problem:
    """Move a problem forward (open → in_progress → resolved) or reassign it."""
    pr = session.execute(
        select(Problem).where(Problem.code == code).with_for_update()
    ).scalar_one_or_none()
    if pr is None:
        raise NotFound(f"no problem with code {code!r}; list them with GET /api/v1/problems")
    check_version(pr.version, if_match, what=f"problem {code}")
    before = snapshot(pr)
    changes = body.model_dump(exclude_unset=True)
    for k in ("status", "assignee_unit", "assignee_leader", "deadline", "escalated"):
        if k in changes and changes[k] is None:
            raise InvalidInput(f"{k} cannot be cleared; send a value")
    new_status = changes.get("status", pr.status)
    if PROBLEM_STATUSES.index(new_status) < PROBLEM_STATUSES.index(pr.status):
        raise InvalidInput(
            f"problem {code} cannot go back from {pr.status} to {new_status}; "
            "if it came back, file a new problem"
        )
    after = {**before, **{k: v for k, v in changes.items()}}
    if new_status == "resolved":
        if not after.get("resolution") or after.get("resolved_on") is None:
            raise InvalidInput(
                "resolving a problem needs both resolution (what was done) and resolved_on "
                "(the date); send them with status 'resolved'"
            )
        resolved_on = changes.get("resolved_on") or pr.resolved_on
        if resolved_on is not None and resolved_on < pr.found_on:
            raise InvalidInput(
                f"resolved_on {resolved_on} is before the day the problem was found ({pr.found_on})"
            )
    elif "resolution" in changes or "resolved_on" in changes:
        raise InvalidInput("resolution and resolved_on go with status 'resolved'")
    deadline = changes.get("deadline")
    if deadline is not None and deadline < pr.found_on:
        raise InvalidInput(f"deadline {deadline} is before the problem was found ({pr.found_on})")
    for k, v in changes.items():
        setattr(pr, k, v)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="problem.update",
        entity_type="problem",
        entity_code=code,
        before=before,
        after=snapshot(pr),
    )
    return pr


def overdue_expr(as_of: date) -> Any:
    """Not resolved (as of the date) and past its deadline."""
    return and_(
        Problem.deadline < as_of,
        or_(Problem.status != "resolved", Problem.resolved_on > as_of),
    )


def escalate_overdue(session: Session, *, as_of: date, actor: str) -> int:
    """Raise the escalation flag on every unresolved problem past its deadline (set-based)."""
    codes = list(
        session.execute(
            update(Problem)
            .where(overdue_expr(as_of), Problem.status != "resolved", ~Problem.escalated)
            .values(escalated=True, version=Problem.version + 1, updated_at=func.now())
            .returning(Problem.code)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    if codes:
        audit.record(
            session,
            actor=actor,
            action="problem.escalate",
            entity_type="problem",
            entity_code=None,
            after={"as_of": as_of.isoformat(), "problems": sorted(codes)},
        )
    return len(codes)


def _query(
    *, status: str | None, project: str | None, overdue: bool | None, as_of: date
) -> Select[Any]:
    od = overdue_expr(as_of)
    q = (
        select(
            Problem,
            Project.code.label("project_code"),
            Project.name.label("project_name"),
            Visit.code.label("visit_code"),
            od.label("overdue"),
        )
        .join(Project, Project.id == Problem.project_id)
        .outerjoin(Visit, Visit.id == Problem.visit_id)
        .order_by(Problem.code)
    )
    if status is not None:
        q = q.where(Problem.status == status)
    if project is not None:
        q = q.where(Project.code == project)
    if overdue is not None:
        q = q.where(od if overdue else ~od)
    return q


def list_problems(
    session: Session,
    *,
    status: str | None = None,
    project: str | None = None,
    overdue: bool | None = None,
    as_of: date | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    as_of = as_of or date.today()
    q = _query(status=status, project=project, overdue=overdue, as_of=as_of)
    total = session.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar()
    out = []
    for r in session.execute(q.limit(limit).offset(offset)).all():
        pr: Problem = r.Problem
        out.append(
            snapshot(pr)
            | {
                "project": r.project_code,
                "project_name": r.project_name,
                "visit": r.visit_code,
                "overdue": bool(r.overdue),
                # escalated when flagged by hand or by the nightly run, or overdue right now
                "escalated": bool(pr.escalated or r.overdue),
                "version": pr.version,
            }
        )
    return out, int(total or 0)


def get_problem(session: Session, *, code: str, as_of: date | None = None) -> dict[str, Any]:
    q = _query(status=None, project=None, overdue=None, as_of=as_of or date.today())
    r = session.execute(q.where(Problem.code == code)).first()
    if r is None:
        raise NotFound(f"no problem with code {code!r}; list them with GET /api/v1/problems")
    pr: Problem = r.Problem
    return snapshot(pr) | {
        "project": r.project_code,
        "project_name": r.project_name,
        "visit": r.visit_code,
        "overdue": bool(r.overdue),
        "escalated": bool(pr.escalated or r.overdue),
        "version": pr.version,
    }
