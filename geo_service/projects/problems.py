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


#: the fields a change may touch (PATCH /api/v1/problems/{code}, the ledger's 问题清单 sheet)
CHANGEABLE = ("status", "resolution", "resolved_on", "deadline", "assignee_unit",
              "assignee_leader", "escalated")  # fmt: skip
#: the fields a problem needs from the start and that cannot be cleared later
NOT_CLEARABLE = ("status", "assignee_unit", "assignee_leader", "deadline", "escalated")


def rule_state(pr: Problem) -> dict[str, Any]:
    """What the rules need to know about a stored problem (dates as dates)."""
    return {
        "status": pr.status,
        "found_on": pr.found_on,
        "resolved_on": pr.resolved_on,
        "resolution": pr.resolution,
    }


def check_new(*, found_on: date, deadline: date | None) -> list[tuple[str, str]]:
    """The rules of a new problem, as (field, reason) pairs; empty when it may be created."""
    if deadline is not None and deadline < found_on:
        why = f"deadline {deadline} is before the day the problem was found ({found_on})"
        return [("deadline", why)]
    return []


def check_change(
    *, code: str, current: dict[str, Any], changes: dict[str, Any]
) -> list[tuple[str, str]]:
    """The one definition of how a problem may change: open → in_progress → resolved, never
    back; resolving needs resolution and resolved_on (not before found_on); resolution and
    resolved_on only with status resolved; deadline not before found_on.

    ``current`` is :func:`rule_state` of the stored problem (an open one for a new problem),
    ``changes`` the fields that change. Returns every breach as (field, reason), the one to
    report first first; empty when the change is allowed.
    """
    out: list[tuple[str, str]] = []
    for k in NOT_CLEARABLE:
        if k in changes and changes[k] is None:
            out.append((k, f"{k} cannot be cleared; send a value"))
    was = current["status"]
    new_status = changes.get("status") or was
    if PROBLEM_STATUSES.index(new_status) < PROBLEM_STATUSES.index(was):
        out.append(
            (
                "status",
                f"problem {code} cannot go back from {was} to {new_status}; "
                "if it came back, file a new problem",
            )
        )
    found_on = current["found_on"]
    if new_status == "resolved":
        resolution = changes["resolution"] if "resolution" in changes else current["resolution"]
        resolved_on = changes["resolved_on"] if "resolved_on" in changes else current["resolved_on"]
        if not resolution or resolved_on is None:
            out.append(
                (
                    "resolution" if not resolution else "resolved_on",
                    "resolving a problem needs both resolution (what was done) and resolved_on "
                    "(the date); send them with status 'resolved'",
                )
            )
        if resolved_on is not None and resolved_on < found_on:
            out.append(
                (
                    "resolved_on",
                    f"resolved_on {resolved_on} is before the day the problem was found "
                    f"({found_on})",
                )
            )
    elif "resolution" in changes or "resolved_on" in changes:
        field = "resolution" if "resolution" in changes else "resolved_on"
        out.append((field, "resolution and resolved_on go with status 'resolved'"))
    deadline = changes.get("deadline")
    if deadline is not None and deadline < found_on:
        out.append(
            ("deadline", f"deadline {deadline} is before the problem was found ({found_on})")
        )
    return out


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
    if breaches := check_new(found_on=found_on, deadline=body.deadline):
        raise InvalidInput(breaches[0][1])
    code = body.code or new_code(f"{project.code}-Q")
    if session.execute(select(Problem.id).where(Problem.code == code)).first():
        raise InvalidInput(f"a problem with code {code!r} exists; choose another code")
    return insert_problem(
        session,
        fields={
            "code": code,
            "description": body.description,
            "found_on": found_on,
            "assignee_unit": body.assignee_unit,
            "assignee_leader": body.assignee_leader,
            "deadline": body.deadline,
            "status": "open",
        },
        project_id=project.id,
        project_code=project.code,
        visit=visit,
        actor=actor,
        action="problem.create",
    )


def insert_problem(
    session: Session,
    *,
    fields: dict[str, Any],
    project_id: int,
    project_code: str,
    actor: str,
    action: str,
    visit: Visit | None = None,
) -> Problem:
    """Insert a checked problem and audit it (the API and the Excel import both come here)."""
    pr = Problem(
        **fields, project_id=project_id, visit_id=visit.id if visit else None, escalated=False
    )
    session.add(pr)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="problem",
        entity_code=pr.code,
        after=snapshot(pr) | {"project": project_code, "visit": visit.code if visit else None},
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
    changes = body.model_dump(exclude_unset=True)
    if breaches := check_change(code=code, current=rule_state(pr), changes=changes):
        raise InvalidInput(breaches[0][1])
    return apply_change(session, pr, changes, actor=actor, action="problem.update")


def apply_change(
    session: Session, pr: Problem, changes: dict[str, Any], *, actor: str, action: str
) -> Problem:
    """Apply checked changes and audit before/after (the API and the Excel import both)."""
    before = snapshot(pr)
    for k, v in changes.items():
        setattr(pr, k, v)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="problem",
        entity_code=pr.code,
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
