"""The land bureau's readiness map: parcels with their conditions, filters, the list, context."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.errors import InvalidInput
from geo_service.maps.data.common import (
    AREA_MU,
    CATEGORY,
    CONDS,
    NET_LAND,
    SUMMARY_FROM,
    check_zone,
    collection,
    count,
)
from geo_service.settings import CONDITIONS

READINESS_STATUSES = ("net_land", "not_net_land", "needs_record", "unknown")


@dataclass(frozen=True)
class ReadinessFilter:
    zone: str | None = None
    status: str | None = None
    fails: str | None = None
    #: only these parcels (the supply filter: codes from ``geo_service.supply``)
    codes: tuple[str, ...] | None = None

    def validate(self) -> ReadinessFilter:
        if self.status is not None and self.status not in READINESS_STATUSES:
            raise InvalidInput(
                f"status must be one of {', '.join(READINESS_STATUSES[:3])}; got {self.status!r}"
            )
        if self.fails is not None and self.fails not in CONDITIONS:
            raise InvalidInput(f"fails must be one of {', '.join(CONDITIONS)}; got {self.fails!r}")
        return self


def readiness_where(f: ReadinessFilter) -> tuple[str, dict[str, Any]]:
    """WHERE clause (over ``p``, ``z``, ``c``) and parameters for the readiness filters."""
    conds: list[str] = ["true"]
    params: dict[str, Any] = {}
    if f.zone is not None:
        conds.append("z.code = :zone")
        params["zone"] = f.zone
    if f.status == "net_land":
        conds.append(NET_LAND)
    elif f.status == "not_net_land":
        conds.append(f"NOT {NET_LAND}")
    elif f.status in ("needs_record", "unknown"):
        conds.append(f"{CATEGORY} IN ('needs_record', 'not_checked')")
    if f.codes is not None:
        conds.append("p.code = ANY(:codes)")
        params["codes"] = list(f.codes)
    if f.fails is not None:
        conds.append(":fails = ANY(c.fails)")
        params["fails"] = f.fails
    return " AND ".join(conds), params


def _readiness_sql(where: str, limit: str = "") -> str:
    return f"""SELECT json_build_object('type', 'Feature', 'id', p.code,
          'geometry', ST_AsGeoJSON(p.geom, 6, 0)::json,
          'properties', json_build_object(
            'code', p.code, 'name', p.name, 'zone', z.code, 'zone_name', z.name,
            'area_mu', {AREA_MU}, 'supply_stage', p.supply_stage,
            'published', p.published, 'met', coalesce(c.met, 0),
            'unmet', coalesce(c.unmet, 0), 'checked', coalesce(c.checked, 0),
            'cat', {CATEGORY}, 'fails', to_json(c.fails),
            'conditions', coalesce(c.conds, '{{}}'::json))) AS f
        FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {CONDS}
        WHERE {where} ORDER BY p.code {limit}"""  # noqa: S608 -- fixed fragments only; values bound


def count_readiness_parcels(session: Session, f: ReadinessFilter) -> int:
    check_zone(session, f.validate().zone)
    where, params = readiness_where(f)
    # the stored summary (the list's rows too): no per-parcel aggregate of conditions
    return count(session, f"SELECT 1 {SUMMARY_FROM} WHERE {where}", params)  # noqa: S608 -- fixed fragments only; values bound


def readiness_parcels(session: Session, f: ReadinessFilter) -> dict[str, Any]:
    where, params = readiness_where(f.validate())
    return collection(session, _readiness_sql(where), params)


def readiness_parcel(session: Session, code: str) -> dict[str, Any] | None:
    """One parcel as on the readiness map (its popup in vector-tile mode)."""
    fc = collection(session, _readiness_sql("p.code = :code"), {"code": code})
    return fc["features"][0] if fc["features"] else None


#: the stored reason of each condition of ``p`` that is not met, as the engine wrote it (an
#: override's: "override: " and the clerk's reason), for the list's CSV
REASONS = """SELECT json_object_agg(pc.condition, coalesce(pc.evidence->>'reason',
                 CASE WHEN pc.method = 'override'
                      THEN 'override: ' || (pc.evidence->'override'->>'reason') END))
  FROM parcel_conditions pc WHERE pc.parcel_id = p.parcel_id AND pc.status <> 'met'"""


def readiness_list(session: Session, f: ReadinessFilter, *, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` parcels the filter selects: code, name, zone, 亩, category, the
    conditions not met and their stored reasons (``reasons``: condition → reason)."""
    where, params = readiness_where(f.validate())
    rows = session.execute(
        text(
            # from the stored summary; the first ``limit`` codes are picked on narrow rows (a
            # bounded sort, no per-parcel aggregate), then only those rows are read whole
            f"""WITH first AS (SELECT p.parcel_id {SUMMARY_FROM}
                               WHERE {where} ORDER BY p.code LIMIT :lim)
            SELECT p.code, p.name, coalesce(z.name, z.code), {AREA_MU}, {CATEGORY},
                   to_json(c.fails)::text, ({REASONS})::text
            {SUMMARY_FROM} JOIN first f ON f.parcel_id = p.parcel_id
            ORDER BY p.code"""  # noqa: S608 -- fixed fragments only; values bound
        ),
        {**params, "lim": limit},
    ).all()
    return [
        {
            "code": r[0],
            "name": r[1],
            "zone": r[2],
            "area_mu": r[3],
            "cat": r[4],
            "fails": json.loads(r[5]),
            "reasons": json.loads(r[6]) if r[6] else {},
        }  # fmt: skip
        for r in rows
    ]


def context_layers(session: Session) -> dict[str, dict[str, Any]]:
    """Networks, zones, assessment and protected areas for the bureau's map."""
    return {
        "infrastructure": collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(geom, 6, 0)::json,
                 'properties', json_build_object('code', code, 'kind', kind, 'name', name,
                   'status', status, 'diameter_mm', diameter_mm, 'voltage_kv', voltage_kv,
                   'road_class', road_class)) AS f
               FROM infrastructure WHERE kind IN ('water', 'power', 'road') ORDER BY code""",
            {},
        ),
        "zones": collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(geom, 6, 0)::json,
                 'properties', json_build_object('code', code, 'name', name)) AS f
               FROM zones ORDER BY code""",
            {},
        ),
        "assessments": collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(geom, 6, 0)::json,
                 'properties', json_build_object('code', code, 'kind', kind, 'name', name,
                   'valid_until', valid_until)) AS f
               FROM assessment_areas ORDER BY code""",
            {},
        ),
        "protected": collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(geom, 6, 0)::json,
                 'properties', json_build_object('code', code, 'kind', kind, 'name', name)) AS f
               FROM protected_areas ORDER BY code""",
            {},
        ),
    }
