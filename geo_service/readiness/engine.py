"""The readiness run: every condition of every parcel, set-based in PostGIS, in one transaction.

One statement per condition computes the results of all target parcels into a temporary table;
active overrides are laid over them; then, set-based again, history rows are written where a
status changed and ``parcel_conditions`` is upserted. Nothing loads parcels into Python.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from geo_service.audit import record
from geo_service.db.engine import transaction
from geo_service.errors import ConfigurationError
from geo_service.readiness import rules
from geo_service.settings import CONDITIONS, NetworkRule, Settings
from geo_service.spatial import m2_to_mu

Progress = Callable[[str, int, int], None]

STEPS = (
    "select parcels",
    "water",
    "power",
    "road",
    "leveling",
    "title",
    "overrides",
    "history",
    "save",
    "summary",
)


@dataclass
class RunSummary:
    """What a run did, in the words of the land bureau."""

    run_id: int | None
    as_of: datetime
    parcels_checked: int
    parcels_total: int
    net_land: int
    net_land_mu: float
    #: parcels (of all in the register) whose condition is not met, by condition
    missing: dict[str, int] = field(default_factory=dict)
    changed: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        miss = ", ".join(f"{c} {self.missing.get(c, 0)}" for c in CONDITIONS)
        return (
            f"{self.parcels_checked} parcels checked, {self.net_land} net land "
            f"({self.net_land_mu:.2f} 亩), missing: {miss}, in {self.seconds:.1f} s"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "parcels_checked": self.parcels_checked,
            "parcels_total": self.parcels_total,
            "net_land": self.net_land,
            "net_land_mu": self.net_land_mu,
            "missing": self.missing,
            "status_changes": self.changed,
            "seconds": round(self.seconds, 2),
        }


# ------------------------------------------------------------------------------ statements

_TEMP = """
DROP TABLE IF EXISTS _rd_res;
CREATE TEMP TABLE _rd_res (
  parcel_id bigint NOT NULL, condition text NOT NULL, status text NOT NULL, method text NOT NULL,
  evidence jsonb NOT NULL, verified_at timestamptz, reason text,
  PRIMARY KEY (parcel_id, condition)) ON COMMIT DROP
"""

_AS_OF = "CAST(:as_of AS timestamptz)"
_AS_OF_DATE = "CAST(CAST(:as_of AS timestamptz) AS date)"


def _spatial_statement(rule: NetworkRule) -> tuple[str, dict[str, Any]]:
    """One INSERT … SELECT over all target parcels for one network rule."""
    sq = rules.spatial_sql(rule)
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
    dist = "ST_Distance(i.geom::geography, p.geom::geography)"
    sql = f"""
INSERT INTO _rd_res (parcel_id, condition, status, method, evidence, verified_at, reason)
SELECT t.id, :cond,
  CASE WHEN q.code IS NOT NULL THEN 'met' ELSE 'unmet' END,
  'spatial',
  jsonb_build_object(
    'nearest', CASE WHEN q.code IS NOT NULL THEN {feature("q")}
                    WHEN n.code IS NOT NULL THEN {feature("n")} END,
    'rule', CAST(:rule AS jsonb))
  || CASE WHEN q.code IS NULL THEN jsonb_build_object(
       'reason', format('no qualifying {noun} within %s m', CAST(:max_d AS float8)),
       'nearest_failing', CASE WHEN f.code IS NOT NULL THEN jsonb_build_object(
          'code', f.code, 'name', f.name, 'distance_m', round(CAST(f.d AS numeric), 1),
          '{attr}', f.{attr}, 'why', {sq.why}) END)
     ELSE '{{}}'::jsonb END,
  {_AS_OF},
  CASE WHEN q.code IS NOT NULL
       THEN format('{noun} %s at %s m', q.code, round(CAST(q.d AS numeric), 1))
       ELSE format('no qualifying {noun} within %s m', CAST(:max_d AS float8)) END
FROM _rd_t t
JOIN parcels p ON p.id = t.id
LEFT JOIN LATERAL (
  SELECT {cols}, {dist} AS d FROM infrastructure i
  WHERE i.kind = {kind} AND i.status = 'existing' AND {sq.qualifies}
    AND ST_DWithin(i.geom::geography, p.geom::geography, CAST(:max_d AS float8))
  ORDER BY d, i.code LIMIT 1) q ON true
LEFT JOIN LATERAL (
  SELECT {cols}, {dist} AS d FROM infrastructure i
  WHERE q.code IS NULL AND i.kind = {kind} AND i.status = 'existing' AND {sq.qualifies}
  ORDER BY i.geom::geography <-> p.geom::geography LIMIT 1) n ON true
LEFT JOIN LATERAL (
  SELECT {cols}, {dist} AS d FROM infrastructure i
  WHERE q.code IS NULL AND i.kind = {kind}
  ORDER BY i.geom::geography <-> p.geom::geography LIMIT 1) f ON true
"""  # noqa: S608 -- fixed fragments only; values bound
    params = {
        **sq.params,
        "cond": rule.kind,
        "rule": json.dumps(rules.rule_evidence(rule)),
    }
    return sql, params


_LEVELING = f"""
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
  WHERE l.parcel_id = t.id AND l.surveyed_on <= {_AS_OF_DATE}
  ORDER BY l.surveyed_on DESC, l.id DESC LIMIT 1) s ON true
CROSS JOIN LATERAL (SELECT
  CASE WHEN s.id IS NULL THEN 'unknown'
       WHEN {_AS_OF_DATE} - s.surveyed_on > :max_age THEN 'unknown'
       WHEN s.leveled AND s.earthwork_outstanding_m3 = 0 THEN 'met'
       ELSE 'unmet' END AS status,
  CASE WHEN s.id IS NULL THEN 'no site survey on record'
       WHEN {_AS_OF_DATE} - s.surveyed_on > :max_age THEN 'stale'
       WHEN s.leveled AND s.earthwork_outstanding_m3 = 0 THEN 'leveled, no earthwork outstanding'
       WHEN NOT s.leveled THEN 'not leveled'
       ELSE format('%s m³ earthwork outstanding', s.earthwork_outstanding_m3) END AS reason) x
"""  # noqa: S608 -- fixed fragments only; values bound

_OVERLAP = """
  SELECT coalesce(sum(z.a), 0) AS area,
         coalesce(jsonb_agg(jsonb_build_object({obj}, 'overlap_m2', round(CAST(z.a AS numeric), 1))
                  ORDER BY z.a DESC) FILTER (WHERE z.a > {tol}), '[]'::jsonb) AS items,
         coalesce(sum(z.a) FILTER (WHERE z.a > {tol}), 0) AS counted
  FROM (SELECT {cols}, ST_Area(ST_CollectionExtract(ST_Intersection(o.geom, p.geom), 3)::geography,
                        true) AS a
        FROM {table} o
        WHERE ST_Intersects(o.geom, p.geom) AND ST_Relate(o.geom, p.geom, 'T********') {extra}) z
"""

_PROTECTED_OVERLAP = _OVERLAP.format(
    obj="'code', z.code, 'kind', z.kind",
    tol="CAST(:tol_protected AS float8)",
    cols="o.code, o.kind",
    table="protected_areas",
    extra="",
)
_PARCEL_OVERLAP = _OVERLAP.format(
    obj="'code', z.code",
    tol="CAST(:tol_parcel AS float8)",
    cols="o.code, o.kind",
    table="(SELECT id, code, 'parcel' AS kind, geom FROM parcels)",
    extra="AND o.id <> p.id",
)

_TITLE = f"""
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
  CASE WHEN r.id IS NULL THEN {_AS_OF} ELSE CAST(r.recorded_on AS timestamptz) END,
  x.reason
FROM _rd_t t
JOIN parcels p ON p.id = t.id
LEFT JOIN LATERAL (
  SELECT * FROM title_records tr
  WHERE tr.parcel_id = t.id AND tr.recorded_on <= {_AS_OF_DATE}
  ORDER BY tr.recorded_on DESC, tr.id DESC LIMIT 1) r ON true
CROSS JOIN LATERAL ({_PROTECTED_OVERLAP}) pa
CROSS JOIN LATERAL ({_PARCEL_OVERLAP}) po
CROSS JOIN LATERAL (SELECT
  concat_ws('; ',
    CASE WHEN pa.counted > 0 THEN format('overlaps protected land by %s m²',
         round(CAST(pa.counted AS numeric), 1)) END,
    CASE WHEN po.counted > 0 THEN format('overlaps other parcels by %s m²',
         round(CAST(po.counted AS numeric), 1)) END,
    CASE WHEN r.id IS NOT NULL AND {_AS_OF_DATE} - r.recorded_on <= :max_age THEN concat_ws('; ',
      CASE WHEN r.ownership <> 'state' THEN format('ownership %s, not state', r.ownership) END,
      CASE WHEN NOT r.requisition_done THEN 'requisition not done' END,
      CASE WHEN NOT r.compensation_settled THEN 'compensation not settled' END,
      CASE WHEN r.open_disputes > 0 THEN format('%s open dispute(s)', r.open_disputes) END)
    END) AS failures) f
CROSS JOIN LATERAL (SELECT
  CASE WHEN pa.counted > 0 OR po.counted > 0 THEN 'unmet'
       WHEN r.id IS NULL THEN 'unknown'
       WHEN {_AS_OF_DATE} - r.recorded_on > :max_age THEN 'unknown'
       WHEN f.failures = '' THEN 'met'
       ELSE 'unmet' END AS status,
  CASE WHEN pa.counted > 0 OR po.counted > 0 THEN f.failures
       WHEN r.id IS NULL THEN 'no title record'
       WHEN {_AS_OF_DATE} - r.recorded_on > :max_age THEN 'stale'
       WHEN f.failures = '' THEN 'state-owned, requisitioned, compensated, no dispute, no overlap'
       ELSE f.failures END AS reason) x
"""  # noqa: S608 -- fixed fragments only; values bound

#: the latest live override per parcel and condition; one without expiry lasts max_age days
_ACTIVE_OVERRIDES = f"""
SELECT DISTINCT ON (o.parcel_id, o.condition) o.*
FROM condition_overrides o
WHERE o.parcel_id IN (SELECT id FROM _rd_t) AND o.revoked_at IS NULL
  AND o.verified_at <= {_AS_OF}
  AND (o.expires_at > {_AS_OF}
       OR (o.expires_at IS NULL AND {_AS_OF} - o.verified_at <= make_interval(days => :max_age)))
ORDER BY o.parcel_id, o.condition, o.verified_at DESC, o.id DESC
"""  # noqa: S608 -- fixed fragments only; values bound

_OVERRIDES = f"""
UPDATE _rd_res r SET status = o.status, method = 'override', verified_at = o.verified_at,
  reason = 'override: ' || o.reason,
  evidence = jsonb_build_object(
    'override', jsonb_build_object('id', o.id, 'status', o.status, 'reason', o.reason,
        'document_ref', o.document_ref, 'expires_at', o.expires_at, 'by', o.created_by,
        'verified_at', o.verified_at, 'evidence', o.evidence),
    'computed', jsonb_build_object('status', r.status, 'method', r.method,
        'evidence', r.evidence, 'verified_at', r.verified_at))
FROM ({_ACTIVE_OVERRIDES}) o
WHERE r.parcel_id = o.parcel_id AND r.condition = o.condition
"""  # noqa: S608 -- fixed fragments only; values bound

_HISTORY = """
INSERT INTO condition_history (parcel_id, condition, old_status, new_status, method, actor,
                               reason, evidence, changed_at, run_id)
SELECT r.parcel_id, r.condition, c.status, r.status, r.method, :actor,
  CASE WHEN c.method = 'override' AND r.method <> 'override'
       THEN 'override expired or revoked; ' || coalesce(r.reason, '') ELSE r.reason END,
  r.evidence, now(), :run_id
FROM _rd_res r
LEFT JOIN parcel_conditions c ON c.parcel_id = r.parcel_id AND c.condition = r.condition
WHERE c.status IS DISTINCT FROM r.status
"""

_SAVE = """
INSERT INTO parcel_conditions (parcel_id, condition, status, method, evidence, verified_at,
                               checked_at, run_id)
SELECT parcel_id, condition, status, method, evidence, verified_at, now(), :run_id FROM _rd_res
ON CONFLICT (parcel_id, condition) DO UPDATE SET
  status = EXCLUDED.status, method = EXCLUDED.method, evidence = EXCLUDED.evidence,
  verified_at = EXCLUDED.verified_at, checked_at = EXCLUDED.checked_at, run_id = EXCLUDED.run_id
"""

_SUMMARY = """
SELECT count(*) AS total,
  count(*) FILTER (WHERE x.met = 5) AS net_land,
  coalesce(sum(x.area_m2) FILTER (WHERE x.met = 5), 0) AS net_land_m2,
  count(*) FILTER (WHERE NOT x.water) AS water,
  count(*) FILTER (WHERE NOT x.power) AS power,
  count(*) FILTER (WHERE NOT x.road) AS road,
  count(*) FILTER (WHERE NOT x.leveling) AS leveling,
  count(*) FILTER (WHERE NOT x.title) AS title
FROM (
  SELECT p.id, p.area_m2,
    count(c.parcel_id) FILTER (WHERE c.status = 'met') AS met,
    coalesce(bool_or(c.condition = 'water' AND c.status = 'met'), false) AS water,
    coalesce(bool_or(c.condition = 'power' AND c.status = 'met'), false) AS power,
    coalesce(bool_or(c.condition = 'road' AND c.status = 'met'), false) AS road,
    coalesce(bool_or(c.condition = 'leveling' AND c.status = 'met'), false) AS leveling,
    coalesce(bool_or(c.condition = 'title' AND c.status = 'met'), false) AS title
  FROM parcels p LEFT JOIN parcel_conditions c ON c.parcel_id = p.id
  GROUP BY p.id, p.area_m2) x
"""


def tune(session: Session) -> None:
    """Session settings of a run: JIT compiles each big statement for ~0.3 s and gains nothing
    on index-driven nested loops, so it is off for this transaction only."""
    session.execute(text("SET LOCAL jit = off"))


def _select_targets(
    session: Session,
    *,
    only_marked: bool,
    parcel_ids: Sequence[int] | None,
    as_of: datetime,
    max_age: int,
) -> int:
    """Fill the temporary table ``_rd_t`` with the ids of the parcels to check."""
    session.execute(text("DROP TABLE IF EXISTS _rd_t"))
    params: dict[str, Any]
    if parcel_ids is not None:
        where, params = "p.id = ANY(:ids)", {"ids": list(parcel_ids)}
    elif only_marked:
        # marked by a write, never checked, or holding an override / record that may have lapsed
        where = f"""p.needs_check
          OR NOT EXISTS (SELECT 1 FROM parcel_conditions c WHERE c.parcel_id = p.id)
          OR EXISTS (SELECT 1 FROM parcel_conditions c WHERE c.parcel_id = p.id
                     AND (c.method = 'override' OR (c.method = 'record' AND c.status <> 'unknown'
                          AND c.verified_at < {_AS_OF} - make_interval(days => :max_age))))"""  # noqa: S608 -- fixed fragments only; values bound
        params = {"as_of": as_of, "max_age": max_age}
    else:
        where, params = "true", {}
    session.execute(
        text(f"CREATE TEMP TABLE _rd_t ON COMMIT DROP AS SELECT p.id FROM parcels p WHERE {where}"),  # noqa: S608 -- fixed fragments only; values bound
        params,
    )
    session.execute(text("ALTER TABLE _rd_t ADD PRIMARY KEY (id)"))
    session.execute(text("ANALYZE _rd_t"))
    return int(session.execute(text("SELECT count(*) FROM _rd_t")).scalar_one())


def spatial_statements(settings: Settings) -> list[tuple[str, str, dict[str, Any]]]:
    """(condition, SQL, params) of the three network checks: the benchmark's floor uses them."""
    r = settings.readiness
    return [(rule.kind, *_spatial_statement(rule)) for rule in (r.water, r.power, r.road)]


def check_parcels(
    session: Session,
    *,
    settings: Settings,
    actor: str,
    as_of: datetime,
    run_id: int | None = None,
    only_marked: bool = False,
    parcel_ids: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Check the target parcels in the caller's transaction; return (checked, status changes)."""
    problems = rules.validate_rules(settings.readiness)
    if problems:
        raise ConfigurationError("; ".join(problems))
    r = settings.readiness
    max_age = int(r.max_evidence_age_days)
    total = len(STEPS)

    def step(i: int) -> None:
        if progress is not None:
            progress(STEPS[i], i, total)

    step(0)
    tune(session)
    checked = _select_targets(
        session, only_marked=only_marked, parcel_ids=parcel_ids, as_of=as_of, max_age=max_age
    )
    for stmt in _TEMP.split(";"):
        if stmt.strip():
            session.execute(text(stmt))
    for i, (_, sql, params) in enumerate(spatial_statements(settings), start=1):
        step(i)
        session.execute(text(sql), {**params, "as_of": as_of})
    step(4)
    session.execute(text(_LEVELING), {"as_of": as_of, "max_age": max_age})
    step(5)
    session.execute(
        text(_TITLE),
        {
            "as_of": as_of,
            "max_age": max_age,
            "tol_protected": r.protected_overlap_tolerance_m2,
            "tol_parcel": r.parcel_overlap_tolerance_m2,
        },
    )
    step(6)
    session.execute(text(_OVERRIDES), {"as_of": as_of, "max_age": max_age})
    step(7)
    result = session.execute(text(_HISTORY), {"actor": actor, "run_id": run_id})
    changed = result.rowcount  # type: ignore[attr-defined]
    step(8)
    session.execute(text(_SAVE), {"run_id": run_id})
    session.execute(
        text(
            "UPDATE parcels SET needs_check = false "
            "WHERE needs_check AND id IN (SELECT id FROM _rd_t)"
        )
    )
    return checked, int(changed or 0)


def _db_now(session: Session) -> datetime:
    return session.execute(text("SELECT now()")).scalar_one()  # type: ignore[no-any-return]


def run_readiness(
    engine: Engine,
    *,
    settings: Settings,
    actor: str,
    as_of: datetime | None = None,
    only_marked: bool = False,
    progress: Progress | None = None,
) -> RunSummary:
    """Re-check the parcels (all, or only those marked) in ONE transaction and summarise.

    ``as_of`` makes a run repeatable: records after it are ignored and freshness and override
    expiry are judged against it. A failed run rolls back and leaves the previous results.
    """
    started = time.perf_counter()
    try:
        with transaction(engine) as session:
            if as_of is None:
                as_of = _db_now(session)
            elif as_of.tzinfo is None:
                raise ConfigurationError("as_of needs a time zone (e.g. 2024-06-30T00:00:00+08:00)")
            run_id = int(
                session.execute(
                    text(
                        "INSERT INTO readiness_runs (as_of, actor, status) "
                        "VALUES (:as_of, :actor, 'running') RETURNING id"
                    ),
                    {"as_of": as_of, "actor": actor},
                ).scalar_one()
            )
            checked, changed = check_parcels(
                session,
                settings=settings,
                actor=actor,
                as_of=as_of,
                run_id=run_id,
                only_marked=only_marked,
                progress=progress,
            )
            if progress is not None:
                progress(STEPS[9], 9, len(STEPS))
            row = session.execute(text(_SUMMARY)).mappings().one()
            summary = RunSummary(
                run_id=run_id,
                as_of=as_of,
                parcels_checked=checked,
                parcels_total=int(row["total"]),
                net_land=int(row["net_land"]),
                net_land_mu=m2_to_mu(float(row["net_land_m2"])) or 0.0,
                missing={c: int(row[c]) for c in CONDITIONS},
                changed=changed,
                seconds=time.perf_counter() - started,
            )
            session.execute(
                text(
                    """UPDATE readiness_runs SET finished_at = clock_timestamp(), status = 'done',
                    parcels_checked = :checked, net_land = :net, summary = CAST(:summary AS jsonb)
                    WHERE id = :id"""
                ),
                {
                    "checked": checked,
                    "net": summary.net_land,
                    "summary": json.dumps(summary.as_dict(), ensure_ascii=False),
                    "id": run_id,
                },
            )
            record(
                session,
                actor=actor,
                action="readiness.run",
                entity_type="readiness_run",
                entity_code=str(run_id),
                after=summary.as_dict(),
            )
    except Exception as exc:
        _record_failure(engine, actor=actor, as_of=as_of, error=type(exc).__name__)
        raise
    if progress is not None:
        progress("done", len(STEPS), len(STEPS))
    summary.seconds = time.perf_counter() - started
    return summary


def _record_failure(engine: Engine, *, actor: str, as_of: datetime | None, error: str) -> None:
    """Keep a trace of a failed run (its results were rolled back); never mask the error."""
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    """INSERT INTO readiness_runs (as_of, actor, status, finished_at, summary)
                    VALUES (coalesce(:as_of, now()), :actor, 'failed', now(),
                            jsonb_build_object('error', CAST(:error AS text)))"""
                ),
                {"as_of": as_of, "actor": actor, "error": error},
            )
    except Exception:  # noqa: S110  -- the original error matters more than this trace
        pass
