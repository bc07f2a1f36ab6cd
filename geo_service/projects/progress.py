"""A project's progress records, each write audited in the caller's transaction: funding
sources, 三个一批 rounds, monthly investment reports, reverse-planned milestones, and the progress
summary (completed to date against the plan)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from geo_service import audit
from geo_service.errors import InvalidInput, NotFound
from geo_service.projects.current import get_by_code, json_value
from geo_service.projects.models import (
    FundingSource,
    InvestmentReport,
    Milestone,
    ProjectRound,
)
from geo_service.projects.schemas import (
    FundingItem,
    MilestonePlan,
    RoundEntry,
)

# ---------------------------------------------------------------- funding


def replace_funding(
    session: Session, *, code: str, items: list[FundingItem], actor: str
) -> list[dict[str, Any]]:
    """The project's funding sources, replaced as a whole (their sum must fit the total)."""
    p = get_by_code(session, code, for_update=True)
    seen = [i.source for i in items]
    dupes = sorted({s for s in seen if seen.count(s) > 1})
    if dupes:
        raise InvalidInput(f"funding source(s) {dupes} listed twice; give one amount per source")
    total = sum((i.amount_wan for i in items), Decimal(0))
    if total > p.total_investment_wan:
        raise InvalidInput(
            f"funding adds up to {total:.2f} 万元, more than the project's total investment "
            f"{p.total_investment_wan:.2f} 万元"
        )
    before = funding(session, project_id=p.id)
    session.execute(delete(FundingSource).where(FundingSource.project_id == p.id))
    session.add_all(
        FundingSource(project_id=p.id, source=i.source, amount_wan=i.amount_wan) for i in items
    )
    session.flush()
    after = funding(session, project_id=p.id)
    audit.record(
        session,
        actor=actor,
        action="project.funding",
        entity_type="project",
        entity_code=code,
        before={"funding": before},
        after={"funding": after},
    )
    return after


def funding(session: Session, *, project_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(FundingSource.source, FundingSource.amount_wan)
        .where(FundingSource.project_id == project_id)
        .order_by(FundingSource.source)
    ).all()
    return [{"source": s, "amount_wan": f"{a:.2f}"} for s, a in rows]


# ---------------------------------------------------------------- 三个一批 rounds


def add_round(session: Session, *, code: str, entry: RoundEntry, actor: str) -> dict[str, Any]:
    """Put the project on a round's list; an in_production entry links to its started round."""
    p = get_by_code(session, code, for_update=True)
    exists = session.execute(
        select(ProjectRound.id).where(
            ProjectRound.project_id == p.id,
            ProjectRound.round_no == entry.round_no,
            ProjectRound.list == entry.list,
        )
    ).first()
    if exists:
        raise InvalidInput(
            f"project {code} is already on the {entry.list} list of round {entry.round_no}"
        )
    follows_id = None
    if entry.list == "in_production":
        q = select(ProjectRound).where(
            ProjectRound.project_id == p.id,
            ProjectRound.list == "started",
            ProjectRound.round_no < entry.round_no,
        )
        if entry.follows_round_no is not None:
            q = q.where(ProjectRound.round_no == entry.follows_round_no)
        started = session.execute(q.order_by(ProjectRound.round_no.desc()).limit(1)).scalar()
        if started is None and entry.follows_round_no is not None:
            raise InvalidInput(
                f"follows_round_no: project {code} is on no started list of round "
                f"{entry.follows_round_no} before round {entry.round_no}"
            )
        if started is not None:
            if started.round_date > entry.round_date:
                raise InvalidInput(
                    f"round_date {entry.round_date} is before the started round "
                    f"{started.round_no} ({started.round_date}) it follows"
                )
            follows_id = started.id
    elif entry.follows_round_no is not None:
        raise InvalidInput("follows_round_no only applies to an in_production entry")
    r = ProjectRound(
        project_id=p.id,
        round_no=entry.round_no,
        round_date=entry.round_date,
        list=entry.list,
        follows_id=follows_id,
    )
    session.add(r)
    session.flush()
    out = rounds(session, project_id=p.id)
    audit.record(
        session,
        actor=actor,
        action="project.round",
        entity_type="project",
        entity_code=code,
        after={"round_no": entry.round_no, "list": entry.list},
    )
    return {"rounds": out}


def rounds(session: Session, *, project_id: int) -> list[dict[str, Any]]:
    prev = ProjectRound.__table__.alias("prev")
    rows = session.execute(
        select(
            ProjectRound.round_no,
            ProjectRound.round_date,
            ProjectRound.list,
            prev.c.round_no.label("follows_round_no"),
        )
        .outerjoin(prev, prev.c.id == ProjectRound.follows_id)
        .where(ProjectRound.project_id == project_id)
        .order_by(ProjectRound.round_no, ProjectRound.list)
    ).all()
    return [
        {
            "round_no": r.round_no,
            "round_date": r.round_date.isoformat(),
            "list": r.list,
            "follows_round_no": r.follows_round_no,
        }
        for r in rows
    ]


# ---------------------------------------------------------------- progress


def put_investment_report(
    session: Session, *, code: str, month: date, completed_wan: Decimal, actor: str
) -> dict[str, Any]:
    """The investment completed in one month (万元); the project's completed total follows."""
    p = get_by_code(session, code, for_update=True)
    month = month.replace(day=1)
    old = session.execute(
        select(InvestmentReport).where(
            InvestmentReport.project_id == p.id, InvestmentReport.month == month
        )
    ).scalar_one_or_none()
    before = None if old is None else f"{old.completed_wan:.2f}"
    if old is None:
        session.add(InvestmentReport(project_id=p.id, month=month, completed_wan=completed_wan))
    else:
        old.completed_wan = completed_wan
    session.flush()
    total = session.execute(
        select(func.coalesce(func.sum(InvestmentReport.completed_wan), 0)).where(
            InvestmentReport.project_id == p.id
        )
    ).scalar_one()
    p.completed_wan = total
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="project.investment_report",
        entity_type="project",
        entity_code=code,
        before={"month": month.isoformat(), "completed_wan": before},
        after={"month": month.isoformat(), "completed_wan": f"{completed_wan:.2f}"},
    )
    return progress(session, code=code)


def plan_milestones(
    session: Session, *, code: str, plan: MilestonePlan, actor: str
) -> list[dict[str, Any]]:
    """倒排工期: replace the milestones with due dates planned backwards from the target."""
    p = get_by_code(session, code, for_update=True)
    due = plan.target_date
    dues: list[date] = []
    for step in reversed(plan.steps):
        dues.append(due)
        due = due - timedelta(days=step.duration_days)
    dues.reverse()
    session.execute(delete(Milestone).where(Milestone.project_id == p.id))
    session.flush()
    session.add_all(
        Milestone(project_id=p.id, seq=i + 1, name=s.name, due_on=d)
        for i, (s, d) in enumerate(zip(plan.steps, dues, strict=True))
    )
    session.flush()
    out = milestones(session, project_id=p.id)
    audit.record(
        session,
        actor=actor,
        action="project.milestones",
        entity_type="project",
        entity_code=code,
        after={"target_date": plan.target_date.isoformat(), "milestones": out},
    )
    return out


def mark_milestone(
    session: Session, *, code: str, seq: int, done_on: date | None, actor: str
) -> list[dict[str, Any]]:
    p = get_by_code(session, code)
    res = session.execute(
        update(Milestone)
        .where(Milestone.project_id == p.id, Milestone.seq == seq)
        .values(done_on=done_on, version=Milestone.version + 1, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )
    if res.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"project {code} has no milestone {seq}; see its progress for the list")
    audit.record(
        session,
        actor=actor,
        action="project.milestone_done",
        entity_type="project",
        entity_code=code,
        after={"seq": seq, "done_on": json_value(done_on)},
    )
    return milestones(session, project_id=p.id)


def milestones(session: Session, *, project_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Milestone).where(Milestone.project_id == project_id).order_by(Milestone.seq)
    ).scalars()
    return [
        {
            "seq": m.seq,
            "name": m.name,
            "due_on": json_value(m.due_on),
            "done_on": json_value(m.done_on),
        }
        for m in rows
    ]


def progress(session: Session, *, code: str, as_of: date | None = None) -> dict[str, Any]:
    """Monthly reports, completed to date, share of this year's plan, milestones, funding."""
    p = get_by_code(session, code)
    as_of = as_of or date.today()
    reports = session.execute(
        select(InvestmentReport.month, InvestmentReport.completed_wan)
        .where(InvestmentReport.project_id == p.id, InvestmentReport.month <= as_of)
        .order_by(InvestmentReport.month)
    ).all()
    to_date = sum((w for _, w in reports), Decimal(0))
    this_year = sum((w for m, w in reports if m.year == p.year), Decimal(0))
    plan = p.planned_investment_wan
    return {
        "project": p.code,
        "as_of": as_of.isoformat(),
        "reports": [
            {"month": m.strftime("%Y-%m"), "completed_wan": f"{w:.2f}"} for m, w in reports
        ],
        "completed_to_date_wan": f"{to_date:.2f}",
        "completed_this_year_wan": f"{this_year:.2f}",
        "planned_this_year_wan": f"{plan:.2f}",
        "share_of_plan_pct": round(float(100 * this_year / plan), 1) if plan else None,
        "milestones": milestones(session, project_id=p.id),
        "funding": funding(session, project_id=p.id),
        "rounds": rounds(session, project_id=p.id),
    }
