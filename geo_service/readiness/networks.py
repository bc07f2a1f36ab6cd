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
from geo_service.readiness.rules import AS_OF
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
    parcel is judged by its county's thresholds (``r``: the ``_rd_cr`` row, ``county_rules``).

    It stores the decision's parts and their key (``decision``), not the evidence: the run
    builds that only for the rows it writes (``evidence_sql``, migration 0013)."""
    sq = county_rules.spatial_sql(rule.kind)
    # the kind is a literal (validated: one of three keys) so the per-kind partial index is used
    kind = {"water": "'water'", "power": "'power'", "road": "'road'"}[rule.kind]
    attr = rules.ATTRIBUTE[rule.kind]
    cols = "i.code, i.name, i.status, i.diameter_mm, i.voltage_kv, i.road_class"
    dist = "ST_Distance(i.m, p.m) / p.k"  # metres on the ellipsoid (see the module docstring)
    # the evidence's parts, column → expression, stored and (with the rule) the decision key;
    # n_: the nearest qualifying feature, else the nearest existing one (n runs only without q);
    # f_: the nearest of the kind at all, when nothing qualifies (why it fails)
    parts = {
        "n_code": "coalesce(q.code, n.code)",
        "n_name": "coalesce(q.name, n.name)",
        "n_d": "round(CAST(coalesce(q.d, n.d) AS numeric), 1)",
        f"n_{attr}": f"coalesce(q.{attr}, n.{attr})",
        "f_code": "f.code",
        "f_name": "f.name",
        "f_d": "round(CAST(f.d AS numeric), 1)",
        f"f_{attr}": f"f.{attr}",
        "f_why": f"CASE WHEN f.code IS NOT NULL THEN {sq.why} END",
    }
    values = ", ".join(parts.values())
    sql = f"""
INSERT INTO _rd_res (parcel_id, condition, status, method, verified_at, decision, max_d, rule,
  {", ".join(parts)})
SELECT p.id, :cond, CASE WHEN q.code IS NOT NULL THEN 'met' ELSE 'unmet' END, 'spatial',
  {AS_OF}, CAST(ROW({values}, r.rule_key) AS text), r.max_d, r.rule, {values}
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


def _feature(prefix: str, attr: str, r: str) -> str:
    return (
        f"jsonb_build_object('code', {r}.{prefix}_code, 'name', {r}.{prefix}_name, "
        f"'distance_m', {r}.{prefix}_d, '{attr}', {r}.{prefix}_{attr}"
    )


def evidence_sql(r: str = "r") -> tuple[str, str]:
    """(evidence, reason) of a network row of ``_rd_res`` (alias ``r``) from its stored parts, as
    the popup, the timeline and the history read them: the nearest qualifying feature (else the
    nearest), the rule, and when not met the reason and the nearest failing feature with why."""
    evidence, reason = [], []
    for kind in NETWORKS:
        attr, noun = rules.ATTRIBUTE[kind], rules.FEATURE_NOUN[kind]
        evidence.append(
            f"""WHEN '{kind}' THEN jsonb_build_object(
    'nearest', CASE WHEN {r}.n_code IS NOT NULL THEN {_feature("n", attr, r)}) END,
    'rule', {r}.rule)
  || CASE WHEN {r}.status = 'met' THEN '{{}}'::jsonb ELSE jsonb_build_object(
       'reason', format('no qualifying {noun} within %s m', {r}.max_d),
       'nearest_failing', CASE WHEN {r}.f_code IS NOT NULL
                          THEN {_feature("f", attr, r)}, 'why', {r}.f_why) END) END"""
        )
        reason.append(
            f"""WHEN '{kind}' THEN CASE WHEN {r}.status = 'met'
    THEN format('{noun} %s at %s m', {r}.n_code, {r}.n_d)
    ELSE format('no qualifying {noun} within %s m', {r}.max_d) END"""
        )
    return (
        f"CASE {r}.condition " + "\n".join(evidence) + " END",
        f"CASE {r}.condition " + "\n".join(reason) + " END",
    )


def spatial_statements(settings: Settings) -> list[tuple[str, str, dict[str, Any]]]:
    """(condition, SQL, params) of the three network checks, in the order a run makes them."""
    r = settings.readiness
    return [(rule.kind, *spatial_statement(rule)) for rule in (r.water, r.power, r.road)]
