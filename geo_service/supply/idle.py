"""Idle land (闲置土地处置办法, 国土资源部令第53号): detect, warn, propose; the bureau decides.

Art. 2 gives two triggers: (A) not started one full year after the contracted start date;
(B) started, developed area < 1/3 of the area to develop or investment < 25 % of the total,
and stopped for one full year. Government-cause suspensions (art. 8) pause both clocks.
Art. 14: idle ≥ 1 year → a fee of 20 % of the price; ≥ 2 years → recovery without
compensation. The service proposes; a decision is an ``idle_decided`` event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from geo_service.supply.calendar import Due, add_period
from geo_service.supply.clocks import Suspension, _as_date, paused_days, suspensions
from geo_service.supply.config import Rule, SupplyConfig
from geo_service.supply.events import Event, sort_key

LAW = "《闲置土地处置办法》(国土资源部令第53号)"


def _mark(
    rule: Rule, start: date, window_from: date, susp: Sequence[Suspension], as_of: date
) -> tuple[Due, int]:
    due = add_period(
        start,
        rule.length or 0,
        rule.unit,
        first_day_excluded=rule.first_day_excluded,
        roll_over_holiday=rule.roll_over_holiday,
        roll_over_weekend=rule.roll_over_weekend,
    )
    extra = paused_days(rule.key, window_from, due.on, susp, as_of) if rule.pausable else 0
    return Due(due.on + timedelta(days=extra), due.provisional, due.why), extra


def _share(v: Any) -> float | None:
    return None if v is None or v == "" else float(v)


def evaluate(
    events: Sequence[Event], rules: Sequence[Rule], config: SupplyConfig, as_of: date
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the ``idle`` answer, the idle_1y/idle_2y deadline rows) as of ``as_of``."""
    evs = [e for e in sorted(events, key=sort_key) if e.on <= as_of]
    none: dict[str, Any] = {"status": "none", "since": None, "suspended_days": 0}
    contract = next((e for e in evs if e.event == "contract_signed"), None)
    if contract is None:
        return none, []
    by_key = {r.key: r for r in rules}
    r1, r2 = by_key["idle_1y"], by_key["idle_2y"]
    susp = suspensions(evs)
    start_by = _as_date(contract.data.get("start_by"))
    for e in evs:  # a bureau's extension (art. 12) moves the contracted start
        if e.event == "idle_decided" and e.data.get("outcome") == "extension":
            start_by = _as_date(e.data.get("new_start_by")) or start_by
    started = next((e for e in evs if e.event == "construction_started"), None)
    price = Decimal(str(contract.data.get("price_wan") or 0))

    # which clock runs: A (not started) or B (started, then stopped with little built)
    trigger: str | None = None
    clock_from: date | None = None
    window_from = contract.on
    ended: date | None = None
    note: str | None = None
    if start_by is not None and (started is None or started.on > start_by):
        trigger, clock_from = "A", start_by
        ended = started.on if started is not None else None
    if started is not None and (trigger is None or ended is not None):
        stops = [e for e in evs if e.event == "construction_stopped"]
        stop = stops[-1] if stops else None
        if stop is not None:
            total = _share(stop.data.get("investment_total_wan")) or _share(
                contract.data.get("investment_total_wan")
            )
            invested = _share(stop.data.get("invested_wan"))
            developed = _share(stop.data.get("developed_share"))
            inv_share = invested / total if invested is not None and total else None
            limits = (
                (developed, config.idle_developed_share),
                (inv_share, config.idle_invested_share),
            )
            low = [x for x, limit in limits if x is not None and x < limit]
            known = developed is not None and inv_share is not None
            if low or not known:
                trigger, clock_from, window_from = "B", stop.on, stop.on
                resumed = [
                    e.on for e in evs if e.event == "construction_resumed" and e.on > stop.on
                ]
                ended = resumed[0] if resumed else None
                if not known:
                    note = (
                        "construction stopped; developed share or investment not recorded: "
                        "record them on the construction_stopped event to confirm trigger B"
                    )
            else:
                note = (
                    "construction stopped, but developed share and investment are above the "
                    "art. 2 thresholds: not idle land by trigger B"
                )
    if trigger is None or clock_from is None:
        return {**none, "note": note} if note else none, _mark_rows(
            r1, r2, start_by, window_from, susp, as_of, started
        )

    m1, d1 = _mark(r1, clock_from, window_from, susp, as_of)
    m2, _ = _mark(r2, clock_from, window_from, susp, as_of)
    upto = ended or as_of
    status = "none"
    since = None
    if upto > m2.on:
        status, since = "idle_2y", m1.on + timedelta(days=1)
    elif upto > m1.on:
        status, since = "idle_1y", m1.on + timedelta(days=1)
    warning = None
    if ended is None:
        for mark, due in (("idle_1y", m1), ("idle_2y", m2)):
            left = (due.on - as_of).days
            if 0 <= left <= max(config.idle_warning_days):
                level = min(w for w in config.idle_warning_days if w >= left)
                warning = {"mark": mark, "due": due.on, "days_left": left, "level_days": level}
                break
    if status == "none" and warning is not None:
        status = "warning"
    decisions = [e for e in evs if e.event == "idle_decided" and (since is None or e.on >= since)]
    decision = decisions[-1] if decisions else None
    if (
        decision is not None
        and (ended is not None or decision.data.get("outcome") in ("not_idle", "government_cause"))
        and status in ("idle_1y", "idle_2y")
    ):
        status = "none"
    proposal = None
    if status in ("idle_1y", "idle_2y"):
        fee = (price * Decimal(str(config.idle_fee_share))).quantize(Decimal("0.01"))
        proposal = {
            "action": "recovery" if status == "idle_2y" else "fee",
            "fee_wan": fee,
            "price_wan": price,
            "fee_share": config.idle_fee_share,
            "basis": (
                f"{LAW} art. 14: idle ≥ 1 year (the holder's fault) → a fee of "
                f"{config.idle_fee_share:.0%} of the price, decided with the approval of the "
                "government at the same level; idle ≥ 2 years → recovery without compensation. "
                "Offer a hearing first (art. 15, unverified); 30 days to pay or return the "
                "certificate (art. 17). If the cause is the government's (art. 8), record a "
                "suspension or an idle_decided with outcome government_cause instead."
            ),
            "decided_by": "the land bureau: record its decision as an idle_decided event",
        }
    answer: dict[str, Any] = {
        "status": status,
        "since": since,
        "suspended_days": d1,
        "trigger": trigger,
        "clock_from": clock_from,
        "ongoing": ended is None,
        "ended_on": ended,
        "marks": {
            "idle_1y": {"due": m1.on, "provisional": m1.provisional, "why": m1.why},
            "idle_2y": {"due": m2.on, "provisional": m2.provisional, "why": m2.why},
        },
        "warning": warning,
        "proposal": proposal,
        "decision": (
            None if decision is None else {"on": decision.on, "id": decision.id, **decision.data}
        ),
        "suspensions": [
            {"from": s.started, "to": s.ended, "reason": s.reason, "event_id": s.event_id}
            for s in susp
        ],
        "source": f"{LAW} art. 2, 8, 14",
        "verified": r1.verified,
    }
    if note:
        answer["note"] = note
    rows = []
    for rule, due in ((r1, m1), (r2, m2)):
        st = "missed" if upto > due.on else ("met" if ended else "open")
        row = _row(rule, clock_from, due, d1, st, as_of)
        if st == "met" and ended:
            row["met_by"] = "construction_started" if trigger == "A" else "construction_resumed"
            row["done_on"] = ended
        rows.append(row)
    return answer, rows


def _mark_rows(
    r1: Rule,
    r2: Rule,
    start_by: date | None,
    window_from: date,
    susp: Sequence[Suspension],
    as_of: date,
    started: Event | None,
) -> list[dict[str, Any]]:
    """The marks of a parcel started in time (met) or not yet due (open)."""
    if start_by is None:
        return []
    rows = []
    for rule in (r1, r2):
        due, extra = _mark(rule, start_by, window_from, susp, as_of)
        status = "met" if started is not None else "open"
        row = _row(rule, start_by, due, extra, status, as_of)
        if started is not None:
            # met because construction started (in time): say so, with the day
            row["done_on"], row["met_by"] = started.on, "construction_started"
        rows.append(row)
    return rows


def _row(
    rule: Rule, anchor_on: date, due: Due, extra: int, status: str, as_of: date
) -> dict[str, Any]:
    return {
        "rule": rule.key,
        "label": rule.label,
        "kind": rule.kind,
        "anchor": rule.anchor,
        "anchor_on": anchor_on,
        "target": rule.target,
        "done_on": None,
        "due": due.on,
        "length": rule.length,
        "unit": rule.unit,
        "status": status,
        "days_left": (due.on - as_of).days if status == "open" else None,
        "days_late": (as_of - due.on).days if status == "missed" else None,
        "provisional": due.provisional,
        "why_provisional": due.why,
        "suspended_days": extra,
        "source": rule.source,
        "article": rule.article,
        "verified": rule.verified,
        "origin": rule.origin,
        "public": rule.public,
    }
