"""Parcels: the register as GeoJSON, filtered by role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from geo_service.api.deps import PageDep, PrincipalDep, SessionDep, SettingsDep
from geo_service.api.responses import GeoJSONResponse
from geo_service.errors import InvalidInput
from geo_service.parcels import repository as repo
from geo_service.spatial import parse_bbox

router = APIRouter(prefix="/api/v1/parcels", tags=["parcels"])

GEOJSON = {200: {"content": {"application/geo+json": {}}}}


@router.get("", response_class=GeoJSONResponse, responses=GEOJSON)
def list_parcels(
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    page: PageDep,
    bbox: Annotated[
        str | None,
        Query(description="minlon,minlat,maxlon,maxlat (EPSG:4490)", max_length=200),
    ] = None,
    zone: Annotated[str | None, Query(max_length=64, description="zone code")] = None,
    net_land: Annotated[bool | None, Query(description="only (non-)net land")] = None,
    min_area_mu: Annotated[float | None, Query(ge=0, le=1e7)] = None,
    max_area_mu: Annotated[float | None, Query(ge=0, le=1e7)] = None,
) -> Any:
    """Parcels touching the bbox and matching the filters, as a FeatureCollection."""
    if min_area_mu is not None and max_area_mu is not None and min_area_mu > max_area_mu:
        raise InvalidInput("min_area_mu must not exceed max_area_mu")
    filters = repo.ParcelFilter(
        bbox=parse_bbox(bbox) if bbox is not None else None,
        zone=zone,
        net_land=net_land,
        min_area_mu=min_area_mu,
        max_area_mu=max_area_mu,
        published_only=principal.is_public,
    )
    fields = settings.public_parcel_fields if principal.is_public else None
    features, total = repo.list_parcels(
        session, filters=filters, limit=page.limit, offset=page.offset, fields=fields
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


@router.get("/{code}", response_class=GeoJSONResponse, responses=GEOJSON)
def get_parcel(
    code: str, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> Any:
    """One parcel as a GeoJSON Feature (404 also for parcels the caller may not see)."""
    fields = settings.public_parcel_fields if principal.is_public else None
    feature = repo.get_parcel(session, code=code, published_only=principal.is_public, fields=fields)
    headers = {}
    if "version" in feature["properties"]:
        headers["ETag"] = f'"{feature["properties"]["version"]}"'
    return GeoJSONResponse(feature, headers=headers)
