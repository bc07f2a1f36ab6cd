"""Routes: the three maps, the plot sheet, a sign-in page for the map cookie, and /static."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query
from fastapi import Path as FPath
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from geo_service.api.deps import PrincipalDep, SessionDep, SettingsDep, open_route, require
from geo_service.api.params import ConditionKey, ProjectDomain, ProjectStatus, ordered
from geo_service.auth.tokens import resolve
from geo_service.errors import NotFound
from geo_service.maps import data, pages
from geo_service.maps.data import FitQuery
from geo_service.maps.render import STATIC_DIR, Page, esc

router = APIRouter(tags=["maps"])

Lang = Annotated[Literal["zh", "en"], Query(description="label language")]
Text = Annotated[str | None, Query(max_length=200)]
HTML: dict[int | str, dict[str, Any]] = {200: {"content": {"text/html": {}}}}


def _html(page: Page, *, public: bool = False) -> HTMLResponse:
    return HTMLResponse(
        page.html,
        headers={
            "Content-Security-Policy": page.csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "public, max-age=60" if public else "private, no-store",
        },
    )


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
        Literal["net_land", "not_net_land", "unknown"] | None, Query(description="readiness")
    ] = None,
    fails: Annotated[
        ConditionKey | None, Query(description="only parcels failing this condition")
    ] = None,
    lang: Lang = "zh",
) -> HTMLResponse:
    """The land bureau's readiness review map (bureau/official)."""
    f = data.ReadinessFilter(zone=zone or None, status=status, fails=fails)
    return _html(pages.readiness_page(session, settings, filters=f, lang=lang))


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
    min_area_mu: Annotated[float | None, Query(ge=0, le=1e7)] = None,
    max_area_mu: Annotated[float | None, Query(ge=0, le=1e7)] = None,
    investment_wan: Annotated[float | None, Query(gt=0, le=1e9, description="万元")] = None,
    area_mu: Annotated[float | None, Query(gt=0, le=1e7, description="亩 needed")] = None,
    tax_per_mu: Annotated[float | None, Query(ge=0, le=1e7, description="万元/亩/年")] = None,
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
    fit = None
    if investment_wan is not None and area_mu is not None:
        fit = FitQuery(investment_wan, area_mu, tax_per_mu or 0.0)
    return _html(
        pages.investors_page(session, settings, filters=f, fit=fit, lang=lang), public=True
    )


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
            "no available plot with this code; the investor map lists the plots on offer"
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
    lang: Lang = "zh",
) -> HTMLResponse:
    """A printable sheet for one available plot (public)."""
    page = pages.plot_sheet_page(session, settings, code=code, lang=lang)
    if page is None:
        raise NotFound(
            f"no available plot with code {code!r}; the investor map lists the plots on offer"
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
    round: Annotated[int | None, Query(ge=0, le=10_000, description="三个一批 round")] = None,
    rag: Annotated[Literal["red", "yellow", "green"] | None, Query()] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    layout: Annotated[Literal["wall"] | None, Query(description="wall print layout")] = None,
    lang: Lang = "zh",
) -> HTMLResponse:
    """Key projects for officials (official/bureau)."""
    f = data.ProjectMapFilter(
        status=status or None,
        domain=domain or None,
        leader=leader or None,
        unit=unit or None,
        round=round,
        rag=rag,
        year=year,
    )
    return _html(pages.projects_page(session, settings, filters=f, lang=lang, layout=layout))


_LOGIN = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>geo_service</title>
<link rel="stylesheet" href="/static/gs-maps.css"></head><body class="gs-sheet">
<h1>登录 / Sign in</h1><p>{msg}</p>
<form method="post" action="/maps/login"><input type="hidden" name="next" value="{next}">
<label>API token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">OK</button></form></body></html>"""
_LOGIN_CSP = "default-src 'self'; script-src 'none'; form-action 'self'; frame-ancestors 'none'"


def _safe_next(next_: str | None) -> str:
    if next_ and next_.startswith("/maps/") and "//" not in next_ and "\\" not in next_:
        return next_
    return "/maps/readiness"


def login_page(*, message: str = "", next_: str | None = None, status: int = 200) -> HTMLResponse:
    """The sign-in form; also what a browser sees instead of a bare 401/403 on a map page."""
    body = _LOGIN.format(msg=esc(message), next=esc(_safe_next(next_)))
    headers = {"Content-Security-Policy": _LOGIN_CSP, "Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return HTMLResponse(body, status_code=status, headers=headers)


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
    resp = RedirectResponse(_safe_next(next), status_code=303)
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
def static(path: str) -> FileResponse:
    """Leaflet and the other map assets, served by the service itself (no CDN)."""
    root = STATIC_DIR.resolve()
    target = (root / path).resolve()
    if root not in target.parents or not target.is_file() or target.name == "LICENSES.md":
        raise NotFound(f"no static file {path!r}")
    media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(
        target,
        media_type=media,
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
