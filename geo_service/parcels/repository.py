"""Reading and writing parcels. Keyword-only functions taking a Session; no HTTP here."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from geo_service.errors import InvalidInput, NotFound
from geo_service.parcels.models import Parcel, Zone
from geo_service.readiness.models import ParcelCondition, ParcelMark
from geo_service.spatial import SQM_PER_MU, BBox, m2_to_mu

#: fields only the land bureau and officials see
INTERNAL_FIELDS = ("notes", "published", "needs_check", "version", "updated_at")

#: a parcel is net land when all five conditions are met
_met_count = (
    select(func.count())
    .where(ParcelCondition.parcel_id == Parcel.id, ParcelCondition.status == "met")
    .correlate(Parcel)
    .scalar_subquery()
)
NET_LAND = (_met_count == 5).label("net_land")
#: due for a readiness check: marked by a write, or never checked (migration 0014_parcel_marks)
NEEDS_CHECK = or_(
    exists().where(ParcelMark.parcel_id == Parcel.id).correlate(Parcel),
    ~exists().where(ParcelCondition.parcel_id == Parcel.id).correlate(Parcel),
).label("needs_check")


@dataclass(frozen=True)
class ParcelFilter:
    bbox: BBox | None = None
    zone: str | None = None
    net_land: bool | None = None
    min_area_mu: float | None = None
    max_area_mu: float | None = None
    published_only: bool = False


def _base_query(f: ParcelFilter) -> Select[Any]:
    q = (
        select(
            Parcel,
            Zone.code.label("zone_code"),
            Zone.name.label("zone_name"),
            NET_LAND,
            NEEDS_CHECK,
            func.ST_AsGeoJSON(Parcel.geom, 7, 0).label("geojson"),
        )
        .outerjoin(Zone, Zone.id == Parcel.zone_id)
        .order_by(Parcel.code)
    )
    conds: list[ColumnElement[bool]] = []
    if f.published_only:
        conds.append(Parcel.published.is_(True))
    if f.bbox is not None:
        env = func.ST_MakeEnvelope(*f.bbox.as_tuple(), 4490)
        conds.append(func.ST_Intersects(Parcel.geom, env))
    if f.zone is not None:
        conds.append(Zone.code == f.zone)
    if f.min_area_mu is not None:
        conds.append(Parcel.area_m2 >= f.min_area_mu * SQM_PER_MU)
    if f.max_area_mu is not None:
        conds.append(Parcel.area_m2 <= f.max_area_mu * SQM_PER_MU)
    if f.net_land is not None:
        conds.append(NET_LAND.expression == f.net_land)  # type: ignore[attr-defined]
    if conds:
        q = q.where(and_(*conds))
    return q


def to_properties(
    parcel: Parcel,
    zone_code: str | None,
    zone_name: str | None,
    net_land: bool,
    needs_check: bool,
) -> dict[str, Any]:
    """All fields of a parcel as GeoJSON properties (role filtering happens in the caller)."""
    return {
        "code": parcel.code,
        "county": parcel.county,
        "name": parcel.name,
        "zone": zone_code,
        "zone_name": zone_name,
        "area_m2": round(parcel.area_m2, 1),
        "area_mu": m2_to_mu(parcel.area_m2),
        "land_use": parcel.land_use,
        "industry": parcel.industry,
        "supply_stage": parcel.supply_stage,
        "indicators": parcel.indicators,
        "contact": parcel.contact,
        "net_land": bool(net_land),
        "published": parcel.published,
        "notes": parcel.notes,
        "needs_check": bool(needs_check),
        "version": parcel.version,
        "updated_at": parcel.updated_at.isoformat() if parcel.updated_at else None,
    }


def _feature(row: Any, fields: Collection[str] | None) -> dict[str, Any]:
    props = to_properties(row.Parcel, row.zone_code, row.zone_name, row.net_land, row.needs_check)
    if fields is not None:
        props = {k: v for k, v in props.items() if k in fields}
    return {
        "type": "Feature",
        "id": row.Parcel.code,
        "geometry": json.loads(row.geojson),
        "properties": props,
    }


def select_parcels(*, published_only: bool = False) -> Select[Any]:
    """The register's query (rows: Parcel, zone_code, zone_name, net_land, needs_check,
    geojson), ordered by code, for callers that add their own conditions and columns (the OGC
    API)."""
    return _base_query(ParcelFilter(published_only=published_only))


def parcel_feature(row: Any, fields: Collection[str] | None = None) -> dict[str, Any]:
    """A row of :func:`select_parcels` as a GeoJSON feature with the ``fields`` shown."""
    return _feature(row, fields)


def list_parcels(
    session: Session,
    *,
    filters: ParcelFilter,
    limit: int,
    offset: int = 0,
    fields: Collection[str] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """GeoJSON features of the matching parcels (one page) and the total number matched.

    An unknown zone is a mistake (422 naming the zones), not an empty answer."""
    if (
        filters.zone is not None
        and session.execute(select(Zone.id).where(Zone.code == filters.zone)).first() is None
    ):
        known = ", ".join(session.execute(select(Zone.code).order_by(Zone.code)).scalars())
        raise InvalidInput(
            f"zone {filters.zone!r} is not a zone code; the zones are: {known or 'none yet'}"
        )
    q = _base_query(filters)
    total = session.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar()
    rows = session.execute(q.limit(limit).offset(offset)).all()
    return [_feature(r, fields) for r in rows], int(total or 0)


def get_parcel(
    session: Session,
    *,
    code: str,
    published_only: bool = False,
    fields: Collection[str] | None = None,
) -> dict[str, Any]:
    """One parcel as a GeoJSON feature; NotFound when it does not exist (or is not visible)."""
    q = _base_query(ParcelFilter(published_only=published_only)).where(Parcel.code == code)
    row = session.execute(q).first()
    if row is None:
        raise NotFound(f"no parcel with code {code!r}; list codes with GET /api/v1/parcels")
    return _feature(row, fields)


def parcel_id(session: Session, code: str, *, published_only: bool = False) -> int:
    q = select(Parcel.id).where(Parcel.code == code)
    if published_only:
        q = q.where(Parcel.published.is_(True))
    pid = session.execute(q).scalar()
    if pid is None:
        raise NotFound(f"no parcel with code {code!r}; list codes with GET /api/v1/parcels")
    return int(pid)
