"""Writing supply events: check one event (fields, order, corrections), append it with its
audit line, keep the register's coarse ``supply_stage`` in step, and load the demo histories.

Every write runs in the caller's transaction; the parcel row is locked first so two events for
one parcel are checked one after the other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service import audit
from geo_service.errors import InvalidInput
from geo_service.settings import Settings
from geo_service.supply.config import DEFAULT_RULES
from geo_service.supply.events import (
    EVENTS,
    IDLE_OUTCOMES,
    REQUIRED_FIELDS,
    Event,
    OrderError,
    check_order,
    coarse,
    stage_of,
)
from geo_service.supply.service.store import (
    dumps,
    effective,
    event_rows,
    jsonable,
    parcel_row,
    today,
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


def validate(body: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> None:
    """The event's own fields and its correction link; 422 with the reason."""
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
    parcel = parcel_row(session, code, lock=True)
    rows = event_rows(session, parcel["id"])
    validate(body, rows)
    data = {k: jsonable(body[k]) for k in DATA_FIELDS if body.get(k) not in (None, "", [], {})}
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
            "data": dumps(data),
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


def sync_stage(session: Session, parcel_id: int) -> tuple[str, str]:
    """Set the register's ``supply_stage`` to the one the events lead to (same transaction)."""
    current = session.execute(
        text("SELECT supply_stage FROM parcels WHERE id = :p"), {"p": parcel_id}
    ).scalar_one()
    stage = stage_of(effective(event_rows(session, parcel_id)))
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


def replace_demo_events(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """The demo's event histories: the listed parcels' events replaced, checked, stages synced."""
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
                    "data": dumps(ev.data),
                    "by": r.get("recorded_by") or "demo",
                },
            )
        sync_stage(session, ids[code])
    return len(rows)
