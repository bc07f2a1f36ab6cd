"""The readiness run's SQL beside the network checks: the record conditions (leveling, title with
its overlaps), overrides laid over the results, history, the save and the run's summary.

Every statement works on the run's temporary tables (``_rd_t``: the target parcels, ``_rd_res``:
one result row per parcel and condition); values are bound, only constants are interpolated.
"""

from __future__ import annotations

from geo_service.readiness.networks import evidence_sql
from geo_service.readiness.rules import AS_OF, AS_OF_DATE, run_dated_sql
from geo_service.settings import CONDITIONS

TEMP = """
DROP TABLE IF EXISTS _rd_res;
CREATE TEMP TABLE _rd_res (
  parcel_id bigint NOT NULL, condition text NOT NULL, status text NOT NULL, method text NOT NULL,
  evidence jsonb, verified_at timestamptz, reason text,
  decision text, max_d float8, rule jsonb,
  n_code text, n_name text, n_d numeric, n_diameter_mm float8, n_voltage_kv float8,
  n_road_class text,
  f_code text, f_name text, f_d numeric, f_diameter_mm float8, f_voltage_kv float8,
  f_road_class text, f_why text) ON COMMIT DROP
"""
#: ``_rd_res``: one row per target parcel and condition. A record row (leveling, title) carries
#: its evidence and reason; a network row carries the parts they are made of (``n_*``: the
#: nearest qualifying feature, else the nearest; ``f_*``: the nearest failing one, with why; the
#: county's rule) and their key ``decision``; its evidence and reason are built only for the rows
#: the run writes (``networks.evidence_sql``) or overrides (``NETWORK_EVIDENCE``)

#: after the five statements filled ``_rd_res``: one index build instead of 5 × N inserts into
#: it (and a duplicate result would fail the run here)
INDEX_RESULTS = """
ALTER TABLE _rd_res ADD PRIMARY KEY (parcel_id, condition);
ANALYZE _rd_res (parcel_id, condition, status, method)
"""


LEVELING = f"""
INSERT INTO _rd_res (parcel_id, condition, status, method, evidence, verified_at, reason)
SELECT t.id, 'leveling', x.status, 'record',
  CASE WHEN s.id IS NULL THEN jsonb_build_object('reason', x.reason)
       ELSE jsonb_build_object('survey', jsonb_build_object(
              'surveyed_on', s.surveyed_on, 'leveled', s.leveled,
              'earthwork_outstanding_m3', s.earthwork_outstanding_m3,
              'surveyor', s.surveyor, 'document_ref', s.document_ref))
            || CASE WHEN x.status = 'met' THEN '{{}}'::jsonb
                    ELSE jsonb_build_object('reason', x.reason) END END,
  CAST(s.surveyed_on AS timestamptz), x.reason
FROM _rd_t t
LEFT JOIN LATERAL (
  SELECT * FROM leveling_surveys l
  WHERE l.parcel_id = t.id AND l.surveyed_on <= {AS_OF_DATE}
  ORDER BY l.surveyed_on DESC, l.id DESC LIMIT 1) s ON true
-- the earthwork as people write it: 18500, not 18500.00
CROSS JOIN LATERAL (SELECT trim_scale(s.earthwork_outstanding_m3) AS m3) x_m3
CROSS JOIN LATERAL (SELECT
  CASE WHEN s.id IS NULL THEN 'unknown'
       WHEN {AS_OF_DATE} - s.surveyed_on > :max_age THEN 'unknown'
       WHEN s.leveled AND s.earthwork_outstanding_m3 = 0 THEN 'met'
       ELSE 'unmet' END AS status,
  CASE WHEN s.id IS NULL THEN 'no site survey on record'
       WHEN {AS_OF_DATE} - s.surveyed_on > :max_age THEN 'stale'
       WHEN s.leveled AND s.earthwork_outstanding_m3 = 0 THEN 'leveled, no earthwork outstanding'
       WHEN NOT s.leveled AND s.earthwork_outstanding_m3 > 0
         THEN format('not leveled; %s m³ earthwork outstanding', x_m3.m3)
       WHEN NOT s.leveled THEN 'not leveled'
       ELSE format('%s m³ earthwork outstanding', x_m3.m3) END AS reason) x
"""  # noqa: S608

OVERLAP = """
  SELECT coalesce(sum(z.a), 0) AS area,
         coalesce(jsonb_agg(jsonb_build_object({obj}, 'overlap_m2', round(CAST(z.a AS numeric), 1))
                  ORDER BY z.a DESC) FILTER (WHERE z.a > {tol}), '[]'::jsonb) AS items,
         coalesce(sum(z.a) FILTER (WHERE z.a > {tol}), 0) AS counted
  FROM (SELECT {cols}, ST_Area(ST_CollectionExtract(ST_Intersection(o.geom, p.geom), 3)::geography,
                        true) AS a
        FROM {table} o
        WHERE ST_Intersects(o.geom, p.geom) AND ST_Relate(o.geom, p.geom, 'T********') {extra}) z
"""

#: overlaps with protected land, per target parcel, asked from the protected side: a few hundred
#: index probes into the parcels instead of one per parcel (the title statement joins the result)
PROTECTED_OVERLAPS = """
CREATE TEMP TABLE _rd_pa ON COMMIT DROP AS
SELECT z.parcel_id, sum(z.a) AS area,
  coalesce(jsonb_agg(jsonb_build_object('code', z.code, 'kind', z.kind,
                     'overlap_m2', round(CAST(z.a AS numeric), 1))
           ORDER BY z.a DESC) FILTER (WHERE z.a > CAST(:tol_protected AS float8)), '[]'::jsonb)
    AS items,
  coalesce(sum(z.a) FILTER (WHERE z.a > CAST(:tol_protected AS float8)), 0) AS counted
FROM (SELECT p.id AS parcel_id, o.code, o.kind,
        ST_Area(ST_CollectionExtract(ST_Intersection(o.geom, p.geom), 3)::geography, true) AS a
      FROM protected_areas o JOIN parcels p ON ST_Intersects(o.geom, p.geom)
      WHERE p.id IN (SELECT id FROM _rd_t) AND ST_Relate(o.geom, p.geom, 'T********')) z
GROUP BY z.parcel_id;
ALTER TABLE _rd_pa ADD PRIMARY KEY (parcel_id);
ANALYZE _rd_pa
"""
PARCEL_OVERLAP = OVERLAP.format(
    obj="'code', z.code",
    tol="CAST(:tol_parcel AS float8)",
    cols="o.code, o.kind",
    table="(SELECT id, code, 'parcel' AS kind, geom FROM parcels)",
    extra="AND o.id <> p.id",
)

TITLE = f"""
INSERT INTO _rd_res (parcel_id, condition, status, method, evidence, verified_at, reason)
SELECT t.id, 'title', x.status, 'record',
  jsonb_build_object(
    'record', CASE WHEN r.id IS NULL THEN NULL ELSE jsonb_build_object(
        'recorded_on', r.recorded_on, 'ownership', r.ownership,
        'requisition_done', r.requisition_done, 'compensation_settled', r.compensation_settled,
        'open_disputes', r.open_disputes, 'document_ref', r.document_ref) END,
    'protected_overlap_m2', round(CAST(pa.counted AS numeric), 1),
    'protected_overlaps', pa.items,
    'parcel_overlap_m2', round(CAST(po.counted AS numeric), 1),
    'parcel_overlaps', po.items)
  || CASE WHEN x.status = 'met' THEN '{{}}'::jsonb ELSE jsonb_build_object('reason', x.reason) END,
  CASE WHEN r.id IS NULL THEN {AS_OF} ELSE CAST(r.recorded_on AS timestamptz) END,
  x.reason
FROM _rd_t t
JOIN parcels p ON p.id = t.id
LEFT JOIN LATERAL (
  SELECT * FROM title_records tr
  WHERE tr.parcel_id = t.id AND tr.recorded_on <= {AS_OF_DATE}
  ORDER BY tr.recorded_on DESC, tr.id DESC LIMIT 1) r ON true
LEFT JOIN LATERAL (SELECT coalesce(a.counted, 0) AS counted,
                          coalesce(a.items, '[]'::jsonb) AS items
                   FROM (SELECT 1) one LEFT JOIN _rd_pa a ON a.parcel_id = t.id) pa ON true
CROSS JOIN LATERAL ({PARCEL_OVERLAP}) po
CROSS JOIN LATERAL (SELECT
  concat_ws('; ',
    CASE WHEN pa.counted > 0 THEN format('overlaps protected land by %s m²',
         round(CAST(pa.counted AS numeric), 1)) END,
    CASE WHEN po.counted > 0 THEN format('overlaps other parcels by %s m²',
         round(CAST(po.counted AS numeric), 1)) END,
    CASE WHEN r.id IS NOT NULL AND {AS_OF_DATE} - r.recorded_on <= :max_age THEN concat_ws('; ',
      CASE WHEN r.ownership <> 'state' THEN format('ownership %s, not state', r.ownership) END,
      CASE WHEN NOT r.requisition_done THEN 'requisition not done' END,
      CASE WHEN NOT r.compensation_settled THEN 'compensation not settled' END,
      CASE WHEN r.open_disputes > 0 THEN format('%s open dispute(s)', r.open_disputes) END)
    END) AS failures) f
CROSS JOIN LATERAL (SELECT
  CASE WHEN pa.counted > 0 OR po.counted > 0 THEN 'unmet'
       WHEN r.id IS NULL THEN 'unknown'
       WHEN {AS_OF_DATE} - r.recorded_on > :max_age THEN 'unknown'
       WHEN f.failures = '' THEN 'met'
       ELSE 'unmet' END AS status,
  CASE WHEN pa.counted > 0 OR po.counted > 0 THEN f.failures
       WHEN r.id IS NULL THEN 'no title record'
       WHEN {AS_OF_DATE} - r.recorded_on > :max_age THEN 'stale'
       WHEN f.failures = '' THEN 'state-owned, requisitioned, compensated, no dispute, no overlap'
       ELSE f.failures END AS reason) x
"""  # noqa: S608

#: the latest live override per parcel and condition; one without expiry lasts max_age days
ACTIVE_OVERRIDES = f"""
SELECT DISTINCT ON (o.parcel_id, o.condition) o.*
FROM condition_overrides o
WHERE o.parcel_id IN (SELECT id FROM _rd_t) AND o.revoked_at IS NULL
  AND o.verified_at <= {AS_OF}
  AND (o.expires_at > {AS_OF}
       OR (o.expires_at IS NULL AND {AS_OF} - o.verified_at <= make_interval(days => :max_age)))
ORDER BY o.parcel_id, o.condition, o.verified_at DESC, o.id DESC
"""  # noqa: S608

_EVIDENCE, _REASON = evidence_sql("r")

#: the evidence of the network rows an override is laid over (it keeps the computed one)
NETWORK_EVIDENCE = f"""
UPDATE _rd_res r SET evidence = {_EVIDENCE}, reason = {_REASON}
WHERE r.evidence IS NULL
  AND (r.parcel_id, r.condition) IN (SELECT o.parcel_id, o.condition FROM ({ACTIVE_OVERRIDES}) o)
"""  # noqa: S608

OVERRIDES = f"""
UPDATE _rd_res r SET status = o.status, method = 'override', verified_at = o.verified_at,
  reason = 'override: ' || o.reason, decision = NULL,
  evidence = jsonb_build_object(
    'override', jsonb_build_object('id', o.id, 'status', o.status, 'reason', o.reason,
        'document_ref', o.document_ref, 'expires_at', o.expires_at, 'by', o.created_by,
        'verified_at', o.verified_at, 'evidence', o.evidence),
    'computed', jsonb_build_object('status', r.status, 'method', r.method,
        'evidence', r.evidence, 'verified_at', r.verified_at))
FROM ({ACTIVE_OVERRIDES}) o
WHERE r.parcel_id = o.parcel_id AND r.condition = o.condition
"""  # noqa: S608


def _decision(a: str) -> str:
    """What a covering run compares for a record or override row: status, method, evidence and
    the evidence date — except for a run-dated row, whose date is the run's own
    (``rules.verified_at_sql``)."""
    return (
        f"({a}.status, {a}.method, {a}.evidence, "
        f"CASE WHEN {run_dated_sql(a)} THEN NULL ELSE {a}.verified_at END)"
    )


def diff(*, every: bool) -> str:
    """``_rd_diff``: the results to write, with the stored status and method they replace and
    their evidence and reason — one pass over the stored rows, which history and save then
    share. A run that covers all parcels (or a county's) keeps only the new rows and those whose
    decision changed: for a network row its status, method and ``decision`` key (its evidence
    date is the run's own), for the others status, method, evidence and evidence date (unless
    it is the run's own, ``rules.verified_at_sql``); it tells when it checked the rest through
    ``readiness_runs.covers`` (``rules.checked_at_sql``). A network row's evidence is built
    here, for the kept rows only. A partial check (``every``) keeps all of its few rows, so
    their ``checked_at`` moves."""
    changed = (
        ""
        if every
        else f"""WHERE c.parcel_id IS NULL OR CASE WHEN r.decision IS NOT NULL
  THEN (c.status, c.method, c.decision) IS DISTINCT FROM (r.status, r.method, r.decision)
  ELSE {_decision("c")} IS DISTINCT FROM {_decision("r")} END"""
    )
    return f"""
CREATE TEMP TABLE _rd_diff ON COMMIT DROP AS
SELECT r.parcel_id, r.condition, r.status, r.method, r.verified_at, r.decision,
  coalesce(r.evidence, {_EVIDENCE}) AS evidence, coalesce(r.reason, {_REASON}) AS reason,
  c.status AS old_status, c.method AS old_method, c.parcel_id IS NULL AS fresh
FROM _rd_res r
LEFT JOIN parcel_conditions c ON c.parcel_id = r.parcel_id AND c.condition = r.condition
{changed}
"""  # noqa: S608


HISTORY = """
INSERT INTO condition_history (parcel_id, condition, old_status, new_status, method, actor,
                               reason, evidence, changed_at, run_id)
SELECT d.parcel_id, d.condition, d.old_status, d.status, d.method, :actor,
  CASE WHEN d.old_method = 'override' AND d.method <> 'override'
       THEN 'override expired or revoked; ' || coalesce(d.reason, '') ELSE d.reason END,
  d.evidence, now(), :run_id
FROM _rd_diff d
WHERE d.old_status IS DISTINCT FROM d.status
"""  # noqa: S608

#: the history rows, and the parcels they name into ``_rd_changed``: the parcels whose stored
#: summary the run must refresh (the save defers the summary triggers, see ``db.summary``)
HISTORY_CHANGED = f"""
WITH h AS ({HISTORY} RETURNING parcel_id)
INSERT INTO _rd_changed SELECT parcel_id FROM h
"""  # noqa: S608

_SET = """status = {r}.status, method = {r}.method, evidence = {r}.evidence,
  verified_at = {r}.verified_at, decision = {r}.decision, checked_at = now(), run_id = :run_id"""

#: the stored rows ``_rd_diff`` names
SAVE_CHANGED = f"""
UPDATE parcel_conditions c SET {_SET.format(r="d")}
FROM _rd_diff d
WHERE NOT d.fresh AND c.parcel_id = d.parcel_id AND c.condition = d.condition
"""  # noqa: S608

#: the results never stored before (a concurrent writer's row is updated, as a plain upsert would)
SAVE_NEW = f"""
INSERT INTO parcel_conditions (parcel_id, condition, status, method, evidence, verified_at,
                               decision, checked_at, run_id)
SELECT d.parcel_id, d.condition, d.status, d.method, d.evidence, d.verified_at, d.decision, now(),
  :run_id
FROM _rd_diff d
WHERE d.fresh
ON CONFLICT (parcel_id, condition) DO UPDATE SET {_SET.format(r="EXCLUDED")}
"""  # noqa: S608

#: the register's figures after the run, from the tiles' stored summary (``parcel_summary``:
#: per parcel its met count and the conditions not met — unmet, unknown or never checked —,
#: refreshed by the run for the parcels whose status changed, kept equal to the conditions by
#: the database: tests/test_tiles_scale.py): one pass over a row per parcel instead of grouping
#: every parcel's condition rows again
SUMMARY = f"""
SELECT count(*) AS total,
  count(*) FILTER (WHERE s.net_land) AS net_land,
  coalesce(sum(s.area_m2) FILTER (WHERE s.net_land), 0) AS net_land_m2,
  {", ".join(f"count(*) FILTER (WHERE '{c}' = ANY(s.fails)) AS {c}" for c in CONDITIONS)}
FROM parcel_summary s
"""  # noqa: S608
