"""Routes: site surveys and title records behind the leveling and title conditions.

Append-only (no If-Match): each POST adds a record, audited, and re-checks the parcel at once.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from geo_service.api.deps import SessionDep, SettingsDep, require_action
from geo_service.api.routes.imports import save_upload
from geo_service.auth.tokens import Principal
from geo_service.readiness import records, records_upload
from geo_service.readiness.records import SurveyIn, TitleIn

router = APIRouter(prefix="/api/v1", tags=["records"])

Writer = Annotated[Principal, require_action("records.write")]
Reader = Annotated[Principal, require_action("records.read")]

_CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "recorded; the answer shows the condition as it is now"}
}


@router.post("/parcels/{code}/surveys", status_code=201, responses=_CREATED)
def post_survey(
    code: str, body: SurveyIn, session: SessionDep, settings: SettingsDep, principal: Writer
) -> Any:
    """Record a site survey (场地平整). The parcel's leveling condition is re-checked at once:
    met when leveled with no earthwork outstanding; the survey date is the evidence date."""
    return records.add_record(
        session, kind="survey", code=code, rec=body, actor=principal.actor, settings=settings
    )


@router.get("/parcels/{code}/surveys")
def get_surveys(code: str, session: SessionDep, _: Reader) -> Any:
    """Every site survey of a parcel, newest first; ``counts`` marks the one that decides."""
    return records.list_records(session, kind="survey", code=code)


@router.post("/parcels/{code}/title-records", status_code=201, responses=_CREATED)
def post_title(
    code: str, body: TitleIn, session: SessionDep, settings: SettingsDep, principal: Writer
) -> Any:
    """Record the title situation (权属). The parcel's title condition is re-checked at once:
    met when state-owned, requisitioned, compensated, without open disputes or overlaps."""
    return records.add_record(
        session, kind="title", code=code, rec=body, actor=principal.actor, settings=settings
    )


@router.get("/parcels/{code}/title-records")
def get_titles(code: str, session: SessionDep, _: Reader) -> Any:
    """Every title record of a parcel, newest first; ``counts`` marks the one that decides."""
    return records.list_records(session, kind="title", code=code)


@router.post(
    "/records/import",
    status_code=201,
    responses={
        200: {"description": "dry run: what would be added"},
        422: {"description": "problems found; nothing written; `problems` names sheet/row/column"},
    },
)
def post_import(
    session: SessionDep,
    settings: SettingsDep,
    principal: Writer,
    file: Annotated[
        UploadFile,
        File(description="the readiness report XLSX with its records sheets filled in"),
    ],
    dry_run: Annotated[bool, Form()] = False,
) -> Any:
    """Read the sheets 场地平整记录 surveys and 权属记录 titles back: every row that differs from
    the records on file is added, all or nothing, and the parcels are re-checked at once."""
    folder = Path(tempfile.mkdtemp(prefix="geo-records-"))
    try:
        path = save_upload(file, folder, settings.max_upload_bytes)
        result = records_upload.import_file(
            session,
            path=path,
            display=path.name,
            actor=principal.actor,
            settings=settings,
            dry_run=dry_run,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return JSONResponse(result.to_dict(), status_code=200 if dry_run else 201)
