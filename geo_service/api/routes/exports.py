"""Routes: file exports, filtered by role like everything else."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from geo_service.api.deps import PrincipalDep, SettingsDep, require_by
from geo_service.auth import policy
from geo_service.counties import scope as county_scope
from geo_service.exports import FORMATS, export

router = APIRouter(prefix="/api/v1", tags=["exports"])

Fmt = Literal["geojson", "gpkg", "shp", "kml", "xlsx", "csv"]


@router.get(
    "/exports/{what}",
    summary="Download parcels, projects or readiness as a GIS or Excel file",
    response_class=FileResponse,
    responses={
        200: {
            "description": "the file (Shapefile: a .zip with .prj and a UTF-8 .cpg)",
            "content": {f.media_type.split(";")[0]: {} for f in FORMATS.values()},
        },
    },
    # who may export what is the policy's: parcels for everyone, the rest internal
    dependencies=[
        require_by(
            "what",
            {
                "parcels": "exports.read",
                "projects": "exports.internal",
                "readiness": "exports.internal",
            },
        )
    ],
)
def get_export(
    request: Request,
    what: Literal["parcels", "projects", "readiness"],
    settings: SettingsDep,
    principal: PrincipalDep,
    format: Annotated[Fmt, Query(description="file format")] = "geojson",  # noqa: A002
) -> FileResponse:
    """The public gets published parcels with public fields only."""
    public = policy.published_only(principal)
    fields = policy.visible_fields(principal, "parcel", settings)
    f = FORMATS[format]
    folder = Path(tempfile.mkdtemp(prefix="geo-export-"))
    county = county_scope.current()  # the county asked for or walled to: in the file's name
    out = folder / (f"{what}-{county}{f.suffix}" if county else f"{what}{f.suffix}")
    try:
        export(
            request.app.state.engine,
            what=what,
            fmt=format,
            out=out,
            public=public,
            fields=sorted(fields or ()),
            chunk_rows=settings.export_chunk_rows,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        out,
        media_type=f.media_type,
        filename=out.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
