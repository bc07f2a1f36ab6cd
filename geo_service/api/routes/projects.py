"""Key projects, problems and visits: officials edit, the land bureau reads, the public gets 401."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from geo_service.api import params
from geo_service.api.deps import IfMatchDep, PageDep, SessionDep, SettingsDep, require
from geo_service.api.params import BBoxQ, IsoDate, ProblemStatus, ProjectDomain, ProjectStatus
from geo_service.api.responses import (
    COLLECTION_SCHEMA,
    FEATURE_SCHEMA,
    GeoJSONResponse,
    feature_collection,
    geojson,
)
from geo_service.auth.tokens import Principal
from geo_service.errors import InvalidInput
from geo_service.projects import edits, problems, visits
from geo_service.projects import repository as repo
from geo_service.projects.schemas import (
    FundingItem,
    InvestmentReportIn,
    MilestoneDone,
    MilestonePlan,
    ProblemCreate,
    ProblemUpdate,
    ProjectCreate,
    ProjectUpdate,
    RoundEntry,
    VisitCreate,
)

router = APIRouter(prefix="/api/v1", tags=["projects"])

#: a month, YYYY-MM (year 0001..9999)
MONTH_PATTERN = (
    r"^(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(?:0[1-9]|1[0-2])$"
)

INTERNAL = require("projects.read")
OFFICIAL = require("projects.write")
PROBLEMS_READ = require("problems.read")
PROBLEMS_WRITE = require("problems.write")
AsOfQ = Annotated[
    IsoDate | None,
    Query(description="evaluate the slow/overdue rules as of this date (default today)"),
]


def _feature(session: SessionDep, settings: SettingsDep, code: str, status: int = 200) -> Any:
    feature = repo.get_project(session, code=code, rules=settings.projects)
    return GeoJSONResponse(
        feature,
        status_code=status,
        headers={"ETag": f'"{feature["properties"]["version"]}"'},
    )


@router.get(
    "/projects",
    response_class=GeoJSONResponse,
    responses=geojson(200, COLLECTION_SCHEMA),
    dependencies=[INTERNAL],
)
def list_projects(
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    status: ProjectStatus | None = None,
    domain: ProjectDomain | None = None,
    leader: Annotated[str | None, Query(max_length=100)] = None,
    unit: Annotated[str | None, Query(max_length=200)] = None,
    bbox: BBoxQ = None,
    overdue: Annotated[
        bool | None,
        Query(description="a date passed (start, completion, milestone, problem deadline)"),
    ] = None,
    rag: Literal["red", "yellow", "green"] | None = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    as_of: AsOfQ = None,
    round: Annotated[int | None, Query(ge=1, le=1000, description="三个一批 round number")] = None,
    round_list: Annotated[
        Literal["signed", "started", "in_production"] | None,
        Query(description="三个一批 list: 签约 / 开工 / 投产"),
    ] = None,
) -> Any:
    """Projects as GeoJSON points/polygons with red/yellow/green and the reasons, filtered."""
    filters = repo.ProjectFilter(
        status=status,
        domain=domain,
        leader=leader,
        unit=unit,
        bbox=params.bbox(bbox),
        overdue=overdue,
        rag=rag,
        year=year,
        as_of=as_of,
        rules=settings.projects,
        round=round,
        round_list=round_list,
    )
    features, total = repo.list_projects(
        session, filters=filters, limit=page.limit, offset=page.offset
    )
    return feature_collection(features, total, page)


@router.post(
    "/projects",
    response_class=GeoJSONResponse,
    status_code=201,
    responses=geojson(201, FEATURE_SCHEMA),
)
def create_project(
    body: ProjectCreate,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, OFFICIAL],
) -> Any:
    """A new project (status dates must cover every step it has reached)."""
    edits.create_project(session, body=body, actor=principal.actor)
    return _feature(session, settings, body.code, status=201)


@router.get("/projects/not-visited", dependencies=[INTERNAL])
def projects_not_visited(
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    days: Annotated[int | None, Query(ge=1, le=366)] = None,
    as_of: AsOfQ = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> dict[str, Any]:
    """Projects no leader visited in the last ``days`` days (default from settings: 7)."""
    n = days or settings.projects.visit_interval_days
    day = as_of or date.today()
    items, total = visits.not_visited(
        session, as_of=day, days=n, year=year, limit=page.limit, offset=page.offset
    )
    return {
        "as_of": day.isoformat(),
        "days": n,
        "items": items,
        "numberMatched": total,
        "numberReturned": len(items),
    }


@router.get(
    "/projects/{code}",
    response_class=GeoJSONResponse,
    responses=geojson(200, FEATURE_SCHEMA),
    dependencies=[INTERNAL],
)
def get_project(code: str, session: SessionDep, settings: SettingsDep, as_of: AsOfQ = None) -> Any:
    feature = repo.get_project(session, code=code, as_of=as_of, rules=settings.projects)
    return GeoJSONResponse(feature, headers={"ETag": f'"{feature["properties"]["version"]}"'})


@router.patch(
    "/projects/{code}", response_class=GeoJSONResponse, responses=geojson(200, FEATURE_SCHEMA)
)
def update_project(
    code: str,
    body: ProjectUpdate,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, OFFICIAL],
    if_match: IfMatchDep,
) -> Any:
    """Change the fields sent (If-Match required); a status change must follow the lifecycle."""
    edits.update_project(
        session, code=code, body=body, actor=principal.actor, if_match=if_match.versions
    )
    return _feature(session, settings, code)


@router.get("/projects/{code}/progress", dependencies=[INTERNAL])
def project_progress(code: str, session: SessionDep, as_of: AsOfQ = None) -> dict[str, Any]:
    """Monthly investment, completed to date, share of plan, milestones, funding, rounds."""
    return edits.progress(session, code=code, as_of=as_of)


@router.put("/projects/{code}/investment/{month}")
def put_investment_report(
    code: str,
    month: Annotated[
        str,
        Path(
            description="YYYY-MM, e.g. 2026-03",
            examples=["2026-03"],
            json_schema_extra={"pattern": MONTH_PATTERN},
        ),
    ],
    body: InvestmentReportIn,
    session: SessionDep,
    principal: Annotated[Principal, OFFICIAL],
) -> dict[str, Any]:
    """The investment completed in one month (YYYY-MM), 万元."""
    try:
        if not re.fullmatch(MONTH_PATTERN, month):
            raise ValueError(month)
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput(f"month {month!r} is not YYYY-MM (e.g. 2026-03)") from None
    return edits.put_investment_report(
        session, code=code, month=first, completed_wan=body.completed_wan, actor=principal.actor
    )


@router.put("/projects/{code}/funding")
def put_funding(
    code: str,
    body: list[FundingItem],
    session: SessionDep,
    principal: Annotated[Principal, OFFICIAL],
) -> dict[str, Any]:
    """Replace the project's funding sources and amounts."""
    return {"funding": edits.replace_funding(session, code=code, items=body, actor=principal.actor)}


@router.post("/projects/{code}/rounds", status_code=201)
def add_round(
    code: str,
    body: RoundEntry,
    session: SessionDep,
    principal: Annotated[Principal, OFFICIAL],
) -> dict[str, Any]:
    """Put the project on a 三个一批 list; in_production links to its earlier started round."""
    return edits.add_round(session, code=code, entry=body, actor=principal.actor)


@router.put("/projects/{code}/milestones")
def plan_milestones(
    code: str,
    body: MilestonePlan,
    session: SessionDep,
    principal: Annotated[Principal, OFFICIAL],
) -> dict[str, Any]:
    """倒排工期: milestones with due dates planned backwards from the target date."""
    return {
        "milestones": edits.plan_milestones(session, code=code, plan=body, actor=principal.actor)
    }


@router.patch("/projects/{code}/milestones/{seq}")
def milestone_done(
    code: str,
    seq: int,
    body: MilestoneDone,
    session: SessionDep,
    principal: Annotated[Principal, OFFICIAL],
) -> dict[str, Any]:
    return {
        "milestones": edits.mark_milestone(
            session, code=code, seq=seq, done_on=body.done_on, actor=principal.actor
        )
    }


@router.get("/projects/{code}/visits", dependencies=[require("visits.read")])
def project_visits(code: str, session: SessionDep, page: PageDep) -> dict[str, Any]:
    edits.get_by_code(session, code)
    items, total = visits.list_visits(session, project=code, limit=page.limit, offset=page.offset)
    return {"items": items, "numberMatched": total, "numberReturned": len(items)}


@router.post("/projects/{code}/visits", status_code=201)
def record_visit(
    code: str,
    body: VisitCreate,
    session: SessionDep,
    principal: Annotated[Principal, require("visits.write")],
) -> dict[str, Any]:
    """A supervision visit and the problems found on it (each with unit, leader, deadline)."""
    return visits.record_visit(session, project_code=code, body=body, actor=principal.actor)


@router.get("/visits", dependencies=[require("visits.read")])
def list_visits(
    session: SessionDep,
    page: PageDep,
    project: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    items, total = visits.list_visits(
        session, project=project, limit=page.limit, offset=page.offset
    )
    return {"items": items, "numberMatched": total, "numberReturned": len(items)}


@router.get("/problems", dependencies=[PROBLEMS_READ])
def list_problems(
    session: SessionDep,
    page: PageDep,
    status: ProblemStatus | None = None,
    project: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool | None = None,
    as_of: AsOfQ = None,
) -> dict[str, Any]:
    items, total = problems.list_problems(
        session,
        status=status,
        project=project,
        overdue=overdue,
        as_of=as_of,
        limit=page.limit,
        offset=page.offset,
    )
    return {"items": items, "numberMatched": total, "numberReturned": len(items)}


@router.post("/problems", status_code=201)
def create_problem(
    body: ProblemCreate,
    session: SessionDep,
    principal: Annotated[Principal, PROBLEMS_WRITE],
    response: Response,
) -> dict[str, Any]:
    """A problem entered directly (not on a visit), assigned with a deadline."""
    pr = problems.create_problem(
        session,
        project_code=body.project,
        body=body,
        found_on=body.found_on,
        actor=principal.actor,
    )
    out = problems.get_problem(session, code=pr.code)
    response.headers["ETag"] = f'"{out["version"]}"'
    return out


@router.get("/problems/{code}", dependencies=[PROBLEMS_READ])
def get_problem(
    code: str, session: SessionDep, response: Response, as_of: AsOfQ = None
) -> dict[str, Any]:
    out = problems.get_problem(session, code=code, as_of=as_of)
    response.headers["ETag"] = f'"{out["version"]}"'
    return out


@router.patch("/problems/{code}")
def update_problem(
    code: str,
    body: ProblemUpdate,
    session: SessionDep,
    principal: Annotated[Principal, PROBLEMS_WRITE],
    if_match: IfMatchDep,
    response: Response,
) -> dict[str, Any]:
    """Move a problem forward (resolving needs resolution and resolved_on) or reassign it."""
    problems.update_problem(
        session, code=code, body=body, actor=principal.actor, if_match=if_match.versions
    )
    out = problems.get_problem(session, code=code)
    response.headers["ETag"] = f'"{out["version"]}"'
    return out


@router.post("/problems/escalate")
def escalate_problems(
    session: SessionDep,
    principal: Annotated[Principal, PROBLEMS_WRITE],
    as_of: AsOfQ = None,
) -> dict[str, Any]:
    """Flag every unresolved problem past its deadline as escalated."""
    n = problems.escalate_overdue(session, as_of=as_of or date.today(), actor=principal.actor)
    return {"escalated": n}
