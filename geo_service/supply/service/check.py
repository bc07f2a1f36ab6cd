"""Checks over every parcel: the daily check (open and missed clocks, broken minimums, idle
status, findings, speeds, with the district's summary) and the year's 亩均 grades."""

from __future__ import annotations

import statistics
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.settings import Settings
from geo_service.supply import county_clocks, findings
from geo_service.supply.events import FROM_COARSE, Event, stage_of
from geo_service.supply.service.answers import SPEEDS, judge, speeds
from geo_service.supply.service.store import judging_day, numbers

_LIVE_EVENTS = text(
    "SELECT p.id AS parcel_id, p.code, p.name, p.supply_stage, p.county, e.id, e.event, "
    "e.occurred_on, "
    "e.data FROM supply_events e JOIN parcels p ON p.id = e.parcel_id "
    "WHERE NOT EXISTS (SELECT 1 FROM supply_events c WHERE c.corrects_id = e.id) "
    "ORDER BY p.code, e.occurred_on, e.id"
)


def check_all(session: Session, *, settings: Settings, as_of: date | None) -> dict[str, Any]:
    """The daily check: every parcel with events, its open and missed clocks, broken minimum
    periods (``defects``), idle status and findings (``supply.findings``)."""
    when = judging_day(as_of)
    by_parcel: dict[str, list[Event]] = {}
    names: dict[str, tuple[str, str, int]] = {}
    county_of: dict[str, str] = {}
    for r in session.execute(_LIVE_EVENTS).mappings():
        by_parcel.setdefault(r["code"], []).append(
            Event(r["id"], r["event"], r["occurred_on"], dict(r["data"] or {}))
        )
        names[r["code"]] = (r["name"], r["supply_stage"], r["parcel_id"])
        county_of[r["code"]] = r["county"]
    rules = county_clocks.rules_by_county(session, settings)  # each parcel by its county's
    facts = findings.facts_for(session, [n[2] for n in names.values()], when)
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
                if d["status"] == "open"
                and d.get("tracked", True)
                and (d["kind"] == "deadline" or d["due"] >= when)
            ),
            key=lambda d: d["due"],
        )
        missed = [d for d in deadlines if d["status"] == "missed" and d["kind"] == "deadline"]
        defects = [d for d in deadlines if d["status"] == "missed" and d["kind"] == "minimum"]
        checks = (promised or {}).get("checks", [])
        found = findings.findings(
            findings.Judged(deadlines, idle_answer, promised, facts[names[code][2]])
        )
        parcels.append(
            {
                "parcel": code,
                "name": names[code][0],
                "stage": stage_of(upto) or FROM_COARSE.get(names[code][1], "reserve"),
                "next": open_[0] if open_ else None,
                "missed": missed,
                "defects": defects,
                "idle": idle_answer,
                "shortfalls": sum(c["shortfalls"] for c in checks),
                "findings": found,
                "speeds": speeds(events, when),
            }
        )
    return numbers({"as_of": when, "parcels": parcels, "summary": _summary(parcels)})


def _summary(parcels: list[dict[str, Any]]) -> dict[str, Any]:
    idle_counts = {s: 0 for s in ("none", "warning", "idle_1y", "idle_2y")}
    for p in parcels:
        idle_counts[p["idle"]["status"]] += 1

    def with_kind(kind: str) -> int:
        return sum(1 for p in parcels if any(f["kind"] == kind for f in p["findings"]))

    return {
        "parcels": len(parcels),
        "open_deadlines": sum(1 for p in parcels if p["next"]),
        "missed_deadlines": sum(len(p["missed"]) for p in parcels),
        # a broken minimum period (a step taken too early) counts as missed too
        "parcels_with_missed": sum(1 for p in parcels if p["missed"] or p["defects"]),
        "parcels_with_defects": sum(1 for p in parcels if p["defects"]),
        "parcels_with_breach": with_kind("breach"),
        "parcels_with_conflicts": with_kind("conflict"),
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
    }


def _median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


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
    return numbers(
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
