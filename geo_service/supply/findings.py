"""What the daily check flags beyond a missed deadline: the explicit rule list (``RULES``).

Each rule reads a parcel's judged supply (deadlines, idle status, commitments) and a few facts
from other records (its linked projects, its latest title record) and gives findings, each a
dict with ``key``, ``kind`` and the figures its words need (``maps/supply.json`` "findings"):

=============================  =========  ==================================================
key                            kind       when
=============================  =========  ==================================================
``too_early``                  defect     a minimum period was broken: the step came before
                                          its earliest day (a sale started before the 20-day
                                          notice period ended); recorded, flagged, counted
``shortfall``                  breach     a completion or 达产 check found a commitment not
                                          kept (latest check with shortfalls: count, penalty)
``idle_but_building``          conflict   the parcel is idle (≥ 1 year) but a project on it
                                          has the status ``under_construction``
``suspended_but_compensated``  conflict   a running government-cause suspension names
                                          compensation/requisition, but the parcel's latest
                                          title record says compensation is settled
=============================  =========  ==================================================

Nothing here writes: the service flags, the bureau corrects the record that is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

#: words in a suspension's reason that make it about compensation or requisition
COMPENSATION_WORDS = ("补偿", "征收", "拆迁", "compensation", "requisition")


@dataclass(frozen=True)
class Facts:
    """Records outside the supply events that a rule compares with them."""

    projects: Sequence[Mapping[str, Any]] = field(default_factory=tuple)  # code, status
    title: Mapping[str, Any] | None = None  # the latest title record by the day judged


@dataclass(frozen=True)
class Judged:
    """One parcel's supply as judged on a day (from ``service.judge``)."""

    deadlines: Sequence[Mapping[str, Any]]
    idle: Mapping[str, Any]
    commitments: Mapping[str, Any] | None
    facts: Facts


def _too_early(j: Judged) -> list[dict[str, Any]]:
    return [
        {
            "key": "too_early",
            "kind": "defect",
            "rule": d["rule"],
            "target": d.get("target"),
            "on": d.get("done_on"),
            "earliest": d["due"],
            "days": d.get("days_early"),
        }
        for d in j.deadlines
        if d.get("kind") == "minimum" and d.get("status") == "missed"
    ]


def _shortfall(j: Judged) -> list[dict[str, Any]]:
    checks = [c for c in (j.commitments or {}).get("checks") or [] if c.get("shortfalls")]
    if not checks:
        return []
    c = checks[-1]
    return [
        {
            "key": "shortfall",
            "kind": "breach",
            "check": c.get("check"),
            "on": c.get("on"),
            "shortfalls": c["shortfalls"],
            "penalty_wan": c.get("penalty_wan"),
        }
    ]


def _idle_but_building(j: Judged) -> list[dict[str, Any]]:
    if j.idle.get("status") not in ("idle_1y", "idle_2y"):
        return []
    return [
        {
            "key": "idle_but_building",
            "kind": "conflict",
            "project": p["code"],
            "status": p["status"],
            "idle": j.idle.get("status"),
        }
        for p in j.facts.projects
        if p.get("status") == "under_construction"
    ]


def _suspended_but_compensated(j: Judged) -> list[dict[str, Any]]:
    t = j.facts.title
    if not t or not t.get("compensation_settled"):
        return []
    out = []
    for s in j.idle.get("suspensions") or []:
        reason = str(s.get("reason") or "")
        if s.get("to") is None and any(w in reason.lower() for w in COMPENSATION_WORDS):
            out.append(
                {
                    "key": "suspended_but_compensated",
                    "kind": "conflict",
                    "since": s.get("from"),
                    "reason": reason,
                    "title_on": t.get("recorded_on"),
                    "title_ref": t.get("document_ref"),
                }
            )
    return out


#: the rules, in the order their findings are listed
RULES: tuple[Callable[[Judged], list[dict[str, Any]]], ...] = (
    _too_early,
    _shortfall,
    _idle_but_building,
    _suspended_but_compensated,
)
KINDS = ("defect", "breach", "conflict")


def findings(j: Judged) -> list[dict[str, Any]]:
    """Every rule's findings for one judged parcel."""
    return [f for rule in RULES for f in rule(j)]


_PROJECTS = text(
    "SELECT parcel_id, code, status FROM projects WHERE parcel_id = ANY(:p) ORDER BY code"
)
_TITLES = text(
    """
    SELECT DISTINCT ON (parcel_id) parcel_id, recorded_on, compensation_settled,
           requisition_done, document_ref
    FROM title_records WHERE parcel_id = ANY(:p) AND recorded_on <= :d
    ORDER BY parcel_id, recorded_on DESC, id DESC
    """
)


def facts_for(session: Session, parcel_ids: Sequence[int], as_of: date) -> dict[int, Facts]:
    """The facts of many parcels in two queries (projects on them; latest title records)."""
    ids = list(parcel_ids)
    projects: dict[int, list[dict[str, Any]]] = {}
    for r in session.execute(_PROJECTS, {"p": ids}).mappings():
        projects.setdefault(r["parcel_id"], []).append({"code": r["code"], "status": r["status"]})
    titles = {
        r["parcel_id"]: dict(r) for r in session.execute(_TITLES, {"p": ids, "d": as_of}).mappings()
    }
    return {i: Facts(projects=projects.get(i, []), title=titles.get(i)) for i in ids}
