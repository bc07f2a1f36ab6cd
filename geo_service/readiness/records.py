"""Records behind the record-based conditions: site surveys (场地平整) and title records (权属).

Records are append-only. Each one is audited and takes effect at once: the parcel is re-checked
in the same transaction by the readiness engine (``engine.check_parcels``, the same rule as a
run), so the condition's status, evidence and history change with the write. The record's own
date (``surveyed_on``, ``recorded_on``) is the evidence date that staleness is judged by.
Keyword-only functions taking a Session; no HTTP here.
The record bodies and their checks are in ``record_bodies.py``, re-exported here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from geo_service.audit import AuditEvent
from geo_service.errors import InvalidInput, NotFound
from geo_service.readiness import queries
from geo_service.readiness.engine import check_parcels
from geo_service.readiness.record_bodies import (
    ACTION,
    CONDITION,
    DATE_FIELD,
    FIELDS,
    KINDS,
    LOCAL_TZ,
    MODELS,
    OWNERSHIP_ZH,
    SQL_TYPE,
    TABLE,
    SurveyIn,
    TitleIn,
    describe_errors,
    end_of_local_day,
    local_today,
    parse,
)
from geo_service.settings import Settings

__all__ = [
    "ACTION",
    "CONDITION",
    "DATE_FIELD",
    "FIELDS",
    "KINDS",
    "LOCAL_TZ",
    "MODELS",
    "OWNERSHIP_ZH",
    "SQL_TYPE",
    "SurveyIn",
    "TABLE",
    "TitleIn",
    "Written",
    "add_record",
    "describe_errors",
    "end_of_local_day",
    "list_records",
    "local_today",
    "parse",
    "write_records",
]

# ------------------------------------------------------------------ writing


@dataclass
class Written:
    """What a batch of records did."""

    created: list[dict[str, Any]] = field(default_factory=list)  #: {kind, parcel, id, row?}
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    #: status changes of the re-checked parcels: {parcel, condition, old, new, reason}
    changes: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for k in KINDS:
            out[f"{k}s_created"] = sum(1 for c in self.created if c["kind"] == k)
            out[f"{k}s_unchanged"] = sum(1 for c in self.unchanged if c["kind"] == k)
        out["status_changes"] = len(self.changes)
        return out


def _parcel_ids(session: Session, codes: Sequence[str]) -> dict[str, int]:
    rows = session.execute(
        text("SELECT code, id FROM parcels WHERE code = ANY(:codes)"), {"codes": sorted(set(codes))}
    )
    return {c: int(i) for c, i in rows}


def _statuses(session: Session, ids: Sequence[int]) -> dict[tuple[int, str], str]:
    rows = session.execute(
        text(
            "SELECT parcel_id, condition, status FROM parcel_conditions "
            "WHERE parcel_id = ANY(:ids) AND condition IN ('leveling', 'title')"
        ),
        {"ids": list(ids)},
    )
    return {(int(p), c): s for p, c, s in rows}


def _payload(kind: str, rec: SurveyIn | TitleIn) -> dict[str, Any]:
    """The record's values as JSON (dates ISO, earthwork to the stored 2 decimals)."""
    v = rec.model_dump(mode="json")
    if kind == "survey":
        v["earthwork_outstanding_m3"] = round(float(v["earthwork_outstanding_m3"]), 2)
    return v


def _key(pid: int, kind: str, values: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two records the same: parcel and every value (normalised for comparison)."""

    def norm(v: Any) -> Any:
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, Decimal | float):
            return round(float(v), 2)
        return v

    return (int(pid), *(norm(values[c]) for c in FIELDS[kind]))


def _insert_many(
    session: Session,
    kind: str,
    rows: Sequence[tuple[int, SurveyIn | TitleIn]],
    *,
    skip_same: bool,
) -> list[int | None]:
    """Insert records ``(parcel id, record)`` in ONE statement; the new id of each, in order.

    With ``skip_same`` a record identical to one on file (or to an earlier row of the batch) is
    not inserted: its id is None.
    """
    cols = FIELDS[kind]
    table = TABLE[kind]
    payload = [{"ord": i, "pid": pid, **_payload(kind, rec)} for i, (pid, rec) in enumerate(rows)]
    types = ", ".join(f"{c} {SQL_TYPE[c]}" for c in cols)
    cl = ", ".join(cols)
    sc = ", ".join(f"s.{c}" for c in cols)
    same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM s.{c}" for c in cols)
    if skip_same:
        pick = (
            f"SELECT DISTINCT ON (s.pid, {sc}) s.* FROM src s WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {table} t WHERE t.parcel_id = s.pid AND {same}) "
            f"ORDER BY s.pid, {sc}, s.ord"
        )
    else:
        pick = "SELECT * FROM src"
    sql = f"""
WITH src AS (SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb))
             AS s(ord int, pid bigint, {types}))
INSERT INTO {table} (parcel_id, {cl})
SELECT x.pid, {", ".join(f"x.{c}" for c in cols)} FROM ({pick}) x ORDER BY x.ord
RETURNING id, parcel_id, {cl}"""  # noqa: S608 -- module constants only; values are bound
    new: dict[tuple[Any, ...], list[int]] = {}
    result = session.execute(text(sql), {"rows": json.dumps(payload, ensure_ascii=False)})
    for r in result.mappings():
        new.setdefault(_key(r["parcel_id"], kind, dict(r)), []).append(int(r["id"]))
    for got in new.values():
        got.sort()
    out: list[int | None] = []
    for p in payload:
        ids = new.get(_key(p["pid"], kind, p))
        out.append(ids.pop(0) if ids else None)
    return out


def write_records(
    session: Session,
    *,
    items: Sequence[tuple[str, str, SurveyIn | TitleIn, dict[str, Any]]],
    actor: str,
    settings: Settings,
    skip_same: bool = False,
) -> Written:
    """Add records ``(kind, parcel code, record, where)`` and re-check their parcels at once.

    ``where`` (e.g. ``{"sheet": …, "row": 5}``) is echoed in the result. Unknown parcels are
    refused before anything is written. With ``skip_same`` a record identical to one already
    kept (same parcel, date and values) is counted as unchanged instead of added again.
    """
    ids = _parcel_ids(session, [code for _, code, _, _ in items])
    unknown = sorted({code for _, code, _, _ in items if code not in ids})
    if unknown:
        raise NotFound(
            "no parcel with code "
            + ", ".join(repr(c) for c in unknown[:20])
            + "; list codes with GET /api/v1/parcels"
        )
    # the readiness engine judges dates by the database's day: a record dated after it would
    # not count yet, so it is refused rather than accepted without effect
    db_today, zone = session.execute(
        text("SELECT CAST(now() AS date), current_setting('TimeZone')")
    ).one()
    late = [
        f"{code} {DATE_FIELD[kind]} {getattr(rec, DATE_FIELD[kind]).isoformat()}"
        for kind, code, rec, _ in items
        if getattr(rec, DATE_FIELD[kind]) > db_today
    ]
    if late:
        raise InvalidInput(
            f"{'; '.join(late[:20])}: after the service's today ({db_today.isoformat()}, "
            f"database time zone {zone}); record it once that day has begun there; nothing "
            "was written"
        )
    touched = sorted({ids[code] for _, code, _, _ in items})
    before = _statuses(session, touched)
    out = Written()
    new_ids: list[int | None] = [None] * len(items)
    for kind in KINDS:
        idx = [i for i, it in enumerate(items) if it[0] == kind]
        if idx:
            got = _insert_many(
                session, kind, [(ids[items[i][1]], items[i][2]) for i in idx], skip_same=skip_same
            )
            for i, rid in zip(idx, got, strict=True):
                new_ids[i] = rid
    audits: list[dict[str, Any]] = []
    for (kind, code, rec, where), rid in zip(items, new_ids, strict=True):
        entry = {"kind": kind, "parcel": code, "id": rid, **where}
        if rid is None:
            out.unchanged.append(entry)
            continue
        out.created.append(entry)
        audits.append(
            {
                "actor": actor,
                "action": ACTION[kind],
                "entity_type": "parcel",
                "entity_code": code,
                "before": {
                    "condition": CONDITION[kind],
                    "status": before.get((ids[code], CONDITION[kind])),
                },
                "after": {"id": rid, **rec.model_dump(mode="json")},
            }
        )
    if audits:  # one audit event per record, written in batches (not one ORM object each)
        session.execute(insert(AuditEvent), audits)
    changed_ids = sorted({ids[c["parcel"]] for c in out.created})
    if changed_ids:
        now = session.execute(text("SELECT now()")).scalar_one()
        check_parcels(session, settings=settings, actor=actor, as_of=now, parcel_ids=changed_ids)
        after = session.execute(
            text(
                """SELECT p.code, c.parcel_id, c.condition, c.status, c.evidence->>'reason'
                FROM parcel_conditions c JOIN parcels p ON p.id = c.parcel_id
                WHERE c.parcel_id = ANY(:ids) AND c.condition IN ('leveling', 'title')
                ORDER BY p.code, c.condition"""
            ),
            {"ids": changed_ids},
        )
        for code, pid, cond, status, reason in after:
            old = before.get((int(pid), cond))
            if old != status:
                out.changes.append(
                    {"parcel": code, "condition": cond, "old": old, "new": status, "reason": reason}
                )
    return out


def add_record(
    session: Session,
    *,
    kind: str,
    code: str,
    rec: SurveyIn | TitleIn,
    actor: str,
    settings: Settings,
) -> dict[str, Any]:
    """Add one record to a parcel (404 when unknown); answer the record and its condition now."""
    if not _parcel_ids(session, [code]):
        raise NotFound(f"no parcel with code {code!r}; list codes with GET /api/v1/parcels")
    written = write_records(session, items=[(kind, code, rec, {})], actor=actor, settings=settings)
    rid = written.created[0]["id"]
    item = next(i for i in list_records(session, kind=kind, code=code)["items"] if i["id"] == rid)
    doc = queries.parcel_readiness(session, code=code, settings=settings, public=False)
    cond = CONDITION[kind]
    notes = []
    if not item["counts"]:
        notes.append(f"a later {kind} record of this parcel is on file: that one decides {cond}")
    if doc["conditions"][cond]["status"] == "unknown" and item["counts"]:
        notes.append(
            f"this record is older than {settings.readiness.max_evidence_age_days} days "
            "(GEO_SERVICE_READINESS__MAX_EVIDENCE_AGE_DAYS): it counts as unknown"
        )
    return {
        **item,
        "condition": {"key": cond, **doc["conditions"][cond]},
        "net_land": doc["net_land"],
        "status_changes": written.changes,
        "notes": notes,
    }


# ------------------------------------------------------------------ reading

_LIST = {
    "survey": """
SELECT s.id, s.surveyed_on, s.leveled, s.earthwork_outstanding_m3::float8 AS
  earthwork_outstanding_m3, s.surveyor, s.document_ref, s.created_at, a.actor AS recorded_by,
  s.id = cur.id AS counts
FROM leveling_surveys s
LEFT JOIN LATERAL (SELECT l.id FROM leveling_surveys l
  WHERE l.parcel_id = s.parcel_id AND l.surveyed_on <= current_date
  ORDER BY l.surveyed_on DESC, l.id DESC LIMIT 1) cur ON true
LEFT JOIN LATERAL (SELECT e.actor FROM audit_events e
  WHERE e.entity_type = 'parcel' AND e.entity_code = :code AND e.action = 'record.survey'
    AND e.after->>'id' = CAST(s.id AS text) LIMIT 1) a ON true
WHERE s.parcel_id = :pid
ORDER BY s.surveyed_on DESC, s.id DESC""",
    "title": """
SELECT s.id, s.recorded_on, s.ownership, s.requisition_done, s.compensation_settled,
  s.open_disputes, s.document_ref, s.created_at, a.actor AS recorded_by, s.id = cur.id AS counts
FROM title_records s
LEFT JOIN LATERAL (SELECT l.id FROM title_records l
  WHERE l.parcel_id = s.parcel_id AND l.recorded_on <= current_date
  ORDER BY l.recorded_on DESC, l.id DESC LIMIT 1) cur ON true
LEFT JOIN LATERAL (SELECT e.actor FROM audit_events e
  WHERE e.entity_type = 'parcel' AND e.entity_code = :code AND e.action = 'record.title'
    AND e.after->>'id' = CAST(s.id AS text) LIMIT 1) a ON true
WHERE s.parcel_id = :pid
ORDER BY s.recorded_on DESC, s.id DESC""",
}


def list_records(session: Session, *, kind: str, code: str) -> dict[str, Any]:
    """Every record of one kind for a parcel, newest first; ``counts`` marks the deciding one."""
    ids = _parcel_ids(session, [code])
    if not ids:
        raise NotFound(f"no parcel with code {code!r}; list codes with GET /api/v1/parcels")
    rows = session.execute(text(_LIST[kind]), {"pid": ids[code], "code": code}).mappings()
    items = []
    for r in rows:
        item = dict(r)
        item["counts"] = bool(item["counts"])
        item["parcel"] = code
        items.append(item)
    return {"parcel": code, "condition": CONDITION[kind], "items": items, "total": len(items)}
