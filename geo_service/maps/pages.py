"""Glue for the routes and the export command: read the data, then render (no HTTP here)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.maps import data, render
from geo_service.maps.definitions import load_definition
from geo_service.projects.stats import project_stats
from geo_service.settings import Settings


def _extent(session: Session) -> list[list[float]] | None:
    row = session.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM (SELECT ST_Extent(geom) AS e FROM parcels) q"
        )
    ).one()
    if row[0] is None:
        return None
    return [[row[1], row[0]], [row[3], row[2]]]


def _query_string(params: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    q = {k: v for k, v in params.items() if v is not None}
    return f"?{urlencode(q)}" if q else ""


def readiness_page(
    session: Session,
    settings: Settings,
    *,
    filters: data.ReadinessFilter,
    lang: str = "zh",
    embed_all: bool = False,
) -> render.Page:
    defn = load_definition(settings.maps_dir, "readiness", lang)
    n = data.count_readiness_parcels(session, filters)
    query = {"zone": filters.zone, "status": filters.status, "fails": filters.fails, "lang": lang}
    context = data.context_layers(session)
    if embed_all or n <= settings.map_max_embedded_features:
        return render.render_readiness(
            defn,
            settings,
            parcels=data.readiness_parcels(session, filters),
            context=context,
            query=query,
        )
    tiles = "/tiles/parcels/{z}/{x}/{y}.pbf" + _query_string(
        {"zone": filters.zone, "status": filters.status}
    )
    return render.render_readiness(
        defn,
        settings,
        parcels=None,
        context=context,
        query=query,
        tiles_url=tiles,
        extent=_extent(session),
    )


def investors_page(
    session: Session,
    settings: Settings,
    *,
    filters: data.InvestorFilter,
    fit: data.FitQuery | None = None,
    lang: str = "zh",
    embed_all: bool = False,
) -> render.Page:
    defn = load_definition(settings.maps_dir, "investors", lang)
    n = data.count_investor_parcels(session, filters)
    query: dict[str, Any] = {
        "zone": filters.zone,
        "industry": filters.industry,
        "min_area_mu": filters.min_area_mu,
        "max_area_mu": filters.max_area_mu,
        "lang": lang,
    }
    if fit is not None:
        query.update(
            investment_wan=fit.investment_wan, area_mu=fit.area_mu, tax_per_mu=fit.tax_per_mu
        )
    choices = data.investor_choices(session)
    if embed_all or n <= settings.map_max_embedded_features:
        return render.render_investors(
            defn,
            settings,
            parcels=data.investor_parcels(session, filters, fit, defn.section("fit")),
            choices=choices,
            query=query,
            fit=fit,
        )
    tiles = "/tiles/parcels/{z}/{x}/{y}.pbf" + _query_string(
        {
            "available": "true",
            "zone": filters.zone,
            "industry": filters.industry,
            "min_area_mu": filters.min_area_mu,
            "max_area_mu": filters.max_area_mu,
        }
    )
    fitting = (
        None if fit is None else data.fitting_plots(session, filters, fit, defn.section("fit"))
    )
    return render.render_investors(
        defn,
        settings,
        parcels=None,
        choices=choices,
        query=query,
        fit=fit,
        tiles_url=tiles,
        extent=_extent(session),
        fitting_plots=fitting,
    )


def plot_sheet_page(
    session: Session, settings: Settings, *, code: str, lang: str = "zh"
) -> render.Page | None:
    defn = load_definition(settings.maps_dir, "investors", lang)
    sheet = data.plot_sheet(session, code)
    if sheet is None:
        return None
    return render.render_plot_sheet(defn, settings, sheet=sheet)


def plot_location(
    session: Session, settings: Settings, *, code: str, lang: str = "zh"
) -> dict[str, Any] | None:
    """Where an available plot is (bbox, a point inside) and its popup fields, all escaped."""
    defn = load_definition(settings.maps_dir, "investors", lang)
    found = data.locate_plot(session, code)
    if found is None:
        return None
    return {
        "bbox": found["bbox"],
        "point": found["point"],
        "properties": render.escape_tree(render.investor_props(defn, found["properties"], None)),
    }


def projects_page(
    session: Session,
    settings: Settings,
    *,
    filters: data.ProjectMapFilter,
    lang: str = "zh",
    layout: str | None = None,
    as_of: date | None = None,
) -> render.Page:
    defn = load_definition(settings.maps_dir, "projects", lang)
    fc = data.projects(
        session,
        filters,
        as_of=as_of or date.today(),
        slow_gap_pct=float(defn.data.get("slow_gap_pct", 20)),
    )
    query = {
        "status": filters.status,
        "domain": filters.domain,
        "leader": filters.leader,
        "unit": filters.unit,
        "round": filters.round,
        "rag": filters.rag,
        "lang": lang,
        "layout": layout,
    }
    return render.render_projects(
        defn,
        settings,
        projects=fc,
        stats=project_stats(session, year=filters.year),
        choices=data.project_choices(session),
        query=query,
    )
