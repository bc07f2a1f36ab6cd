"""Features of a collection: one page, one feature, the extent; transformed in PostGIS.

Every condition is a SQLAlchemy expression with bound parameters on whitelisted columns; the
output geometry is ``ST_Transform``-ed to the requested CRS and its axes swapped when that CRS
puts north first (see ``ogc/crs.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import shapely
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from geo_service.errors import NotFound
from geo_service.ogc.collections import Collection, Field
from geo_service.ogc.crs import BadParameter, ServedCrs
from geo_service.ogc.params import Interval
from geo_service.parcels.edits import district_boundary_wkb
from geo_service.spatial import STORAGE_SRID


@dataclass
class ItemQuery:
    limit: int
    offset: int = 0
    out_crs: ServedCrs | None = None
    where: list[ColumnElement[bool]] = field(default_factory=list)


def _out_geometry(coll: Collection, crs: ServedCrs | None) -> ColumnElement[Any]:
    g: ColumnElement[Any] = coll.geom
    digits = 9
    if crs is not None:
        if crs.srid != STORAGE_SRID:
            g = func.ST_Transform(g, crs.srid)
        if crs.north_first:
            g = func.ST_FlipCoordinates(g)
        digits = crs.digits
    return func.ST_AsGeoJSON(g, digits, 0)


def bbox_condition(coll: Collection, values: Sequence[float], crs: ServedCrs) -> Any:
    """Features whose geometry intersects the box given in ``crs`` (its own axis order)."""
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    a1, b1, a2, b2 = values
    x1, y1, x2, y2 = (b1, a1, b2, a2) if crs.north_first else (a1, b1, a2, b2)
    if crs.geographic:
        order = "lat,lon" if crs.north_first else "lon,lat"
        if not (-180 <= x1 <= 180 and -180 <= x2 <= 180 and -90 <= y1 <= 90 and -90 <= y2 <= 90):
            raise BadParameter(
                f"bbox is outside the valid range for {crs.uri} (axis order {order}); check the "
                "axis order or send bbox-crs"
            )
    if x1 > x2 or y1 > y2:
        raise BadParameter(
            "bbox: the lower corner must not exceed the upper corner (boxes across the "
            "antimeridian are not supported)"
        )
    env: ColumnElement[Any] = func.ST_MakeEnvelope(x1, y1, x2, y2, crs.srid)
    if crs.srid != STORAGE_SRID:
        step = max(x2 - x1, y2 - y1) / 32 or 1.0
        env = func.ST_Transform(func.ST_Segmentize(env, step), STORAGE_SRID)
    return func.ST_Intersects(coll.geom, env)


def datetime_condition(coll: Collection, fields: Sequence[Field], when: Interval) -> Any:
    """Features whose time (start..end fields) meets the interval; None when there is none the
    caller may see (the parameter is then ignored, as for a collection without time)."""
    if coll.temporal is None:
        return None
    by_name = {f.name: f for f in fields}
    start, end = (by_name.get(n) for n in coll.temporal)
    if start is None or end is None or start.column is None or end.column is None:
        return None
    conds: list[Any] = []
    if when.end is not None:
        conds.append(start.column <= when.end)
    if when.start is not None:
        conds.append(func.coalesce(end.column, start.column) >= when.start)
    return and_(*conds) if conds else None


def _feature(
    coll: Collection, row: Any, names: Sequence[str], geometry: str | None
) -> dict[str, Any]:
    props = coll.properties(row)
    return {
        "type": "Feature",
        "id": props["code"],
        "geometry": json.loads(geometry) if geometry else None,
        # every feature carries every visible key (null when empty): QGIS reads the first few
        "properties": {n: props.get(n) for n in names},
    }


def list_items(
    session: Session,
    coll: Collection,
    *,
    fields: Sequence[Field],
    published_only: bool,
    settings: Any,
    q: ItemQuery,
) -> tuple[list[dict[str, Any]], int]:
    """One page of features (stable order: by code) and the number matched."""
    base = coll.query(published_only, settings)
    if q.where:
        base = base.where(and_(*q.where))
    matched = session.execute(
        select(func.count()).select_from(base.order_by(None).subquery())
    ).scalar_one()
    stmt = base.add_columns(_out_geometry(coll, q.out_crs).label("ogc_geometry"))
    rows = session.execute(stmt.limit(q.limit).offset(q.offset)).all()
    names = [f.name for f in fields]
    return [_feature(coll, r, names, r.ogc_geometry) for r in rows], int(matched)


def get_item(
    session: Session,
    coll: Collection,
    code: str,
    *,
    fields: Sequence[Field],
    published_only: bool,
    settings: Any,
    out_crs: ServedCrs | None,
) -> dict[str, Any]:
    """One feature by code; NotFound (the same for hidden and missing records)."""
    stmt = (
        coll.query(published_only, settings)
        .where(coll.code == code)
        .add_columns(_out_geometry(coll, out_crs).label("ogc_geometry"))
    )
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound(
            f"no feature {code!r} in collection {coll.id!r}; list them at "
            f"/ogc/collections/{coll.id}/items"
        )
    return _feature(coll, row, [f.name for f in fields], row.ogc_geometry)


def extent(
    session: Session,
    coll: Collection,
    *,
    fields: Sequence[Field],
    published_only: bool,
    settings: Any,
) -> tuple[list[float] | None, list[str | None] | None]:
    """The CRS84 bbox of what the caller sees, and its time span when the caller may see the
    collection's time fields."""
    sub = coll.query(published_only, settings).order_by(None).subquery()
    ext = func.ST_Extent(sub.c.geom)
    cols: list[Any] = [func.ST_XMin(ext), func.ST_YMin(ext), func.ST_XMax(ext), func.ST_YMax(ext)]
    shown = {f.name for f in fields}
    timed = coll.temporal is not None and set(coll.temporal) <= shown
    if timed and coll.temporal is not None:
        s, e = (sub.c[n] for n in coll.temporal)
        cols += [func.min(s), func.max(func.coalesce(e, s))]
    row = session.execute(select(*cols)).one()
    bbox = None if row[0] is None else [round(float(v), 7) for v in row[:4]]
    temporal = [_rfc3339(row[4]), _rfc3339(row[5])] if timed else None
    return bbox, temporal


def _rfc3339(v: Any) -> str | None:
    if v is None:
        return None
    text = v.isoformat()
    if len(text) == 10:
        text += "T00:00:00"
    return text.replace("+00:00", "Z") if "+" in text else text + "Z"


def strong_etag(feature: dict[str, Any], version: int | None) -> str:
    """``"<version>"`` for staff (what If-Match names); a content hash for the public view."""
    if version is not None:
        return f'"{version}"'
    digest = hashlib.sha256(json.dumps(feature, sort_keys=True, default=str).encode()).hexdigest()
    return f'"h{digest[:24]}"'


def center_lon(bbox: list[float] | None) -> float | None:
    return None if bbox is None else (bbox[0] + bbox[2]) / 2


@lru_cache(maxsize=4)
def _bounds(wkb_hex: str) -> tuple[float, float, float, float]:
    b = shapely.from_wkb(bytes.fromhex(wkb_hex)).bounds
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def district_bbox(settings: Any) -> list[float] | None:
    """The configured district boundary's CRS84 bbox (cached; no query), or None without one."""
    wkb_hex = district_boundary_wkb(settings.district_boundary)
    return None if wkb_hex is None else list(_bounds(wkb_hex))


def service_bbox(
    session: Session, coll: Collection, *, published_only: bool, settings: Any
) -> list[float] | None:
    """Where the service's data lies: the district boundary (free) or else the data's extent.
    Used for the Gauss-Krüger zone offered and for tile limits, on every request."""
    box = district_bbox(settings)
    if box is not None:
        return box
    return extent(session, coll, fields=(), published_only=published_only, settings=settings)[0]
