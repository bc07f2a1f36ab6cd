"""Reading projects and problems. Keyword-only functions taking a Session; no HTTP here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from geo_service.errors import InvalidInput, NotFound
from geo_service.parcels.models import Parcel
from geo_service.projects.models import ROUND_LISTS, Problem, Project, ProjectRound
from geo_service.projects.rag import rag_subquery
from geo_service.settings import ProjectRules
from geo_service.spatial import BBox, wan_to_yi

STARTED_OR_LATER = ("started", "under_construction", "completed", "in_production")


@dataclass(frozen=True)
class ProjectFilter:
    status: str | None = None
    domain: str | None = None
    leader: str | None = None
    unit: str | None = None
    bbox: BBox | None = None
    overdue: bool | None = None
    rag: str | None = None
    year: int | None = None
    as_of: date | None = None
    rules: ProjectRules = field(default_factory=ProjectRules)
    #: 三个一批: on this round (any list, or ``round_list`` only)
    round: int | None = None
    round_list: str | None = None


def latest_year(session: Session) -> int | None:
    return session.execute(select(func.max(Project.year))).scalar()


def overdue_expr(as_of: date) -> Any:
    """Late start, late completion, or an unresolved problem past its deadline.

    Kept for callers outside the ledger; the ledger's own rules are in ``projects/rag.py``.
    """
    late_problem = exists().where(
        Problem.project_id == Project.id,
        Problem.status != "resolved",
        Problem.deadline < as_of,
    )
    return or_(
        and_(Project.planned_start < as_of, Project.actual_start.is_(None)),
        and_(Project.planned_completion < as_of, Project.actual_completion.is_(None)),
        late_problem,
    )


def _money(v: Decimal | None) -> str | None:
    return None if v is None else f"{v:.2f}"


def _query(f: ProjectFilter) -> Select[Any]:
    as_of = f.as_of or date.today()
    rag = rag_subquery(as_of, f.rules)
    q = (
        select(
            Project,
            Parcel.code.label("parcel_code"),
            func.ST_AsGeoJSON(Project.geom, 7, 0).label("geojson"),
            rag.c.overdue,
            rag.c.rag,
            rag.c.reasons,
        )
        .join(rag, rag.c.project_id == Project.id)
        .outerjoin(Parcel, Parcel.id == Project.parcel_id)
        .order_by(Project.code)
    )
    conds = []
    if f.year is not None:
        conds.append(Project.year == f.year)
    if f.status is not None:
        conds.append(Project.status == f.status)
    if f.domain is not None:
        conds.append(Project.domain == f.domain)
    if f.leader is not None:
        # "王建国" finds "王建国(副区长)": leaders are written with their title in brackets
        bare = func.btrim(func.split_part(func.replace(Project.leader, "（", "("), "(", 1))
        conds.append(or_(Project.leader == f.leader, bare == f.leader.strip()))
    if f.unit is not None:
        conds.append(Project.responsible_unit == f.unit)
    if f.bbox is not None:
        conds.append(
            func.ST_Intersects(Project.geom, func.ST_MakeEnvelope(*f.bbox.as_tuple(), 4490))
        )
    if f.overdue is not None:
        conds.append(rag.c.overdue if f.overdue else ~rag.c.overdue)
    if f.rag is not None:
        conds.append(rag.c.rag == f.rag)
    if f.round is not None or f.round_list is not None:
        on_round = [ProjectRound.project_id == Project.id]
        if f.round is not None:
            on_round.append(ProjectRound.round_no == f.round)
        if f.round_list is not None:
            on_round.append(ProjectRound.list == f.round_list)
        conds.append(exists().where(*on_round))
    if conds:
        q = q.where(and_(*conds))
    return q


def _feature(row: Any) -> dict[str, Any]:
    p: Project = row.Project
    props = {
        "code": p.code,
        "county": p.county,
        "name": p.name,
        "year": p.year,
        "domain": p.domain,
        "industry": p.industry,
        "description": p.description,
        "status": p.status,
        "total_investment_wan": _money(p.total_investment_wan),
        "total_investment_yi": wan_to_yi(p.total_investment_wan, 2),
        "planned_investment_wan": _money(p.planned_investment_wan),
        "completed_wan": _money(p.completed_wan),
        "leader": p.leader,
        "responsible_unit": p.responsible_unit,
        "parcel": row.parcel_code,
        # the parcel's supply answer and its printable timeline (land supply lineage)
        "parcel_supply": f"/api/v1/parcels/{quote(row.parcel_code, safe='')}/supply"
        if row.parcel_code
        else None,
        "parcel_timeline": f"/maps/parcels/{quote(row.parcel_code, safe='')}/timeline"
        if row.parcel_code
        else None,
        "planned_start": p.planned_start,
        "actual_start": p.actual_start,
        "planned_completion": p.planned_completion,
        "actual_completion": p.actual_completion,
        "signed_on": p.signed_on,
        "in_production_on": p.in_production_on,
        "attracted_this_year": p.attracted_this_year,
        "source_region": p.source_region,
        "overdue": bool(row.overdue),
        "rag": row.rag,
        "reasons": row.reasons,
        "version": p.version,
    }
    props = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in props.items()}
    return {
        "type": "Feature",
        "id": p.code,
        "geometry": json.loads(row.geojson) if row.geojson else None,
        "properties": props,
    }


_ZH_FIELD = {"leader": "分包领导", "unit": "责任单位"}


def check_filter(session: Session, f: ProjectFilter) -> None:
    """An unknown leader, unit, round or list is a mistake, not an empty answer (422)."""
    if f.round_list is not None and f.round_list not in ROUND_LISTS:
        raise InvalidInput(
            f"round_list must be one of {', '.join(ROUND_LISTS)}; got {f.round_list!r}"
        )
    if f.round is not None:
        rounds = session.execute(select(ProjectRound.round_no).distinct()).scalars().all()
        if f.round not in rounds:
            known = ", ".join(str(r) for r in sorted(rounds)) or "none yet"
            raise InvalidInput(
                f"no 三个一批 round {f.round}; the rounds on record: {known}",
                zh=f"没有第 {f.round} 批（三个一批）；现有批次：{known}",
            )
    for value, col, name in ((f.leader, Project.leader, "leader"),
                             (f.unit, Project.responsible_unit, "unit")):  # fmt: skip
        if value is None:
            continue
        hit = session.execute(
            select(func.count()).where(or_(col == value, col.startswith(value.strip())))
        ).scalar()
        if not hit:
            raise InvalidInput(
                f"no project has {name} {value!r}; check the spelling (the ledger lists them)",
                zh=f"没有项目的{_ZH_FIELD[name]}是“{value}”；请核对写法",
            )


def project_ids(session: Session, f: ProjectFilter) -> list[int]:
    """The ids of the projects the filter selects (the map and its headline figures)."""
    q = _query(f).with_only_columns(Project.id).order_by(None)
    return [int(i) for i in session.execute(q).scalars()]


def select_projects(filters: ProjectFilter) -> Select[Any]:
    """The ledger's query (rows: Project, parcel_code, geojson, overdue, rag, reasons), ordered by
    code, for callers that add their own conditions and columns (the OGC API)."""
    return _query(filters)


def project_feature(row: Any) -> dict[str, Any]:
    """A row of :func:`select_projects` as a GeoJSON feature."""
    return _feature(row)


def list_projects(
    session: Session, *, filters: ProjectFilter, limit: int, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    check_filter(session, filters)
    q = _query(filters)
    total = session.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar()
    rows = session.execute(q.limit(limit).offset(offset)).all()
    return [_feature(r) for r in rows], int(total or 0)


def get_project(
    session: Session, *, code: str, as_of: date | None = None, rules: ProjectRules | None = None
) -> dict[str, Any]:
    f = ProjectFilter(as_of=as_of, rules=rules or ProjectRules())
    row = session.execute(_query(f).where(Project.code == code)).first()
    if row is None:
        raise NotFound(f"no project with code {code!r}; list codes with GET /api/v1/projects")
    return _feature(row)


def list_problems(
    session: Session,
    *,
    status: str | None = None,
    project: str | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    q = (
        select(Problem, Project.code.label("project_code"), Project.name.label("project_name"))
        .join(Project, Project.id == Problem.project_id)
        .order_by(Problem.code)
    )
    if status is not None:
        q = q.where(Problem.status == status)
    if project is not None:
        q = q.where(Project.code == project)
    total = session.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar()
    out = []
    for r in session.execute(q.limit(limit).offset(offset)).all():
        pr: Problem = r.Problem
        out.append(
            {
                "code": pr.code,
                "project": r.project_code,
                "project_name": r.project_name,
                "description": pr.description,
                "found_on": pr.found_on.isoformat(),
                "assignee_unit": pr.assignee_unit,
                "assignee_leader": pr.assignee_leader,
                "deadline": pr.deadline.isoformat() if pr.deadline else None,
                "status": pr.status,
                "resolved_on": pr.resolved_on.isoformat() if pr.resolved_on else None,
                "resolution": pr.resolution,
                "escalated": pr.escalated,
                "version": pr.version,
            }
        )
    return out, int(total or 0)
