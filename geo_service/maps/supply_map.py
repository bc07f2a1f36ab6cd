"""The supply map (bureau, officials): every parcel by idle and deadline risk, by supply stage
and by 亩均 grade (three layers), with filters, a result list and a legend; and the printable
parcel timeline page. Figures come from ``geo_service.supply`` via ``maps.data.supply``; no
database access here; every value is escaped where it is written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import folium

from geo_service.counties import scope as county_scope
from geo_service.maps.county_panel import add_counties, county_field
from geo_service.maps.definitions import MapDefinition
from geo_service.maps.layers import DataVar, GsGeoJson
from geo_service.maps.page import Page, add_html, bounds_of, controls, finish, new_map
from geo_service.maps.panels import filters_note, mu, panel, results_panel, title_panel
from geo_service.maps.supply_text import (
    clock_text,
    grade_text,
    idle_lines,
    risk_text,
    rule_text,
    stage_text,
)
from geo_service.settings import Settings

PATH = "/maps/supply"
#: event keys shown in their own columns (the rest of an event's fields go in its note line)
EVENT_COLUMNS = (
    "id",
    "event",
    "on",
    "document_ref",
    "file_ref",
    "note",
    "recorded_by",
    "recorded_at",
    "corrects",
    "corrected_by",
    "counts",
    "commitments",
    "measured",
)
#: risk filter value -> the risk classes it keeps ("overdue" keeps every parcel with a missed
#: clock, idle ones too: an idle parcel has missed its start)
RISK_FILTER: dict[str, tuple[str, ...]] = {
    "overdue": (),
    "idle": ("idle_1y", "idle_2y"),
    "warning": ("warning",),
    "paused": ("paused",),
}


def keep(p: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    """Whether a parcel (its supply properties) passes the map's filters."""
    if query.get("zone") and p.get("zone") != query["zone"]:
        return False
    if query.get("stage") and p.get("stage") != query["stage"]:
        return False
    if query.get("grade") and (p.get("grade") or "none") != query["grade"]:
        return False
    risk = query.get("risk")
    if risk == "overdue":
        return bool(p.get("missed"))
    if risk:
        return p.get("risk") in RISK_FILTER.get(risk, ())
    return True


def supply_props(sd: MapDefinition, p: Mapping[str, Any]) -> dict[str, Any]:
    """A parcel's popup and list values on the supply map."""
    nxt = p.get("next")
    missed = [clock_text(sd, d) for d in p.get("missed") or []]
    return {
        "code": p.get("code"),
        "name": p.get("name"),
        "zone": p.get("zone_name") or p.get("zone"),
        "area_mu": mu(p.get("area_mu")),
        "stage": p.get("stage"),
        "stage_text": stage_text(sd, p.get("stage")),
        "risk": p.get("risk"),
        "risk_text": risk_text(sd, str(p.get("risk"))),
        "next_text": clock_text(sd, nxt) if nxt else sd.label("no_clock"),
        "days_left": nxt.get("days_left") if nxt else None,
        "missed": missed,
        "idle": idle_lines(sd, p.get("idle")),
        "grade": p.get("grade") or "none",
        "grade_text": grade_text(sd, p.get("grade")),
        "timeline": quote(str(p.get("code")), safe=""),  # the link's key, URL-quoted
    }


def popup_spec(sd: MapDefinition, query: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The popup; its timeline link judges the same day (``as_of``) in the same county."""
    keep = {k: (query or {}).get(k) for k in ("as_of", "county")}
    keep["county"] = keep["county"] or county_scope.current()
    if sd.lang == "en":
        keep["lang"] = "en"
    q = urlencode({k: v for k, v in keep.items() if v not in (None, "")})
    return {
        "title": "name",
        "rows": [
            ["code", sd.label("code")],
            ["zone", sd.label("zone")],
            ["area_mu", sd.label("area_mu")],
            ["stage_text", sd.label("stage")],
            ["risk_text", sd.label("risk")],
            ["next_text", sd.label("next")],
            ["missed", sd.label("missed"), "list"],
            ["idle", sd.label("idle"), "list"],
            ["grade_text", sd.label("grade")],
        ],
        "link": {
            "key": "timeline",
            "base": "/maps/parcels/",
            "suffix": "/timeline" + (f"?{q}" if q else ""),
            "label": sd.label("timeline"),
        },
    }


def _fields(sd: MapDefinition, query: Mapping[str, Any], zones: list[tuple[str, str]]) -> list[Any]:
    def opts(section: str) -> list[tuple[str, str]]:
        return [(k, sd.text(v)) for k, v in sd.section(section).items()]

    return [
        {"kind": "select", "name": name, "label": sd.label(name), "options": options,
         "current": query.get(name)}
        for name, options in (("risk", opts("risk_filter")), ("stage", opts("stages")),
                              ("grade", opts("grades")), ("zone", zones))
    ]  # fmt: skip


def render_supply(
    sd: MapDefinition,
    settings: Settings,
    *,
    overview: Mapping[str, Any],
    query: Mapping[str, Any],
    list_max: int = 500,
    counties: Mapping[str, Any] | None = None,
) -> Page:
    """The supply map of ``overview`` (``maps.data.supply.supply_overview``) filtered by
    ``query`` (risk, stage, grade, zone; ``as_of`` is the day judged)."""
    feats = []
    zones: dict[str, str] = {}
    for f in overview["parcels"]["features"]:
        p = f["properties"]
        if p.get("zone"):
            zones[p["zone"]] = p.get("zone_name") or p["zone"]
        if keep(p, query):
            feats.append(
                {"type": "Feature", "geometry": f["geometry"], "properties": supply_props(sd, p)}
            )
    order = {r: i for i, r in enumerate(sd.section("risks"))}
    feats.sort(key=lambda f: (order.get(f["properties"]["risk"], 99), f["properties"]["code"]))
    fc = {"type": "FeatureCollection", "features": feats}
    m = new_map(sd, settings, bounds_of([overview["parcels"]]))
    dv = DataVar(fc).add_to(m)
    base = sd.section("parcel_style")
    popup = popup_spec(sd, query)
    layers = sd.section("layers")
    for key, prop, section, show in (
        ("risk", "risk", "risks", True),
        ("stage", "stage", "stages", False),
        ("grade", "grade", "grades", False),
    ):
        style = {
            "base": base,
            "by": prop,
            "values": {k: {"fillColor": v["color"]} for k, v in sd.section(section).items()},
            "className": f"gs-parcel gs-supply-{key}",
        }
        spec = {"style": style, "popup": popup, "tooltip": "code", "searchable": key == "risk"}
        GsGeoJson(dv, spec, name=sd.text(layers[key]), show=show).add_to(m)
    # an exact code opens its popup; part of a code or name asks the parcels' search (same roles)
    search = {"url": "/maps/readiness/search?q=", "popup": popup,
              "suffix": "&lang=en" if sd.lang == "en" else ""}  # fmt: skip
    controls(m, sd, search)

    zone_opts = sorted(zones.items())
    fields = county_field(sd, counties) + _fields(sd, query, zone_opts)
    as_of = str(overview.get("as_of") or "")
    sm = overview.get("summary") or {}
    idle = sm.get("idle") or {}
    summary = sd.label("summary").format(
        n=sm.get("parcels", 0), missed=sm.get("parcels_with_missed", 0),
        idle=idle.get("idle_1y", 0) + idle.get("idle_2y", 0), warn=idle.get("warning", 0),
    )  # fmt: skip
    year = overview.get("grade_year")
    subtitle = " · ".join(
        x
        for x in (
            f"{sd.label('as_of')} {as_of}",
            summary,
            f"{sd.label('grade_year')} {year}" if year else "",
        )
        if x
    )
    hidden = [("lang", "en")] if sd.lang == "en" else []
    if query.get("as_of"):
        hidden.append(("as_of", str(query["as_of"])))
    filtered = any(query.get(k) for k in ("risk", "stage", "grade", "zone"))
    reset = PATH + ("?lang=en" if sd.lang == "en" else "")
    filters = panel(
        "filters", cls="gs-filters", action=PATH, heading=sd.label("filters"), fields=fields,
        hidden=hidden, all_label=sd.label("all"), apply_label=sd.label("apply"),
        reset_href=reset if filtered else "", reset_label=sd.label("reset"),
    )  # fmt: skip
    rows = [
        [p["code"], p["name"], p["stage_text"], p["risk_text"], p["next_text"],
         ("；" if sd.lang == "zh" else "; ").join(p["missed"]), p["grade_text"]]
        for p in (f["properties"] for f in feats[:list_max])
    ]  # fmt: skip
    columns = [sd.label(k) for k in ("code", "name", "stage", "risk", "next", "missed", "grade")]
    # the risk layer (shown), then the 亩均 grades of the grade layer
    legend = [(v["color"], sd.text(v)) for v in sd.section("risks").values()] + [
        (v["color"], f"{sd.label('grade')} {sd.text(v)}")
        for k, v in sd.section("grades").items()
        if k in ("A", "B", "C", "D")
    ]
    add_html(
        m,
        title_panel(sd, PATH, query, subtitle=subtitle,
                    note=filters_note(sd, fields, date.today().isoformat())),
        filters,
        results_panel(sd, columns=columns, rows=rows, count=len(feats), csv_name="supply.csv"),
        panel("legend", heading=sd.label("legend"), rows=legend),
        add_counties(m, sd, PATH, query, counties),
    )  # fmt: skip
    folium.LayerControl(collapsed=True).add_to(m)
    return finish(m, settings)


# ------------------------------------------------------------------ the parcel timeline


def _event_rows(sd: MapDefinition, events: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    skip = set(EVENT_COLUMNS)
    out = []
    for e in events:
        extra = ("；" if sd.lang == "zh" else "; ").join(
            f"{k}: {v}" for k, v in e.items() if k not in skip and v is not None
        )
        out.append(
            {
                "on": e.get("on"),
                "event": sd.vocab("events", e.get("event")),
                "document": e.get("document_ref") or "",
                "file": e.get("file_ref") or "",
                "by": e.get("recorded_by") or "",
                "extra": extra,
                "counts": e.get("counts", True),
            }
        )
    return out


def _clock_rows(sd: MapDefinition, deadlines: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for d in sorted(deadlines, key=lambda d: str(d.get("due"))):
        why = []
        if d.get("days_late") is not None:
            why.append(sd.label("days_late").format(n=d["days_late"]))
        if d.get("days_left") is not None:
            why.append(sd.label("days_left").format(n=d["days_left"]))
        if d.get("done_on"):
            why.append(sd.label("done_on").format(d=d["done_on"]))
        if d.get("suspended_days"):
            why.append(sd.label("paused_days").format(n=d["suspended_days"]))
        if d.get("provisional"):
            why.append(
                f"{sd.label('provisional')}{sd.label('colon')}{d.get('why_provisional') or ''}"
            )
        source = f"{d.get('source') or ''} {d.get('article') or ''}".strip()
        if not d.get("verified") and "unverified" not in source:
            source += " " + sd.label("not_verified")
        out.append(
            {
                "rule": rule_text(sd, d.get("rule")),
                "due": d.get("due"),
                "status": d.get("status"),
                "status_text": sd.vocab("deadline_status", d.get("status")),
                "provisional": bool(d.get("provisional")),
                "why": ("；" if sd.lang == "zh" else "; ").join(str(x) for x in why),
                "source": source,
            }
        )
    return out


def _commitment_rows(sd: MapDefinition, promised: Mapping[str, Any] | None) -> list[Any]:
    """Each measured indicator of each check (completion, 达产) against its commitment."""
    out = []
    for check in (promised or {}).get("checks") or []:
        for r in check.get("indicators") or []:
            if r.get("status") == "not_measured":
                continue
            lo, hi = r.get("min"), r.get("max")
            committed = (
                f"{lo}–{hi}"
                if lo is not None and hi is not None
                else (f"≥ {lo}" if lo is not None else f"≤ {hi}")
            )
            out.append(
                {
                    "check": sd.vocab("checks", check.get("check")),
                    "on": check.get("on"),
                    "indicator": sd.vocab("indicators", r.get("key")),
                    "committed": f"{committed} {r.get('unit') or ''}".strip(),
                    "measured": r.get("measured"),
                    "result": sd.label(str(r.get("status"))),
                    "penalty": "" if r.get("penalty_wan") is None else r["penalty_wan"],
                    "shortfall": r.get("status") == "shortfall",
                }
            )
    return out


def timeline_html(
    sd: MapDefinition, answer: Mapping[str, Any], *, back_href: str, lang_href: str
) -> str:
    """The timeline page's HTML (the template escapes every value)."""
    idle = answer.get("idle") or {}
    return panel(
        "timeline",
        lang=sd.lang,
        colon=sd.label("colon"),
        title=sd.text(sd.section("timeline_title")),
        a=answer,
        stage=stage_text(sd, answer.get("stage")),
        events=_event_rows(sd, list(answer.get("events") or [])),
        clocks=_clock_rows(sd, list(answer.get("deadlines") or [])),
        idle_status=sd.vocab("idle_status", str(idle.get("status") or "none")),
        idle=idle_lines(sd, idle),
        suspensions=idle.get("suspensions") or [],
        decision=idle.get("decision"),
        commitments=_commitment_rows(sd, answer.get("commitments")),
        speeds=[
            (sd.vocab("speeds", k), "—" if v is None else v)
            for k, v in (answer.get("speeds") or {}).items()
        ],
        projects=answer.get("projects") or [],
        printed=date.today().isoformat(),
        back_href=back_href,
        lang_href=lang_href,
        L={k: sd.text(v) for k, v in sd.section("labels").items()}
        | {"language": sd.label("language")},
    )
