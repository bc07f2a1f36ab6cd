"""Routes: file imports for the land bureau (multipart upload, size-limited, all-or-nothing)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from geo_service.api.deps import SettingsDep, require
from geo_service.auth.tokens import Principal
from geo_service.errors import InvalidInput, TooLarge
from geo_service.importers import run_import

router = APIRouter(prefix="/api/v1", tags=["imports"])

_CHUNK = 1 << 20


def save_upload(upload: UploadFile, folder: Path, limit: int) -> Path:
    """Copy the upload to disk, refusing it (413) as soon as it passes ``limit`` bytes."""
    name = Path(upload.filename or "upload").name or "upload"
    dest = folder / name
    size = 0
    with dest.open("wb") as fh:
        while block := upload.file.read(_CHUNK):
            size += len(block)
            if size > limit:
                raise TooLarge(
                    f"the file is larger than the {limit:,} bytes allowed "
                    "(GEO_SERVICE_MAX_UPLOAD_BYTES); split it or ask the operator to raise it"
                )
            fh.write(block)
    if size == 0:
        raise InvalidInput(f"{name} is empty; attach the file as the multipart field 'file'")
    return dest


@router.post(
    "/imports",
    status_code=201,
    summary="Import a land file (parcels, zones, assessments, protected areas, networks)",
    responses={
        200: {"description": "dry run: the report of what would change"},
        413: {"description": "file larger than GEO_SERVICE_MAX_UPLOAD_BYTES"},
        422: {"description": "problems found; nothing written; `problems` lists every one"},
    },
)
def create_import(
    request: Request,
    settings: SettingsDep,
    principal: Annotated[Principal, require("imports.write")],
    file: Annotated[
        UploadFile,
        File(description="GeoJSON, GeoPackage, zipped Shapefile, or boundary-point CSV/XLSX"),
    ],
    kind: Annotated[
        Literal["parcels", "zones", "assessments", "protected", "infrastructure"], Form()
    ],
    crs: Annotated[str | None, Form(description="e.g. EPSG:4547; sets or overrides")] = None,
    layer: Annotated[str | None, Form(description="GeoPackage layer or XLSX sheet")] = None,
    network: Annotated[
        Literal["water", "power", "road"] | None,
        Form(description="infrastructure only: the network kind of the whole file"),
    ] = None,
    dry_run: Annotated[bool, Form()] = False,
    repair: Annotated[bool, Form()] = False,
) -> Any:
    """Everything in the file is written in one transaction, or nothing is (422 lists why)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.max_upload_bytes + 65_536:
        raise TooLarge(
            f"the upload is larger than the {settings.max_upload_bytes:,} bytes allowed "
            "(GEO_SERVICE_MAX_UPLOAD_BYTES)"
        )
    folder = Path(tempfile.mkdtemp(prefix="geo-upload-"))
    try:
        path = save_upload(file, folder, settings.max_upload_bytes)
        report = run_import(
            request.app.state.engine,
            kind=kind,
            path=path,
            settings=settings,
            actor=principal.actor,
            crs=crs,
            layer=layer,
            dry_run=dry_run,
            repair=repair,
            infra_kind=network,
            file_name=path.name,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return JSONResponse(report.to_dict(), status_code=200 if dry_run else 201)
