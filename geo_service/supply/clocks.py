"""Deadlines of a parcel's history: each rule's due day, status as of a day, pauses.

A government-cause suspension (闲置土地处置办法 art. 8) pauses the clocks it names
(``rules`` on the suspension_started event; default: every pausable clock): their due day moves
by the days of the suspension that fall inside the running period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from geo_service.supply.calendar import Due, add_period
from geo_service.supply.config import Rule
from geo_service.supply.events import Event, sort_key


@dataclass(frozen=True)
class Suspension:
    started: date
    ended: date | None  # None: still running
    reason: str
    rules: frozenset[str] | None  # None: every pausable clock
    event_id: int

    def pauses(self, rule: str) -> bool:
        return self.rules is None or rule in self.rules


def suspensions(events: Sequence[Event]) -> list[Suspension]:
    out: list[Suspension] = []
    current: Event | None = None
    for e in sorted(events, key=sort_key):
        if e.event == "suspension_started":
            current = e
        elif e.event == "suspension_ended" and current is not None:
            out.append(_suspension(current, e.on))
            current = None
    if current is not None:
        out.append(_suspension(current, None))
    return out


def _suspension(e: Event, ended: date | None) -> Suspension:
    rules = e.data.get("rules")
    return Suspension(
        started=e.on,
        ended=ended,
        reason=str(e.data.get("reason", "")),
        rules=frozenset(rules) if rules else None,
        event_id=e.id,
    )


def paused_days(rule: str, anchor: date, due: date, susp: Sequence[Suspension], as_of: date) -> int:
    """Days the suspensions naming ``rule`` add to a period from ``anchor`` to ``due``.

    A suspension that starts before the (already moved) due day stops the clock for its whole
    length (a running one up to ``as_of``); the due day moves by those days, which may bring a
    later suspension into the period.
    """
    days = 0
    for s in sorted(susp, key=lambda x: x.started):
        if not s.pauses(rule):
            continue
        if s.started > due + timedelta(days=days):
            break
        start = max(s.started, anchor)
        end = s.ended or max(as_of, start)
        days += max((end - start).days, 0)
    return days


def _as_date(v: Any) -> date | None:
    if v is None or v == "":
        return None
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v))


def rule_due(
    rule: Rule, anchor: Event, susp: Sequence[Suspension], as_of: date
) -> tuple[Due, int] | None:
    """The due day of ``rule`` anchored on ``anchor`` and the days suspensions added to it."""
    fixed = _as_date(anchor.data.get(rule.due_field)) if rule.due_field else None
    if fixed is not None:
        due = Due(fixed)
    elif rule.length is not None:
        due = add_period(
            anchor.on,
            rule.length,
            rule.unit,
            first_day_excluded=rule.first_day_excluded,
            roll_over_holiday=rule.roll_over_holiday and rule.kind == "deadline",
            roll_over_weekend=rule.roll_over_weekend,
        )
    else:
        return None
    extra = paused_days(rule.key, anchor.on, due.on, susp, as_of) if rule.pausable else 0
    if extra:
        due = Due(due.on + timedelta(days=extra), due.provisional, due.why)
    return due, extra


def deadlines(events: Sequence[Event], rules: Sequence[Rule], as_of: date) -> list[dict[str, Any]]:
    """Every clock the history has started, with its due day and status as of ``as_of``.

    The idle-land marks (``idle_1y``, ``idle_2y``) are left to ``idle.py``.
    """
    first: dict[str, Event] = {}
    for e in sorted(events, key=sort_key):
        first.setdefault(e.event, e)
    susp = suspensions(events)
    out = []
    for rule in rules:
        if rule.key in ("idle_1y", "idle_2y"):
            continue
        anchor = first.get(rule.anchor)
        if anchor is None or anchor.on > as_of:
            continue
        computed = rule_due(rule, anchor, susp, as_of)
        if computed is None:
            continue
        due, extra = computed
        target = first.get(rule.target) if rule.target else None
        done_on = target.on if target is not None and target.on <= as_of else None
        if rule.kind == "minimum":
            # the target may not happen before the due day
            status = "open" if done_on is None else "met" if done_on >= due.on else "missed"
        elif rule.target is None:
            # a duty with no event of its own (deposits refunded): no record can say it was
            # done, so it is never "met" nor a next deadline; shown with its due day only, as
            # an "open" clock (CONTRACT.md's statuses) that is not tracked
            status = "open"
        elif done_on is not None:
            status = "met" if done_on <= due.on else "missed"
        else:
            status = "open" if as_of <= due.on else "missed"
        item: dict[str, Any] = {
            "rule": rule.key,
            "label": rule.label,
            "kind": rule.kind,
            "anchor": rule.anchor,
            "anchor_on": anchor.on,
            "target": rule.target,
            "done_on": done_on,
            "due": due.on,
            "length": rule.length,
            "unit": rule.unit,
            "status": status,
            "tracked": rule.target is not None or rule.kind == "minimum",
            "days_left": (
                (due.on - as_of).days
                if status == "open" and (rule.target is not None or rule.kind == "minimum")
                else None
            ),
            "days_late": _days_late(rule, due.on, done_on, as_of, status),
            # a minimum broken: the step came this many days before its earliest day
            "days_early": (
                (due.on - done_on).days
                if rule.kind == "minimum" and status == "missed" and done_on
                else None
            ),
            "provisional": due.provisional,
            "why_provisional": due.why,
            "suspended_days": extra,
            "source": rule.source,
            "article": rule.article,
            "verified": rule.verified,
            "origin": rule.origin,
            "public": rule.public,
        }
        if rule.due_field and anchor.data.get(rule.due_field):
            item["unit"] = "calendar_days"
            item["length"] = None
            item["from_field"] = rule.due_field
        out.append(item)
    return out


def _days_late(rule: Rule, due: date, done_on: date | None, as_of: date, status: str) -> int | None:
    if status != "missed" or rule.kind == "minimum":
        return None
    return ((done_on or as_of) - due).days
