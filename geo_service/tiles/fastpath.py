"""The fast path of a tile the cache already holds: one database round trip, no framework.

A map asks dozens of tiles per view and most are in the cache; what such a request costs is the
request path, not the tile. This ASGI middleware answers ``GET /tiles/parcels|projects/…`` when
it can do so exactly as the route would, and hands every other request on unchanged:

* one statement (autocommit, no BEGIN/COMMIT) reads the data version and, for a token, the
  token's row; the key, the ETag, the 304 and the answer are ``tiles.http``'s, the route's own;
* the policy is asked the same action as the route's gate (``tiles.http.ACTIONS``);
* a token's last use is written as the route writes it (``TouchThrottle``, same connection).

It hands on to the route (which builds, refuses or reports) whenever anything is not the plain
case: the cache is off, a read replica is configured, the tile is not cached, the token is
unknown or malformed or scoped to a county, ``county=`` is asked, the policy refuses, every
pooled connection is in use (the route then waits in the pool's queue), or the database errs.

At most ``db_pool_size`` lookups run at once per process (half the pool: the rest stays for the
routes); a cached tile waits for a slot rather than taking the route's slow path.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from geo_service.auth import policy
from geo_service.auth.tokens import PUBLIC, Principal, TouchThrottle, hash_secret, touch
from geo_service.tiles import http as tile_http

#: the data version and the token's principal in one statement
LOOKUP = text(
    """SELECT v.version, t.role, t.name, t.county FROM data_version v
       LEFT JOIN api_tokens t ON t.token_hash = :h AND t.revoked_at IS NULL
       WHERE v.id = 1"""
)
VERSION = text("SELECT version, NULL, NULL, NULL FROM data_version WHERE id = 1")


def _token(request: Request) -> str | None | bool:
    """The bearer token, None for the public, False when the header is not plain Bearer."""
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return False
        return value.strip()
    return request.cookies.get("gs_token")


def _lookup(state: Any, token: str | None) -> tuple[int, Principal] | None:
    """(data version, principal), or None when the route must answer (unknown token, no row)."""
    engine: Engine = state.engine
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        row = conn.execute(LOOKUP if token else VERSION, {"h": hash_secret(token or "")}).first()
        if row is None or (token and row[1] is None):
            return None
        if not token:
            return int(row[0]), PUBLIC
        principal = Principal(role=row[1], name=row[2], county=row[3])
        throttle: TouchThrottle | None = getattr(state, "touch_throttle", None)
        if throttle is None:
            throttle = state.touch_throttle = TouchThrottle()
        if principal.county is None and throttle.due(token, time.monotonic()):
            with Session(bind=conn) as session:
                touch(session, token)  # autocommit: written at once, as the route's commit would
        return int(row[0]), principal


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
        if engine is None or settings.tile_cache_mb <= 0 or settings.read_replica_url:
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
            found = await anyio.to_thread.run_sync(_lookup, state, secret, limiter=limiter)
        except SQLAlchemyError:
            return False  # the route meets the same error and reports it
        if found is None:
            return False
        version, principal = found
        if principal.county is not None or not policy.can(principal, action):
            return False
        public = principal.is_public
        key = tile_http.key_of(request, principal)
        # only a tile the route has built (and so validated) under this version is answered here
        tile = tile_http.cached(tile_http.cache_of(state, settings.tile_cache_mb), version, key)
        if tile is None:
            return False
        response = tile_http.not_modified(request, version, key, public)
        if response is None:
            response = tile_http.tile_response(request, tile, public)
        await response(scope, receive, send)
        return True
