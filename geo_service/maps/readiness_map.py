"""The land bureau's readiness map: parcels by category, a layer per failing condition, the
networks, zones, assessment and protected areas, and popups that say why (no database here)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

import folium

from geo_service.maps.county_panel import add_counties, county_field
from geo_service.maps.definitions import MapDefinition
from geo_service.maps.explain import explain, reason_text
from geo_service.maps.layers import DataVar, GsGeoJson
from geo_service.maps.page import (
    Page,
    add_html,
    bounds_of,
    controls,
    finish,
    new_map,
    vector_layer,
)
from geo_service.maps.panels import (
    county_csv,
    filters_note,
    filters_panel,
    mu,
    panel,
    results_panel,
    title_panel,
)
from geo_service.settings import CONDITIONS, Settings

#: at most this many parcels are listed beside the map (all are on it)
LIST_MAX = 500


def readiness_props(
    defn: MapDefinition, p: Mapping[str, Any], *, max_age_days: int
) -> dict[str, Any]:
    """A parcel's popup: its facts, category and each condition with the lines that explain it."""
    conds = p.get("conditions") or {}
    rows = []
    for key in CONDITIONS:
        c = conds.get(key) or {}
        status = c.get("status") or "unknown"
        lines = explain(defn, key, status, c.get("evidence"), max_age_days=max_age_days)
        if not c:
            lines = [defn.phrase("not_checked")]
        rows.append(
            [
                defn.vocab("conditions", key),
                status,
                defn.vocab("condition_status", status),
                defn.vocab("methods", c.get("method")),
                lines,
                c.get("verified_at") or "",
            ]
        )
    cats = defn.section("categories")
    cat = str(p.get("cat") or "not_checked")
    failing = [defn.vocab("conditions", c) for c in p.get("fails") or []]
    cat_text = defn.text(cats.get(cat), cat)
    # the count once: the counting categories say it (满足 2/5, 2 of 5 met, 净地（5/5）)
    counts = cat == "net_land" or cat.startswith("met_")
    met_text = cat_text if counts else f"{p.get('met', 0)}/{len(CONDITIONS)} · {cat_text}"
    if failing and cat != "not_checked":
        met_text += f" · {defn.label('failing')}{defn.label('colon')}{defn.join(failing)}"
    return {
        "code": p.get("code"),
        "name": p.get("name"),
        "zone": p.get("zone_name") or p.get("zone"),
        "area_mu": mu(p.get("area_mu")),
        "supply_stage": defn.vocab("supply_stages", p.get("supply_stage")),
        "met_text": met_text,
        "cat": cat,
        "fails": list(p.get("fails") or []),
        "conditions": rows,
    }


def _supply_fields(supply: Mapping[str, Any] | None, code: Any) -> dict[str, Any]:
    """A parcel's supply popup lines (``maps/supply_pages.py``), with its timeline link key."""
    if not supply:
        return {}
    return {**supply["fields"].get(code, supply["default"]), "timeline": quote(str(code), safe="")}


def _fails_name(defn: MapDefinition, cond: str) -> str:
    fails = defn.text(defn.section("layers")["fails"])
    return f"{fails}{defn.text(defn.section('fail_separator'))}{defn.vocab('conditions', cond)}"


def popup_spec(
    defn: MapDefinition, *, detail_url: str | None = None, supply: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "title": "name",
        "rows": [
            ["code", defn.label("code")],
            ["zone", defn.label("zone")],
            ["area_mu", defn.label("area_mu")],
            ["supply_stage", defn.label("supply_stage")],
            ["met_text", defn.label("readiness")],
            ["conditions", defn.label("conditions_head"), "conditions"],
        ],
    }
    if supply:  # the supply lines and the timeline link (maps/supply_pages.py)
        spec["rows"][4:4] = supply["rows"]
        spec["link"] = supply["link"]
    if detail_url:
        spec["detail"] = {"url": detail_url, "suffix": "?lang=en" if defn.lang == "en" else ""}
    return spec


def _context_layers(m: Any, defn: MapDefinition, context: Mapping[str, Mapping[str, Any]]) -> None:
    layers = defn.section("layers")
    for key in ("zones", "assessments", "protected"):
        dv = DataVar(context.get(key, {"features": []})).add_to(m)
        GsGeoJson(
            dv,
            {
                "style": {"base": defn.data.get(f"{key[:-1]}_style", {}), "className": f"gs-{key}"},
                "tooltip": "name",
            },
            name=defn.text(layers[key]),
            show=key != "assessments",
        ).add_to(m)
    net = DataVar(context.get("infrastructure", {"features": []})).add_to(m)
    statuses = defn.section("network_status")
    for kind, ks in defn.section("network_kinds").items():
        GsGeoJson(
            net,
            {
                "filter": {"prop": "kind", "value": kind},
                "style": {
                    "base": {"color": ks["color"], "weight": ks.get("weight", 2)},
                    "by": "status",
                    "values": {s: {"dashArray": v.get("dashArray")} for s, v in statuses.items()},
                    "className": "gs-network",
                },
                "tooltip": "name",
            },
            name=defn.text(layers["network"]) + defn.text(ks),
        ).add_to(m)


def fail_reasons(defn: MapDefinition, row: Mapping[str, Any]) -> str:
    """Why each condition of a listed parcel is not met, in the page's language (the engine's
    stored reasons through ``explain.reason_text``): "通水：500 m 范围内没有合格的供水管；…"."""
    reasons = row.get("reasons") or {}
    colon = defn.label("colon")
    parts = [
        f"{defn.vocab('conditions', c)}{colon}"
        + reason_text(defn, reasons.get(c) or "not checked yet")
        for c in row.get("fails") or []
    ]
    return ("；" if defn.lang == "zh" else "; ").join(parts)


def render_readiness(
    defn: MapDefinition,
    settings: Settings,
    *,
    parcels: Mapping[str, Any] | None,
    context: Mapping[str, Mapping[str, Any]],
    query: Mapping[str, Any],
    results: list[Mapping[str, Any]],
    count: int,
    as_of: date | None = None,
    checked: date | None = None,
    tiles_url: str | None = None,
    extent: list[list[float]] | None = None,
    path: str = "/maps/readiness",
    supply: Mapping[str, Any] | None = None,
    counties: Mapping[str, Any] | None = None,
) -> Page:
    """The land bureau's map. ``parcels`` embedded, or None with ``tiles_url`` (vector tiles);
    ``results``: the first parcels the filters select, listed beside the map (``count`` in all)."""
    cats = defn.section("categories")
    max_age = settings.readiness.max_evidence_age_days
    style = {
        "base": defn.data.get("parcel_style", {}),
        "by": "cat",
        "values": {k: {"fillColor": v["color"]} for k, v in cats.items()},
        "className": "gs-parcel",
    }
    layers = defn.section("layers")
    bounds = extent
    if parcels is not None:
        bounds = bounds_of([parcels]) or bounds_of(context.values())
    m = new_map(defn, settings, bounds)
    _context_layers(m, defn, context)  # first, so parcels draw on top

    fail_style = {"base": defn.data.get("failure_style", {}), "className": "gs-fail"}
    if parcels is not None:
        popup = popup_spec(defn, supply=supply)
        fc = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": f["geometry"],
                    "properties": readiness_props(defn, f["properties"], max_age_days=max_age)
                    | _supply_fields(supply, f["properties"].get("code")),
                }
                for f in parcels.get("features", [])
            ],
        }
        dv = DataVar(fc).add_to(m)
        spec = {"style": style, "popup": popup, "tooltip": "code", "searchable": True,
                "labels": "code"}  # fmt: skip
        GsGeoJson(dv, spec, name=defn.text(layers["parcels"])).add_to(m)
        if supply:  # parcels with a missed supply clock (idle ones too), outlined
            overdue = {
                "filter": {"prop": "overdue", "value": True},
                "popup": popup,
                "style": {"base": supply["overdue_style"], "className": "gs-overdue"},
            }
            GsGeoJson(dv, overdue, name=supply["layer"]).add_to(m)
        for cond in CONDITIONS:
            GsGeoJson(
                dv,
                {"filter": {"prop": "fails", "value": cond}, "style": fail_style, "popup": popup},
                name=_fails_name(defn, cond),
                show=False,
            ).add_to(m)
    elif tiles_url is not None:
        popup = popup_spec(defn, detail_url="/maps/readiness/parcels/", supply=supply)
        name = defn.text(layers["parcels"])
        vector_layer(m, tiles_url, {"style": style, "popup": popup}, name, "parcels", bounds=extent)
        sep = "&" if "?" in tiles_url else "?"
        for cond in CONDITIONS:
            vector_layer(
                m,
                f"{tiles_url}{sep}fails={cond}",
                {"style": fail_style},
                _fails_name(defn, cond),
                "parcels",
                show=False,
                bounds=extent,
            )
    else:
        popup = popup_spec(defn, supply=supply)
    controls(
        m,
        defn,
        {
            "url": "/maps/readiness/search?q=",
            "suffix": "&lang=en" if defn.lang == "en" else "",
            "popup": popup,
            "detail": "/maps/readiness/parcels/" if parcels is None else None,
        },
    )

    zones = [
        (f["properties"]["code"], f["properties"].get("name") or f["properties"]["code"])
        for f in context.get("zones", {}).get("features", [])
    ]
    status_q = "needs_record" if query.get("status") == "unknown" else query.get("status")
    fields = [
        {"kind": "select", "name": "zone", "label": defn.label("zone"), "options": zones,
         "current": query.get("zone")},
        {"kind": "select", "name": "status", "label": defn.label("status"),
         "options": [(k, defn.text(v)) for k, v in defn.section("status_filter").items()],
         "current": status_q},
        {"kind": "select", "name": "fails", "label": defn.text(layers["fails"]),
         "options": [(c, defn.vocab("conditions", c)) for c in CONDITIONS],
         "current": query.get("fails")},
    ]  # fmt: skip
    if supply:
        fields.append(supply["field"])
    fields[:0] = county_field(defn, counties)  # the county switcher first
    filtered = any(query.get(k) for k in ("zone", "status", "fails", "supply"))
    rows = [
        [r["code"], r["name"], mu(r["area_mu"]), defn.text(cats.get(r["cat"]), r["cat"]),
         defn.join(defn.vocab("conditions", c) for c in r["fails"]), fail_reasons(defn, r)]
        for r in results
    ]  # fmt: skip
    legend_rows = (
        [(v["color"], defn.text(v)) for v in cats.values()]
        + list((supply or {}).get("legend", []))
        + [(v["color"], defn.text(v)) for v in defn.section("network_kinds").values()]
        + [(v["color"], defn.text(v)) for v in defn.section("context_legend").values()]
    )
    judged = checked or as_of
    subtitle = " · ".join(
        x
        for x in (
            # readiness is the last check's; a past day asked for judges the supply lines only
            f"{defn.label('as_of')} {judged.isoformat()}" if judged else "",
            f"{defn.label('supply_as_of')} {as_of.isoformat()}"
            if as_of and checked and as_of != checked
            else "",
            f"{count} {defn.label('features')}",
        )
        if x
    )
    add_html(
        m,
        title_panel(
            defn,
            path,
            query,
            subtitle=subtitle,
            note=filters_note(defn, fields, date.today().isoformat()),
        ),  # fmt: skip
        filters_panel(defn, path, fields, filtered=filtered, keep={"as_of": query.get("as_of")}),
        results_panel(
            defn,
            columns=[
                defn.label("code"),
                defn.label("name"),
                defn.label("area_mu"),
                defn.label("category"),
                defn.text(layers["fails"]),
                defn.label("fail_reasons"),
            ],
            rows=rows,
            count=count,
            csv_name=county_csv("readiness", filtered=filtered, lang=defn.lang),
            csv_only=1,  # the reasons: in the CSV, not in the narrow list on the map
        ),  # fmt: skip
        panel("legend", heading=defn.label("legend"), rows=legend_rows),
        add_counties(m, defn, path, query, counties),
    )
    folium.LayerControl(collapsed=True).add_to(m)
    return finish(m, settings)
