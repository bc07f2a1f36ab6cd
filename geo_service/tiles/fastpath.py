"""The fast path of a tile already built: from this process's cache or the shared store, with
no framework and one database round trip (two when the tile comes from the store).

A map asks dozens of tiles per view and most are built already; what such a request costs is the
request path, not the tile. This ASGI middleware answers ``GET /tiles/parcels|projects/…`` when
it can do so exactly as the route would, and hands every other request on unchanged:

* one statement (autocommit, no BEGIN/COMMIT) reads the data version, the database's day and,
  for a token, the token's row; the key, the ETag, the 304 and the answer are ``tiles.http``'s,
  the route's own; a tile not in this process's cache is looked up in the shared store
  (``tiles.store``: built by another worker or host at this version) by a second statement;
* the policy is asked the same action as the route's gate (``tiles.http.ACTIONS``);
* a token's last use is written as the route writes it (``TouchThrottle``, same connection).

It hands on to the route (which builds, refuses or reports) whenever anything is not the plain
case: cache and store both off, a read replica configured, the tile neither cached nor stored,
the token unknown or malformed or scoped to a county, ``county=`` asked, the policy refusing,
every pooled connection in use (the route then waits in the pool's queue), or a database error.

At most ``db_pool_size`` lookups run at once per process (half the pool: the rest stays for the
routes); a cached tile waits for a slot rather than taking the route's slow path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from geo_service.auth import policy
from geo_service.auth.tokens import PUBLIC, Principal, TouchThrottle, hash_secret, touch
from geo_service.tiles import cache as cache_mod
from geo_service.tiles import http as tile_http
from geo_service.tiles import store
from geo_service.tiles.cache import CachedTile

#: the data version, the database's day and the token's principal in one statement
LOOKUP = text(
    """SELECT v.version, current_date, t.role, t.name, t.county FROM data_version v
       LEFT JOIN api_tokens t ON t.token_hash = :h AND t.revoked_at IS NULL
       WHERE v.id = 1"""
)
VERSION = text("SELECT version, current_date, NULL, NULL, NULL FROM data_version WHERE id = 1")


@dataclass(frozen=True)
class Found:
    version: int
    key: str
    principal: Principal
    tile: CachedTile | None


def _token(request: Request) -> str | None | bool:
    """The bearer token, None for the public, False when the header is not plain Bearer."""
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return False
        return value.strip()
    return request.cookies.get("gs_token")


def _lookup(state: Any, request: Request, token: str | None, action: str) -> Found | None:
    """The request's version, key and principal and the tile: from this process's cache, else
    from the shared store (a second statement, on a miss only). None when the route must answer
    (unknown token, county scope, policy refusal, no row)."""
    engine: Engine = state.engine
    settings = state.settings
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        row = conn.execute(LOOKUP if token else VERSION, {"h": hash_secret(token or "")}).first()
        if row is None or (token and row[2] is None):
            return None
        version, day = int(row[0]), row[1]
        principal = PUBLIC if not token else Principal(role=row[2], name=row[3], county=row[4])
        if principal.county is not None or not policy.can(principal, action):
            return None
        if token:
            throttle: TouchThrottle | None = getattr(state, "touch_throttle", None)
            if throttle is None:
                throttle = state.touch_throttle = TouchThrottle()
            if throttle.due(token, time.monotonic()):
                with Session(bind=conn) as session:
                    touch(session, token)  # autocommit: written at once, as the route's commit
        key = tile_http.key_of(request, principal, tile_http.fingerprint_of(state, settings), day)
        cache = tile_http.cache_of(state, settings.tile_cache_mb)
        tile = tile_http.cached(cache, version, key)
        if tile is None and store.enabled(settings):
            gz = store.get(conn, version, key)
            if gz is not None:
                tile = cache_mod.from_store(version, key, gz)
                if cache is not None:
                    cache.put(version, key, tile)
        return Found(version, key, principal, tile)


class TileFastPath:
    """ASGI middleware: answer cached tiles (and their 304s) before the framework."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            action = next((a for p, a in tile_http.ACTIONS.items() if path.startswith(p)), None)
            if action is not None and await self._answer(scope, receive, send, action):
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, action: str) -> bool:
        state = scope["app"].state
        settings = state.settings
        engine: Engine | None = getattr(state, "engine", None)
        if engine is None or settings.read_replica_url:
            return False
        if settings.tile_cache_mb <= 0 and not store.enabled(settings):
            return False
        request = Request(scope)
        token = _token(request)
        if token is False or "county" in request.query_params:
            return False
        if engine.pool.checkedout() >= 2 * settings.db_pool_size:  # type: ignore[attr-defined]
            return False  # the route waits in the pool's queue and says busy if it must
        limiter = getattr(state, "tile_fast_limiter", None)
        if limiter is None:
            # at most half the pool, so the fast path never crowds the routes out of it; a hit
            # holds its connection for one short statement, so waiting for a slot is brief
            limiter = state.tile_fast_limiter = anyio.CapacityLimiter(settings.db_pool_size)
        try:
            secret = token if isinstance(token, str) and token else None
            found = await anyio.to_thread.run_sync(
                _lookup, state, request, secret, action, limiter=limiter
            )
        except SQLAlchemyError:
            return False  # the route meets the same error and reports it
        # only a tile the route has built (and so validated) under this version is answered here:
        # from this process's cache or from the store (where only the route puts tiles)
        if found is None or found.tile is None:
            return False
        public = found.principal.is_public
        response = tile_http.not_modified(request, found.version, found.key, public)
        if response is None:
            response = tile_http.tile_response(request, found.tile, public)
        await response(scope, receive, send)
        return True
