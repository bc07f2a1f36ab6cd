"""The ledger as an Excel file: export (officials, land bureau) and import (officials)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import Response

from geo_service.api.deps import SessionDep, SettingsDep, require
from geo_service.auth.tokens import Principal
from geo_service.errors import InvalidInput, TooLarge
from geo_service.projects import ledger as ledger_file
from geo_service.projects.repository import latest_year

router = APIRouter(prefix="/api/v1/ledger", tags=["projects"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/export",
    dependencies=[require("projects.read")],
    responses={200: {"content": {XLSX: {}}}},
    response_class=Response,
)
def export_ledger(
    session: SessionDep,
    settings: SettingsDep,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    """The project ledger (项目台账 + 问题清单) as XLSX with Chinese headers."""
    y = year or settings.ledger_year or latest_year(session) or date.today().year
    data = ledger_file.export_ledger(session, year=y)
    name = f"ledger-{y}.xlsx"
    return Response(
        data,
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"; '
            f"filename*=UTF-8''%E9%87%8D%E7%82%B9%E9%A1%B9%E7%9B%AE%E5%8F%B0%E8%B4%A6-{y}.xlsx"
        },
    )


@router.post("/import")
def import_ledger(
    file: UploadFile,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, require("projects.write")],
    dry_run: bool = False,
) -> dict[str, Any]:
    """Update the projects named by 项目编号 from an edited export (XLSX, CSV or GeoJSON), and
    the problems named by 问题编号 from its sheet 问题清单 (when the workbook has one).

    Every cell of both sheets is checked first; any problem → 422 listing each by sheet, row
    and column, and nothing is written. ``problem_sheet`` counts the problems (null without
    the sheet).
    """
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(
            f"the file is larger than {settings.max_upload_bytes} bytes "
            "(GEO_SERVICE_MAX_UPLOAD_BYTES)"
        )
    if not data:
        raise InvalidInput("the uploaded file is empty; attach the ledger as form field 'file'")
    return ledger_file.import_ledger(
        session,
        data=data,
        filename=file.filename or "upload.xlsx",
        actor=principal.actor,
        dry_run=dry_run,
    )
