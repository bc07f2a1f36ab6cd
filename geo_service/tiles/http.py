"""A tile's HTTP answer: who it is for, its cache key, ETag / 304, gzip and cache headers.

One definition for both ways a tile request is served: the route (``api/routes/tiles.py``,
which builds a missing tile) and the fast path (``tiles/fastpath.py``, which answers a tile the
cache already holds without entering the framework). Both compute the key and the answer here, so
they can never disagree on what a cached tile is or who may see it.
"""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from geo_service.auth.tokens import Principal
from geo_service.settings import Settings
from geo_service.tiles import cache as cache_mod
from geo_service.tiles import store
from geo_service.tiles.cache import CachedTile, TileCache

MVT = "application/vnd.mapbox-vector-tile"

#: the policy action of each tile route's gate (the route and the fast path use the same one)
PARCEL_ACTION = "parcels.read"
PROJECT_ACTION = "maps.projects"
#: tile path prefix → the policy action its route is gated by
ACTIONS = {"/tiles/parcels/": PARCEL_ACTION, "/tiles/projects/": PROJECT_ACTION}


def scope_of(principal: Principal) -> str:
    """Who the tile is for, as far as its content goes (role, and a county when tokens have one)."""
    if principal.is_public:
        return f"public:{principal.county}" if principal.county else "public"
    return f"{principal.role}:{getattr(principal, 'county', None) or '*'}"


#: query parameters that make a tile depend on the day: ``available`` (plots on offer) applies
#: the ready-for-supply rule, whose regional assessments lapse when their last day has passed
DATED = ("available",)


def key_of(request: Request, principal: Principal, fp: str, day: date) -> str:
    """The cache key: what builds the tile (``fp``: ``tiles.store.fingerprint``), who asks, the
    path and the query in a canonical order, and for a tile that depends on it the day."""
    q = "&".join(f"{k}={v}" for k, v in sorted(request.query_params.multi_items()))
    key = f"{fp}|{scope_of(principal)}|{request.url.path}|{q}"
    if any(name in request.query_params for name in DATED):
        key += f"|day={day.isoformat()}"
    return key


def fingerprint_of(app_state: object, settings: Settings) -> str:
    """The app's :func:`tiles.store.fingerprint` (computed once)."""
    fp: str | None = getattr(app_state, "tile_fingerprint", None)
    if fp is None:
        fp = store.fingerprint(settings)
        setattr(app_state, "tile_fingerprint", fp)  # noqa: B010 -- app.state is a plain namespace
    return fp


def headers_of(public: bool) -> dict[str, str]:
    return {
        # always revalidate: a write shows on the next request, a 304 costs one tiny query
        "Cache-Control": "public, no-cache" if public else "private, no-cache",
        "Vary": "Authorization, Cookie, Accept-Encoding",
    }


def not_modified(request: Request, version: int, key: str, public: bool) -> Response | None:
    """304 when If-None-Match names this tile's ETag (nothing built, nothing read)."""
    etag = cache_mod.make_etag(version, key)
    inm = request.headers.get("if-none-match")
    if inm and etag in [t.strip().removeprefix("W/") for t in inm.split(",")]:
        return Response(status_code=304, headers={**headers_of(public), "ETag": etag})
    return None


def cached(cache: TileCache | None, version: int, key: str) -> CachedTile | None:
    return cache.get(version, key) if cache is not None else None


def tile_response(request: Request, tile: CachedTile, public: bool) -> Response:
    """The tile, gzipped for clients that accept it."""
    headers = {**headers_of(public), "ETag": tile.etag}
    if "gzip" in request.headers.get("accept-encoding", "") and tile.body:
        headers["Content-Encoding"] = "gzip"
        return Response(tile.gzipped, media_type=MVT, headers=headers)
    return Response(tile.body, media_type=MVT, headers=headers)


def cache_of(app_state: object, cache_mb: int) -> TileCache | None:
    """The process's tile cache (made on first use); None when it is turned off."""
    if cache_mb <= 0:
        return None
    cache: TileCache | None = getattr(app_state, "tile_cache", None)
    if cache is None:
        cache = TileCache(cache_mb * 1024 * 1024)
        setattr(app_state, "tile_cache", cache)  # noqa: B010 -- app.state is a plain namespace
    return cache
