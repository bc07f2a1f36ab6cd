"""Routes: the supply map and a parcel's printable supply timeline (bureau, officials)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi import Path as FPath
from fastapi.responses import HTMLResponse

from geo_service.api.deps import SessionDep, SettingsDep, require
from geo_service.api.params import IsoDate
from geo_service.api.responses import HTML, Lang
from geo_service.api.responses import html_page as _html
from geo_service.maps import supply_pages
from geo_service.supply.events import STAGES

router = APIRouter(tags=["maps"])

Stage = Literal[STAGES]  # type: ignore[valid-type]


@router.get(
    "/maps/supply",
    response_class=HTMLResponse,
    responses=HTML,
    dependencies=[require("maps.supply")],
)
def supply_map(
    session: SessionDep,
    settings: SettingsDep,
    risk: Annotated[
        Literal["overdue", "idle", "warning", "paused", "breach", "defect", "conflict"] | None,
        Query(
            description="overdue: a missed clock or a step taken too early; idle: ≥ 1 or 2 "
            "years; warning: 90/30 days; breach: a commitment not kept; defect: a minimum "
            "period broken; conflict: records contradict each other"
        ),
    ] = None,
    stage: Annotated[Stage | None, Query(description="the detailed supply stage")] = None,
    grade: Annotated[
        Literal["A", "B", "C", "D", "building", "none"] | None, Query(description="亩均 grade")
    ] = None,
    zone: Annotated[str | None, Query(max_length=200)] = None,
    as_of: Annotated[IsoDate | None, Query(description="judge the clocks as of this day")] = None,
    lang: Lang = "zh",
) -> HTMLResponse:
    """Land supply (bureau/official): every parcel by idle and deadline risk, supply stage and
    亩均 grade, with days to its next deadline; filters, a result list and each parcel's
    timeline link. Stages, clocks, idle land and grades come from ``geo_service.supply``."""
    query = {"risk": risk, "stage": stage, "grade": grade, "zone": zone or None, "as_of": as_of}
    return _html(supply_pages.supply_page(session, settings, query=query, lang=lang))


@router.get(
    "/maps/parcels/{code}/timeline",
    response_class=HTMLResponse,
    responses=HTML,
    dependencies=[require("maps.supply")],
)
def parcel_timeline(
    code: Annotated[str, FPath(min_length=1, max_length=100, description="parcel code")],
    session: SessionDep,
    settings: SettingsDep,
    as_of: Annotated[IsoDate | None, Query(description="judge the clocks as of this day")] = None,
    lang: Lang = "zh",
) -> HTMLResponse:
    """A parcel's supply timeline (bureau/official), printable on A4: the dated events, each
    clock with its deadline, done / missed / provisional and why, suspensions, idle decisions,
    commitments and shortfalls, and the linked project with its problems and visits."""
    page = supply_pages.timeline_page(session, settings, code=code, as_of=as_of, lang=lang)
    return _html(page)
