"""The network conditions (water, power, road) of a readiness run, in metres on a metric copy.

Geodesic distances (``geography``) cost ~4× their planar equivalent at 100 000 parcels, so a run
first copies its target parcels and the water/power/road features into temporary tables in the
local 3-degree Gauss-Krüger projection (``spatial.local_metric_epsg``: false easting 500 000 m,
scale 1 on the central meridian) with GiST indexes, and every distance is measured there.

The projection stretches lengths by its scale factor ``k = 1 + x²/2R²`` (``x``: metres from the
central meridian; at most 1.00035 inside a 3-degree zone), so each parcel carries its ``k`` and
distances are divided by it: what a rule compares and the evidence shows is the distance on the
ellipsoid to within a few millimetres at the rules' distances (checked against ``geography`` in
tests/test_readiness_metric.py), not the projection's stretched one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.readiness import county_rules, rules
from geo_service.readiness.statements import AS_OF
from geo_service.settings import NetworkRule, Settings
from geo_service.spatial import local_metric_epsg

#: mean Earth radius for the scale factor; its error moves ``k`` by < 1e-7 at 40 km off the meridian
EARTH_R_M = 6_371_000.0
NETWORKS = ("water", "power", "road")

#: the run's metric copies: target parcels (with their scale factor) and network features
_COPY_PARCELS = f"""
CREATE TEMP TABLE _rd_pm ON COMMIT DROP AS
SELECT t.id, p.county, g.m,
  1 + power(ST_X(ST_Centroid(g.m)) - 500000, 2) / (2 * power({EARTH_R_M}, 2)) AS k
FROM _rd_t t JOIN parcels p ON p.id = t.id
CROSS JOIN LATERAL (SELECT ST_Transform(p.geom, CAST(:srid AS integer)) AS m) g
"""  # noqa: S608
_COPY_FEATURES = """
CREATE TEMP TABLE _rd_im ON COMMIT DROP AS
SELECT i.code, i.name, i.kind, i.status, i.diameter_mm, i.voltage_kv, i.road_class,
  ST_Transform(i.geom, CAST(:srid AS integer)) AS m
FROM infrastructure i WHERE i.kind IN ('water', 'power', 'road')
"""


def metric_srid(session: Session) -> int:
    """The local Gauss-Krüger zone of the run's parcels (the centre of their extent)."""
    lon = session.execute(
        text(
            "SELECT ST_X(ST_Centroid(ST_Extent(p.geom))) FROM _rd_t t JOIN parcels p ON p.id = t.id"
        )
    ).scalar()
    return local_metric_epsg(float(lon) if lon is not None else 114.0)


def copy_metric(session: Session) -> int:
    """Fill ``_rd_pm`` and ``_rd_im`` (after ``_rd_t``); returns the SRID used."""
    srid = metric_srid(session)
    session.execute(text(_COPY_PARCELS), {"srid": srid})
    session.execute(text("ALTER TABLE _rd_pm ADD PRIMARY KEY (id)"))
    session.execute(text(_COPY_FEATURES), {"srid": srid})
    for kind in NETWORKS:  # one partial index per question the statements ask
        session.execute(text(f"CREATE INDEX ON _rd_im USING gist (m) WHERE kind = '{kind}'"))
        session.execute(
            text(
                f"CREATE INDEX ON _rd_im USING gist (m) "
                f"WHERE kind = '{kind}' AND status = 'existing'"
            )
        )
    session.execute(text("ANALYZE _rd_pm"))
    session.execute(text("ANALYZE _rd_im"))
    return srid


def spatial_statement(rule: NetworkRule) -> tuple[str, dict[str, Any]]:
    """One INSERT … SELECT over all target parcels for one network rule (metric copies); each
    parcel is judged by its county's thresholds (``r``: the ``_rd_cr`` row, ``county_rules``)."""
    sq = county_rules.spatial_sql(rule.kind)
    # the kind is a literal (validated: one of three keys) so the per-kind partial index is used
    kind = {"water": "'water'", "power": "'power'", "road": "'road'"}[rule.kind]
    attr = rules.ATTRIBUTE[rule.kind]
    noun = rules.FEATURE_NOUN[rule.kind]

    def feature(alias: str) -> str:
        return (
            f"jsonb_build_object('code', {alias}.code, 'name', {alias}.name, 'distance_m', "
            f"round(CAST({alias}.d AS numeric), 1), '{attr}', {alias}.{attr})"
        )

    cols = "i.code, i.name, i.status, i.diameter_mm, i.voltage_kv, i.road_class"
    dist = "ST_Distance(i.m, p.m) / p.k"  # metres on the ellipsoid (see the module docstring)
    sql = f"""
INSERT INTO _rd_res (parcel_id, condition, status, method, evidence, verified_at, reason)
SELECT p.id, :cond,
  CASE WHEN q.code IS NOT NULL THEN 'met' ELSE 'unmet' END,
  'spatial',
  jsonb_build_object(
    'nearest', CASE WHEN q.code IS NOT NULL THEN {feature("q")}
                    WHEN n.code IS NOT NULL THEN {feature("n")} END,
    'rule', r.rule)
  || CASE WHEN q.code IS NULL THEN jsonb_build_object(
       'reason', format('no qualifying {noun} within %s m', r.max_d),
       'nearest_failing', CASE WHEN f.code IS NOT NULL THEN jsonb_build_object(
          'code', f.code, 'name', f.name, 'distance_m', round(CAST(f.d AS numeric), 1),
          '{attr}', f.{attr}, 'why', {sq.why}) END)
     ELSE '{{}}'::jsonb END,
  {AS_OF},
  CASE WHEN q.code IS NOT NULL
       THEN format('{noun} %s at %s m', q.code, round(CAST(q.d AS numeric), 1))
       ELSE format('no qualifying {noun} within %s m', r.max_d) END
FROM _rd_pm p JOIN _rd_cr r ON r.county = p.county AND r.kind = :cond
LEFT JOIN LATERAL (
  SELECT {cols}, {dist} AS d FROM _rd_im i
  WHERE i.kind = {kind} AND i.status = 'existing' AND {sq.qualifies}
    AND ST_DWithin(i.m, p.m, r.max_d * p.k)
  ORDER BY d, i.code LIMIT 1) q ON true
LEFT JOIN LATERAL (
  SELECT {cols}, {dist} AS d FROM _rd_im i
  WHERE q.code IS NULL AND i.kind = {kind} AND i.status = 'existing' AND {sq.qualifies}
  ORDER BY i.m <-> p.m LIMIT 1) n ON true
LEFT JOIN LATERAL (
  SELECT {cols}, {dist} AS d FROM _rd_im i
  WHERE q.code IS NULL AND i.kind = {kind}
  ORDER BY i.m <-> p.m LIMIT 1) f ON true
"""  # noqa: S608
    params = {**sq.params, "cond": rule.kind}
    return sql, params


def spatial_statements(settings: Settings) -> list[tuple[str, str, dict[str, Any]]]:
    """(condition, SQL, params) of the three network checks, in the order a run makes them."""
    r = settings.readiness
    return [(rule.kind, *spatial_statement(rule)) for rule in (r.water, r.power, r.road)]
