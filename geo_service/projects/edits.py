"""Creating and editing projects, their rounds, funding, investment reports and milestones.

Keyword-only functions on the caller's Session (one transaction per request); every change is
audited. Status changes go through :mod:`geo_service.projects.lifecycle`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from geo_service import audit
from geo_service.errors import InvalidGeometry, InvalidInput, NotFound, check_version
from geo_service.parcels.models import Parcel
from geo_service.projects import lifecycle
from geo_service.projects.models import (
    FundingSource,
    InvestmentReport,
    Milestone,
    Project,
    ProjectRound,
)
from geo_service.projects.schemas import (
    FundingItem,
    MilestonePlan,
    ProjectCreate,
    ProjectUpdate,
    RoundEntry,
)
from geo_service.projects.writes import PROJECT_COLS

SNAPSHOT_FIELDS = ("code", *PROJECT_COLS)


def _json(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    return v


def snapshot(p: Project) -> dict[str, Any]:
    """The audited view of a project (JSON-safe)."""
    return {f: _json(getattr(p, f)) for f in SNAPSHOT_FIELDS}


def get_by_code(session: Session, code: str, *, for_update: bool = False) -> Project:
    q = select(Project).where(Project.code == code)
    if for_update:
        q = q.with_for_update()
    p = session.execute(q).scalar_one_or_none()
    if p is None:
        raise NotFound(f"no project with code {code!r}; list codes with GET /api/v1/projects")
    return p


def _geometry(geojson: dict[str, Any]) -> Any:
    try:
        g = shape(geojson)
    except Exception:  # noqa: BLE001 -- shapely raises many types for bad GeoJSON
        raise InvalidGeometry(
            "geometry is not valid GeoJSON; send a Point or Polygon with lon/lat coordinates"
        ) from None
    if g.geom_type not in ("Point", "Polygon", "MultiPolygon", "LineString", "MultiLineString"):
        raise InvalidGeometry(f"geometry type {g.geom_type} is not accepted; send a Point/Polygon")
    if g.is_empty or not g.is_valid:
        raise InvalidGeometry(
            f"geometry is invalid ({shapely.is_valid_reason(g)}); fix the ring and send it again"
        )
    minx, miny, maxx, maxy = g.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidGeometry(
            "geometry coordinates are not lon/lat degrees; send EPSG:4490 longitude, latitude"
        )
    return func.ST_SetSRID(func.ST_GeomFromWKB(g.wkb), 4490)


def _parcel_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    pid = session.execute(select(Parcel.id).where(Parcel.code == code)).scalar()
    if pid is None:
        raise InvalidInput(f"parcel: no parcel with code {code!r}; check GET /api/v1/parcels")
    return int(pid)


def _check_money(values: dict[str, Any]) -> None:
    total, planned = values.get("total_investment_wan"), values.get("planned_investment_wan")
    if total is not None and planned is not None and planned > total:
        raise InvalidInput(
            f"planned_investment_wan ({planned}) exceeds total_investment_wan ({total}); "
            "this year's plan is part of the total"
        )


def create_project(session: Session, *, body: ProjectCreate, actor: str) -> Project:
    data = body.model_dump(exclude={"parcel", "geometry"}, exclude_none=True)
    if session.execute(select(Project.id).where(Project.code == body.code)).first():
        raise InvalidInput(
            f"a project with code {body.code!r} exists; PATCH /api/v1/projects/{body.code} "
            "to change it"
        )
    data.setdefault("status", "planned")
    lifecycle.check_transition(None, data)
    _check_money(data)
    p = Project(**data)
    p.parcel_id = _parcel_id(session, body.parcel)
    if body.geometry is not None:
        p.geom = _geometry(body.geometry)
    session.add(p)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="project.create",
        entity_type="project",
        entity_code=p.code,
        after=snapshot(p),
    )
    return p


def update_project(
    session: Session, *, code: str, body: ProjectUpdate, actor: str, if_match: Collection[int]
) -> Project:
    """Change the fields sent, if the project is still at a version the caller read."""
    p = get_by_code(session, code, for_update=True)
    check_version(p.version, if_match, what=f"project {code}")
    changes = body.model_dump(exclude_unset=True, exclude={"parcel", "geometry"})
    for required in ("name", "year", "domain", "total_investment_wan", "status"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be cleared; send a value")
    before = snapshot(p)
    after = {f: getattr(p, f) for f in SNAPSHOT_FIELDS} | changes
    lifecycle.check_transition(p.status, after)
    _check_money(after)
    for k, v in changes.items():
        setattr(p, k, v)
    if "parcel" in body.model_fields_set:
        p.parcel_id = _parcel_id(session, body.parcel)
    if "geometry" in body.model_fields_set:
        p.geom = None if body.geometry is None else _geometry(body.geometry)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="project.update",
        entity_type="project",
        entity_code=code,
        before=before,
        after=snapshot(p),
    )
    return p


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
        after={"seq": seq, "done_on": _json(done_on)},
    )
    return milestones(session, project_id=p.id)


def milestones(session: Session, *, project_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Milestone).where(Milestone.project_id == project_id).order_by(Milestone.seq)
    ).scalars()
    return [
        {"seq": m.seq, "name": m.name, "due_on": _json(m.due_on), "done_on": _json(m.done_on)}
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
