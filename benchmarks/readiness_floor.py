"""The floor of a readiness run: the best bare statements that decide each condition.

Written apart from the engine (``geo_service.readiness``), so the floor is not the engine's own
SQL: for every condition the plainest statement that gives each parcel its status and, for the
networks, the distance to the nearest qualifying feature, materialised into a temporary table like
the engine's results. Each network and overlap question is asked two ways and the faster counts:

* **geography** — ``ST_DWithin``/``ST_Distance`` on ``geom::geography`` with the schema's
  geography GiST indexes (metres on the ellipsoid);
* **metric** — on copies in EPSG:4547 (3-degree Gauss-Krüger, CM 114°E) made beforehand with their
  own GiST indexes; the copy is NOT counted (a free pre-projected table is the floor's advantage).

Used by ``benchmarks/readiness.py``; not a test, not part of the service.
"""

# ruff: noqa: S608  -- fixed benchmark SQL with constants from the settings' rules only

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, text

from geo_service.settings import Settings

METRIC = 4547

PREPARE = f"""
SET LOCAL jit = off;
CREATE TEMP TABLE fl_pm ON COMMIT DROP AS SELECT id, ST_Transform(geom, {METRIC}) AS m FROM parcels;
CREATE INDEX ON fl_pm USING gist (m);
CREATE TEMP TABLE fl_im ON COMMIT DROP AS
  SELECT kind, status, diameter_mm, voltage_kv, road_class, ST_Transform(geom, {METRIC}) AS m
  FROM infrastructure WHERE kind IN ('water', 'power', 'road');
CREATE INDEX ON fl_im USING gist (m) WHERE kind = 'water' AND status = 'existing';
CREATE INDEX ON fl_im USING gist (m) WHERE kind = 'power' AND status = 'existing';
CREATE INDEX ON fl_im USING gist (m) WHERE kind = 'road' AND status = 'existing';
CREATE TEMP TABLE fl_am ON COMMIT DROP AS
  SELECT ST_Transform(geom, {METRIC}) AS m FROM protected_areas;
CREATE INDEX ON fl_am USING gist (m);
ANALYZE fl_pm; ANALYZE fl_im; ANALYZE fl_am
"""


def _qualifies(settings: Settings, kind: str) -> str:
    rule = getattr(settings.readiness, kind)
    if kind == "water" and rule.min_diameter_mm is not None:
        return f"i.diameter_mm >= {float(rule.min_diameter_mm)}"
    if kind == "power" and rule.min_voltage_kv is not None:
        return f"i.voltage_kv >= {float(rule.min_voltage_kv)}"
    if kind == "road" and rule.road_classes:
        classes = ", ".join("'" + c.replace("'", "''") + "'" for c in rule.road_classes)
        return f"i.road_class IN ({classes})"
    return "true"


def network(settings: Settings, kind: str, variant: str) -> str:
    """Status (a qualifying feature within the distance) and the nearest qualifying distance."""
    d = float(getattr(settings.readiness, kind).max_distance_m)
    q = _qualifies(settings, kind)
    if variant == "metric":
        src, pg, ig, dist = "fl_pm p", "p.m", "i.m", "ST_Distance(i.m, p.m)"
        feats = "fl_im i"
    else:
        src, pg, ig = "parcels p", "p.geom::geography", "i.geom::geography"
        dist, feats = f"ST_Distance({ig}, {pg})", "infrastructure i"
    where = f"i.kind = '{kind}' AND i.status = 'existing' AND {q}"
    return f"""
CREATE TEMP TABLE fl_{kind}_{variant} ON COMMIT DROP AS
SELECT p.id, q.d IS NOT NULL AS met, coalesce(q.d, n.d) AS nearest_m
FROM {src}
LEFT JOIN LATERAL (SELECT {dist} AS d FROM {feats}
  WHERE {where} AND ST_DWithin({ig}, {pg}, {d}) ORDER BY 1 LIMIT 1) q ON true
LEFT JOIN LATERAL (SELECT {dist} AS d FROM {feats}
  WHERE q.d IS NULL AND {where} ORDER BY {ig} <-> {pg} LIMIT 1) n ON true"""


def leveling(settings: Settings) -> str:
    age = int(settings.readiness.max_evidence_age_days)
    return f"""
CREATE TEMP TABLE fl_leveling ON COMMIT DROP AS
SELECT p.id, CASE WHEN s.surveyed_on IS NULL OR DATE '2024-06-30' - s.surveyed_on > {age}
  THEN 'unknown' WHEN s.leveled AND s.earthwork_outstanding_m3 = 0 THEN 'met' ELSE 'unmet' END
FROM parcels p LEFT JOIN LATERAL (SELECT * FROM leveling_surveys l WHERE l.parcel_id = p.id
  AND l.surveyed_on <= DATE '2024-06-30' ORDER BY l.surveyed_on DESC, l.id DESC LIMIT 1) s
  ON true"""


def title(settings: Settings, variant: str) -> str:
    """The latest title record and the overlap areas with protected land and other parcels."""
    age = int(settings.readiness.max_evidence_age_days)
    if variant == "metric":
        src, g, prot, others = "fl_pm p", "p.m", "fl_am o", "fl_pm o"
        area = "ST_Area(ST_Intersection(o.m, p.m))"
        hit = "ST_Intersects(o.m, p.m)"
    else:
        src, g, prot, others = "parcels p", "p.geom", "protected_areas o", "parcels o"
        area = "ST_Area(ST_Intersection(o.geom, p.geom)::geography)"
        hit = "ST_Intersects(o.geom, p.geom)"
    del g
    return f"""
CREATE TEMP TABLE fl_title_{variant} ON COMMIT DROP AS
SELECT p.id, CASE WHEN pa.a > 1 OR po.a > 1 THEN 'unmet'
  WHEN r.recorded_on IS NULL OR DATE '2024-06-30' - r.recorded_on > {age} THEN 'unknown'
  WHEN r.ownership = 'state' AND r.requisition_done AND r.compensation_settled
       AND r.open_disputes = 0 THEN 'met' ELSE 'unmet' END
FROM {src}
LEFT JOIN LATERAL (SELECT * FROM title_records t WHERE t.parcel_id = p.id
  AND t.recorded_on <= DATE '2024-06-30' ORDER BY t.recorded_on DESC, t.id DESC LIMIT 1) r ON true
CROSS JOIN LATERAL (SELECT coalesce(sum({area}), 0) AS a FROM {prot} WHERE {hit}) pa
CROSS JOIN LATERAL (SELECT coalesce(sum({area}), 0) AS a FROM {others}
  WHERE {hit} AND o.id <> p.id) po"""


def floor_seconds(engine: Engine, settings: Settings) -> dict[str, dict[str, float]]:
    """{condition: {variant: seconds}}, every statement timed once in one rolled-back
    transaction after the (untimed) metric copies."""
    out: dict[str, dict[str, float]] = {}

    def timed(cond: str, variant: str, sql: str, conn: Any) -> None:
        t = time.perf_counter()
        conn.execute(text(sql))
        out.setdefault(cond, {})[variant] = time.perf_counter() - t

    with engine.connect() as conn, conn.begin() as tx:
        for stmt in PREPARE.split(";\n"):
            if stmt.strip():
                conn.execute(text(stmt))
        for kind in ("water", "power", "road"):
            for variant in ("metric", "geography"):
                timed(kind, variant, network(settings, kind, variant), conn)
        timed("leveling", "records", leveling(settings), conn)
        for variant in ("metric", "geography"):
            timed("title", variant, title(settings, variant), conn)
        tx.rollback()
    return out
