"""What every map query shares: 亩 in SQL, the per-parcel condition counts, the category and
net-land rules (from ``readiness/rules.py``), and folding rows of GeoJSON into a collection."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.errors import InvalidInput
from geo_service.readiness.rules import category_sql, net_land_sql, verified_at_sql
from geo_service.settings import CONDITIONS
from geo_service.spatial import SQM_PER_MU

MU = f"CAST({SQM_PER_MU!r} AS float8)"
_ALL_CONDITIONS = "ARRAY[" + ", ".join(f"'{c}'" for c in CONDITIONS) + "]::text[]"

#: per parcel: counts of met / unmet / checked conditions, their evidence, and the conditions
#: not met (unmet, unknown or never checked: "not met, needs a record" counts as failing)
CONDS = f"""LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE pc.status = 'met') AS met,
           count(*) FILTER (WHERE pc.status = 'unmet') AS unmet,
           count(*) AS checked,
           json_object_agg(pc.condition, json_build_object(
               'status', pc.status, 'method', pc.method, 'evidence', pc.evidence,
               'verified_at', to_char({verified_at_sql("pc")}, 'YYYY-MM-DD'))) AS conds,
           ARRAY(SELECT x FROM unnest({_ALL_CONDITIONS}) x
                 WHERE NOT x = ANY(coalesce(array_agg(pc.condition)
                                   FILTER (WHERE pc.status = 'met'), '{{}}'))) AS fails
    FROM parcel_conditions pc WHERE pc.parcel_id = p.id) c ON true"""  # noqa: S608 -- fixed fragments only; values bound
#: the same ``p`` / ``z`` / ``c`` from the stored summary (``parcel_summary``, migration 0005_scale,
#: kept equal to :data:`CONDS` by the database: tests/test_tiles_scale.py): for counts and choices,
#: which need no evidence; a per-parcel aggregate of conditions costs seconds at 100 000 parcels
SUMMARY_FROM = """FROM parcel_summary p
  CROSS JOIN LATERAL (SELECT p.met, p.unmet, p.unknown, p.checked, p.fails) c
  LEFT JOIN zones z ON z.id = p.zone_id"""
#: the map category of ``p`` (after :data:`CONDS`): the one rule in ``readiness/rules.py``
CATEGORY = category_sql("c.met", "c.unmet", "c.checked")
NET_LAND = net_land_sql("c.met")
#: a plot's area in 亩 as shown to people (2 decimals); the fit check compares this value
AREA_MU = f"round(CAST(p.area_m2 / {MU} AS numeric), 2)"


def collection(session: Session, sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run a SELECT of one json Feature per row (column ``f``) and fold it into a collection."""
    agg = f"SELECT coalesce(json_agg(q.f), '[]'::json)::text FROM ({sql}) q"  # noqa: S608 -- fixed fragments only; values bound
    features = json.loads(session.execute(text(agg), params).scalar_one())
    return {"type": "FeatureCollection", "features": features}


def count(session: Session, sql: str, params: dict[str, Any]) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM ({sql}) q"), params).scalar_one())  # noqa: S608 -- fixed fragments only; values bound


def check_zone(session: Session, zone: str | None) -> None:
    if zone is None:
        return
    if session.execute(text("SELECT 1 FROM zones WHERE code = :z"), {"z": zone}).first() is None:
        known = session.execute(text("SELECT string_agg(code, ', ' ORDER BY code) FROM zones"))
        codes = known.scalar() or "none yet"
        raise InvalidInput(
            f"zone {zone!r} is not a zone code; the zones are: {codes}",
            zh=f"没有编号为“{zone}”的园区；现有园区：{codes}",
        )


def like(q: str) -> str:
    """A LIKE pattern for text anywhere in a value (``%`` and ``_`` taken literally)."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
