"""Single-parcel edits from the API: checked geometry, create, locked partial update, audit.

The write itself goes through ``writes.upsert_parcels`` (one write path for every source); this
module adds what an interactive edit needs: geometry checks with a reason, a row lock so the
If-Match comparison and the update see the same version, and an audit event with before/after.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.audit import record
from geo_service.errors import Conflict, InvalidGeometry, InvalidInput, NotFound
from geo_service.parcels import writes

#: fields a PATCH may change (``geometry`` is handled apart)
EDITABLE = (
    "name",
    "zone",
    "published",
    "supply_stage",
    "land_use",
    "industry",
    "indicators",
    "contact",
    "notes",
)


# ------------------------------------------------------------------ geometry


def _positions(coords: Any, depth: int, where: str) -> list[list[list[float]]]:
    """Rings of a Polygon (depth 3) as lists of [lon, lat]; InvalidGeometry naming the spot."""
    if not isinstance(coords, list) or not coords:
        raise InvalidGeometry(f"{where} must be a non-empty list of linear rings")
    rings = []
    for i, ring in enumerate(coords):
        w = f"{where}[{i}]"
        if not isinstance(ring, list) or len(ring) < 4:
            raise InvalidGeometry(
                f"{w} must be a closed ring of at least 4 positions [lon, lat] "
                "(the last repeating the first)"
            )
        pts = []
        for j, pos in enumerate(ring):
            if (
                not isinstance(pos, list)
                or len(pos) not in (2, 3)
                or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    for v in pos
                )
            ):
                raise InvalidGeometry(f"{w}[{j}] must be a position [lon, lat] of two numbers")
            lon, lat = float(pos[0]), float(pos[1])
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                hint = ""
                if abs(lon) > 1000 or abs(lat) > 1000:
                    hint = (
                        ": these look like projected metres (e.g. Gauss-Krüger); send lon/lat "
                        "in EPSG:4490, or import the file with `geo-service import parcels --crs`"
                    )
                elif -90 <= lon <= 90 and -180 <= lat <= 180:
                    hint = ": it looks like [lat, lon]; GeoJSON wants [lon, lat]"
                raise InvalidGeometry(
                    f"{w}[{j}] = [{lon}, {lat}] is outside longitude -180..180 / latitude "
                    f"-90..90{hint}"
                )
            pts.append([lon, lat])
        if pts[0] != pts[-1]:
            raise InvalidGeometry(f"{w} is not closed: its last position must repeat the first")
        rings.append(pts)
    return rings


def check_geometry_shape(geometry: Mapping[str, Any], *, max_vertices: int) -> dict[str, Any]:
    """Type, structure, vertex count and coordinate ranges; returns a clean GeoJSON geometry."""
    gtype = geometry.get("type")
    coords = geometry.get("coordinates")
    if gtype == "Polygon":
        polys = [_positions(coords, 3, "geometry.coordinates")]
    elif gtype == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise InvalidGeometry("geometry.coordinates of a MultiPolygon must list polygons")
        polys = [_positions(p, 3, f"geometry.coordinates[{i}]") for i, p in enumerate(coords)]
    else:
        raise InvalidGeometry(
            f"geometry.type must be Polygon or MultiPolygon (a parcel is an area); got {gtype!r}"
        )
    n = sum(len(ring) for poly in polys for ring in poly)
    if n > max_vertices:
        raise InvalidGeometry(
            f"the geometry has {n} vertices; the limit is {max_vertices} "
            "(GEO_SERVICE_MAX_VERTICES): simplify it first"
        )
    return {"type": "MultiPolygon", "coordinates": polys}


@lru_cache(maxsize=4)
def _boundary_wkb(path: str, mtime: float) -> str:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    feats = data.get("features") if data.get("type") == "FeatureCollection" else [data]
    geoms = [shape(f.get("geometry", f)) for f in feats or []]
    if not geoms:
        raise InvalidInput(
            f"the district boundary (GEO_SERVICE_DISTRICT_BOUNDARY, {Path(path).name}) "
            "holds no geometry"
        )
    return str(shapely.union_all(geoms).wkb_hex)


def district_boundary_wkb(path: Path | None) -> str | None:
    """The district boundary as hex WKB, or None when no boundary file is configured."""
    if path is None or not path.is_file():
        return None
    return _boundary_wkb(str(path), path.stat().st_mtime)


def validate_geometry(
    session: Session,
    geometry: Mapping[str, Any],
    *,
    max_vertices: int,
    boundary: Path | None,
) -> str:
    """A parcel geometry checked for shape, size, validity and the district extent; hex WKB."""
    clean = check_geometry_shape(geometry, max_vertices=max_vertices)
    wkb = str(shape(clean).wkb_hex)
    from geo_service.counties.service import boundary_wkb, county_of

    county = county_of(session)  # the county the edit is in (the request's, else the home one)
    b = boundary_wkb(session) or district_boundary_wkb(boundary)
    row = (
        session.execute(
            text(
                """SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason,
                      ST_Area(g::geography) AS area_m2,
                      CASE WHEN CAST(:b AS text) IS NULL THEN true
                           ELSE ST_CoveredBy(g, ST_SetSRID(ST_GeomFromWKB(decode(:b, 'hex')), 4490))
                      END AS inside
                FROM (SELECT ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), 4490) AS g) s"""
            ),
            {"wkb": wkb, "b": b},
        )
        .mappings()
        .one()
    )
    if not row["valid"]:
        raise InvalidGeometry(
            f"the geometry is not valid: {row['reason']}; fix self-intersections and rings "
            "(e.g. in QGIS: Vector > Geometry Tools > Fix Geometries)"
        )
    if not row["area_m2"] or row["area_m2"] <= 0:
        raise InvalidGeometry("the geometry has no area")
    if not row["inside"]:
        where = (
            f"county {county['code']} {county['name_zh']} (its boundary in GET /api/v1/counties)"
            if county["has_boundary"]
            else f"the district (GEO_SERVICE_DISTRICT_BOUNDARY, "
            f"{boundary.name if boundary else 'none'})"
        )
        raise InvalidGeometry(
            f"the geometry is not inside {where}; check that it is lon/lat "
            "in EPSG:4490 and lies in this county"
        )
    return wkb


# ------------------------------------------------------------------ reads for edits


def _current(session: Session, code: str, *, lock: bool) -> dict[str, Any] | None:
    sql = """SELECT p.code, p.name, z.code AS zone, p.published, p.supply_stage, p.land_use,
                p.industry, p.indicators, p.contact, p.notes, p.version,
                encode(ST_AsBinary(p.geom), 'hex') AS wkb, ST_AsGeoJSON(p.geom, 7, 0) AS geojson
             FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id WHERE p.code = :code"""
    if lock:
        sql += " FOR UPDATE OF p"
    row = session.execute(text(sql), {"code": code}).mappings().first()
    return dict(row) if row is not None else None


def current_version(session: Session, code: str) -> int:
    """The parcel's version (NotFound if absent)."""
    v = session.execute(text("SELECT version FROM parcels WHERE code = :c"), {"c": code}).scalar()
    if v is None:
        raise NotFound(f"no parcel with code {code!r}; list codes with GET /api/v1/parcels")
    return int(v)


def lock_parcel(session: Session, code: str) -> int:
    """Lock the parcel's row for this transaction; return its version (NotFound if absent)."""
    cur = _current(session, code, lock=True)
    if cur is None:
        raise NotFound(f"no parcel with code {code!r}; list codes with GET /api/v1/parcels")
    return int(cur["version"])


def _check_zone(session: Session, zone: str | None) -> None:
    if zone is None:
        return
    known = session.execute(text("SELECT code FROM zones ORDER BY code")).scalars().all()
    if zone not in known:
        shown = ", ".join(known[:20]) or "none yet (import zones first)"
        raise InvalidInput(f"zone {zone!r} does not exist; known zones: {shown}")


# ------------------------------------------------------------------ writes


def create_parcel(session: Session, *, values: Mapping[str, Any], wkb: str, actor: str) -> None:
    """Insert a new parcel; Conflict when the code exists (edit it with PATCH instead)."""
    code = values["code"]
    # serialise concurrent creates of the same code, then look
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('parcel:' || :c))"), {"c": code})
    if _current(session, code, lock=False) is not None:
        raise Conflict(
            f"parcel {code!r} already exists; change it with PATCH /api/v1/parcels/{code}"
        )
    _check_zone(session, values.get("zone"))
    row = {c: values.get(c) for c in EDITABLE}
    row["zone_code"] = row.pop("zone")
    row.update(code=code, wkb=wkb)
    writes.upsert_parcels(session, [row])
    after = {k: v for k, v in values.items()}
    after["geometry"] = json.loads(_current(session, code, lock=False)["geojson"])  # type: ignore[index]
    record(
        session,
        actor=actor,
        action="parcel.create",
        entity_type="parcel",
        entity_code=code,
        after=after,
    )


_HAS_SUPPLY_EVENTS = text(
    "SELECT EXISTS (SELECT 1 FROM supply_events e JOIN parcels p ON p.id = e.parcel_id "
    "WHERE p.code = :c)"
)


def update_parcel(
    session: Session,
    *,
    code: str,
    changes: Mapping[str, Any],
    wkb: str | None,
    actor: str,
) -> bool:
    """Apply a partial update to a parcel locked with :func:`lock_parcel`; audit it.

    Returns whether anything changed (an update that changes nothing keeps the version).
    """
    cur = _current(session, code, lock=True)
    if cur is None:
        raise NotFound(f"no parcel with code {code!r}; list codes with GET /api/v1/parcels")
    if "zone" in changes:
        _check_zone(session, changes["zone"])
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in changes.items():
        if key in EDITABLE and cur[key] != value:
            before[key], after[key] = cur[key], value
    if "supply_stage" in after and session.execute(_HAS_SUPPLY_EVENTS, {"c": code}).scalar():
        raise InvalidInput(
            f"supply_stage of {code} follows its supply events (now {cur['supply_stage']!r}); "
            f"record the event instead: POST /api/v1/parcels/{code}/supply/events"
        )
    row = {c: changes.get(c, cur[c]) for c in EDITABLE}
    row["zone_code"] = row.pop("zone")
    row.update(code=code, wkb=wkb or cur["wkb"])
    writes.upsert_parcels(session, [row])
    new = _current(session, code, lock=False)
    assert new is not None
    if new["geojson"] != cur["geojson"]:
        before["geometry"] = json.loads(cur["geojson"])
        after["geometry"] = json.loads(new["geojson"])
    if not before and not after:
        return False
    record(
        session,
        actor=actor,
        action="parcel.update",
        entity_type="parcel",
        entity_code=code,
        before={**before, "version": cur["version"]},
        after={**after, "version": new["version"]},
    )
    return True


def delete_parcel(session: Session, *, code: str, actor: str) -> None:
    """Remove a parcel locked with :func:`lock_parcel` (its condition records go with it); the
    audit event keeps the whole record. Refused (Conflict) while it is published, past the plan
    stage or named by a project: withdraw it first, the register must not lose supplied land."""
    cur = _current(session, code, lock=True)
    if cur is None:
        raise NotFound(f"no parcel with code {code!r}; list codes with GET /api/v1/parcels")
    used = session.execute(
        text(
            "SELECT count(*) FROM projects pr JOIN parcels p ON p.id = pr.parcel_id "
            "WHERE p.code = :c"
        ),
        {"c": code},
    ).scalar_one()
    if cur["published"] or cur["supply_stage"] != "plan" or used:
        raise Conflict(
            f"parcel {code!r} is published, past the plan stage or used by a project; "
            "unpublish it, move it back to plan and detach the project before deleting it"
        )
    before = {k: v for k, v in cur.items() if k not in ("wkb", "geojson")}
    before["geometry"] = json.loads(cur["geojson"])
    session.execute(text("DELETE FROM parcels WHERE code = :c"), {"c": code})
    record(
        session,
        actor=actor,
        action="parcel.delete",
        entity_type="parcel",
        entity_code=code,
        before=before,
    )
