"""Supply in the database: record an event (checked, audited, stage kept in sync), read a
parcel's supply answer, and the daily check over every parcel.

Every write runs in the caller's transaction; the parcel row is locked first so two events for
one parcel are checked one after the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service import audit
from geo_service.errors import InvalidInput, NotFound
from geo_service.settings import Settings
from geo_service.supply import clocks, commitments, county_clocks, idle
from geo_service.supply.config import DEFAULT_RULES, Rule
from geo_service.supply.events import (
    EVENTS,
    FROM_COARSE,
    IDLE_OUTCOMES,
    PUBLIC_EVENTS,
    REQUIRED_FIELDS,
    Event,
    OrderError,
    check_order,
    coarse,
    sort_key,
    stage_of,
)

#: event fields kept in ``data`` (everything of the request but the columns)
DATA_FIELDS = (
    "start_by",
    "complete_by",
    "contract_by",
    "price_wan",
    "investment_total_wan",
    "reason",
    "rules",
    "developed_share",
    "invested_wan",
    "measured",
    "commitments",
    "outcome",
    "new_start_by",
    "passed",
    "fee_wan",
    "year",
    "tax_wan",
    "value_added_wan",
)
PAUSABLE = frozenset(r.key for r in DEFAULT_RULES if r.pausable)


def today() -> date:
    return datetime.now(UTC).date()


def _when(as_of: date | None) -> date:
    """The day to judge; 422 for a day outside 1990–2100 (no clock runs that far)."""
    if as_of is None:
        return today()
    if not (date(1990, 1, 1) <= as_of <= date(2100, 12, 31)):
        raise InvalidInput(f"as_of = {as_of:%Y-%m-%d} must lie between 1990-01-01 and 2100-12-31")
    return as_of


_PARCEL = (
    "SELECT id, code, name, published, supply_stage, indicators, county FROM parcels "
    "WHERE code = :c"
)
_PARCEL_FOR_UPDATE = _PARCEL + " FOR UPDATE"


def _parcel(session: Session, code: str, *, lock: bool = False) -> Mapping[str, Any]:
    sql = _PARCEL_FOR_UPDATE if lock else _PARCEL
    row = session.execute(text(sql), {"c": code}).mappings().first()
    if row is None:
        raise NotFound(f"no parcel {code!r}; list parcels with GET /api/v1/parcels")
    return dict(row)


def _rows(session: Session, parcel_id: int) -> list[Mapping[str, Any]]:
    return [
        dict(r)
        for r in session.execute(
            text(
                "SELECT e.id, e.event, e.occurred_on, e.document_ref, e.file_ref, e.data, "
                "e.corrects_id, e.note, e.recorded_by, e.recorded_at, c.id AS corrected_by "
                "FROM supply_events e LEFT JOIN supply_events c ON c.corrects_id = e.id "
                "WHERE e.parcel_id = :p ORDER BY e.occurred_on, e.id"
            ),
            {"p": parcel_id},
        ).mappings()
    ]


def effective(rows: Iterable[Mapping[str, Any]]) -> list[Event]:
    """The history as it counts: events not corrected by a later one."""
    return sorted(
        (
            Event(r["id"], r["event"], r["occurred_on"], dict(r["data"] or {}))
            for r in rows
            if r["corrected_by"] is None
        ),
        key=sort_key,
    )


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v


def _numbers(v: Any) -> Any:
    """Money and measures as JSON numbers (exact Decimals inside, 2 decimals at most)."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dict):
        return {k: _numbers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_numbers(x) for x in v]
    return v


def _validate(body: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> None:
    event, on = body["event"], body["on"]
    if event not in EVENTS:
        raise InvalidInput(f"event {event!r} is unknown; use one of: {', '.join(EVENTS)}")
    if on > today():
        raise InvalidInput(
            f"on = {on:%Y-%m-%d} is in the future; record an event once it has happened"
        )
    missing = [f for f in REQUIRED_FIELDS.get(event, ()) if body.get(f) in (None, "")]
    if missing:
        raise InvalidInput(f"{event} needs {', '.join(missing)}: add them to the body")
    if event == "contract_signed" and body["complete_by"] < body["start_by"]:
        raise InvalidInput("complete_by is before start_by: the contract's dates are swapped")
    if event == "idle_decided":
        if body["outcome"] not in IDLE_OUTCOMES:
            raise InvalidInput(f"outcome must be one of {', '.join(IDLE_OUTCOMES)}")
        if body["outcome"] == "extension" and not body.get("new_start_by"):
            raise InvalidInput("an extension (art. 12) needs new_start_by: the new start date")
    bad = [r for r in body.get("rules") or () if r not in PAUSABLE]
    if bad:
        raise InvalidInput(
            f"rules {bad} cannot be paused; a suspension pauses {', '.join(sorted(PAUSABLE))}"
        )
    corrects = body.get("corrects")
    if corrects is not None:
        old = next((r for r in rows if r["id"] == corrects), None)
        if old is None:
            raise InvalidInput(f"corrects = {corrects}: this parcel has no event with that id")
        if old["event"] != event:
            raise InvalidInput(
                f"corrects = {corrects} is a {old['event']} event; a correction replaces an "
                f"event of the same kind (send event {old['event']!r})"
            )
        if old["corrected_by"] is not None:
            raise InvalidInput(
                f"event {corrects} was already corrected by event {old['corrected_by']}; "
                "correct that one instead"
            )


def record_event(
    session: Session, *, code: str, body: Mapping[str, Any], actor: str, settings: Settings
) -> int:
    """Check and append one event; 422 (InvalidInput) with the reason, nothing written."""
    parcel = _parcel(session, code, lock=True)
    rows = _rows(session, parcel["id"])
    _validate(body, rows)
    data = {k: _jsonable(body[k]) for k in DATA_FIELDS if body.get(k) not in (None, "", [], {})}
    if body["event"] == "contract_signed" and "commitments" not in data:
        # the control indicators the parcel was sold with become the enterprise's promises
        data["commitments"] = list(parcel["indicators"] or [])
    corrects = body.get("corrects")
    candidate = [e for e in effective(rows) if e.id != corrects]
    candidate.append(Event(2**62, body["event"], body["on"], data))
    try:
        check_order(candidate)
    except OrderError as e:
        raise InvalidInput(str(e), extra={"field": "on"}) from None
    new_id = session.execute(
        text(
            "INSERT INTO supply_events (parcel_id, event, occurred_on, document_ref, file_ref, "
            "data, corrects_id, note, recorded_by) VALUES (:p, :e, :on, :doc, :file, "
            "CAST(:data AS jsonb), :corr, :note, :by) RETURNING id"
        ),
        {
            "p": parcel["id"],
            "e": body["event"],
            "on": body["on"],
            "doc": body["document_ref"],
            "file": body.get("file_ref"),
            "data": _dumps(data),
            "corr": corrects,
            "note": body.get("note"),
            "by": actor,
        },
    ).scalar_one()
    before, after = sync_stage(session, parcel["id"])
    audit.record(
        session,
        actor=actor,
        action="supply.correct" if corrects else "supply.event",
        entity_type="parcel",
        entity_code=code,
        before={"supply_stage": before, "corrects": corrects} if corrects else None,
        after={
            "id": new_id,
            "event": body["event"],
            "on": body["on"].isoformat(),
            "document_ref": body["document_ref"],
            "supply_stage": after,
            **data,
        },
    )
    return int(new_id)


def _dumps(v: Any) -> str:
    import json

    return json.dumps(v, ensure_ascii=False)


def sync_stage(session: Session, parcel_id: int) -> tuple[str, str]:
    """Set the register's ``supply_stage`` to the one the events lead to (same transaction)."""
    current = session.execute(
        text("SELECT supply_stage FROM parcels WHERE id = :p"), {"p": parcel_id}
    ).scalar_one()
    stage = stage_of(effective(_rows(session, parcel_id)))
    if stage is None:
        return current, current
    want = coarse(stage)
    if want != current:
        session.execute(
            text(
                "UPDATE parcels SET supply_stage = :s, version = version + 1, updated_at = now() "
                "WHERE id = :p"
            ),
            {"s": want, "p": parcel_id},
        )
    return current, want


def _event_out(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "event": r["event"],
        "on": r["occurred_on"],
        **(r["data"] or {}),
        "document_ref": r["document_ref"],
        "file_ref": r["file_ref"],
        "note": r["note"],
        "recorded_by": r["recorded_by"],
        "recorded_at": r["recorded_at"],
        "corrects": r["corrects_id"],
        "corrected_by": r["corrected_by"],
        "counts": r["corrected_by"] is None,
    }


#: the speeds the source boasts (签约即落地、交地即交证、拿地即开工), in calendar days
SPEEDS: dict[str, tuple[str, str]] = {
    "contract_to_permit": ("contract_signed", "permit_issued"),
    "handover_to_certificate": ("handed_over", "certificate_issued"),
    "handover_to_start": ("handed_over", "construction_started"),
}


def speeds(events: Sequence[Event], as_of: date) -> dict[str, int | None]:
    """Days from one event to the other, per pair of SPEEDS (None until both happened)."""
    first: dict[str, date] = {}
    for e in sorted(events, key=sort_key):
        if e.on <= as_of:
            first.setdefault(e.event, e.on)
    return {
        k: (first[b] - first[a]).days if a in first and b in first else None
        for k, (a, b) in SPEEDS.items()
    }


_PROJECTS = text(
    """
    SELECT j.code, j.name, j.status, j.leader, j.signed_on, j.actual_start, j.actual_completion,
           (SELECT count(*) FROM problems b WHERE b.project_id = j.id) AS problems,
           (SELECT count(*) FROM problems b WHERE b.project_id = j.id
              AND b.status <> 'resolved') AS problems_open,
           (SELECT count(*) FROM visits v WHERE v.project_id = j.id) AS visits,
           (SELECT max(v.visited_on) FROM visits v WHERE v.project_id = j.id) AS last_visit
    FROM projects j WHERE j.parcel_id = :p ORDER BY j.code
    """
)


def projects_on(session: Session, parcel_id: int) -> list[dict[str, Any]]:
    """The key projects built on the parcel (the ledger's linked parcel), with their problems
    and visits: the parcel → project → problems lineage."""
    return [
        {**dict(r), "href": f"/api/v1/projects/{r['code']}"}
        for r in session.execute(_PROJECTS, {"p": parcel_id}).mappings()
    ]


def judge(
    events: Sequence[Event],
    *,
    settings: Settings,
    as_of: date,
    rules: Sequence[Rule] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any] | None]:
    """(deadlines, idle, commitments) of an effective history as of a day, by ``rules`` (the
    parcel's county's, ``county_clocks``; default the service's division's)."""
    rules = list(rules) if rules is not None else settings.supply.rules_for()
    upto = [e for e in events if e.on <= as_of]
    dl = clocks.deadlines(upto, rules, as_of)
    idle_answer, marks = idle.evaluate(upto, rules, settings.supply, as_of)
    return dl + marks, idle_answer, commitments.evaluate(upto)


def parcel_supply(
    session: Session, *, code: str, settings: Settings, as_of: date | None, public: bool
) -> dict[str, Any]:
    """The supply answer of one parcel (CONTRACT.md "Land supply"); the public gets the
    stage, the notice's public dates and the public clocks of a published parcel only."""
    parcel = _parcel(session, code)
    if public and not parcel["published"]:
        raise NotFound(f"no parcel {code!r}; list parcels with GET /api/v1/parcels")
    when = _when(as_of)
    rows = _rows(session, parcel["id"])
    events = effective(rows)
    stage = stage_of([e for e in events if e.on <= when])
    derived_from = "events"
    if stage is None:
        stage, derived_from = FROM_COARSE.get(parcel["supply_stage"], "reserve"), "supply_stage"
    rules = county_clocks.rules_in(session, settings, parcel["county"])
    deadlines, idle_answer, promised = judge(events, settings=settings, as_of=when, rules=rules)
    if public:
        return _numbers(
            {
                "parcel": code,
                "stage": stage,
                "supply_stage": parcel["supply_stage"],
                "as_of": when,
                "events": [
                    {"event": e.event, "on": e.on}
                    for e in events
                    if e.event in PUBLIC_EVENTS and e.on <= when
                ],
                "deadlines": [
                    {
                        k: d[k]
                        for k in (
                            "rule",
                            "label",
                            "due",
                            "unit",
                            "status",
                            "provisional",
                            "source",
                            "article",
                        )
                    }
                    | {"verified": d["verified"]}
                    for d in deadlines
                    if d["public"]
                ],
                "idle": None,
            }
        )
    return _numbers(
        {
            "parcel": code,
            "name": parcel["name"],
            "stage": stage,
            "stage_from": derived_from,
            "supply_stage": parcel["supply_stage"],
            "as_of": when,
            "events": [_event_out(r) for r in rows],
            "deadlines": deadlines,
            "idle": idle_answer,
            "commitments": promised,
            "speeds": speeds(events, when),
            "projects": projects_on(session, parcel["id"]),
        }
    )


def check_all(session: Session, *, settings: Settings, as_of: date | None) -> dict[str, Any]:
    """The daily check: every parcel with events, its open and missed clocks and idle status."""
    when = _when(as_of)
    rows = session.execute(
        text(
            "SELECT p.code, p.name, p.supply_stage, p.county, e.id, e.event, e.occurred_on, "
            "e.data "
            "FROM supply_events e JOIN parcels p ON p.id = e.parcel_id "
            "WHERE NOT EXISTS (SELECT 1 FROM supply_events c WHERE c.corrects_id = e.id) "
            "ORDER BY p.code, e.occurred_on, e.id"
        )
    ).mappings()
    by_parcel: dict[str, list[Event]] = {}
    names: dict[str, tuple[str, str]] = {}
    county_of: dict[str, str] = {}
    for r in rows:
        by_parcel.setdefault(r["code"], []).append(
            Event(r["id"], r["event"], r["occurred_on"], dict(r["data"] or {}))
        )
        names[r["code"]] = (r["name"], r["supply_stage"])
        county_of[r["code"]] = r["county"]
    rules = county_clocks.rules_by_county(session, settings)  # each parcel by its county's
    parcels = []
    for code, events in by_parcel.items():
        upto = [e for e in events if e.on <= when]
        deadlines, idle_answer, promised = judge(
            events, settings=settings, as_of=when, rules=rules[county_of[code]]
        )
        open_ = sorted(
            (
                d
                for d in deadlines
                if d["status"] == "open" and (d["kind"] == "deadline" or d["due"] >= when)
            ),
            key=lambda d: d["due"],
        )
        missed = [d for d in deadlines if d["status"] == "missed" and d["kind"] == "deadline"]
        shortfalls = sum(c["shortfalls"] for c in (promised or {}).get("checks", []))
        parcels.append(
            {
                "parcel": code,
                "name": names[code][0],
                "stage": stage_of(upto) or FROM_COARSE.get(names[code][1], "reserve"),
                "next": open_[0] if open_ else None,
                "missed": missed,
                "idle": idle_answer,
                "shortfalls": shortfalls,
                "speeds": speeds(events, when),
            }
        )
    idle_counts = {s: 0 for s in ("none", "warning", "idle_1y", "idle_2y")}
    for p in parcels:
        idle_counts[p["idle"]["status"]] += 1
    return _numbers(
        {
            "as_of": when,
            "parcels": parcels,
            "summary": {
                "parcels": len(parcels),
                "open_deadlines": sum(1 for p in parcels if p["next"]),
                "missed_deadlines": sum(len(p["missed"]) for p in parcels),
                "parcels_with_missed": sum(1 for p in parcels if p["missed"]),
                "idle": idle_counts,
                "proposed_fees_wan": sum(
                    (
                        Decimal(str(p["idle"]["proposal"]["fee_wan"]))
                        for p in parcels
                        if p["idle"].get("proposal")
                    ),
                    Decimal(0),
                ),
                "commitment_shortfalls": sum(p["shortfalls"] for p in parcels),
                "median_days": {
                    k: _median([p["speeds"][k] for p in parcels if p["speeds"][k] is not None])
                    for k in SPEEDS
                },
            },
        }
    )


def _median(values: list[int]) -> float | None:
    import statistics

    return statistics.median(values) if values else None


def replace_demo_events(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """The demo's event histories: the listed parcels' events replaced, checked, stages synced."""
    import json

    codes = sorted({r["parcel_code"] for r in rows})
    found = session.execute(
        text("SELECT code, id, indicators FROM parcels WHERE code = ANY(:c)"), {"c": codes}
    ).all()
    ids = {c: i for c, i, _ in found}
    indicators = {c: ind for c, _, ind in found}
    unknown = [c for c in codes if c not in ids]
    if unknown:
        raise InvalidInput(f"supply_events.csv names unknown parcels: {', '.join(unknown)}")
    session.execute(
        text("DELETE FROM supply_events WHERE parcel_id = ANY(:p)"), {"p": list(ids.values())}
    )
    for code in codes:
        mine = [r for r in rows if r["parcel_code"] == code]
        events = [
            Event(i, r["event"], date.fromisoformat(r["on"]), json.loads(r.get("data") or "{}"))
            for i, r in enumerate(mine)
        ]
        try:
            check_order(events)
        except OrderError as e:
            raise InvalidInput(f"supply_events.csv, parcel {code}: {e}") from None
        for r, ev in zip(mine, events, strict=True):
            if ev.event == "contract_signed":
                ev.data.setdefault("commitments", list(indicators[code] or []))
            session.execute(
                text(
                    "INSERT INTO supply_events (parcel_id, event, occurred_on, document_ref, "
                    "file_ref, data, recorded_by) VALUES (:p, :e, :on, :doc, :file, "
                    "CAST(:data AS jsonb), :by)"
                ),
                {
                    "p": ids[code],
                    "e": r["event"],
                    "on": date.fromisoformat(r["on"]),
                    "doc": r["document_ref"],
                    "file": r.get("file_ref"),
                    "data": _dumps(ev.data),
                    "by": r.get("recorded_by") or "demo",
                },
            )
        sync_stage(session, ids[code])
    return len(rows)


def grades(session: Session, *, settings: Settings, year: int) -> dict[str, Any]:
    """亩均 figures and grades of ``year`` (the latest annual_figures of each parcel counts)."""
    from geo_service.supply.grades import grade_year

    rows = session.execute(
        text(
            """
            WITH live AS (
              SELECT e.* FROM supply_events e
              WHERE NOT EXISTS (SELECT 1 FROM supply_events c WHERE c.corrects_id = e.id)
            ), fig AS (
              SELECT DISTINCT ON (parcel_id) parcel_id, data
              FROM live WHERE event = 'annual_figures' AND (data ->> 'year')::int = :y
              ORDER BY parcel_id, occurred_on DESC, id DESC
            )
            SELECT p.code AS parcel, p.area_m2, (f.data ->> 'tax_wan') AS tax_wan,
                   (f.data ->> 'value_added_wan') AS value_added_wan,
                   EXISTS (SELECT 1 FROM live d WHERE d.parcel_id = p.id AND d.event = 'completed'
                           AND d.occurred_on <= make_date(:y, 12, 31)) AS in_production
            FROM fig f JOIN parcels p ON p.id = f.parcel_id ORDER BY p.code
            """
        ),
        {"y": year},
    ).mappings()
    cfg = settings.supply.grading
    graded = grade_year([dict(r) for r in rows], cfg)
    counts = {g: sum(1 for r in graded if r["grade"] == g) for g in ("A", "B", "C", "D")}
    return _numbers(
        {
            "year": year,
            "mode": cfg.mode,
            "weights": cfg.weights,
            "shares": cfg.shares if cfg.mode == "shares" else None,
            "thresholds": cfg.thresholds if cfg.mode == "thresholds" else None,
            "source": cfg.source,
            "parcels": graded,
            "summary": {**counts, "building": sum(1 for r in graded if r["grade"] == "building")},
        }
    )
