"""What the supply map, the parcel timeline and the supply lines of the other maps show.

Stages, clocks, idle land, commitments and grades all come from :mod:`geo_service.supply`
(``check_all``, ``parcel_supply``, ``grades``): one rule per figure, nothing is recomputed
here. This module adds only the parcels' geometry and names, and the projects' problems and
visits for the timeline.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.maps.data.common import AREA_MU, collection
from geo_service.settings import Settings
from geo_service.supply import service as supply
from geo_service.supply.county_clocks import rules_by_county
from geo_service.supply.events import FROM_COARSE, PUBLIC_EVENTS

#: the risk classes of the supply map, worst first (from ``check_all``'s idle and missed)
RISKS = (
    "idle_2y",
    "idle_1y",
    "warning",
    "overdue",
    "breach",
    "defect",
    "paused",
    "on_track",
    "no_events",
)


def risk_of(row: dict[str, Any] | None) -> str:
    """A parcel's risk class on the map: idle status, missed clocks, a commitment not kept
    (``breach``), a minimum period broken (``defect``: a step taken too early), a running
    suspension."""
    if row is None:
        return "no_events"
    idle = row.get("idle") or {}
    status = idle.get("status")
    if status in ("idle_2y", "idle_1y"):
        return str(status)
    if status == "warning" or idle.get("warning"):
        return "warning"  # an idle mark within 90/30 days: worse than a missed clock alone
    if row.get("missed"):
        return "overdue"
    kinds = {f.get("kind") for f in row.get("findings") or []}
    if "breach" in kinds or row.get("stage") == "breach":
        return "breach"
    if row.get("defects") or "defect" in kinds:
        return "defect"
    if any(s.get("to") is None for s in idle.get("suspensions") or []):
        return "paused"
    return "on_track"


def grade_year(session: Session, as_of: date) -> int | None:
    """The latest year with 亩均 figures recorded by ``as_of`` (the year the map grades)."""
    v = session.execute(
        text(
            "SELECT max((data ->> 'year')::int) FROM supply_events "
            "WHERE event = 'annual_figures' AND occurred_on <= :d"
        ),
        {"d": as_of},
    ).scalar()
    return int(v) if v is not None else None


def supply_overview(session: Session, settings: Settings, *, as_of: date) -> dict[str, Any]:
    """Every parcel as a feature with its supply summary (``check_all``), risk and grade."""
    check = supply.check_all(session, settings=settings, as_of=as_of)
    by_code = {p["parcel"]: p for p in check["parcels"]}
    year = grade_year(session, as_of)
    graded = supply.grades(session, settings=settings, year=year)["parcels"] if year else []
    grades = {g["parcel"]: g for g in graded}
    fc = collection(
        session,
        f"""SELECT json_build_object('type', 'Feature', 'id', p.code,
              'geometry', ST_AsGeoJSON(p.geom, 6, 0)::json,
              'properties', json_build_object('code', p.code, 'name', p.name,
                'zone', z.code, 'zone_name', z.name, 'area_mu', {AREA_MU},
                'supply_stage', p.supply_stage, 'county', p.county)) AS f
            FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id ORDER BY p.code""",  # noqa: S608 -- fixed fragments only; values bound
        {},
    )
    for f in fc["features"]:
        p = f["properties"]
        row = by_code.get(p["code"])
        p["stage"] = row["stage"] if row else FROM_COARSE.get(p["supply_stage"], "reserve")
        p["risk"] = risk_of(row)
        p["next"] = row["next"] if row else None
        p["missed"] = row["missed"] if row else []
        p["defects"] = row["defects"] if row else []
        p["findings"] = row["findings"] if row else []
        p["idle"] = row["idle"] if row else None
        p["shortfalls"] = row["shortfalls"] if row else 0
        g = grades.get(p["code"])
        p["grade"] = g["grade"] if g else None
        p["grade_score"] = g.get("score") if g else None
    home = session.execute(text("SELECT code FROM counties WHERE home LIMIT 1")).scalar()
    return {
        "as_of": check["as_of"],
        "grade_year": year,
        "parcels": fc,
        "summary": check["summary"],
        "home_county": home,
    }


def supply_lines(session: Session, settings: Settings, *, as_of: date) -> dict[str, Any]:
    """Per parcel with events: stage, risk, missed and next clock (the readiness map's lines)."""
    check = supply.check_all(session, settings=settings, as_of=as_of)
    return {p["parcel"]: {**p, "risk": risk_of(p)} for p in check["parcels"]}


_PROJECT_DETAIL = text(
    """
    SELECT j.code,
      coalesce((SELECT json_agg(json_build_object('code', b.code, 'description', b.description,
               'status', b.status, 'deadline', b.deadline) ORDER BY b.code)
               FROM problems b WHERE b.project_id = j.id), '[]'::json) AS problems,
      coalesce((SELECT json_agg(json_build_object('on', v.visited_on, 'by', v.leader,
               'note', v.notes) ORDER BY v.visited_on DESC)
               FROM (SELECT * FROM visits WHERE project_id = j.id
                     ORDER BY visited_on DESC LIMIT 10) v), '[]'::json) AS visits
    FROM projects j JOIN parcels p ON p.id = j.parcel_id WHERE p.code = :c ORDER BY j.code
    """
)


def timeline(
    session: Session, settings: Settings, *, code: str, as_of: date | None
) -> dict[str, Any]:
    """A parcel's whole supply answer (internal) with its projects' problems and visits."""
    answer = supply.parcel_supply(session, code=code, settings=settings, as_of=as_of, public=False)
    rows = session.execute(_PROJECT_DETAIL, {"c": code}).mappings()
    detail: dict[str, dict[str, Any]] = {r["code"]: dict(r) for r in rows}
    for pr in answer.get("projects") or []:
        d = detail.get(pr["code"]) or {}
        pr["problem_list"] = list(d.get("problems") or [])
        pr["visit_list"] = list(d.get("visits") or [])
    return answer


def public_dates(
    session: Session, settings: Settings, codes: list[str], *, as_of: date
) -> dict[str, dict[str, Any]]:
    """The notice's public dates of published plots: notice published, listing start, and the
    listing's close (the day it closed, else the listing-period clock's earliest close, from
    ``supply``). Only public events are read; nothing internal can reach the answer."""
    if not codes:
        return {}
    rows = session.execute(
        text(
            "SELECT p.code, p.county, e.id, e.event, e.occurred_on, e.data, "
            "c.id AS corrected_by "
            "FROM supply_events e JOIN parcels p ON p.id = e.parcel_id "
            "LEFT JOIN supply_events c ON c.corrects_id = e.id "
            "WHERE p.code = ANY(:c) AND p.published AND e.event = ANY(:public) "
            "AND e.occurred_on <= :d ORDER BY p.code, e.occurred_on, e.id"
        ),
        {"c": codes, "public": sorted(PUBLIC_EVENTS), "d": as_of},
    ).mappings()
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["code"], []).append(dict(r))
    out = {}
    rules = rules_by_county(session, settings)
    for code, rs in by.items():
        events = supply.effective(rs)
        first = {e.event: e.on for e in reversed(events)}
        in_force = rules[rs[0]["county"]]  # the parcel's county's clocks
        deadlines, _, _ = supply.judge(events, settings=settings, as_of=as_of, rules=in_force)
        listing = next((d for d in deadlines if d["rule"] == "listing_period"), None)
        closed = first.get("sale_closed")
        out[code] = {
            "notice_on": first.get("notice_published"),
            "listing_from": first.get("sale_started"),
            "listing_to": closed or (listing["due"] if listing else None),
            "listing_closed": closed is not None,
        }
    return out
