"""Promises kept: the control indicators a parcel was sold with, measured at completion and 达产.

The contract event keeps a snapshot of the parcel's indicators at signing (``commitments``): the
enterprise's promises. ``completed`` and ``performance_checked`` events carry ``measured``
({indicator key: value}). A shortfall is shown with the contract's penalty pattern as a figure:
price × shortfall ÷ committed value (GF-2008-2601 pattern, numbers unverified).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from geo_service.supply.events import Event, sort_key

CHECKS = {"completed": "completion", "performance_checked": "production"}
PENALTY_SOURCE = "国有建设用地使用权出让合同 GF-2008-2601 pattern (clause and figures unverified)"


def _num(v: Any) -> Decimal | None:
    if v is None or v == "" or isinstance(v, bool):
        return None
    try:
        return Decimal(str(v))
    except ArithmeticError:
        return None


def evaluate(events: Sequence[Event]) -> dict[str, Any] | None:
    """Commitments, each check's measurements against them, shortfalls and penalty figures."""
    evs = sorted(events, key=sort_key)
    contract = next((e for e in evs if e.event == "contract_signed"), None)
    if contract is None:
        return None
    promised: list[dict[str, Any]] = [
        c
        for c in contract.data.get("commitments") or []
        if isinstance(c, dict) and isinstance(c.get("key"), str)
    ]
    price = _num(contract.data.get("price_wan")) or Decimal(0)
    checks = []
    for e in evs:
        stage = CHECKS.get(e.event)
        measured = e.data.get("measured") or {}
        if stage is None or not measured:
            continue
        rows = []
        for c in promised:
            key = c.get("key")
            value = _num(measured.get(key))
            lo, hi = _num(c.get("min")), _num(c.get("max"))
            row: dict[str, Any] = {
                "key": key,
                "unit": c.get("unit"),
                "min": lo,
                "max": hi,
                "measured": value,
                "status": "not_measured",
                "shortfall": None,
                "penalty_wan": None,
            }
            if value is not None:
                row["status"] = "kept"
                if lo is not None and value < lo:
                    row["status"] = "shortfall"
                    row["shortfall"] = lo - value
                    if lo > 0:
                        row["penalty_wan"] = (price * (lo - value) / lo).quantize(Decimal("0.01"))
                elif hi is not None and value > hi:
                    row["status"] = "exceeded"
                    row["shortfall"] = value - hi
            rows.append(row)
        checks.append(
            {
                "check": stage,
                "on": e.on,
                "event_id": e.id,
                "indicators": rows,
                "shortfalls": sum(1 for r in rows if r["status"] in ("shortfall", "exceeded")),
                "penalty_wan": sum(
                    (r["penalty_wan"] for r in rows if r["penalty_wan"] is not None), Decimal(0)
                ),
            }
        )
    return {
        "commitments": promised,
        "checks": checks,
        "penalty_source": PENALTY_SOURCE,
        "verified": False,
    }
