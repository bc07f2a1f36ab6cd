"""The officials' map: key projects by status, the ledger's RAG with its reasons, headline
figures that follow the filters, a result list, and a wall print layout (A1/A0) with labels."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import folium
from folium import plugins

from geo_service.maps.county_panel import add_counties, county_field
from geo_service.maps.definitions import MapDefinition
from geo_service.maps.layers import DataVar, GsGeoJson, esc
from geo_service.maps.page import Page, add_html, bounds_of, controls, finish, new_map, set_paper
from geo_service.maps.panels import (
    county_csv,
    filters_note,
    filters_panel,
    panel,
    results_panel,
    title_panel,
)
from geo_service.settings import Settings

#: wall papers, landscape, in mm (CSS knows A3–A5 by name only)
PAPERS = {"A2": "594mm 420mm", "A1": "841mm 594mm", "A0": "1189mm 841mm"}


def _wan(v: Any) -> str:
    """万元 as the ledger writes it: thousands separated, 2 decimals at most."""
    if v is None:
        return "—"
    f = float(v)
    return f"{f:,.2f}".rstrip("0").rstrip(".")


def reason_lines(defn: MapDefinition, reasons: list[Mapping[str, Any]] | None) -> list[str]:
    """The RAG reasons (``projects/rag.py``) in the map's language, red ones first."""
    table = defn.section("reasons")
    rag = defn.section("rag")
    out = []
    for r in sorted(reasons or [], key=lambda r: r.get("severity") != "red"):
        entry = table.get(r.get("rule"))
        values = {k: r.get(k, "") for k in ("date", "n", "done_wan", "due_wan", "pct")}
        text = defn.text(entry).format(**values) if entry else str(r.get("detail", ""))
        out.append(f"{defn.text(rag.get(r.get('severity')), '')}{defn.label('colon')}{text}")
    return out


def round_lines(defn: MapDefinition, rounds: list[Mapping[str, Any]] | None) -> list[str]:
    lists = defn.section("round_lists")
    return [
        defn.text(defn.section("round_text")).format(
            round=r.get("round"), list=defn.text(lists.get(r.get("list")), str(r.get("list"))),
            date=r.get("date") or "",
        )
        for r in rounds or []
    ]  # fmt: skip


def project_props(defn: MapDefinition, p: Mapping[str, Any]) -> dict[str, Any]:
    problems = [
        " ".join(str(x) for x in (x.get("code"), x.get("description")) if x)
        + (f"（{x['deadline']}）" if x.get("deadline") else "")
        for x in p.get("problems") or []
    ]
    total = p.get("total_investment_wan")
    milestone = p.get("next_milestone")
    return {
        "code": p.get("code"),
        "name": p.get("name"),
        "status": p.get("status"),
        "status_text": defn.vocab("statuses", p.get("status")),
        "domain": defn.vocab("domains", p.get("domain")),
        "leader": p.get("leader"),
        "unit": p.get("unit"),
        "rag": p.get("rag"),
        "rag_text": defn.vocab("rag", p.get("rag")),
        "reasons": reason_lines(defn, p.get("reasons")),
        "rounds": round_lines(defn, p.get("rounds")),
        "size": float(total or 0),
        "total_investment_wan": _wan(total),
        "planned_investment_wan": _wan(p.get("planned_investment_wan")),
        "completed_wan": _wan(p.get("completed_wan")),
        "progress_pct": None if p.get("progress_pct") is None else f"{p['progress_pct']} %",
        "next_milestone": f"{milestone}（{p.get('next_milestone_due')}）" if milestone else None,
        "open_problems": problems,
        "overdue": bool(p.get("overdue")),
        "parcel": p.get("parcel"),
        # the linked parcel's supply timeline (maps/supply_map.py); the key is URL-quoted
        "timeline": quote(str(p["parcel"]), safe="") if p.get("parcel") else None,
    }


def _popup(defn: MapDefinition) -> dict[str, Any]:
    lb = defn.section("labels")
    rows: list[list[str]] = [["code", defn.label("code")]]
    for key, kind in (
        ("rag_text", "text"), ("reasons", "list"), ("status_text", "text"), ("domain", "text"),
        ("leader", "text"), ("unit", "text"), ("rounds", "list"),
        ("total_investment_wan", "text"), ("planned_investment_wan", "text"),
        ("completed_wan", "text"), ("progress_pct", "text"), ("next_milestone", "text"),
        ("open_problems", "list"),
    ):  # fmt: skip
        label_key = {"rag_text": "rag", "status_text": "status"}.get(key, key)
        rows.append([key, defn.text(lb[label_key]), kind])
    rows.append(["parcel", defn.text(lb["parcel"])])
    suffix = "/timeline" + ("?lang=en" if defn.lang == "en" else "")
    link = {"key": "timeline", "base": "/maps/parcels/", "suffix": suffix,
            "label": defn.text(lb["parcel_timeline"])}  # fmt: skip
    return {"title": "name", "rows": rows, "link": link}


def headline_cells(defn: MapDefinition, fig: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """The headline figures (from ``projects.stats``: one definition with /api/v1/stats)."""
    lb = defn.section("labels")
    pb = fig.get("problems", {})
    rate = fig.get("start_rate_pct")
    return [
        (fig.get("count"), defn.text(lb["headline_count"])),
        (fig.get("total_investment_yi"), defn.text(lb["headline_total"])),
        (fig.get("planned_this_year_yi"), defn.text(lb["headline_planned"])),
        (fig.get("completed_yi"), defn.text(lb["headline_completed"])),
        (None if rate is None else f"{rate} %", defn.text(lb["headline_start_rate"])),
        (f"{pb.get('resolved', 0)}/{pb.get('found', 0)}", defn.text(lb["headline_problems"])),
        (fig.get("rag", {}).get("red"), defn.text(lb["headline_red"])),
        (fig.get("overdue"), defn.text(lb["headline_overdue"])),
    ]


def render_projects(
    defn: MapDefinition,
    settings: Settings,
    *,
    projects: Mapping[str, Any],
    figures: Mapping[str, Any],
    all_count: int,
    results: list[Mapping[str, Any]],
    choices: Mapping[str, list[Any]],
    query: Mapping[str, Any],
    as_of: date,
    extra_panels: tuple[str, ...] = (),
    path: str = "/maps/projects",
    counties: Mapping[str, Any] | None = None,
) -> Page:
    """The officials' map. ``projects``: the located ones the filters select; ``figures`` and
    ``results`` cover every selected project (located or not); ``all_count`` the whole ledger."""
    lb = defn.section("labels")
    statuses, rag = defn.section("statuses"), defn.section("rag")
    hl, mk = defn.data.get("highlight", {}), defn.section("marker")
    wall = query.get("layout") == "wall"
    paper = str(query.get("paper") or "A1")
    if paper not in PAPERS:
        paper = "A1"
    feats = [
        {"type": "Feature", "geometry": f["geometry"],
         "properties": project_props(defn, f["properties"])}
        for f in projects.get("features", [])
    ]  # fmt: skip
    top = max([1.0, *(f["properties"]["size"] for f in feats)])
    spec: dict[str, Any] = {
        "style": {
            "base": {"color": "#333333", "weight": mk["weight"], "fillOpacity": mk["fillOpacity"]},
            "by": "status",
            "values": {k: {"fillColor": v["color"]} for k, v in statuses.items()},
            "flags": [{"prop": "rag", "equals": k, "style": v} for k, v in hl.items()],
            "className": "gs-project",
        },
        "radius": {"prop": "size", "min": mk["min_radius"], "max": mk["max_radius"], "top": top},
        "tooltip": "name",
        "searchable": True,
        "popup": _popup(defn),
    }
    if wall:
        spec["labels"] = "name"
    fc = {"type": "FeatureCollection", "features": feats}
    m = new_map(defn, settings, bounds_of([fc]))
    dv = DataVar(fc).add_to(m)
    name = defn.text(defn.section("layers")["projects"])
    if not wall and len(feats) > int(defn.data.get("cluster_above", 30)):
        cluster = plugins.MarkerCluster(name=name, options=defn.data.get("cluster_options", {}))
        cluster.add_to(m)
        layer = GsGeoJson(dv, spec, name=name)
        layer.control = False
        layer.add_to(cluster)
    else:
        GsGeoJson(dv, spec, name=name).add_to(m)
    controls(
        m,
        defn,
        {"url": "/maps/projects/search?q=", "suffix": "&lang=en" if defn.lang == "en" else "",
         "popup": spec["popup"]},
    )  # fmt: skip

    filtered = any(
        query.get(k) not in (None, "")
        for k in ("status", "domain", "leader", "unit", "round", "round_list", "rag")
    )
    caption = ""
    if filtered:
        caption = defn.text(lb["filtered_caption"]).format(n=figures.get("count", 0), all=all_count)
    all_ = [(k, defn.text(v)) for k, v in statuses.items()]
    fields = [
        {"kind": "select", "name": "status", "label": defn.text(lb["status"]), "options": all_,
         "current": query.get("status")},
        {"kind": "select", "name": "domain", "label": defn.text(lb["domain"]),
         "options": [(k, defn.text(v)) for k, v in defn.section("domains").items()],
         "current": query.get("domain")},
        {"kind": "select", "name": "leader", "label": defn.text(lb["leader"]),
         "options": [(x, x) for x in choices.get("leaders", [])], "current": query.get("leader")},
        {"kind": "select", "name": "unit", "label": defn.text(lb["unit"]),
         "options": [(x, x) for x in choices.get("units", [])], "current": query.get("unit")},
        {"kind": "select", "name": "round", "label": defn.text(lb["round"]),
         "options": [(x, str(x)) for x in choices.get("rounds", [])],
         "current": query.get("round")},
        {"kind": "select", "name": "round_list", "label": defn.text(lb["round_list"]),
         "options": [(k, defn.text(v)) for k, v in defn.section("round_lists").items()],
         "current": query.get("round_list")},
        {"kind": "select", "name": "rag", "label": defn.text(lb["rag"]),
         "options": [(k, defn.text(v)) for k, v in rag.items()], "current": query.get("rag")},
    ]  # fmt: skip
    fields[:0] = county_field(defn, counties)  # the county switcher first
    base_q = {
        k: v for k, v in query.items() if v not in (None, "") and k not in ("layout", "paper")
    }
    links = []
    if not wall:
        wall_q = urlencode(dict(base_q, layout="wall"))
        links.append({"href": f"{path}?{wall_q}", "label": defn.text(lb["wall"])})
    else:
        for size in PAPERS:
            links.append({"href": f"{path}?{urlencode(dict(base_q, layout='wall', paper=size))}",
                          "label": f"{defn.text(lb['paper'])} {size}"})  # fmt: skip
    located = defn.text(lb["located"]).format(n=len(feats))
    subtitle = f"{defn.text(lb['as_of'])} {as_of.isoformat()} · {located}"
    rows = [
        [r["code"], r["name"], r.get("leader") or "", defn.vocab("statuses", r.get("status")),
         defn.vocab("rag", r.get("rag")),
         "" if wall else ("；" if defn.lang == "zh" else "; ").join(
             reason_lines(defn, r.get("reasons")))]
        for r in results
    ]  # fmt: skip
    columns = [defn.label("code"), defn.label("name"), defn.text(lb["leader"]),
               defn.text(lb["status"]), defn.text(lb["rag"]), defn.text(lb["reasons"])]  # fmt: skip
    add_html(
        m,
        title_panel(
            defn,
            path,
            query,
            subtitle=subtitle,
            links=links,
            note=filters_note(defn, fields, date.today().isoformat()),
        ),  # fmt: skip
        panel("figures", caption=caption, cells=headline_cells(defn, figures)),
        ""
        if wall
        else filters_panel(
            defn, path, fields, filtered=filtered, keep={"as_of": query.get("as_of")}
        ),
        results_panel(
            defn,
            columns=columns,
            rows=rows,
            count=int(figures.get("count") or 0),
            csv_name=county_csv("projects", filtered=filtered, lang=defn.lang),
            heading=defn.text(lb["wall_table"]) if wall else None,
            compact=wall,
        ),  # fmt: skip
        panel(
            "legend",
            heading=defn.label("legend"),
            rows=[(v["color"], defn.text(v)) for v in statuses.values()]
            + [(v["color"], defn.text(v)) for v in rag.values()],
        ),
        *extra_panels,
        add_counties(m, defn, path, query, counties),
        f'<div data-gs-wall="{esc(paper)}" hidden></div>' if wall else "",
    )
    if wall:  # the paper the wall layout is printed on (a page style of its own)
        set_paper(m, PAPERS[paper], margin_mm={"A2": 10, "A1": 12, "A0": 15}[paper])
    folium.LayerControl(collapsed=True).add_to(m)
    return finish(m, settings)
