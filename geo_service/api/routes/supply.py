"""Routes: a parcel's supply history and clocks, recording events, the idle-land check."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from geo_service.api.deps import PrincipalDep, SessionDep, SettingsDep, require_action
from geo_service.auth import policy
from geo_service.auth.tokens import Principal
from geo_service.counties import scope as county_scope
from geo_service.errors import InvalidInput, TooLarge
from geo_service.maps.supply_text import finding_describer
from geo_service.supply import county_clocks, ledger_xlsx, service
from geo_service.supply.schemas import SupplyEventIn

router = APIRouter(tags=["supply"])

Writer = Annotated[Principal, require_action("supply.write")]
Staff = Annotated[Principal, require_action("supply.read_internal")]
AsOf = Annotated[date | None, Query(description="judge as of this day (YYYY-MM-DD); default today")]


@router.get("/api/v1/parcels/{code}/supply", dependencies=[require_action("supply.read")])
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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/api/v1/supply/ledger/export",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def export_ledger(
    session: SessionDep, settings: SettingsDep, _: Staff, as_of: AsOf = None
) -> Response:
    """The supply ledger (出让台账): a summary per parcel and every event (XLSX)."""
    describe = finding_describer(settings.maps_dir)
    data = ledger_xlsx.export_ledger(session, settings=settings, as_of=as_of, describe=describe)
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="supply-ledger.xlsx"'},
    )


@router.post("/api/v1/supply/ledger/import")
def import_ledger(
    file: UploadFile,
    session: SessionDep,
    settings: SettingsDep,
    principal: Writer,
    dry_run: bool = False,
) -> Any:
    """New rows of the 供地事件 sheet (no 事件编号) become events, checked like the API's; any
    problem → 422 listing every row, and nothing is written."""
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(
            f"the file is larger than {settings.max_upload_bytes} bytes "
            "(GEO_SERVICE_MAX_UPLOAD_BYTES)"
        )
    if not data:
        raise InvalidInput("the uploaded file is empty; attach the ledger as form field 'file'")
    return ledger_xlsx.import_ledger(
        session, data=data, actor=principal.actor, settings=settings, dry_run=dry_run
    )


@router.get("/api/v1/supply/rules", dependencies=[require_action("supply.read")])
def get_rules(session: SessionDep, settings: SettingsDep, _: PrincipalDep) -> Any:
    """The clocks in force (defaults and the division's overrides), with source and verified;
    with ``county=`` that county's (its stored overrides too, ``supply/county_clocks.py``)."""
    division = county_scope.current() or settings.supply.division
    rules = county_clocks.rules_in(session, settings, division)
    return {"division": division, "rules": [r.model_dump() for r in rules]}
