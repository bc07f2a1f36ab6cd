"""Routes: Mapbox vector tiles of parcels and projects, built by PostGIS (ST_AsMVT).

Role-filtered like the API: the public gets published parcels with public fields only and
simplified geometry; the bureau and officials see every parcel with its readiness; project tiles
need an official or bureau token.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.api.deps import PrincipalDep, SessionDep, SettingsDep, require
from geo_service.api.params import ConditionKey, ordered
from geo_service.auth.tokens import Principal
from geo_service.errors import NotFound
from geo_service.maps import data
from geo_service.tiles import cache as cache_mod
from geo_service.tiles import http as tile_http
from geo_service.tiles import queries, store

router = APIRouter(prefix="/tiles", tags=["tiles"])

MVT = tile_http.MVT
TILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {MVT: {}}},
    304: {"description": "unchanged"},
}
Z = Annotated[int, Path(ge=0, le=24)]
XY = Annotated[int, Path(ge=0)]


def _check(z: int, x: int, y: int) -> dict[str, float]:
    """Validate the tile; its lon/lat bounds with a 2 % margin, for the GiST index filter.

    Computed here (inverse Web Mercator) so the query transforms no envelope.
    """
    n = 2**z
    if x >= n or y >= n:  # no such tile in the matrix (OGC API - Tiles: 404)
        raise NotFound(f"no tile {z}/{x}/{y}: x and y must be below 2^z = {n} at zoom {z}")
    m = 0.02

    def lat(t: float) -> float:
        t = min(max(t, 0.0), float(n))
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * t / n))))

    return {
        "w": max(-180.0, (x - m) / n * 360 - 180),
        "e": min(180.0, (x + 1 + m) / n * 360 - 180),
        "s": lat(y + 1 + m),
        "n": lat(y - m),
    }


def _cached_tile(
    request: Request,
    session: Session,
    principal: Principal,
    build_body: Callable[[date], bytes],
) -> Response:
    """Serve the tile from this process's cache or the shared store when the data version still
    matches, else build it (``build_body(day)``: the database's day, which the key of a tile
    that depends on it carries) and store it for every other worker.

    ETag = data version + what was asked by whom: If-None-Match answers 304 without building.
    The key and the answer are those of ``tiles.http`` (the fast path answers the same way).
    """
    state = request.app.state
    settings = state.settings
    public = principal.is_public
    version, day = cache_mod.version_and_day(session)
    key = tile_http.key_of(request, principal, tile_http.fingerprint_of(state, settings), day)
    if (unchanged := tile_http.not_modified(request, version, key, public)) is not None:
        return unchanged
    cache = tile_http.cache_of(state, settings.tile_cache_mb)
    tile = tile_http.cached(cache, version, key)
    shared = store.enabled(settings)
    if tile is None and shared and (gz := store.get(session, version, key)) is not None:
        tile = cache_mod.from_store(version, key, gz)
        if cache is not None:
            cache.put(version, key, tile)
    if tile is None:
        tile = cache_mod.build(version, key, build_body(day))
        if cache is not None:
            cache.put(version, key, tile)
        if shared and store.put(session, version, key, tile.gzipped):
            store.pruner_of(state, settings).maybe()
    return tile_http.tile_response(request, tile, public)


@router.get(
    "/parcels/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses=TILE,
    dependencies=[require(tile_http.PARCEL_ACTION)],
)
def parcel_tile(
    request: Request,
    z: Z,
    x: XY,
    y: XY,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    available: Annotated[bool, Query(description="only plots on offer (the investor map)")] = False,
    zone: Annotated[str | None, Query(max_length=64)] = None,
    industry: Annotated[str | None, Query(max_length=100)] = None,
    min_area_mu: Annotated[float | None, Query(ge=0, le=1e7)] = None,
    max_area_mu: Annotated[float | None, Query(ge=0, le=1e7)] = None,
    status: Annotated[
        Literal["net_land", "not_net_land", "needs_record", "unknown"] | None, Query()
    ] = None,
    fails: Annotated[ConditionKey | None, Query()] = None,
) -> Response:
    """Parcels in one XYZ tile (layer ``parcels``), filtered by role and the map's filters.

    At ``GEO_SERVICE_TILE_OVERVIEW_MAX_ZOOM`` and below: grid cells with parcel counts instead of
    every polygon (``overview`` = true on each feature). A tile outside the zoom level's matrix
    (x or y ≥ 2^z) is 404; an area range given the wrong way round is read as the range between
    the two values.
    """
    min_area_mu, max_area_mu = ordered(min_area_mu, max_area_mu)
    _check(z, x, y)
    params: dict[str, object] = {"z": z, "x": x, "y": y}
    investor = data.InvestorFilter(
        zone=zone, industry=industry, min_area_mu=min_area_mu, max_area_mu=max_area_mu
    )
    public = principal.is_public
    if available:
        # the summary row carries the parcel's id as parcel_id
        where, p = data.investor_where(
            investor, readiness=settings.readiness, parcel_id="p.parcel_id"
        )
    elif public:
        where, p = "p.published", {}
        if zone is not None:
            where += " AND z.code = :zone"
            p["zone"] = zone
    else:
        where, p = data.readiness_where(
            data.ReadinessFilter(zone=zone, status=status, fails=fails).validate()
        )
    params.update(p)
    if z <= settings.tile_overview_max_zoom:
        sql = queries.overview_tile_sql(where, public=public)
        params["cell"] = queries.cell_size(z)
    else:
        sql = queries.parcel_tile_sql(where, public=public)

    def build(day: date) -> bytes:
        if "supply_today" in params:  # judged on the day the tile's key carries
            params["supply_today"] = day
        session.execute(text(queries.TUNE))
        return bytes(session.execute(text(sql), params).scalar() or b"")

    return _cached_tile(request, session, principal, build)


@router.get(
    "/projects/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses=TILE,
    dependencies=[require(tile_http.PROJECT_ACTION)],
)
def project_tile(
    request: Request, z: Z, x: XY, y: XY, session: SessionDep, principal: PrincipalDep
) -> Response:
    """Located projects in one XYZ tile (layer ``projects``), for officials and the bureau."""
    bbox = _check(z, x, y)

    def build(_day: date) -> bytes:
        sql = text(queries.PROJECT_TILE_SQL)
        return bytes(session.execute(sql, {"z": z, "x": x, "y": y, **bbox}).scalar() or b"")

    return _cached_tile(request, session, principal, build)
