"""Routes: a parcel's supply history and clocks, recording events, the idle-land check."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from geo_service.api.deps import PrincipalDep, SessionDep, SettingsDep, require_action
from geo_service.auth import policy
from geo_service.auth.tokens import Principal
from geo_service.supply import service
from geo_service.supply.schemas import SupplyEventIn

router = APIRouter(tags=["supply"])

Writer = Annotated[Principal, require_action("supply.write")]
Staff = Annotated[Principal, require_action("supply.read_internal")]
AsOf = Annotated[date | None, Query(description="judge as of this day (YYYY-MM-DD); default today")]


@router.get("/api/v1/parcels/{code}/supply")
def get_supply(
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    as_of: AsOf = None,
) -> Any:
    """Stage, events, deadlines (with source and verified flag) and idle status of a parcel.

    The public sees a published parcel's stage, the notice's public dates and public clocks.
    """
    internal = policy.can(principal, "supply.read_internal")
    return service.parcel_supply(
        session, code=code, settings=settings, as_of=as_of, public=not internal
    )


@router.post("/api/v1/parcels/{code}/supply/events", status_code=201)
def post_event(
    code: str, body: SupplyEventIn, session: SessionDep, settings: SettingsDep, principal: Writer
) -> Any:
    """Record one dated event (a correction is a new event with ``corrects``); 422 with the
    reason when it is out of order. The parcel's ``supply_stage`` follows in the same
    transaction."""
    new_id = service.record_event(
        session,
        code=code,
        body=body.model_dump(),
        actor=principal.actor,
        settings=settings,
    )
    answer = service.parcel_supply(session, code=code, settings=settings, as_of=None, public=False)
    answer["recorded"] = next(e for e in answer["events"] if e["id"] == new_id)
    return JSONResponse(jsonable_encoder(answer), status_code=201)


@router.get("/api/v1/supply/idle")
def get_idle(session: SessionDep, settings: SettingsDep, _: Staff, as_of: AsOf = None) -> Any:
    """The daily check (as ``geo-service supply check``): clocks, idle land, warnings, fees."""
    return service.check_all(session, settings=settings, as_of=as_of)


@router.get("/api/v1/supply/grades")
def get_grades(
    session: SessionDep,
    settings: SettingsDep,
    _: Staff,
    year: Annotated[
        int | None, Query(ge=1990, le=2100, description="the year graded; default last year")
    ] = None,
) -> Any:
    """亩均论英雄: yearly tax and value added per 亩 and the A/B/C/D grade of each enterprise in
    production (from annual_figures events); those still building are listed, not graded."""
    return service.grades(session, settings=settings, year=year or service.today().year - 1)


@router.get("/api/v1/supply/rules")
def get_rules(settings: SettingsDep, _: PrincipalDep) -> Any:
    """The clocks in force (defaults and the division's overrides), with source and verified."""
    return {
        "division": settings.supply.division,
        "rules": [r.model_dump() for r in settings.supply.rules_for()],
    }
