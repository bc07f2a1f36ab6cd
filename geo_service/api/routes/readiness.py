"""Routes: net-land readiness of parcels, the bureau's attestations, runs and the report."""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from geo_service.api.deps import (
    OptionalIfMatchDep,
    PageDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    require,
)
from geo_service.api.params import ConditionKey, IsoDate, IsoDateTime
from geo_service.auth.tokens import Principal
from geo_service.readiness import queries, records_sheet, report
from geo_service.readiness.engine import run_readiness
from geo_service.readiness.rules import parse_as_of
from geo_service.readiness.schemas import (
    AttestationIn,
    HistoryOut,
    ReadinessOut,
    RunOut,
)

router = APIRouter(tags=["readiness"])

Bureau = Annotated[Principal, require("readiness.write")]
Staff = Annotated[Principal, require("readiness.read_internal")]


@router.get(
    "/api/v1/parcels/{code}/readiness",
    response_model=ReadinessOut,
    dependencies=[require("readiness.read")],
)
def get_readiness(
    code: str, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> Any:
    """The five net-land conditions of a parcel with their evidence and age.

    The public sees published parcels only, and of the evidence only status and distance.
    """
    return queries.parcel_readiness(
        session, code=code, settings=settings, public=principal.is_public
    )


@router.get("/api/v1/parcels/{code}/readiness/history", response_model=HistoryOut)
def get_history(
    code: str,
    session: SessionDep,
    _: Staff,
    page: PageDep,
    condition: Annotated[ConditionKey | None, Query(description="one condition")] = None,
) -> Any:
    """Every change of a condition's status: who or what, when, old → new, why."""
    return queries.history(
        session, code=code, condition=condition, limit=page.limit, offset=page.offset
    )


@router.put("/api/v1/parcels/{code}/conditions/{condition}", response_model=ReadinessOut)
def put_condition(
    code: str,
    condition: ConditionKey,
    body: AttestationIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Bureau,
    if_match: OptionalIfMatchDep,
) -> Any:
    """Attest or override one condition (status, reason, document, optional expiry).

    It shows as an override on every output until it expires or is revoked; the parcel is
    re-checked at once.
    """
    return queries.attest(
        session,
        code=code,
        condition=condition,
        status=body.status,
        reason=body.reason,
        document_ref=body.document_ref,
        expires_at=body.expires_at,
        evidence=body.evidence,
        actor=principal.actor,
        settings=settings,
        if_match=if_match,
    )


@router.delete(
    "/api/v1/parcels/{code}/conditions/{condition}/override", response_model=ReadinessOut
)
def delete_override(
    code: str,
    condition: ConditionKey,
    session: SessionDep,
    settings: SettingsDep,
    principal: Bureau,
) -> Any:
    """Revoke the live override of one condition; the checked result counts again."""
    return queries.revoke(
        session, code=code, condition=condition, actor=principal.actor, settings=settings
    )


@router.post("/api/v1/readiness/run", response_model=RunOut)
def post_run(
    request: Request,
    settings: SettingsDep,
    principal: Bureau,
    as_of: Annotated[
        IsoDate | IsoDateTime | None,
        Query(
            description="judge freshness as of a date (2024-06-30: the end of that day, local "
            "time) or an RFC 3339 date-time with offset",
        ),
    ] = None,
    only_marked: Annotated[
        bool, Query(description="only parcels marked by a change since the last run")
    ] = False,
) -> Any:
    """Re-check all parcels (one transaction; a failed run leaves the previous results)."""
    summary = run_readiness(
        request.app.state.engine,
        settings=settings,
        actor=principal.actor,
        as_of=parse_as_of(as_of.isoformat() if as_of is not None else None),
        only_marked=only_marked,
    )
    return {**summary.as_dict(), "summary": str(summary)}


@router.get(
    "/api/v1/readiness/report",
    response_class=Response,
    responses={200: {"content": {m: {} for m in report.MEDIA_TYPES.values()}}},
)
def get_report(
    session: SessionDep,
    settings: SettingsDep,
    _: Staff,
    format: Annotated[  # noqa: A002
        Literal["xlsx", "csv"], Query(description="xlsx (Excel) or csv (UTF-8)")
    ] = "xlsx",
) -> Response:
    """The readiness report per parcel, for Excel users.

    The XLSX adds the sheets 场地平整记录 surveys and 权属记录 titles: fill them in and send the
    file to POST /api/v1/records/import.
    """
    fmt = report.check_format(format)
    buf = io.BytesIO()
    sheets = records_sheet.sheet_rows(session) if fmt == "xlsx" else None
    report.write(queries.report_rows(session, settings=settings), fmt, buf, sheets)
    return Response(
        buf.getvalue(),
        media_type=report.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="readiness.{fmt}"'},
    )
