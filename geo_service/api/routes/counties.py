"""The counties of the city: ``GET /api/v1/counties`` (codes, names, outlines; everyone)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from geo_service.api.deps import SessionDep, require
from geo_service.counties.service import as_feature, list_counties

router = APIRouter(prefix="/api/v1", tags=["counties"])


@router.get(
    "/counties",
    dependencies=[require("counties.read")],
    summary="The counties and districts on this service",
    description=(
        "A GeoJSON FeatureCollection, one feature per county (id and `county`: its division "
        "code); `home`: the county records without one belong to. Use a code as `county=` on "
        "lists, stats, maps, tiles and exports."
    ),
)
def get_counties(session: SessionDep) -> dict[str, Any]:
    feats = [as_feature(r) for r in list_counties(session)]
    return {"type": "FeatureCollection", "features": feats, "numberReturned": len(feats)}
