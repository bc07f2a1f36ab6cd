"""Routes: the three maps, the plot sheet, a sign-in page for the map cookie, and /static."""

from __future__ import annotations

import mimetypes
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query
from fastapi import Path as FPath
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from geo_service.api.deps import PrincipalDep, SessionDep, SettingsDep, open_route, require
from geo_service.api.html_pages import login_page, safe_next
from geo_service.api.params import ConditionKey, IsoDate, ProjectDomain, ProjectStatus, ordered
from geo_service.api.responses import HTML, Lang
from geo_service.api.responses import html_page as _html
from geo_service.auth.tokens import resolve
from geo_service.counties import scope as county_scope
from geo_service.errors import NotFound
from geo_service.maps import data, pages
from geo_service.maps.data import FitQuery
from geo_service.maps.page import asset_version
from geo_service.maps.render import STATIC_DIR
from geo_service.projects.repository import ProjectFilter
from geo_service.reports import span
from geo_service.settings import Settings

router = APIRouter(tags=["maps"])

Text = Annotated[str | None, Query(max_length=200)]
#: the investor map's filter and fit-check boxes (the map and the plot sheet take the same)
AreaBound = Annotated[float | None, Query(ge=0, le=1e7)]
InvestmentWan = Annotated[float | None, Query(gt=0, le=1e9, description="万元")]
AreaNeeded = Annotated[float | None, Query(gt=0, le=1e7, description="亩 needed")]
TaxPerMu = Annotated[float | None, Query(ge=0, le=1e7, description="万元/亩/年")]
_JSON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


@router.get(
    "/maps/readiness",
    response_class=HTMLResponse,
    responses=HTML,
    dependencies=[require("maps.readiness")],
)
def readiness_map(
    session: SessionDep,
    settings: SettingsDep,
    zone: Text = None,
    status: Annotated[
        Literal["net_land", "not_net_land", "needs_record", "unknown"] | None,
        Query(description="readiness"),
    ] = None,
    fails: Annotated[
        ConditionKey | None, Query(description="only parcels failing this condition")
    ] = None,
    supply: Annotated[
        Literal["overdue", "idle", "warning", "paused"] | None,
        Query(description="only parcels with a missed supply clock, idle, warned or paused"),
    ] = None,
    as_of: Annotated[
        IsoDate | None, Query(description="judge the supply clocks as of this day")
    ] = None,
    lang: Lang = "zh",
) -> HTMLResponse:
    """The land bureau's readiness review map (bureau/official), with each parcel's supply stage
    and clocks (``geo_service.supply``) in its popup and a supply filter; the supply lines are
    judged as of ``as_of`` (default: the day of the last readiness check)."""
    f = data.ReadinessFilter(zone=zone or None, status=status, fails=fails)
    page = pages.readiness_page(
        session, settings, filters=f, lang=lang, supply_filter=supply, as_of=as_of
    )
    return _html(page)


#: why a plot is not on the investor map (unpublished, sold, or not ready for supply)
NOT_ON_OFFER_ZH = (
    "地块“{code}”目前不在供应中（未公开、已出让，或尚不具备供应条件，如区域评估已过期）；"
    "招商地图列出全部可供应地块"
)


def _fit_query(
    investment_wan: float | None, area_mu: float | None, tax_per_mu: float | None
) -> FitQuery | None:
    """The investor's fit check from the map's boxes (the map and the plot sheet): both the
    investment and the land are needed; a blank tax is "not checked"."""
    if investment_wan is None or area_mu is None:
        return None
    return FitQuery(investment_wan, area_mu, tax_per_mu)


@router.get(
    "/maps/investors",
    response_class=HTMLResponse,
    responses=HTML,
    dependencies=[require("maps.investors")],
)
def investors_map(
    session: SessionDep,
    settings: SettingsDep,
    _principal: PrincipalDep,  # a bad token is 401 here too, never a silent public view
    zone: Text = None,
    industry: Text = None,
    min_area_mu: AreaBound = None,
    max_area_mu: AreaBound = None,
    investment_wan: InvestmentWan = None,
    area_mu: AreaNeeded = None,
    tax_per_mu: TaxPerMu = None,
    lang: Lang = "zh",
) -> HTMLResponse:
    """Public map of available plots; give investment_wan, area_mu and tax_per_mu to fit-check.

    An area range given the wrong way round (min above max) is read as the range between them.
    """
    min_area_mu, max_area_mu = ordered(min_area_mu, max_area_mu)
    f = data.InvestorFilter(
        zone=zone or None,
        industry=industry or None,
        min_area_mu=min_area_mu,
        max_area_mu=max_area_mu,
    )
    fit, notice = _fit_query(investment_wan, area_mu, tax_per_mu), ""
    if fit is None and (investment_wan, area_mu, tax_per_mu) != (None, None, None):
        notice = pages.fit_notice(settings, lang)
    typed = {"investment_wan": investment_wan, "area_mu": area_mu, "tax_per_mu": tax_per_mu}
    page = pages.investors_page(
        session, settings, filters=f, fit=fit, notice=notice, typed=typed, lang=lang
    )
    return _html(page, public=True)


@router.get("/maps/investors/find/{code}", dependencies=[require("maps.investors")])
def find_plot(
    code: Annotated[str, FPath(min_length=1, max_length=100, description="parcel code")],
    session: SessionDep,
    settings: SettingsDep,
    _principal: PrincipalDep,
    lang: Lang = "zh",
) -> JSONResponse:
    """Where an available plot is, for the investor map's search box (public).

    ``bbox`` is ``[west, south, east, north]``, ``point`` ``[lon, lat]`` inside the plot,
    ``properties`` the popup's public fields, every string HTML-escaped. 404 for any plot not on
    offer (unpublished, not net land, already transferred, or no such code).
    """
    found = pages.plot_location(session, settings, code=code.strip(), lang=lang)
    if found is None:
        raise NotFound(
            "no available plot with this code; the investor map lists the plots on offer",
            zh=NOT_ON_OFFER_ZH.format(code=code.strip()),
        )
    return JSONResponse(
        found,
        headers={
            "Cache-Control": "public, max-age=60",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
        },
    )


@router.get(
    "/maps/investors/parcels/{code}",
    response_class=HTMLResponse,
    responses=HTML,
    dependencies=[require("maps.investors")],
)
def plot_sheet(
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    _principal: PrincipalDep,
    zone: Text = None,
    industry: Text = None,
    min_area_mu: AreaBound = None,
    max_area_mu: AreaBound = None,
    investment_wan: InvestmentWan = None,
    area_mu: AreaNeeded = None,
    tax_per_mu: TaxPerMu = None,
    lang: Lang = "zh",
) -> HTMLResponse:
    """A printable sheet for one available plot (public). Opened from the investor map it takes
    the map's query: with the fit check's three numbers it shows the plot's fit result, and its
    "back to the map" link returns to the map as it was (filters, fit check, county)."""
    fit = _fit_query(investment_wan, area_mu, tax_per_mu)
    back = {
        "county": county_scope.current(),  # the gate's county= (declared by the route's rule)
        "zone": zone or None,
        "industry": industry or None,
        "min_area_mu": min_area_mu,
        "max_area_mu": max_area_mu,
        "investment_wan": investment_wan,
        "area_mu": area_mu,
        "tax_per_mu": tax_per_mu,
    }
    page = pages.plot_sheet_page(session, settings, code=code, lang=lang, fit=fit, back=back)
    if page is None:
        raise NotFound(
            f"no available plot with code {code!r}; the investor map lists the plots on offer",
            zh=NOT_ON_OFFER_ZH.format(code=code),
        )
    return _html(page, public=True)


@router.get(
    "/maps/projects",
    response_class=HTMLResponse,
    responses=HTML,
    dependencies=[require("maps.projects")],
)
def projects_map(
    session: SessionDep,
    settings: SettingsDep,
    status: Annotated[ProjectStatus | None, Query()] = None,
    domain: Annotated[ProjectDomain | None, Query()] = None,
    leader: Text = None,
    unit: Text = None,
    round: Annotated[int | None, Query(ge=1, le=1000, description="三个一批 round")] = None,
    round_list: Annotated[
        Literal["signed", "started", "in_production"] | None, Query(description="三个一批 list")
    ] = None,
    rag: Annotated[Literal["red", "yellow", "green"] | None, Query()] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    as_of: Annotated[
        IsoDate | None, Query(description="judge RAG and figures as of this day")
    ] = None,
    layout: Annotated[Literal["wall"] | None, Query(description="wall print layout")] = None,
    paper: Annotated[Literal["A2", "A1", "A0"] | None, Query(description="wall paper")] = None,
    lang: Lang = "zh",
) -> HTMLResponse:
    """Key projects for officials (official/bureau), with the ledger's RAG and figures."""
    span.check_year(session, year)  # a year without a ledger is an error, not an empty map
    if as_of is not None:  # nor a day past the ledger's span (red flags not yet due)
        span.check_day(session, as_of)
    f = ProjectFilter(
        status=status,
        domain=domain or None,
        leader=leader or None,
        unit=unit or None,
        round=round,
        round_list=round_list,
        rag=rag,
        year=year,
        as_of=as_of,
        rules=settings.projects,
    )
    charts = "" if layout == "wall" else _charts(as_of, lang, county_scope.in_view(session))
    page = pages.projects_page(
        session, settings, filters=f, lang=lang, layout=layout, paper=paper, extra_panels=(charts,)
    )
    return _html(page)


def _charts(as_of: date | None, lang: str, county: str | None) -> str:
    """The officials' dashboard on their map: the charts and the report downloads, folded."""
    from geo_service.reports.dashboard import charts_panel

    summary = "图表与督查专报" if lang != "en" else "Charts and reports"
    return (
        f'<details class="gs-panel gs-charts-panel gs-noprint"><summary><b>{summary}</b></summary>'
        f"{charts_panel(as_of=as_of, lang=lang, county=county)}</details>"
    )


@router.get("/maps/readiness/parcels/{code}", dependencies=[require("maps.readiness")])
def readiness_popup(
    code: Annotated[str, FPath(min_length=1, max_length=100, description="parcel code")],
    session: SessionDep,
    settings: SettingsDep,
    lang: Lang = "zh",
) -> JSONResponse:
    """One parcel's readiness popup (the map fetches it on a click in vector-tile mode)."""
    found = pages.readiness_popup(session, settings, code=code, lang=lang)
    if found is None:
        raise NotFound(f"no parcel with code {code!r}")
    return JSONResponse(found, headers=_JSON_HEADERS | {"Cache-Control": "private, no-store"})


Query_ = Annotated[
    str, Query(max_length=100, description="part of a code or a name; empty finds nothing")
]


def _hits(session: Any, settings: Settings, map_name: str, q: str, *, public: bool) -> JSONResponse:
    q = q.strip()
    hits = pages.search(session, settings, map_name, q) if q else []
    cache = "public, max-age=60" if public else "private, no-store"
    return JSONResponse(
        {"query": q, "hits": hits}, headers=_JSON_HEADERS | {"Cache-Control": cache}
    )


@router.get("/maps/readiness/search", dependencies=[require("maps.readiness")])
def search_readiness(session: SessionDep, settings: SettingsDep, q: Query_ = "") -> JSONResponse:
    """Parcels whose code or name contains ``q`` (bureau/official): up to 20, with a bbox."""
    return _hits(session, settings, "readiness", q, public=False)


@router.get("/maps/investors/search", dependencies=[require("maps.investors")])
def search_investors(
    session: SessionDep, settings: SettingsDep, _principal: PrincipalDep, q: Query_ = ""
) -> JSONResponse:
    """Plots on offer whose code or name contains ``q`` (public): up to 20, with a bbox."""
    return _hits(session, settings, "investors", q, public=True)


@router.get("/maps/projects/search", dependencies=[require("maps.projects")])
def search_projects(session: SessionDep, settings: SettingsDep, q: Query_ = "") -> JSONResponse:
    """Located projects whose code or name, or one of whose problems' codes, contains ``q``
    (official/bureau): up to 20, with a point."""
    return _hits(session, settings, "projects", q, public=False)


@router.get("/maps/login", response_class=HTMLResponse, responses=HTML, dependencies=[open_route()])
def login_form(next: Annotated[str | None, Query(max_length=500)] = None) -> HTMLResponse:
    """A sign-in page that keeps the API token in an HttpOnly cookie for the map pages."""
    return login_page(next_=next)


SIGNED_IN: dict[int | str, dict[str, Any]] = {
    303: {
        "description": "signed in: the cookie is set, off to the map named by `next`",
        "headers": {"Location": {"schema": {"type": "string"}}},
    },
    401: {
        "description": "unknown or revoked token (a browser gets the sign-in form again)",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
            "text/html": {"schema": {"type": "string"}},
        },
    },
}


@router.post(
    "/maps/login",
    status_code=303,
    response_class=RedirectResponse,
    responses=SIGNED_IN,
    dependencies=[open_route()],
)
def login(
    session: SessionDep,
    token: Annotated[str, Form(max_length=500)],
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    resolve(session, token.strip())  # 401 for an unknown or revoked token
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.set_cookie(
        "gs_token", token.strip(), httponly=True, samesite="strict", path="/", max_age=8 * 3600
    )
    return resp


@router.post(
    "/maps/logout",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: {"description": "signed out: off to the investor map"}},
    dependencies=[open_route()],
)
def logout() -> Response:
    """Forget the sign-in cookie (works with a revoked or unknown one too)."""
    resp = RedirectResponse("/maps/investors", status_code=303)
    resp.delete_cookie("gs_token", path="/")
    return resp


@router.get("/static/{path:path}", include_in_schema=False, dependencies=[open_route()])
def static(path: str, v: Annotated[str | None, Query(max_length=64)] = None) -> FileResponse:
    """Leaflet and the other map assets, served by the service itself (no CDN). The map pages
    ask them as ``?v=<digest of the file>``: asked so, a file is cached for good (``immutable``:
    a revisit asks nothing; a changed file has another URL); otherwise for a day."""
    root = STATIC_DIR.resolve()
    target = (root / path).resolve()
    if root not in target.parents or not target.is_file() or target.name == "LICENSES.md":
        raise NotFound(f"no static file {path!r}")
    media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    current = v is not None and v == asset_version(path)
    cache = "public, max-age=31536000, immutable" if current else "public, max-age=86400"
    return FileResponse(
        target,
        media_type=media,
        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
    )
