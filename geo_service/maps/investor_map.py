"""The public investor map: available net-land plots (public fields, simplified geometry), the
district, zones and roads around them, a fit check that says why, and a printable plot sheet."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import folium

from geo_service.maps.county_panel import add_counties, county_field
from geo_service.maps.data import FitQuery
from geo_service.maps.definitions import MapDefinition
from geo_service.maps.layers import DataVar, GsGeoJson, esc
from geo_service.maps.page import (
    Page,
    add_html,
    bounds_of,
    controls,
    district_outline,
    finish,
    new_map,
    set_paper,
    vector_layer,
)
from geo_service.maps.panels import (
    county_csv,
    filters_panel,
    mu,
    panel,
    results_panel,
    title_panel,
)
from geo_service.settings import CONDITIONS, Settings

#: a name's trailing unit in brackets, full- or half-width
_IN_BRACKETS = re.compile(r"\s*[（(][^（()）]*[)）]$")


def indicator_text(defn: MapDefinition, ind: Mapping[str, Any]) -> str:
    names = defn.data.get("indicator_names", {})
    key = str(ind.get("key", ""))
    name = defn.text(names.get(key), str(ind.get("name") or key))
    unit = str(ind.get("unit") or "")
    unit = defn.vocab("indicator_units", unit) if unit else ""  # as stored if unknown
    if unit:  # said once, after the figure: not also in the name's brackets ("强度（万元/亩）")
        name = _IN_BRACKETS.sub("", name)
    parts = []
    if ind.get("min") is not None and ind.get("max") is not None:
        parts.append(f"{ind['min']}–{ind['max']}")
    elif ind.get("min") is not None:
        parts.append(f"≥ {ind['min']}")
    elif ind.get("max") is not None:
        parts.append(f"≤ {ind['max']}")
    if ind.get("value") is not None:
        parts.append(str(ind["value"]))
    return f"{name} {' '.join(parts)} {unit}".strip()


def readiness_summary(defn: MapDefinition, met: int) -> str:
    conds = defn.join(defn.vocab("conditions", c) for c in CONDITIONS)
    head = defn.vocab("readiness_words", "net_land") if met == len(CONDITIONS) else f"{met}/5"
    return f"{head}{defn.label('colon')}{conds}" if met == len(CONDITIONS) else head


def fit_lines(
    defn: MapDefinition,
    misfit: list[Mapping[str, Any]] | None,
    fit: FitQuery,
    bound: list[str] | None = None,
) -> list[str]:
    """Why a plot fits or not, in the map's language (from :func:`data.fit_sql`'s reasons); a
    plot that fits is told which of its bounds (``bound``: :data:`data.fit.BOUND_SQL`) were
    checked and which it does not set."""
    fd = defn.section("fit")
    words = fd["rule_words"]
    sets = bound or []

    def unbound(rule: str) -> str:  # "this plot sets no … minimum"
        return defn.text(fd["unbound"]).format(rule=defn.text(words[rule]))

    if not misfit:
        asked = ["intensity", *(["tax"] if fit.tax_per_mu is not None else [])]
        checked = ["area", *(r for r in asked if r in sets)]
        head = fd["fits"] if len(checked) > 1 else fd["fits_one"]
        lines = [defn.text(head).format(rules=defn.join(defn.text(words[r]) for r in checked))]
        lines += [unbound(r) for r in asked if r not in sets]
    else:
        lines = [
            defn.text(fd[f"why_{r.get('rule')}"]).format(
                value=mu(r.get("value")) if r.get("rule") == "area" else r.get("value"),
                min=r.get("min"),
                max=r.get("max"),
            )
            for r in misfit
        ]
    if fit.tax_per_mu is None:  # no tax given: not checked, or nothing to check on this plot
        # bounds not asked (None): as for a plot that sets a tax minimum, it was not checked
        sets_tax = bound is None or "tax" in sets
        lines.append(defn.text(fd["tax_not_checked"]) if sets_tax else unbound("tax"))
    return lines


def investor_props(
    defn: MapDefinition, p: Mapping[str, Any], fit: FitQuery | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": p.get("code"),
        "name": p.get("name"),
        "zone": p.get("zone_name") or p.get("zone"),
        "area_mu": mu(p.get("area_mu")),
        "land_use": defn.vocab("land_uses", p.get("land_use")),
        "industry": defn.vocab("industries", p.get("industry")),
        "supply_stage": defn.vocab("supply_stages", p.get("supply_stage")),
        "notice_dates": list(p.get("notice_dates") or []),  # public dates only (supply_pages)
        "readiness": readiness_summary(defn, int(p.get("met") or 0)),
        "indicators": [indicator_text(defn, i) for i in p.get("indicators") or []],
        "contact": p.get("contact"),
        "sheet": quote(str(p.get("code")), safe=""),
    }
    if fit is not None:
        misfit = p.get("misfit") or []
        out["fit"] = not misfit  # decided in PostGIS by data.fit_sql
        out["fit_text"] = fit_lines(defn, misfit, fit, p.get("bound"))
    return out


def popup_spec(defn: MapDefinition, *, fit: bool) -> dict[str, Any]:
    rows = [[k, defn.label(k), "text"] for k in defn.section("popup")]
    rows.insert(len(rows) - 1, ["indicators", defn.label("indicators"), "list"])
    at = next((i + 1 for i, r in enumerate(rows) if r[0] == "supply_stage"), len(rows))
    rows.insert(at, ["notice_dates", defn.label("notice_dates"), "list"])
    if fit:
        rows.insert(0, ["fit_text", defn.text(defn.section("fit")["popup"]), "list"])
    suffix = "?lang=en" if defn.lang == "en" else ""
    return {
        "title": "name",
        "rows": rows,
        "link": {
            "key": "sheet",
            "base": "/maps/investors/parcels/",
            "label": defn.label("sheet"),
            "suffix": suffix,
            "keepQuery": True,
        },  # fmt: skip
    }


def context_layers(m: Any, defn: MapDefinition, settings: Settings,
                   context: Mapping[str, Mapping[str, Any]]) -> None:  # fmt: skip
    """The district outline, zones and existing roads: a map that reads without base tiles."""
    layers = defn.section("layers")
    for key, fc, style in (
        ("district", district_outline(settings.district_boundary), "district_style"),
        ("zones", context.get("zones", {"features": []}), "zone_style"),
        ("roads", context.get("roads", {"features": []}), "road_style"),
    ):
        dv = DataVar(fc).add_to(m)
        spec: dict[str, Any] = {"style": {"base": defn.data.get(style, {}),
                                          "className": f"gs-{key}"}}  # fmt: skip
        if key == "district":
            spec["interactive"] = False
        else:
            spec["tooltip"] = "name"
        if key == "zones":
            spec["labels"], spec["labelsOn"] = "name", True  # named on screen too
        if key == "roads":
            spec["labels"] = "name"  # in print
        GsGeoJson(dv, spec, name=defn.text(layers[key])).add_to(m)


def render_investors(
    defn: MapDefinition,
    settings: Settings,
    *,
    parcels: Mapping[str, Any] | None,
    choices: Mapping[str, list[tuple[str, str]]],
    query: Mapping[str, Any],
    results: list[Mapping[str, Any]],
    count: int,
    context: Mapping[str, Mapping[str, Any]],
    fit: FitQuery | None = None,
    fit_codes: list[str] | None = None,
    notice: str = "",
    tiles_url: str | None = None,
    extent: list[list[float]] | None = None,
    path: str = "/maps/investors",
    counties: Mapping[str, Any] | None = None,
) -> Page:
    """The public map: available net-land plots, public fields only, simplified geometry.

    Embedded mode (``parcels``): each feature carries its fit. Tile mode (``tiles_url``): the
    page carries only the fitting plots' codes (``fit_codes``) and the tiles' style function
    highlights them. ``results`` (fitting first, with the reasons) are listed beside the map.
    """
    style = {
        "base": defn.data.get("parcel_style", {}),
        "flags": [
            {"prop": "fit", "equals": True, "style": defn.data.get("fit_style", {})},
            {"prop": "fit", "equals": False, "style": defn.data.get("nofit_style", {})},
        ],
        "className": "gs-parcel",
    }
    popup = popup_spec(defn, fit=fit is not None)
    layers = defn.section("layers")
    m = new_map(defn, settings, bounds_of([parcels]) if parcels is not None else extent)
    context_layers(m, defn, settings, context)
    suffix = "?lang=en" if defn.lang == "en" else ""
    if parcels is not None:
        fc = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": f["geometry"],
                 "properties": investor_props(defn, f["properties"], fit)}
                for f in parcels.get("features", [])
            ],
        }  # fmt: skip
        GsGeoJson(
            DataVar(fc).add_to(m),
            {"style": style, "popup": popup, "tooltip": "code", "searchable": True},
            name=defn.text(layers["parcels"]),
        ).add_to(m)
    elif tiles_url is not None:
        spec: dict[str, Any] = {
            "style": style,
            "popup": dict(popup, rows=popup_spec(defn, fit=False)["rows"]),
        }
        if fit is not None:
            spec["fitCodes"] = list(fit_codes or [])
        vector_layer(m, tiles_url, spec, defn.text(layers["parcels"]), "parcels", bounds=extent)
    controls(
        m,
        defn,
        {
            "url": "/maps/investors/search?q=",
            "suffix": "&lang=en" if defn.lang == "en" else "",
            "popup": popup,
            "detail": "/maps/investors/find/" if parcels is None else None,
            "detailSuffix": suffix,
        },
    )

    fl, fd = defn.section("filter_labels"), defn.section("fit")
    fields: list[dict[str, Any]] = [
        {"kind": "select", "name": "zone", "label": defn.label("zone"),
         "options": choices.get("zones", []), "current": query.get("zone")},
        {"kind": "select", "name": "industry", "label": defn.text(fl["industry"]),
         "options": [(v, defn.vocab("industries", v)) for v, _ in choices.get("industries", [])],
         "current": query.get("industry")},
        {"kind": "number", "name": "min_area_mu", "label": defn.text(fl["min_area_mu"]),
         "current": query.get("min_area_mu")},
        {"kind": "number", "name": "max_area_mu", "label": defn.text(fl["max_area_mu"]),
         "current": query.get("max_area_mu")},
        {"kind": "heading", "label": defn.text(fd["title"])},
        {"kind": "number", "name": "investment_wan", "label": defn.text(fd["investment_wan"]),
         "current": query.get("investment_wan")},
        {"kind": "number", "name": "area_mu", "label": defn.text(fd["area_mu"]),
         "current": query.get("area_mu")},
        {"kind": "number", "name": "tax_per_mu", "label": defn.text(fd["tax_per_mu"]),
         "current": query.get("tax_per_mu")},
        {"kind": "note", "label": defn.text(fd["need_both"])},
        {"kind": "note", "label": defn.text(fd["tolerance"]).format(
            pct=fd.get("area_tolerance_pct", 10))},
    ]  # fmt: skip
    fields[:0] = county_field(defn, counties)  # the county switcher first
    filtered = any(query.get(k) not in (None, "") for k in query if k != "lang")
    columns = [defn.label("code"), defn.label("name"), defn.label("zone"), defn.label("area_mu")]
    if fit is not None:
        columns.append(defn.text(fd["column"]))
    rows = []
    for r in results:
        row = [r["code"], r["name"], r["zone"] or "", mu(r["area_mu"])]
        if fit is not None:
            row.append(
                ("；" if defn.lang == "zh" else "; ").join(
                    fit_lines(defn, r.get("misfit") or [], fit, r.get("bound"))[:3]
                )
            )
        rows.append(row)
    leg = defn.section("legend")
    keys = ("fits", "no_fit") if fit is not None else ("available",)
    legend_rows = [(leg[k]["color"], defn.text(leg[k])) for k in (*keys, "zones", "roads")]
    heading = defn.label("results")
    if fit is not None:
        heading = f"{defn.text(fd['result'])}{defn.label('colon')}{len(fit_codes or [])} / "
    review = ""
    if settings.map_review_number:
        review = panel(
            "notice",
            level="review",
            message=f"{defn.label('review_number')}{defn.label('colon')}{settings.map_review_number}",
        )
    add_html(
        m,
        title_panel(defn, path, query),
        filters_panel(defn, path, fields, filtered=filtered),
        panel("notice", level="warn", message=notice) if notice else "",
        results_panel(
            defn,
            columns=columns,
            rows=rows,
            count=count,
            csv_name=county_csv("plots", filtered=filtered, lang=defn.lang),
            heading=heading,
        ),  # fmt: skip
        panel("legend", heading=defn.label("legend"), rows=legend_rows),
        review,
        add_counties(m, defn, path, query, counties),
    )
    folium.LayerControl(collapsed=True).add_to(m)
    return finish(m, settings)


def _due_text(defn: MapDefinition, d: Mapping[str, Any], issued: str) -> str:
    """An open clock's day on the plot sheet; an earliest close already past is not shown as
    if to come (the listing stays open until it closes), as the map's popup says."""
    due = str(d.get("due") or "")
    if d.get("rule") == "listing_period" and due and due < issued:
        return defn.text(defn.data["supply_rules"]["listing_passed"]).format(d=due)
    return due


def render_plot_sheet(
    defn: MapDefinition,
    settings: Settings,
    *,
    sheet: Mapping[str, Any],
    issued: str,
    fit: FitQuery | None = None,
    back_href: str = "/maps/investors",
) -> Page:
    """One A4 page for one plot: facts, the investor's fit check when one was made (the map's
    own result, :func:`fit_lines`), indicators, conditions, assessments (an expired one marked,
    not dropped) and a location map with the roads near it and a north arrow; ``back_href``:
    the investor map as the investor left it."""
    f = sheet["feature"]
    raw = f["properties"]
    p = investor_props(defn, raw, fit)
    m = new_map(defn, settings, bounds_of([{"features": [f]}]))
    m.get_root().title = esc(f"{raw.get('code')} {raw.get('name')}")
    GsGeoJson(
        DataVar(sheet.get("roads") or {"type": "FeatureCollection", "features": []}).add_to(m),
        {"style": {"base": defn.data.get("road_style", {}), "className": "gs-roads"},
         "labels": "name"},
        name=defn.text(defn.section("layers")["roads"]),
    ).add_to(m)  # fmt: skip
    GsGeoJson(
        DataVar({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": f["geometry"], "properties": p}]}).add_to(m),
        {"style": {"base": defn.data.get("parcel_style", {}), "className": "gs-parcel"},
         "tooltip": "code", "searchable": True, "labels": "code"},
        name=defn.text(defn.section("layers")["parcels"]),
    ).add_to(m)  # fmt: skip
    s = defn.section("sheet")
    kinds = defn.data.get("assessment_kinds", {})
    labels = {k: defn.label(k) for k in ("print", "indicators", "conditions", "status",
                                          "verified_at", "review_number")}  # fmt: skip
    labels.update({k: defn.text(s[k]) for k in ("back", "assessments", "valid_until", "issued",
                                                  "assessment", "lapsed", "location", "north",
                                                  "foot")})  # fmt: skip
    facts = [
        (defn.label("code"), p["code"]),
        (defn.label("zone"), p["zone"] or ""),
        (defn.label("area_mu"), p["area_mu"]),
        (defn.label("land_use"), p["land_use"] or ""),
        (defn.label("industry"), p["industry"] or ""),
        (defn.label("supply_stage"), p["supply_stage"]),
        (defn.label("readiness"), p["readiness"]),
        (defn.label("contact"), p["contact"] or ""),
    ]
    sup = sheet.get("supply") or {}
    ev_names, rule_names = defn.data.get("supply_events", {}), defn.data.get("supply_rules", {})
    supply_rows = [
        (defn.text(ev_names.get(e.get("event")), str(e.get("event"))), e.get("on") or "")
        for e in sup.get("events") or []
    ] + [
        (defn.text(rule_names.get(d.get("rule"))), _due_text(defn, d, issued))
        for d in sup.get("deadlines") or []
        if d.get("rule") in rule_names and d.get("status") == "open"
    ]
    labels["supply"], labels["no_supply"] = defn.text(s["supply"]), defn.text(s["no_supply"])
    body = panel(
        "plot_sheet",
        supply_rows=supply_rows,
        p=p,
        facts=facts,
        labels=labels,
        issued=issued,
        review=settings.map_review_number or "",
        back_href=back_href,
        fit={"head": defn.text(defn.section("fit")["popup"]), "fits": p["fit"],
             "lines": p["fit_text"]} if fit is not None else None,
        conditions=[
            {"label": defn.vocab("conditions", c["condition"]), "status": c["status"],
             "status_text": defn.vocab("condition_status", c["status"]),
             "verified_at": c.get("verified_at") or ""}
            for c in sheet.get("conditions", [])
        ],
        assessments=[
            {"kind": defn.text(kinds.get(a["kind"]), a["kind"]), "name": a.get("name"),
             "valid_until": a.get("valid_until"), "lapsed": a.get("lapsed")}
            for a in sheet.get("assessments", [])
        ],
    )  # fmt: skip
    add_html(m, body)
    set_paper(m, "A4 portrait", margin_mm=10)
    return finish(m, settings)
