"""Key projects and problems, for officials (and the land bureau, read-only)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from geo_service.api.deps import PageDep, SessionDep, require
from geo_service.api.responses import GeoJSONResponse
from geo_service.projects import repository as repo
from geo_service.spatial import parse_bbox

router = APIRouter(prefix="/api/v1", tags=["projects"])

StatusQ = Literal[
    "planned", "signed", "started", "under_construction", "completed", "in_production"
]
DomainQ = Literal[
    "innovation", "infrastructure", "industrial_transformation", "green_low_carbon", "livelihood"
]
INTERNAL = require("official", "bureau")


@router.get("/projects", response_class=GeoJSONResponse, dependencies=[INTERNAL])
def list_projects(
    session: SessionDep,
    page: PageDep,
    status: StatusQ | None = None,
    domain: DomainQ | None = None,
    leader: Annotated[str | None, Query(max_length=100)] = None,
    unit: Annotated[str | None, Query(max_length=200)] = None,
    bbox: Annotated[str | None, Query(max_length=200)] = None,
    overdue: bool | None = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    as_of: date | None = None,
) -> Any:
    """Projects as GeoJSON points/polygons, filtered."""
    filters = repo.ProjectFilter(
        status=status,
        domain=domain,
        leader=leader,
        unit=unit,
        bbox=parse_bbox(bbox) if bbox is not None else None,
        overdue=overdue,
        year=year,
        as_of=as_of,
    )
    features, total = repo.list_projects(
        session, filters=filters, limit=page.limit, offset=page.offset
    )
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": total,
            "numberReturned": len(features),
            "limit": page.limit,
            "offset": page.offset,
        }
    )


@router.get("/projects/{code}", response_class=GeoJSONResponse, dependencies=[INTERNAL])
def get_project(code: str, session: SessionDep, as_of: date | None = None) -> Any:
    feature = repo.get_project(session, code=code, as_of=as_of)
    return GeoJSONResponse(feature, headers={"ETag": f'"{feature["properties"]["version"]}"'})


@router.get("/problems", dependencies=[INTERNAL])
def list_problems(
    session: SessionDep,
    page: PageDep,
    status: Literal["open", "in_progress", "resolved"] | None = None,
    project: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    items, total = repo.list_problems(
        session, status=status, project=project, limit=page.limit, offset=page.offset
    )
    return {"items": items, "numberMatched": total, "numberReturned": len(items)}
