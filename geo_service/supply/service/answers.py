"""One parcel's supply answer: judge an effective history as of a day (deadlines, idle status,
commitments, findings), the speeds, and the answer the API gives (internal or public)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from geo_service.errors import NotFound
from geo_service.settings import Settings
from geo_service.supply import clocks, commitments, county_clocks, findings, idle
from geo_service.supply.config import Rule
from geo_service.supply.events import FROM_COARSE, PUBLIC_EVENTS, Event, coarse, sort_key, stage_of
from geo_service.supply.service.store import (
    effective,
    event_out,
    event_rows,
    judging_day,
    numbers,
    parcel_row,
    projects_on,
)

#: the speeds the source boasts (签约即落地、交地即交证、拿地即开工), in calendar days
SPEEDS: dict[str, tuple[str, str]] = {
    "contract_to_permit": ("contract_signed", "permit_issued"),
    "handover_to_certificate": ("handed_over", "certificate_issued"),
    "handover_to_start": ("handed_over", "construction_started"),
}
#: the detailed stages the public may read as they are; a later one is shown as the first
#: stage of its register group (``contract`` or ``handed_over``), so payments, title and
#: performance stay internal
PUBLIC_STAGES = frozenset({"reserve", "notice", "sale", "confirmation", "result_published"})
_CLOCK_FIELDS = (
    "rule",
    "label",
    "due",
    "unit",
    "status",
    "days_early",
    "provisional",
    "source",
    "article",
)


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


def public_stage(stage: str) -> str:
    """The stage as the public reads it (see PUBLIC_STAGES)."""
    if stage in PUBLIC_STAGES:
        return stage
    return FROM_COARSE.get(coarse(stage), "reserve")


def parcel_supply(
    session: Session, *, code: str, settings: Settings, as_of: date | None, public: bool
) -> dict[str, Any]:
    """The supply answer of one parcel (CONTRACT.md "Land supply") as of a day: the events
    recorded by then; the public gets the public stage, the notice's public dates and the
    public clocks of a published parcel only."""
    parcel = parcel_row(session, code)
    if public and not parcel["published"]:
        raise NotFound(f"no parcel {code!r}; list parcels with GET /api/v1/parcels")
    when = judging_day(as_of)
    rows = event_rows(session, parcel["id"])
    events = effective(rows)
    stage = stage_of([e for e in events if e.on <= when])
    derived_from = "events"
    if stage is None:
        stage, derived_from = FROM_COARSE.get(parcel["supply_stage"], "reserve"), "supply_stage"
    # the register's coarse stage as of the day judged (today: the register's own value)
    register = coarse(stage) if derived_from == "events" else parcel["supply_stage"]
    rules = county_clocks.rules_in(session, settings, parcel["county"])
    deadlines, idle_answer, promised = judge(events, settings=settings, as_of=when, rules=rules)
    if public:
        return numbers(
            {
                "parcel": code,
                "stage": public_stage(stage),
                "supply_stage": register,
                "as_of": when,
                "events": [
                    {"event": e.event, "on": e.on}
                    for e in events
                    if e.event in PUBLIC_EVENTS and e.on <= when
                ],
                "deadlines": [
                    {k: d[k] for k in _CLOCK_FIELDS} | {"verified": d["verified"]}
                    for d in deadlines
                    if d["public"]
                ],
                "idle": None,
            }
        )
    facts = findings.facts_for(session, [parcel["id"]], when)[parcel["id"]]
    found = findings.findings(findings.Judged(deadlines, idle_answer, promised, facts))
    return numbers(
        {
            "parcel": code,
            "name": parcel["name"],
            "stage": stage,
            "stage_from": derived_from,
            "supply_stage": register,
            "as_of": when,
            "events": [event_out(r) for r in rows if r["occurred_on"] <= when],
            "deadlines": deadlines,
            "idle": idle_answer,
            "commitments": promised,
            "findings": found,
            "speeds": speeds(events, when),
            "projects": projects_on(session, parcel["id"]),
        }
    )
