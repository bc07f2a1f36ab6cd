"""A cached tile is answered in one round trip (tiles/fastpath.py), and that path answers exactly
as the route does: the same tile, ETag, 304 and headers; nobody sees a tile another role was
given; a revoked token is refused though its tile is cached; the token's use is recorded; a tile
request that waits for the pool gets its tile; a write shows on the next tile.
"""

from __future__ import annotations

import gzip
import math
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import mapbox_vector_tile
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.auth.tokens import TouchThrottle
from geo_service.db.engine import transaction
from tests.databases import ClientFactory
from tests.helpers import ORIGIN, add_parcels, rect_m, token


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def _decode(r: Any) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    body = r.content
    if r.headers.get("content-encoding") == "gzip" and body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    layer = mapbox_vector_tile.decode(body).get("parcels", {"features": []})
    return [f["properties"] for f in layer["features"]]


@contextmanager
def _holding(client: TestClient, n: int) -> Iterator[list[Any]]:
    """Check out ``n`` connections of the app's own pool (as busy requests would)."""
    with ExitStack() as stack:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        conns = [stack.enter_context(engine.connect()) for _ in range(n)]
        for c in conns:
            c.execute(text("SELECT 1"))
        yield conns


def _district(engine: Engine) -> None:
    add_parcels(
        engine,
        {"code": "F-1", "geom_m": rect_m(0, 0, 100, 100), "published": True},
        {"code": "F-2", "geom_m": rect_m(150, 0, 100, 100), "published": False},
    )


def _path(kind: str = "parcels", z: int = 15) -> str:
    x, y = _tile_of(ORIGIN[0] + 0.001, ORIGIN[1] + 0.001, z)
    return f"/tiles/{kind}/{z}/{x}/{y}.pbf"


def _codes(r: Any) -> set[str]:
    return {p["code"] for p in _decode(r)}


def test_a_cached_tile_is_the_built_tile_with_the_same_etag_and_headers(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _district(clean_engine)
    bureau = token(clean_engine, "bureau")
    client = make_client(_url(clean_engine))
    for headers in ({}, bureau):
        for enc in ("gzip", "identity"):
            h = {**headers, "Accept-Encoding": enc}
            built, cached = client.get(_path(), headers=h), client.get(_path(), headers=h)
            assert built.status_code == cached.status_code == 200
            assert cached.content == built.content
            for name in ("etag", "cache-control", "vary", "content-type", "content-encoding"):
                assert cached.headers.get(name) == built.headers.get(name), name
            again = client.get(_path(), headers={**h, "If-None-Match": cached.headers["etag"]})
            assert again.status_code == 304 and again.headers["etag"] == cached.headers["etag"]
    # what each one sees: the public only the published parcel, the bureau both
    assert _codes(client.get(_path())) == {"F-1"}
    assert _codes(client.get(_path(), headers=bureau)) == {"F-1", "F-2"}


def test_nobody_is_given_a_tile_cached_for_someone_else(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _district(clean_engine)
    bureau = token(clean_engine, "bureau", name="fast-bureau")
    investor = token(clean_engine, "investor")
    client = make_client(_url(clean_engine))
    assert client.get(_path("projects"), headers=bureau).status_code == 200  # cached now
    assert client.get(_path("projects"), headers=bureau).status_code == 200
    assert client.get(_path("projects")).status_code == 401
    assert client.get(_path("projects"), headers=investor).status_code == 403
    assert client.get(_path("projects"), headers={"Authorization": "Basic x"}).status_code == 401
    assert client.get(_path(), headers=bureau).status_code == 200
    assert _codes(client.get(_path(), headers=investor)) == {"F-1"}
    assert _codes(client.get(_path())) == {"F-1"}

    # a revoked token is refused, though its tiles are cached
    with transaction(clean_engine) as s:
        s.execute(text("UPDATE api_tokens SET revoked_at = now() WHERE name = 'fast-bureau'"))
    assert client.get(_path(), headers=bureau).status_code == 401
    assert client.get(_path("projects"), headers=bureau).status_code == 401


def test_a_token_used_for_cached_tiles_has_its_use_recorded(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _district(clean_engine)
    bureau = token(clean_engine, "bureau", name="fast-use")
    client = make_client(_url(clean_engine))
    assert client.get(_path(), headers=bureau).status_code == 200  # built and cached
    with transaction(clean_engine) as s:
        s.execute(text("UPDATE api_tokens SET last_used_at = NULL WHERE name = 'fast-use'"))
    client.app.state.touch_throttle = TouchThrottle()  # type: ignore[attr-defined]  # a minute later
    assert client.get(_path(), headers=bureau).status_code == 200  # from the cache
    with clean_engine.connect() as c:
        used = c.execute(text("SELECT last_used_at FROM api_tokens WHERE name = 'fast-use'"))
        assert used.scalar() is not None


def test_a_tile_request_that_waits_for_the_pool_gets_its_tile(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _district(clean_engine)
    client = make_client(_url(clean_engine), db_pool_size=1, db_connect_timeout_s=1)
    first = client.get(_path())
    assert _codes(first) == {"F-1"}
    with _holding(client, 2) as conns:
        timer = threading.Timer(1.5, conns[0].close)
        timer.start()
        r = client.get(_path())
        timer.join()
    assert r.status_code == 200 and r.content == first.content


def test_a_write_shows_on_the_next_cached_tile(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _district(clean_engine)
    bureau = token(clean_engine, "bureau")
    a, b = make_client(_url(clean_engine)), make_client(_url(clean_engine))
    for client in (a, b):
        assert _codes(client.get(_path())) == {"F-1"}
        assert _codes(client.get(_path())) == {"F-1"}  # cached in both
    etag = b.get(_path(), headers=bureau).headers["etag"]
    r = a.patch(
        "/api/v1/parcels/F-2",
        json={"published": True},
        headers={
            **bureau,
            "If-Match": a.get("/api/v1/parcels/F-2", headers=bureau).headers["etag"],
        },
    )
    assert r.status_code == 200, r.text
    assert _codes(b.get(_path())) == {"F-1", "F-2"}
    assert b.get(_path(), headers={**bureau, "If-None-Match": etag}).status_code == 200
