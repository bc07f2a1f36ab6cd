"""The status lifecycle of a key project: which moves are allowed and which dates they need.

planned → signed → started → under_construction → completed → in_production. A project may move
forward several steps at once only when the dates of every step it passes are known, the dates
are in order, and it never moves back (a wrong status is corrected by an official in the ledger
file, with the reason in the audit trail, not by walking the lifecycle backwards).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from geo_service.errors import InvalidInput
from geo_service.projects.models import STATUSES

#: the date that proves a project reached a status (None: the status has no date of its own)
STATUS_DATE: dict[str, str | None] = {
    "planned": None,
    "signed": "signed_on",
    "started": "actual_start",
    "under_construction": "actual_start",
    "completed": "actual_completion",
    "in_production": "in_production_on",
}
#: dates that must follow each other (each may be missing)
DATE_ORDER = ("signed_on", "actual_start", "actual_completion", "in_production_on")
LABEL_ZH = {
    "planned": "谋划",
    "signed": "签约",
    "started": "开工",
    "under_construction": "在建",
    "completed": "竣工",
    "in_production": "投产",
}
ZH_STATUS = {v: k for k, v in LABEL_ZH.items()} | {"储备": "planned", "已签约": "signed"}


def rank(status: str) -> int:
    return STATUSES.index(status)


def check_dates(values: Mapping[str, Any]) -> None:
    """The lifecycle dates are in order (signed ≤ started ≤ completed ≤ in production)."""
    known: list[tuple[str, date]] = [
        (k, values[k]) for k in DATE_ORDER if values.get(k) is not None
    ]
    for (k1, d1), (k2, d2) in zip(known, known[1:], strict=False):
        if d2 < d1:
            raise InvalidInput(
                f"{k2} ({d2.isoformat()}) is before {k1} ({d1.isoformat()}); "
                "the lifecycle dates must be in order: signed_on ≤ actual_start ≤ "
                "actual_completion ≤ in_production_on"
            )
    ps, pc = values.get("planned_start"), values.get("planned_completion")
    if ps is not None and pc is not None and pc < ps:
        raise InvalidInput(
            f"planned_completion ({pc.isoformat()}) is before planned_start ({ps.isoformat()})"
        )


def required_dates(status: str) -> list[str]:
    """The dates a project in ``status`` must carry: those of every step up to it."""
    need: list[str] = []
    for s in STATUSES[: rank(status) + 1]:
        d = STATUS_DATE[s]
        if d is not None and d not in need:
            need.append(d)
    return need


def check_transition(old: str | None, new: Mapping[str, Any]) -> None:
    """Refuse a status change the lifecycle forbids; ``new`` is the project after the change.

    ``old`` is None for a new project. Raises InvalidInput (HTTP 422) saying why and how to fix it.
    """
    status = new.get("status") or "planned"
    if status not in STATUSES:
        raise InvalidInput(f"status {status!r} is unknown; use one of {', '.join(STATUSES)}")
    if old is not None and rank(status) < rank(old):
        raise InvalidInput(
            f"status cannot go back from {old} to {status}; the lifecycle only moves forward "
            f"({' → '.join(STATUSES)})"
        )
    if old != status:
        missing = [d for d in required_dates(status) if new.get(d) is None]
        if missing:
            start = "a new project" if old is None else f"moving from {old}"
            raise InvalidInput(
                f"{start} to {status} needs the date(s) of every step it reaches: "
                f"{', '.join(missing)} missing; give them in the same request"
            )
    check_dates(new)


def parse_date(value: Any, *, field: str) -> date | None:
    """A date from JSON/CSV text, a date, or a datetime; None for empty."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value if type(value) is date else value.date()  # type: ignore[attr-defined]
    try:
        return date.fromisoformat(str(value).strip()[:10].replace("/", "-"))
    except ValueError:
        raise InvalidInput(f"{field}: {value!r} is not a date; write YYYY-MM-DD") from None
