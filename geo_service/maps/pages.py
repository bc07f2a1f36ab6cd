"""Glue for the routes and the export command: read the data, then render (no HTTP here)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.maps import data, render, supply_pages
from geo_service.maps.data import page_cache
from geo_service.maps.data.counties import county_view
from geo_service.maps.data.offer import investor_offer
from geo_service.maps.definitions import MapDefinition, load_definition
from geo_service.projects import repository as project_repo
from geo_service.projects.stats import figures_for
from geo_service.settings import Settings
from geo_service.supply import service as supply

#: at most this many records are listed beside a map (every one is on it)
LIST_MAX = 500


def _extent(session: Session) -> list[list[float]] | None:
    """[[south, west], [north, east]] of every parcel the request sees: the view the tile-mode
    maps open on (remembered per data version: a scan of every parcel's geometry)."""

    def compute() -> list[list[float]] | None:
        row = session.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                "FROM (SELECT ST_Extent(geom) AS e FROM parcels) q"
            )
        ).one()
        if row[0] is None:
            return None
        return [[row[1], row[0]], [row[3], row[2]]]

    return page_cache.cached(session, "extent", None, compute)


def _query_string(params: dict[str, Any]) -> str:
    q = {k: v for k, v in params.items() if v is not None}
    return f"?{urlencode(q)}" if q else ""


def _last_check(session: Session) -> date | None:
    """The date the last finished readiness run judged as of (shown on the map and its print)."""
    v = session.execute(
        text("SELECT max(as_of) FROM readiness_runs WHERE status = 'done'")
    ).scalar()
    return v.date() if v is not None else None


def readiness_page(
    session: Session,
    settings: Settings,
    *,
    filters: data.ReadinessFilter,
    lang: str = "zh",
    embed_all: bool = False,
    supply_filter: str | None = None,
    as_of: date | None = None,
) -> render.Page:
    defn = load_definition(settings.maps_dir, "readiness", lang)
    # stage and clocks from geo_service.supply, judged as of the page's day (the last check's,
    # unless asked); the supply filter keeps the parcels it names
    checked = as_of or _last_check(session)
    extra = supply_pages.readiness_supply(
        session, settings, lang=lang, current=supply_filter, as_of=checked,
        keep={"as_of": checked.isoformat() if checked else None},  # the link judges this day too
    )  # fmt: skip
    if supply_filter:
        filters = dataclasses.replace(filters, codes=tuple(extra["codes"][supply_filter]))
    # count and list from the stored summary, remembered per data version (the filter's codes
    # from the supply filter are part of the key)
    n, results = page_cache.cached(
        session,
        "readiness_list",
        filters,
        lambda: (
            data.count_readiness_parcels(session, filters),
            data.readiness_list(session, filters, limit=LIST_MAX),
        ),
    )
    query = {"zone": filters.zone, "status": filters.status, "fails": filters.fails, "lang": lang,
             "supply": supply_filter, "as_of": as_of.isoformat() if as_of else None}  # fmt: skip
    context = data.context_layers(session)
    common: dict[str, Any] = {
        "context": context,
        "query": query,
        "results": results,
        "count": n,
        "as_of": checked,
        "checked": _last_check(session),
        "supply": extra,
        "counties": county_view(session, settings, internal=True),
    }
    if embed_all or n <= settings.map_max_embedded_features:
        return render.render_readiness(
            defn, settings, parcels=data.readiness_parcels(session, filters), **common
        )
    tiles = "/tiles/parcels/{z}/{x}/{y}.pbf" + _query_string(
        {"zone": filters.zone, "status": filters.status}
    )
    return render.render_readiness(
        defn, settings, parcels=None, tiles_url=tiles, extent=_extent(session), **common
    )


def readiness_popup(
    session: Session, settings: Settings, *, code: str, lang: str = "zh"
) -> dict[str, Any] | None:
    """One parcel's readiness popup fields (tile mode fetches them on click), escaped."""
    defn = load_definition(settings.maps_dir, "readiness", lang)
    f = data.readiness_parcel(session, code)
    if f is None:
        return None
    props = render.readiness_props(
        defn, f["properties"], max_age_days=settings.readiness.max_evidence_age_days
    )
    props |= supply_pages.popup_supply(session, settings, code=code, lang=lang)
    props["timeline"] = quote(code, safe="")
    return {"properties": render.escape_tree(props)}


def as_typed(v: Any) -> Any:
    """A whole float as an int (100.0 → 100); any other value as it is."""
    return int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 1e15 else v


def investors_page(
    session: Session,
    settings: Settings,
    *,
    filters: data.InvestorFilter,
    fit: data.FitQuery | None = None,
    notice: str = "",
    typed: dict[str, float | None] | None = None,
    lang: str = "zh",
    embed_all: bool = False,
) -> render.Page:
    """The investor map; ``typed``: the fit-check boxes as filled in, shown again as they were
    even when the check could not run (one box missing)."""
    defn = load_definition(settings.maps_dir, "investors", lang)
    fit_def = defn.section("fit")
    # count, filter lists, the list and the fitting codes: one pass of the visibility rule
    offer = page_cache.cached(
        session,
        "investor_offer",
        (
            filters,
            fit,
            json.dumps(fit_def, sort_keys=True, default=str),
            tuple(settings.readiness.required_assessments),
        ),  # fmt: skip
        lambda: investor_offer(
            session, filters, limit=LIST_MAX, fit=fit, fit_def=fit_def, readiness=settings.readiness
        ),
    )
    n = offer.count
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
    query.update({k: v for k, v in (typed or {}).items() if v is not None})
    # numbers as a person types them (100, not 100.0) in the form, the links and the CSV name
    query = {k: as_typed(v) for k, v in query.items()}
    common: dict[str, Any] = {
        "choices": offer.choices,
        "query": query,
        "fit": fit,
        "fit_codes": offer.fit_codes,
        "results": offer.results,
        "count": n,
        "context": data.public_context(session),
        "notice": notice,
        "counties": county_view(session, settings, internal=False),
    }
    if embed_all or n <= settings.map_max_embedded_features:
        plots = data.investor_parcels(session, filters, fit, fit_def, readiness=settings.readiness)
        supply_pages.add_notice_dates(session, settings, plots["features"], lang=lang)
        return render.render_investors(defn, settings, parcels=plots, **common)
    tiles = "/tiles/parcels/{z}/{x}/{y}.pbf" + _query_string(
        {
            "available": "true",
            "zone": filters.zone,
            "industry": filters.industry,
            "min_area_mu": filters.min_area_mu,
            "max_area_mu": filters.max_area_mu,
        }
    )
    return render.render_investors(
        defn, settings, parcels=None, tiles_url=tiles, extent=_extent(session), **common
    )


def fit_notice(settings: Settings, lang: str) -> str:
    """What the investor map says when the fit check is half filled in."""
    defn = load_definition(settings.maps_dir, "investors", lang)
    return defn.text(defn.section("fit")["need_both"])


def plot_sheet_page(
    session: Session,
    settings: Settings,
    *,
    code: str,
    lang: str = "zh",
    fit: data.FitQuery | None = None,
    back: dict[str, Any] | None = None,
) -> render.Page | None:
    """The plot sheet; ``fit``: the investor's fit check (its result is printed with the plot),
    ``back``: the investor map's query to return to (filters, fit check, county)."""
    defn = load_definition(settings.maps_dir, "investors", lang)
    sheet = data.plot_sheet(
        session, code, readiness=settings.readiness, fit=fit, fit_def=defn.section("fit")
    )
    if sheet is None:
        return None
    # the public dates of its supply: the notice, the sale, its clocks (land supply, SUPPLY.md)
    public = supply.parcel_supply(session, code=code, settings=settings, as_of=None, public=True)
    sheet = {**sheet, "supply": public}
    query = {k: as_typed(v) for k, v in (back or {}).items()}
    query["lang"] = "en" if lang == "en" else None
    return render.render_plot_sheet(
        defn,
        settings,
        sheet=sheet,
        issued=date.today().isoformat(),
        fit=fit,
        back_href="/maps/investors" + _query_string(query),
    )


def plot_location(
    session: Session, settings: Settings, *, code: str, lang: str = "zh"
) -> dict[str, Any] | None:
    """Where an available plot is (bbox, a point inside) and its popup fields, all escaped."""
    defn = load_definition(settings.maps_dir, "investors", lang)
    found = data.locate_plot(session, code, readiness=settings.readiness)
    if found is None:
        return None
    supply_pages.add_notice_dates(session, settings, [found], lang=lang)
    return {
        "bbox": found["bbox"],
        "point": found["point"],
        "properties": render.escape_tree(render.investor_props(defn, found["properties"], None)),
    }


def search(session: Session, settings: Settings, map_name: str, q: str) -> list[dict[str, Any]]:
    """What the map's search box finds for part of a code or a name (escaped for the page)."""
    if map_name == "projects":
        found = data.search_projects(session, q)
    else:
        found = data.search_parcels(
            session, q, available_only=map_name == "investors", readiness=settings.readiness
        )
    return [render.escape_tree(f) for f in found]


def projects_page(
    session: Session,
    settings: Settings,
    *,
    filters: project_repo.ProjectFilter,
    lang: str = "zh",
    layout: str | None = None,
    paper: str | None = None,
    extra_panels: tuple[str, ...] = (),
) -> render.Page:
    """The officials' map: the ledger's filter, RAG and figures (one definition with the API)."""
    defn: MapDefinition = load_definition(settings.maps_dir, "projects", lang)
    project_repo.check_filter(session, filters)
    as_of = filters.as_of or date.today()
    year = filters.year or project_repo.latest_year(session)
    year_filter = project_repo.ProjectFilter(year=year, as_of=as_of, rules=filters.rules)
    chosen = project_repo.ProjectFilter(**{**filters.__dict__, "year": year, "as_of": as_of})
    ids = project_repo.project_ids(session, chosen)
    features, _ = project_repo.list_projects(session, filters=chosen, limit=LIST_MAX)
    query = {
        "status": filters.status,
        "domain": filters.domain,
        "leader": filters.leader,
        "unit": filters.unit,
        "round": filters.round,
        "round_list": filters.round_list,
        "rag": filters.rag,
        "as_of": filters.as_of.isoformat() if filters.as_of else None,
        "lang": lang,
        "layout": layout,
        "paper": paper,
    }
    return render.render_projects(
        defn,
        settings,
        projects=data.projects(session, ids, as_of=as_of, rules=filters.rules),
        figures=figures_for(session, project_ids=ids, year=year, as_of=as_of, rules=filters.rules),
        all_count=len(project_repo.project_ids(session, year_filter)),
        results=[f["properties"] for f in features],
        choices=data.project_choices(session),
        query=query,
        as_of=as_of,
        extra_panels=extra_panels,
        counties=None
        if layout == "wall"
        else county_view(session, settings, internal=True, year=filters.year, as_of=filters.as_of),
    )
