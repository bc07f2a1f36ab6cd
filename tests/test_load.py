"""Under load: a request that waits for a pooled connection gets its answer; past the configured
wait it is told "busy" (503, Retry-After), never "database unavailable"; a real outage still is.

The pool is made tiny (1 + 1 overflow) and its connections are held by the test, which is what a
burst of slow requests does to a real pool.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.databases import ClientFactory
from tests.helpers import add_parcels, rect_m, token


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@contextmanager
def _holding(client: TestClient, n: int) -> Iterator[list[object]]:
    """Check out ``n`` connections of the app's own pool (as busy requests would)."""
    with ExitStack() as stack:
        conns = [stack.enter_context(client.app.state.engine.connect()) for _ in range(n)]  # type: ignore[attr-defined]
        for c in conns:
            c.execute(text("SELECT 1"))
        yield conns  # type: ignore[misc]


def test_a_request_that_waits_for_the_pool_gets_its_answer(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    add_parcels(clean_engine, {"code": "L-1", "geom_m": rect_m(0, 0, 100, 100), "published": True})
    # the connect timeout (1 s) is shorter than the wait: waiting for the pool is not an outage
    client = make_client(_url(clean_engine), db_pool_size=1, db_connect_timeout_s=1)
    assert client.get("/api/v1/parcels/L-1").status_code == 200
    with _holding(client, 2) as conns:
        # both connections are busy for 1.5 s; the request queues and is answered after that
        timer = threading.Timer(1.5, conns[0].close)  # type: ignore[attr-defined]
        timer.start()
        r = client.get("/api/v1/parcels/L-1")
        timer.join()
    assert r.status_code == 200, r.text
    assert r.json()["id"] == "L-1"


def test_past_the_wait_the_answer_is_busy_not_database_unavailable(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    add_parcels(clean_engine, {"code": "L-2", "geom_m": rect_m(0, 0, 100, 100), "published": True})
    client = make_client(_url(clean_engine), db_pool_size=1, db_pool_wait_s=0.3)
    with _holding(client, 2):
        r = client.get("/api/v1/parcels/L-2")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"].isdigit()
    body = r.json()
    assert body["title"] == "Service busy"
    assert "busy" in body["detail"] and "database is up" in body["detail"]
    assert "not answering" not in body["detail"]
    # and once a connection is free again the same app answers
    assert client.get("/api/v1/parcels/L-2").status_code == 200


def test_a_token_holder_needs_one_connection_not_two(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    """The token's last-use write rides on the request's own connection."""
    add_parcels(clean_engine, {"code": "L-3", "geom_m": rect_m(0, 0, 100, 100)})
    bureau = token(clean_engine, "bureau", name="one-connection")
    client = make_client(_url(clean_engine), db_pool_size=1, db_pool_wait_s=0.5)
    with _holding(client, 1):  # one of the two connections left
        r = client.get("/api/v1/parcels/L-3", headers=bureau)
    assert r.status_code == 200, r.text
    with clean_engine.connect() as c:
        used = c.execute(
            text("SELECT last_used_at FROM api_tokens WHERE name = 'one-connection'")
        ).scalar()
    assert used is not None  # the use was recorded all the same


def test_a_real_outage_is_still_database_unavailable(make_client: ClientFactory) -> None:
    client = make_client("postgresql+psycopg://nobody:x@127.0.0.1:9/none", db_connect_timeout_s=1)
    r = client.get("/api/v1/parcels")
    assert r.status_code == 503
    assert r.headers["retry-after"].isdigit()
    assert r.json()["title"] == "Database unavailable"
    assert "busy" not in r.json()["detail"]
