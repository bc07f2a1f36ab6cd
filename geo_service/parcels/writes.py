"""Set-based writes of land layers: upsert by code in the caller's transaction.

Rows arrive as dicts with a ``wkb`` key (hex WKB, lon/lat EPSG:4490) from the demo loader, the
file importers and the API alike, so there is one write path for each layer.
"""

# ruff: noqa: S608  -- only the module constants _GEOM/_MULTI are interpolated; values are bound

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

_GEOM = "ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), 4490)"
_MULTI = f"ST_Multi({_GEOM})"  # invalid input is refused by the CHECK, never silently fixed


def _rows(
    rows: Iterable[Mapping[str, Any]], json_cols: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        d = dict(r)
        for c in json_cols:
            if c in d and not isinstance(d[c], str):
                d[c] = json.dumps(d[c], ensure_ascii=False)
        out.append(d)
    return out


def upsert_zones(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    data = _rows(rows)
    if data:
        session.execute(
            text(
                f"""INSERT INTO zones (code, name, geom) VALUES (:code, :name, {_MULTI})
                ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom,
                  updated_at = now(), version = zones.version + 1
                WHERE (zones.name, zones.geom) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.geom)"""
            ),
            data,
        )
    return len(data)


PARCEL_COLS = (
    "name",
    "zone_code",
    "published",
    "supply_stage",
    "land_use",
    "industry",
    "indicators",
    "contact",
    "notes",
)


def upsert_parcels(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert or update parcels by code; a changed row gets a new version and is re-checked."""
    data = _rows(rows, ("indicators",))
    for d in data:
        for c in PARCEL_COLS:
            d.setdefault(c, None)
    if data:
        session.execute(
            text(
                f"""INSERT INTO parcels (code, name, zone_id, geom, published, supply_stage,
                    land_use, industry, indicators, contact, notes, needs_check)
                VALUES (:code, :name, (SELECT id FROM zones WHERE code = :zone_code), {_MULTI},
                    coalesce(:published, false), coalesce(:supply_stage, 'plan'),
                    coalesce(:land_use, 'industrial'), :industry,
                    coalesce(CAST(:indicators AS jsonb), '[]'::jsonb), :contact, :notes, true)
                ON CONFLICT (code) DO UPDATE SET
                    name = EXCLUDED.name, zone_id = EXCLUDED.zone_id, geom = EXCLUDED.geom,
                    published = EXCLUDED.published, supply_stage = EXCLUDED.supply_stage,
                    land_use = EXCLUDED.land_use, industry = EXCLUDED.industry,
                    indicators = EXCLUDED.indicators, contact = EXCLUDED.contact,
                    notes = EXCLUDED.notes,
                    needs_check = parcels.needs_check OR NOT ST_Equals(parcels.geom, EXCLUDED.geom),
                    updated_at = now(), version = parcels.version + 1
                WHERE (parcels.name, parcels.zone_id, parcels.published, parcels.supply_stage,
                       parcels.land_use, parcels.industry, parcels.indicators, parcels.contact,
                       parcels.notes, ST_AsBinary(parcels.geom))
                  IS DISTINCT FROM
                      (EXCLUDED.name, EXCLUDED.zone_id, EXCLUDED.published, EXCLUDED.supply_stage,
                       EXCLUDED.land_use, EXCLUDED.industry, EXCLUDED.indicators,
                       EXCLUDED.contact, EXCLUDED.notes, ST_AsBinary(EXCLUDED.geom))"""
            ),
            data,
        )
    return len(data)


def upsert_infrastructure(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Network features by code; parcels near a changed feature are marked for re-checking."""
    data = _rows(rows, ("attributes",))
    for d in data:
        for c in ("name", "diameter_mm", "voltage_kv", "road_class", "attributes"):
            d.setdefault(c, None)
        d["status"] = d.get("status") or "existing"
    if not data:
        return 0
    session.execute(
        text(
            f"""INSERT INTO infrastructure (code, kind, name, status, diameter_mm, voltage_kv,
                road_class, attributes, geom)
            VALUES (:code, :kind, :name, :status, :diameter_mm, :voltage_kv, :road_class,
                coalesce(CAST(:attributes AS jsonb), '{{}}'::jsonb), {_GEOM})
            ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,
                status = EXCLUDED.status, diameter_mm = EXCLUDED.diameter_mm,
                voltage_kv = EXCLUDED.voltage_kv, road_class = EXCLUDED.road_class,
                attributes = EXCLUDED.attributes, geom = EXCLUDED.geom,
                updated_at = now(), version = infrastructure.version + 1
            WHERE (infrastructure.kind, infrastructure.name, infrastructure.status,
                   infrastructure.diameter_mm, infrastructure.voltage_kv,
                   infrastructure.road_class, infrastructure.attributes,
                   ST_AsBinary(infrastructure.geom))
              IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.name, EXCLUDED.status,
                   EXCLUDED.diameter_mm, EXCLUDED.voltage_kv, EXCLUDED.road_class,
                   EXCLUDED.attributes, ST_AsBinary(EXCLUDED.geom))"""
        ),
        data,
    )
    mark_near_infrastructure(session, codes=[d["code"] for d in data])
    return len(data)


def mark_near_infrastructure(session: Session, *, codes: list[str], within_m: float = 5000) -> None:
    """Mark parcels within reach of these features for re-checking (one statement)."""
    session.execute(
        text(
            """UPDATE parcels p SET needs_check = true
            WHERE NOT p.needs_check AND EXISTS (
              SELECT 1 FROM infrastructure i
              WHERE i.code = ANY(:codes)
                AND ST_DWithin(i.geom::geography, p.geom::geography, :within))"""
        ),
        {"codes": codes, "within": within_m},
    )


def upsert_assessments(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    data = _rows(rows)
    for d in data:
        for c in ("name", "valid_from", "valid_until", "document_ref"):
            d.setdefault(c, None)
    if data:
        session.execute(
            text(
                f"""INSERT INTO assessment_areas (code, kind, name, geom, valid_from, valid_until,
                    document_ref)
                VALUES (:code, :kind, :name, {_MULTI}, :valid_from, :valid_until, :document_ref)
                ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,
                    geom = EXCLUDED.geom, valid_from = EXCLUDED.valid_from,
                    valid_until = EXCLUDED.valid_until, document_ref = EXCLUDED.document_ref,
                    updated_at = now(), version = assessment_areas.version + 1"""
            ),
            data,
        )
    return len(data)


def upsert_protected(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    data = _rows(rows)
    for d in data:
        d.setdefault("name", None)
    if data:
        session.execute(
            text(
                f"""INSERT INTO protected_areas (code, kind, name, geom)
                VALUES (:code, :kind, :name, {_MULTI})
                ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,
                    geom = EXCLUDED.geom, updated_at = now(),
                    version = protected_areas.version + 1"""
            ),
            data,
        )
        # parcels touching a protected area must have their title re-checked
        session.execute(
            text(
                """UPDATE parcels p SET needs_check = true FROM protected_areas a
                WHERE a.code = ANY(:codes) AND ST_Intersects(a.geom, p.geom)"""
            ),
            {"codes": [d["code"] for d in data]},
        )
    return len(data)


def replace_records(session: Session, *, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Replace the leveling surveys or title records of the parcels named in ``rows``."""
    columns = {
        "leveling_surveys": (
            "surveyed_on",
            "leveled",
            "earthwork_outstanding_m3",
            "surveyor",
            "document_ref",
        ),
        "title_records": (
            "recorded_on",
            "ownership",
            "requisition_done",
            "compensation_settled",
            "open_disputes",
            "document_ref",
        ),
    }[table]
    data = [dict(r) for r in rows]
    codes = sorted({d["parcel_code"] for d in data})
    session.execute(
        text(
            f"DELETE FROM {table} t USING parcels p "
            "WHERE t.parcel_id = p.id AND p.code = ANY(:codes)"
        ),
        {"codes": codes},
    )
    if data:
        session.execute(
            text(
                f"""INSERT INTO {table} (parcel_id, {", ".join(columns)})
                SELECT p.id, {", ".join(":" + c for c in columns)} FROM parcels p
                WHERE p.code = :parcel_code"""
            ),
            data,
        )
        session.execute(
            text("UPDATE parcels SET needs_check = true WHERE code = ANY(:codes)"),
            {"codes": codes},
        )
    return len(data)
