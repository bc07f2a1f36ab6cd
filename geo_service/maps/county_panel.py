"""The county switcher and the city overview on every map (issue 14; no database here: the
figures come from ``maps.data.counties.county_view``).

* :func:`county_field`: the 县区 select of the filter form (a county token: its own county only;
  city-wide and public: 全市 and every county). Pressing 应用 reloads the page with ``county=``
  and the other filters; the names that belong to one county (zone, leader, unit, round) are
  cleared when the county changes (``gs-maps.js``), as they would not exist in the other one.
* :func:`add_counties`: the outlines of the counties in view and, when the whole city is shown,
  the per-county summary (parcels, 亩, net land reserve, projects, late) — ``by_county`` of
  ``GET /api/v1/stats``; on the investor map each county's plots on offer and their 亩; a click
  on a county's row switches the map to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import folium

from geo_service.maps.definitions import MapDefinition
from geo_service.maps.layers import DataVar, GsGeoJson
from geo_service.maps.page import bounds_of
from geo_service.maps.panels import mu, panel

#: filters naming things of one county: not carried to another county
COUNTY_OWN = ("zone", "leader", "unit", "round", "round_list")


def _words(defn: MapDefinition) -> dict[str, Any]:
    """The switcher's and the overview's words, from ``maps/common.json``'s labels."""
    lb = defn.label
    return {
        "county": lb("county"),
        "city": lb("county_city"),
        "heading": lb("county_heading"),
        "outlines": lb("county_outlines"),
        "columns": [
            lb("county"),
            lb("county_parcels"),
            lb("area_mu"),
            lb("county_reserve_mu"),
            lb("county_projects"),
            lb("county_projects_late"),
        ],
        "offer_columns": [lb("county"), lb("county_offer"), lb("county_offer_mu")],
        "note": lb("county_note"),
        "offer_note": lb("county_offer_note"),
    }


def _name(defn: MapDefinition, c: Mapping[str, Any]) -> str:
    return str(c["name_en"] if defn.lang == "en" else c["name_zh"])


def county_field(defn: MapDefinition, view: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The switcher as a filter field (none when the service holds one county)."""
    if not view:
        return []
    w = _words(defn)
    return [
        {
            "kind": "select",
            "name": "county",
            "label": w["county"],
            "options": [(c["code"], _name(defn, c)) for c in view["counties"]],
            "current": view["chosen"],
            # a county token has no whole-city view: no empty choice
            "all": "" if view["viewer"] else w["city"],
        }
    ]


def switch_href(path: str, query: Mapping[str, Any], county: str) -> str:
    """``path`` for ``county`` with the other filters kept (the county's own names dropped)."""
    q = {
        k: v
        for k, v in query.items()
        if v not in (None, "") and k not in COUNTY_OWN and k != "county"
    }
    if q.get("lang") == "zh":
        q.pop("lang")
    return f"{path}?{urlencode({'county': county, **q})}"


def _cells(figures: Mapping[str, Any]) -> list[Any]:
    if "offer" in figures:  # the investor map: its own plots on offer
        return [figures["offer"]["parcels"], mu(figures["offer"]["area_mu"])]
    land = figures.get("land") or {}
    reserve = mu(land.get("net_land_reserve_mu") or 0)
    projects = figures.get("projects") or {}
    return [
        land.get("parcels", 0),
        mu(land.get("area_mu") or 0),
        reserve,
        projects.get("count", 0),
        projects.get("overdue", 0),
    ]


def _fit_county(m: Any, counties: list[Mapping[str, Any]]) -> None:
    """Show the chosen county: the map's view stays when it lies in the county (its records),
    else (nothing to show: the district file's view) it becomes the county's outline."""
    if not counties:
        return
    box = bounds_of([{"features": [{"geometry": counties[0]["boundary"]}]}])
    if box is None:
        return
    (s, w), (n, e) = box
    fits = [k for k, v in m._children.items() if isinstance(v, folium.map.FitBounds)]
    for key in fits:
        (bs, bw), (bn, be) = m._children[key].bounds
        if s <= (bs + bn) / 2 <= n and w <= (bw + be) / 2 <= e:
            return  # the county's own records
        del m._children[key]
    m.fit_bounds([[s, w], [n, e]])


def add_counties(
    m: Any,
    defn: MapDefinition,
    path: str,
    query: Mapping[str, Any],
    view: Mapping[str, Any] | None,
) -> str:
    """Draw the outlines of the counties in view; the overview panel's HTML (whole city only)."""
    if not view:
        return ""
    w = _words(defn)
    shown = [c for c in view["counties"] if view["chosen"] in (None, c["code"])]
    outlines = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": c["boundary"],
                "properties": {"code": c["code"], "name": _name(defn, c)},
            }
            for c in shown
            if c["boundary"]
        ],
    }
    style = {"base": {"color": "#222222", "weight": 2.5, "dashArray": "12 6", "fill": False},
             "className": "gs-county"}  # fmt: skip
    GsGeoJson(DataVar(outlines).add_to(m), {"style": style, "tooltip": "name"},
              name=w["outlines"]).add_to(m)  # fmt: skip
    if view["chosen"] is not None:
        _fit_county(m, [c for c in shown if c["boundary"]])
    by_county = view.get("by_county")
    if view["chosen"] is not None or not by_county:
        return ""
    offer = any("offer" in f for f in by_county.values())
    names = {c["code"]: c for c in view["counties"]}
    rows = [
        {
            "code": code,
            "name": _name(defn, names.get(code, f)),
            "href": switch_href(path, query, code),
            "cells": _cells(f),
        }
        for code, f in by_county.items()
    ]
    return panel(
        "counties",
        heading=w["heading"],
        columns=w["offer_columns"] if offer else w["columns"],
        rows=rows,
        note=w["offer_note"] if offer else w["note"],
    )
