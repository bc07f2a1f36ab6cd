"""Reading and writing counties: the list, one county's boundary and rules, the demo's counties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.errors import InvalidInput


def list_counties(session: Session) -> list[dict[str, Any]]:
    """Every county: code, names, ledger year, targets, rule overrides, outline (GeoJSON)."""
    rows = session.execute(
        text(
            """SELECT code, name_zh, name_en, ledger_year, targets, readiness, supply_overrides,
                      home, ST_AsGeoJSON(boundary, 6) AS boundary,
                      ST_Area(boundary::geography) / 1e6 AS area_km2
               FROM counties ORDER BY home DESC, code"""
        )
    ).mappings()
    return [dict(r) for r in rows]


def as_feature(row: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in row.items() if k not in ("boundary", "area_km2")}
    props["county"] = row["code"]
    props["area_km2"] = round(row["area_km2"], 1) if row["area_km2"] is not None else None
    geom = json.loads(row["boundary"]) if row["boundary"] else None
    return {"type": "Feature", "id": row["code"], "geometry": geom, "properties": props}


def outlines(session: Session) -> list[dict[str, Any]]:
    """The outlines (GeoJSON geometries, lon/lat) of the counties the transaction sees: its
    county's when it is scoped to one, else every county's (home first)."""
    rows = session.execute(
        text(
            "SELECT ST_AsGeoJSON(boundary, 5) FROM counties WHERE boundary IS NOT NULL AND "
            "coalesce(nullif(current_setting('geo_service.county', true), ''), code) = code "
            "ORDER BY home DESC, code"
        )
    ).scalars()
    return [json.loads(g) for g in rows]


def boundary_wkb(session: Session, county: str | None = None) -> str | None:
    """The boundary of ``county`` (default: the transaction's county) as hex WKB, or None."""
    return session.execute(  # type: ignore[no-any-return]
        text(
            "SELECT encode(ST_AsBinary(boundary), 'hex') FROM counties "
            "WHERE code = coalesce(CAST(:c AS text), gs_current_county())"
        ),
        {"c": county},
    ).scalar()


def county_of(session: Session, county: str | None = None) -> dict[str, Any]:
    """Code and names of ``county`` (default: the transaction's county)."""
    row = (
        session.execute(
            text(
                "SELECT code, name_zh, name_en, boundary IS NOT NULL AS has_boundary FROM counties "
                "WHERE code = coalesce(CAST(:c AS text), gs_current_county())"
            ),
            {"c": county},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise InvalidInput(f"county: no county {county!r}; see GET /api/v1/counties")
    return dict(row)


def read_outline(path: Path) -> str:
    """A GeoJSON file's geometries, unioned, as hex WKB of a MultiPolygon."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    feats = data.get("features") if data.get("type") == "FeatureCollection" else [data]
    geoms = [shape(f.get("geometry", f)) for f in feats or []]
    if not geoms:
        raise InvalidInput(f"{Path(path).name}: no geometry")
    g = shapely.union_all(geoms)
    if g.geom_type == "Polygon":
        g = shapely.MultiPolygon([g])
    return str(g.wkb_hex)


def upsert_county(
    session: Session,
    *,
    code: str,
    name_zh: str,
    name_en: str,
    boundary_wkb: str | None = None,
    ledger_year: int | None = None,
    targets: dict[str, Any] | None = None,
    readiness: dict[str, Any] | None = None,
    supply_overrides: dict[str, Any] | None = None,
) -> None:
    """Add a county or change one (a value left None keeps what is stored)."""
    if not (len(code) == 6 and code.isdigit()):
        raise InvalidInput(f"county code {code!r}: a division code is 6 digits, e.g. 411603")
    session.execute(
        text(
            """INSERT INTO counties (code, name_zh, name_en, boundary, ledger_year, targets,
                                     readiness, supply_overrides)
               VALUES (:code, :zh, :en,
                       ST_Multi(ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), 4490)),
                       :year, coalesce(CAST(:targets AS jsonb), '{}'),
                       coalesce(CAST(:readiness AS jsonb), '{}'),
                       coalesce(CAST(:supply AS jsonb), '{}'))
               ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh,
                 name_en = EXCLUDED.name_en,
                 boundary = coalesce(EXCLUDED.boundary, counties.boundary),
                 ledger_year = coalesce(EXCLUDED.ledger_year, counties.ledger_year),
                 targets = CASE WHEN CAST(:targets AS jsonb) IS NULL THEN counties.targets
                                ELSE EXCLUDED.targets END,
                 readiness = CASE WHEN CAST(:readiness AS jsonb) IS NULL THEN counties.readiness
                                  ELSE EXCLUDED.readiness END,
                 supply_overrides = CASE WHEN CAST(:supply AS jsonb) IS NULL
                                         THEN counties.supply_overrides
                                         ELSE EXCLUDED.supply_overrides END"""
        ),
        {
            "code": code,
            "zh": name_zh,
            "en": name_en,
            "wkb": boundary_wkb,
            "year": ledger_year,
            "targets": None if targets is None else json.dumps(targets),
            "readiness": None if readiness is None else json.dumps(readiness),
            "supply": None if supply_overrides is None else json.dumps(supply_overrides),
        },
    )


def outline_geojson(wkb_hex: str) -> dict[str, Any]:
    return dict(mapping(shapely.from_wkb(bytes.fromhex(wkb_hex))))
