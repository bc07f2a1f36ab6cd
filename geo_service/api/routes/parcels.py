"""Parcels: the register as GeoJSON, filtered by role; create and edit for the land bureau."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import ConfigDict, Field, StringConstraints

from geo_service.api import params
from geo_service.api.deps import (
    IfMatchDep,
    PageDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    etag,
    require_action,
)
from geo_service.api.params import BBoxQ
from geo_service.api.responses import (
    COLLECTION_SCHEMA,
    FEATURE_SCHEMA,
    GeoJSONResponse,
    feature_collection,
    geojson,
)
from geo_service.auth import policy
from geo_service.errors import InvalidInput
from geo_service.parcels import edits
from geo_service.parcels import repository as repo
from geo_service.wire import JsonBody

router = APIRouter(prefix="/api/v1/parcels", tags=["parcels"])

ONE = geojson(200, FEATURE_SCHEMA)


@router.get(
    "",
    response_class=GeoJSONResponse,
    responses=geojson(200, COLLECTION_SCHEMA),
    dependencies=[require_action("parcels.read")],
)
def list_parcels(
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    page: PageDep,
    bbox: BBoxQ = None,
    zone: Annotated[str | None, Query(max_length=64, description="zone code")] = None,
    net_land: Annotated[bool | None, Query(description="only (non-)net land")] = None,
    min_area_mu: Annotated[float | None, Query(ge=0, le=1e7)] = None,
    max_area_mu: Annotated[float | None, Query(ge=0, le=1e7)] = None,
) -> Any:
    """Parcels touching the bbox and matching the filters, as a FeatureCollection.

    An area range given the wrong way round (min above max) is read as the range between them.
    """
    min_area_mu, max_area_mu = params.ordered(min_area_mu, max_area_mu)
    filters = repo.ParcelFilter(
        bbox=params.bbox(bbox),
        zone=zone,
        net_land=net_land,
        min_area_mu=min_area_mu,
        max_area_mu=max_area_mu,
        published_only=policy.published_only(principal),
    )
    fields = policy.visible_fields(principal, "parcel", settings)
    features, total = repo.list_parcels(
        session, filters=filters, limit=page.limit, offset=page.offset, fields=fields
    )
    return feature_collection(features, total, page)


@router.get(
    "/{code}",
    response_class=GeoJSONResponse,
    responses=ONE,
    dependencies=[require_action("parcels.read")],
)
def get_parcel(
    code: str, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> Any:
    """One parcel as a GeoJSON Feature (404 also for parcels the caller may not see)."""
    fields = policy.visible_fields(principal, "parcel", settings)
    feature = repo.get_parcel(
        session, code=code, published_only=policy.published_only(principal), fields=fields
    )
    return GeoJSONResponse(feature, headers={"ETag": _etag_of(feature)})


def _etag_of(feature: dict[str, Any]) -> str:
    """The record version for editors; for the public view (no version) a hash of the content."""
    version = feature["properties"].get("version")
    if version is not None:
        return etag(int(version))
    digest = hashlib.sha256(json.dumps(feature, sort_keys=True, default=str).encode()).hexdigest()
    return f'W/"{digest[:20]}"'


# ------------------------------------------------------------------ writes (land bureau)

Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][\w.\-]*$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(max_length=100)]
SupplyStage = Literal["plan", "notice", "sale", "contract", "handed_over"]


class Indicator(JsonBody):
    """One control indicator (控制指标); the list varies by industry."""

    model_config = ConfigDict(extra="allow")

    key: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    label: Annotated[str, StringConstraints(max_length=100)] | None = None
    min: float | None = Field(default=None, allow_inf_nan=False)
    max: float | None = Field(default=None, allow_inf_nan=False)
    value: float | None = Field(default=None, allow_inf_nan=False)
    unit: Annotated[str, StringConstraints(max_length=32)] | None = None


class PolygonGeometry(JsonBody):
    """GeoJSON Polygon or MultiPolygon in lon/lat (EPSG:4490)."""

    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any] = Field(min_length=1)


class ParcelFields(JsonBody):
    model_config = ConfigDict(extra="forbid")

    zone: Annotated[str, StringConstraints(max_length=64)] | None = None
    published: bool = False
    supply_stage: SupplyStage = "plan"
    land_use: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "industrial"
    industry: Short | None = None
    indicators: list[Indicator] = Field(default_factory=list, max_length=50)
    contact: Annotated[str, StringConstraints(max_length=200)] | None = None
    notes: Annotated[str, StringConstraints(max_length=4000)] | None = None


class NewParcelProperties(ParcelFields):
    code: Code
    name: Name


class NewParcel(JsonBody):
    """A GeoJSON Feature: the parcel's geometry (lon/lat) and its properties."""

    type: Literal["Feature"]
    id: Annotated[str, StringConstraints(max_length=64)] | None = None
    geometry: PolygonGeometry
    properties: NewParcelProperties


class ParcelPatch(JsonBody):
    """Fields to change; those left out keep their value. ``null`` clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    zone: Annotated[str, StringConstraints(max_length=64)] | None = None
    published: bool | None = None
    supply_stage: SupplyStage | None = None
    land_use: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    industry: Short | None = None
    indicators: list[Indicator] | None = Field(default=None, max_length=50)
    contact: Annotated[str, StringConstraints(max_length=200)] | None = None
    notes: Annotated[str, StringConstraints(max_length=4000)] | None = None
    geometry: PolygonGeometry | None = None


#: fields that cannot be cleared with null
_REQUIRED = ("name", "published", "supply_stage", "land_use", "indicators", "geometry")


@router.post(
    "",
    status_code=201,
    response_class=GeoJSONResponse,
    responses=geojson(201, FEATURE_SCHEMA),
    dependencies=[require_action("parcels.write")],
)
def create_parcel(
    body: NewParcel, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> Any:
    """Add a parcel (land bureau). 409 when the code exists; geometry must be valid and inside
    the district."""
    props = body.properties
    if body.id is not None and body.id != props.code:
        raise InvalidInput(
            f"the feature id {body.id!r} differs from properties.code {props.code!r}; "
            "leave id out or make them equal"
        )
    wkb = edits.validate_geometry(
        session,
        body.geometry.model_dump(),
        max_vertices=settings.max_vertices,
        boundary=settings.district_boundary,
    )
    values = props.model_dump(mode="json")
    edits.create_parcel(session, values=values, wkb=wkb, actor=principal.actor)
    feature = repo.get_parcel(session, code=props.code)
    return GeoJSONResponse(
        feature,
        status_code=201,
        headers={
            "ETag": etag(feature["properties"]["version"]),
            "Location": f"/api/v1/parcels/{props.code}",
        },
    )


@router.patch(
    "/{code}",
    response_class=GeoJSONResponse,
    responses=ONE,
    dependencies=[require_action("parcels.write")],
)
def update_parcel(
    code: Annotated[str, Path(max_length=64)],
    body: ParcelPatch,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> Any:
    """Change some fields of a parcel (land bureau). Needs ``If-Match`` with the ETag of your last
    GET: 428 without it, 412 (with the current version) when someone changed it meanwhile."""
    version = edits.lock_parcel(session, code)
    if_match.check(version)
    changes = body.model_dump(mode="json", exclude_unset=True)
    cleared = [k for k in _REQUIRED if k in changes and changes[k] is None]
    if cleared:
        raise InvalidInput(f"{', '.join(cleared)} cannot be cleared (null); leave it out instead")
    geometry = changes.pop("geometry", None)
    wkb = None
    if geometry is not None:
        wkb = edits.validate_geometry(
            session,
            geometry,
            max_vertices=settings.max_vertices,
            boundary=settings.district_boundary,
        )
    edits.update_parcel(session, code=code, changes=changes, wkb=wkb, actor=principal.actor)
    feature = repo.get_parcel(session, code=code)
    return GeoJSONResponse(feature, headers={"ETag": etag(feature["properties"]["version"])})
