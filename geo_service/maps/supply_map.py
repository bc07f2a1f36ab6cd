"""The supply map (bureau, officials): every parcel by idle and deadline risk, by supply stage
and by 亩均 grade (three layers), with filters, a result list and a legend; and the printable
parcel timeline page. Figures come from ``geo_service.supply`` via ``maps.data.supply``; no
database access here; every value is escaped where it is written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from html import escape
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
    finding_lines,
    grade_text,
    idle_lines,
    risk_text,
    stage_text,
)
from geo_service.settings import Settings

PATH = "/maps/supply"
#: risk filter value -> the risk classes it keeps ("overdue" keeps every parcel with a missed
#: clock, idle ones too: an idle parcel has missed its start)
RISK_FILTER: dict[str, tuple[str, ...]] = {
    "overdue": (),
    "idle": ("idle_1y", "idle_2y"),
    "warning": ("warning",),
    "paused": ("paused",),
    "breach": (),
    "defect": (),
    "conflict": (),
}


def _kinds(p: Mapping[str, Any]) -> set[str]:
    return {str(f.get("kind")) for f in p.get("findings") or []}


def keep(p: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    """Whether a parcel (its supply properties) passes the map's filters."""
    if query.get("zone") and p.get("zone") != query["zone"]:
        return False
    if query.get("stage") and p.get("stage") != query["stage"]:
        return False
    if query.get("grade") and (p.get("grade") or "none") != query["grade"]:
        return False
    risk = query.get("risk")
    if risk == "overdue":  # a missed clock, or a minimum period broken (a step too early)
        return bool(p.get("missed") or p.get("defects"))
    if risk == "breach":
        return "breach" in _kinds(p) or p.get("stage") == "breach"
    if risk == "defect":
        return bool(p.get("defects"))
    if risk == "conflict":
        return "conflict" in _kinds(p)
    if risk:
        return p.get("risk") in RISK_FILTER.get(risk, ())
    return True


def supply_props(sd: MapDefinition, p: Mapping[str, Any]) -> dict[str, Any]:
    """A parcel's popup and list values on the supply map."""
    nxt = p.get("next")
    missed = [clock_text(sd, d) for d in p.get("missed") or []]
    return {
        "findings": finding_lines(sd, p.get("findings")),
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


def csv_name(as_of: str, county: str | None) -> str:
    """The list's CSV file name names the day judged and the county: supply_411603_2026-11-27.csv"""
    return "_".join(x for x in ("supply", county or "", as_of) if x) + ".csv"


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
            ["findings", sd.label("findings"), "list"],
            ["grade_text", sd.label("grade")],
        ],
        "link": {
            "key": "timeline",
            "base": "/maps/parcels/",
            "suffix": "/timeline" + (f"?{q}" if q else ""),
            "label": sd.label("timeline"),
        },
    }


def _first_view(overview: Mapping[str, Any], query: Mapping[str, Any]) -> Mapping[str, Any]:
    """The parcels the first view fits: the chosen county's (the page's scope), else the home
    county's (淮阳区), else all; a whole city's extent leaves the parcels as specks."""
    fc = overview["parcels"]
    if query.get("county") or county_scope.current():
        return fc
    home = overview.get("home_county")
    mine = [f for f in fc["features"] if f["properties"].get("county") == home]
    return {"type": "FeatureCollection", "features": mine} if mine else fc


def _fit_codes(first: Mapping[str, Any], overview: Mapping[str, Any]) -> str:
    """The codes the page's script fits the first view to (gs-maps.js ``[data-gs-fit]``)."""
    if first is overview["parcels"]:
        return ""
    codes = " ".join(str(f["properties"]["code"]) for f in first["features"])
    return f'<div hidden data-gs-fit="{escape(codes)}"></div>'


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
    first = _first_view(overview, query)
    m = new_map(sd, settings, bounds_of([first]))
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
    every = [f["properties"] for f in overview["parcels"]["features"]]
    summary = sd.label("summary").format(
        n=sm.get("parcels", 0), missed=sum(1 for p in every if p.get("missed")),
        early=sm.get("parcels_with_defects", 0), breach=sm.get("parcels_with_breach", 0),
        conflict=sm.get("parcels_with_conflicts", 0),
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
    # two legends: the risk layer (shown) and the 亩均 grades of the grade layer
    risk_legend = [(v["color"], sd.text(v)) for v in sd.section("risks").values()]
    grade_legend = [
        (v["color"], sd.text(v))
        for k, v in sd.section("grades").items()
        if k in ("A", "B", "C", "D", "building")
    ]
    add_html(
        m,
        title_panel(sd, PATH, query, subtitle=subtitle,
                    note=filters_note(sd, fields, date.today().isoformat())),
        filters,
        results_panel(sd, columns=columns, rows=rows, count=len(feats),
                      csv_name=csv_name(as_of, query.get("county") or county_scope.current())),
        _fit_codes(first, overview),
        panel("supply_legend", groups=[(sd.label("risk_legend"), risk_legend),
                                       (sd.label("grade_legend"), grade_legend)]),
        add_counties(m, sd, PATH, query, counties),
    )  # fmt: skip
    folium.LayerControl(collapsed=True).add_to(m)
    return finish(m, settings)
