"""Supply events: their order, the stage they lead to, and the check that refuses a wrong order.

Pure functions over a parcel's *effective* history (corrected events replaced by their
corrections); ``service.py`` reads and writes the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: every event key, in the order a parcel normally meets them (the rank sorts same-day events)
EVENTS: tuple[str, ...] = (
    "notice_published",
    "sale_started",
    "sale_closed",
    "result_published",
    "contract_signed",
    "first_payment",
    "price_paid",
    "handed_over",
    "certificate_issued",
    "permit_issued",
    "suspension_started",
    "suspension_ended",
    "construction_started",
    "construction_stopped",
    "construction_resumed",
    "completed",
    "performance_checked",
    "idle_decided",
    "annual_figures",
)
RANK = {e: i for i, e in enumerate(EVENTS)}

#: events that may happen once in a parcel's history (a wrong one is corrected, not repeated)
ONCE = frozenset(
    {
        "notice_published",
        "sale_started",
        "sale_closed",
        "result_published",
        "contract_signed",
        "first_payment",
        "price_paid",
        "handed_over",
        "certificate_issued",
        "permit_issued",
        "construction_started",
        "completed",
    }
)

#: event -> the events that must have happened before it (on the same day or earlier)
NEEDS: dict[str, tuple[str, ...]] = {
    "sale_started": ("notice_published",),
    "sale_closed": ("sale_started",),
    "result_published": ("sale_closed",),
    "contract_signed": ("sale_closed",),
    "first_payment": ("contract_signed",),
    "price_paid": ("contract_signed",),
    "handed_over": ("contract_signed",),
    # 交证 only once the whole price is paid (39号令 art. 23, GF-2008-2601 art. 11)
    "certificate_issued": ("handed_over", "price_paid"),
    "permit_issued": ("contract_signed",),
    "construction_started": ("handed_over",),
    "construction_stopped": ("construction_started",),
    "construction_resumed": ("construction_stopped",),
    "completed": ("construction_started",),
    "performance_checked": ("completed",),
    "suspension_started": ("contract_signed",),
    "suspension_ended": ("suspension_started",),
    "idle_decided": ("contract_signed",),
    "annual_figures": ("contract_signed",),
}

#: fields an event must carry
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "contract_signed": ("start_by", "complete_by", "price_wan"),
    "suspension_started": ("reason",),
    "idle_decided": ("outcome",),
    "annual_figures": ("year", "tax_wan"),
}

#: the bureau's decisions on a suspected idle parcel (闲置土地处置办法 art. 12, 14)
IDLE_OUTCOMES = ("not_idle", "government_cause", "extension", "fee", "recovery")

#: the supply axis in detail (SUPPLY.md), and the event that reaches each stage
STAGES: tuple[str, ...] = (
    "reserve",
    "notice",
    "sale",
    "confirmation",
    "result_published",
    "contract",
    "price_paid",
    "handed_over",
    "certificate",
    "permits",
    "started",
    "completed",
    "performance_checked",
    "done",
    "breach",
    "idle_case",
    "taken_back",
)
STAGE_OF_EVENT: dict[str, str] = {
    "notice_published": "notice",
    "sale_started": "sale",
    "sale_closed": "confirmation",
    "result_published": "result_published",
    "contract_signed": "contract",
    "price_paid": "price_paid",
    "handed_over": "handed_over",
    "certificate_issued": "certificate",
    "permit_issued": "permits",
    "construction_started": "started",
    "completed": "completed",
    "performance_checked": "performance_checked",
}

#: the detailed stage -> the parcel register's coarse ``supply_stage`` (maps and exports read it)
COARSE: dict[str, str] = {
    "reserve": "plan",
    "notice": "notice",
    "sale": "sale",
    # a closed sale has its buyer: the plot is no longer on offer (the investor map drops it)
    "confirmation": "contract",
    "result_published": "contract",
    "contract": "contract",
    "price_paid": "contract",
    "taken_back": "plan",
}
#: ... every later stage is "handed_over"
COARSE_DEFAULT = "handed_over"
#: and back: a parcel without events shows its register stage in detail
FROM_COARSE = {
    "plan": "reserve",
    "notice": "notice",
    "sale": "sale",
    "contract": "contract",
    "handed_over": "handed_over",
}

#: events whose date and name are public (the notice and the published result)
PUBLIC_EVENTS = frozenset({"notice_published", "sale_started", "sale_closed", "result_published"})


@dataclass(frozen=True)
class Event:
    """One event of the effective history."""

    id: int
    event: str
    on: date
    data: dict[str, Any] = field(default_factory=dict)


class OrderError(ValueError):
    """The history would be out of order; the message says why and how to fix it."""


def sort_key(e: Event) -> tuple[date, int, int]:
    return (e.on, RANK[e.event], e.id)


def check_order(events: Sequence[Event]) -> None:
    """OrderError naming the first event that comes too early, twice, or out of turn."""
    seen: dict[str, date] = {}
    stopped = suspended = False
    for e in sorted(events, key=sort_key):
        for need in NEEDS.get(e.event, ()):
            if need not in seen:
                later = next((x for x in events if x.event == need), None)
                if later is None:
                    raise OrderError(
                        f"{e.event} on {e.on:%Y-%m-%d} needs {need}, which is not recorded "
                        f"for this parcel: record {need} first"
                    )
                raise OrderError(
                    f"{e.event} on {e.on:%Y-%m-%d} cannot come before {need} (it is recorded "
                    f"on {later.on:%Y-%m-%d}): correct one of the two dates"
                )
        if e.event in ONCE and e.event in seen:
            raise OrderError(
                f"{e.event} is already recorded (on {seen[e.event]:%Y-%m-%d}); a wrong entry is "
                'fixed by a correction: send the new one with "corrects": <id of the old one>'
            )
        if e.event == "construction_stopped":
            if stopped:
                raise OrderError(
                    f"construction_stopped on {e.on:%Y-%m-%d}: construction is already stopped; "
                    "record construction_resumed first"
                )
            stopped = True
        elif e.event == "construction_resumed":
            if not stopped:
                raise OrderError(
                    f"construction_resumed on {e.on:%Y-%m-%d}: construction is not stopped"
                )
            stopped = False
        elif e.event == "completed" and stopped:
            raise OrderError(
                f"completed on {e.on:%Y-%m-%d}: construction is stopped; "
                "record construction_resumed first"
            )
        elif e.event == "suspension_started":
            if suspended:
                raise OrderError(
                    f"suspension_started on {e.on:%Y-%m-%d}: a suspension is already running; "
                    "record suspension_ended first"
                )
            suspended = True
        elif e.event == "suspension_ended":
            if not suspended:
                raise OrderError(f"suspension_ended on {e.on:%Y-%m-%d}: no suspension is running")
            suspended = False
        seen.setdefault(e.event, e.on)


def stage_of(events: Sequence[Event]) -> str | None:
    """The detailed supply stage the history has reached; ``None`` without events."""
    if not events:
        return None
    stage = "reserve"
    for e in sorted(events, key=sort_key):
        s = STAGE_OF_EVENT.get(e.event)
        if s is not None and (stage not in STAGE_OF_EVENT.values() or _rank(s) > _rank(stage)):
            stage = s
        if e.event == "performance_checked":
            stage = "done" if e.data.get("passed", True) else "breach"
        elif e.event == "idle_decided":
            outcome = e.data.get("outcome")
            if outcome == "recovery":
                stage = "taken_back"
            elif outcome == "fee":
                stage = "idle_case"
    return stage


def _rank(stage: str) -> int:
    return STAGES.index(stage)


def coarse(stage: str) -> str:
    """The register's ``supply_stage`` for a detailed stage."""
    return COARSE.get(stage, COARSE_DEFAULT)
