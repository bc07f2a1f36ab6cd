"""The readiness run: every condition of every parcel, set-based in PostGIS, in one transaction.

One statement per condition computes the results of all target parcels into a temporary table;
active overrides are laid over them; then, set-based again, history rows are written where a
status changed and ``parcel_conditions`` is upserted. Nothing loads parcels into Python.

This module runs the steps and summarises; the SQL lives in :mod:`.networks` (water, power,
road: metric copies, distances in metres) and :mod:`.statements` (records, title, overrides,
history, save, summary). ``spatial_statements`` is re-exported for the benchmark.
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
from geo_service.db import summary as parcel_summary
from geo_service.db.engine import transaction
from geo_service.errors import ConfigurationError
from geo_service.readiness import county_rules, rules
from geo_service.readiness import statements as st
from geo_service.readiness.networks import copy_metric, spatial_statements
from geo_service.settings import CONDITIONS, Settings
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
    #: condition rows the run wrote (new or with a changed decision); unchanged rows stay as
    #: they are and the run's ``covers`` says they were checked (``rules.checked_at_sql``)
    written: int = 0
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
            "conditions_written": self.written,
            "seconds": round(self.seconds, 2),
        }


def tune(session: Session) -> None:
    """Session settings of a run, for this transaction only: JIT compiles each big statement for
    ~0.3 s and gains nothing on index-driven nested loops, so it is off; the joins of the
    results (5 rows per parcel) with the stored rows hash in memory instead of in 32 batches
    through temporary files."""
    session.execute(text("SET LOCAL jit = off"))
    session.execute(text("SET LOCAL work_mem = '128MB'"))


def _select_targets(
    session: Session,
    *,
    only_marked: bool,
    parcel_ids: Sequence[int] | None,
    county: str | None = None,
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
        where = f"""m.parcel_id IS NOT NULL
          OR NOT EXISTS (SELECT 1 FROM parcel_conditions c WHERE c.parcel_id = p.id)
          OR EXISTS (SELECT 1 FROM parcel_conditions c WHERE c.parcel_id = p.id
                     AND (c.method = 'override' OR (c.method = 'record' AND c.status <> 'unknown'
                          AND c.verified_at < {st.AS_OF} - make_interval(days => :max_age))))"""  # noqa: S608
        params = {"as_of": as_of, "max_age": max_age}
    else:
        where, params = "true", {}
    if county is not None:
        where, params = f"p.county = :county AND ({where})", {**params, "county": county}
    session.execute(
        # with the version of its mark that the run saw (see _clear_marks)
        text(
            "CREATE TEMP TABLE _rd_t ON COMMIT DROP AS SELECT p.id, m.xmin AS mark "  # noqa: S608
            f"FROM parcels p LEFT JOIN parcel_marks m ON m.parcel_id = p.id WHERE {where}"
        ),
        params,
    )
    session.execute(text("ALTER TABLE _rd_t ADD PRIMARY KEY (id)"))
    session.execute(text("ANALYZE _rd_t"))
    return int(session.execute(text("SELECT count(*) FROM _rd_t")).scalar_one())


def check_parcels(
    session: Session,
    *,
    settings: Settings,
    actor: str,
    as_of: datetime,
    run_id: int | None = None,
    only_marked: bool = False,
    parcel_ids: Sequence[int] | None = None,
    county: str | None = None,
    covering: bool = False,
    progress: Progress | None = None,
) -> tuple[int, int, int]:
    """Check the target parcels in the caller's transaction; return (checked, status changes,
    condition rows written).

    ``covering``: the run covers all parcels (or ``county``'s) and its ``readiness_runs.covers``
    says so, so only the rows whose decision changed are written; otherwise (a record, an
    attestation, ``only_marked``) every checked row is written, with the time of this check.
    """
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
        session,
        only_marked=only_marked,
        parcel_ids=parcel_ids,
        county=county,
        as_of=as_of,
        max_age=max_age,
    )
    # a run over many parcels may take longer than a request's statement limit: 1 ms per parcel
    limit = max(settings.db_statement_timeout_ms, checked)
    session.execute(text(f"SET LOCAL statement_timeout = {int(limit)}"))
    for stmt in st.TEMP.split(";"):
        if stmt.strip():
            session.execute(text(stmt))
    copy_metric(session)
    county_rules.fill(session, settings)  # each county's network thresholds, joined per parcel
    for i, (_, sql, params) in enumerate(spatial_statements(settings), start=1):
        step(i)
        session.execute(text(sql), {**params, "as_of": as_of})
    step(4)
    session.execute(text(st.LEVELING), {"as_of": as_of, "max_age": max_age})
    step(5)
    tol = {"tol_protected": r.protected_overlap_tolerance_m2}
    for stmt in st.PROTECTED_OVERLAPS.split(";\n"):
        session.execute(text(stmt), tol)
    session.execute(
        text(st.TITLE),
        {
            "as_of": as_of,
            "max_age": max_age,
            "tol_protected": r.protected_overlap_tolerance_m2,
            "tol_parcel": r.parcel_overlap_tolerance_m2,
        },
    )
    step(6)
    for stmt in st.INDEX_RESULTS.split(";"):
        session.execute(text(stmt))
    overrides = {"as_of": as_of, "max_age": max_age}
    session.execute(text(st.NETWORK_EVIDENCE), overrides)
    session.execute(text(st.OVERRIDES), overrides)
    step(7)
    session.execute(text("DROP TABLE IF EXISTS _rd_diff"))
    session.execute(text(st.diff(every=not covering)))
    # what the save joins and the history filters on, not the evidence (its JSON: ~0.6 s cold)
    session.execute(text("ANALYZE _rd_diff (parcel_id, condition, fresh, old_status)"))
    session.execute(text("DROP TABLE IF EXISTS _rd_changed"))
    session.execute(text("CREATE TEMP TABLE _rd_changed (parcel_id bigint) ON COMMIT DROP"))
    result = session.execute(text(st.HISTORY_CHANGED), {"actor": actor, "run_id": run_id})
    changed = result.rowcount  # type: ignore[attr-defined]
    step(8)
    # the summary is refreshed once, for the parcels whose status changed (a warm run: none),
    # not by the triggers for every saved row
    with parcel_summary.deferred(session):
        save = {"run_id": run_id}
        written = session.execute(text(st.SAVE_CHANGED), save).rowcount  # type: ignore[attr-defined]
        written += session.execute(text(st.SAVE_NEW), save).rowcount  # type: ignore[attr-defined]
    _clear_marks(session)
    parcel_summary.refresh_from(session, "SELECT DISTINCT parcel_id FROM _rd_changed")
    return checked, int(changed or 0), int(written)


def _clear_marks(session: Session) -> None:
    """Delete the marks of the parcels checked, as the run found them: a parcel marked again by
    a write that committed while the run was going (its mark row a newer version than the one in
    ``_rd_t.mark``) keeps its mark, so the next ``--only-marked`` run checks it against what that
    write changed. A narrow table: not 100 000 wide parcel rows rewritten (migration
    0014_parcel_marks)."""
    session.execute(
        text(
            "DELETE FROM parcel_marks m USING _rd_t t WHERE m.parcel_id = t.id AND m.xmin = t.mark"
        )
    )


def _db_now(session: Session) -> datetime:
    return session.execute(text("SELECT now()")).scalar_one()  # type: ignore[no-any-return]


def run_readiness(
    engine: Engine,
    *,
    settings: Settings,
    actor: str,
    as_of: datetime | None = None,
    only_marked: bool = False,
    county: str | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Re-check the parcels (all, a county's, or only those marked) in ONE transaction and
    summarise.

    ``as_of`` makes a run repeatable: records after it are ignored and freshness and override
    expiry are judged against it. A failed run rolls back and leaves the previous results.
    """
    started = time.perf_counter()
    covers = None if only_marked else (county or rules.COVERS_ALL)
    try:
        with transaction(engine) as session:
            if as_of is None:
                as_of = _db_now(session)
            elif as_of.tzinfo is None:
                raise ConfigurationError("as_of needs a time zone (e.g. 2024-06-30T00:00:00+08:00)")
            run_id = int(
                session.execute(
                    text(
                        "INSERT INTO readiness_runs (as_of, actor, status, covers) "
                        "VALUES (:as_of, :actor, 'running', :covers) RETURNING id"
                    ),
                    {"as_of": as_of, "actor": actor, "covers": covers},
                ).scalar_one()
            )
            checked, changed, written = check_parcels(
                session,
                settings=settings,
                actor=actor,
                as_of=as_of,
                run_id=run_id,
                only_marked=only_marked,
                county=county,
                covering=covers is not None,
                progress=progress,
            )
            if progress is not None:
                progress(STEPS[9], 9, len(STEPS))
            row = session.execute(text(st.SUMMARY)).mappings().one()
            summary = RunSummary(
                run_id=run_id,
                as_of=as_of,
                parcels_checked=checked,
                parcels_total=int(row["total"]),
                net_land=int(row["net_land"]),
                net_land_mu=m2_to_mu(float(row["net_land_m2"])) or 0.0,
                missing={c: int(row[c]) for c in CONDITIONS},
                changed=changed,
                written=written,
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
