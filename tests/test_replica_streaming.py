"""The service on a real streaming hot standby (tests/replica_fixtures.py): reads go to it, a
client reads its own writes (and its next PATCH is not refused as stale), /readyz reports the lag,
and reads survive the standby going away and use it again when it returns."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import ClientFactory
from tests.helpers import add_parcels, rect_m, run_cli, token
from tests.replica_fixtures import Standby

#: starts and stops PostgreSQL servers: `make test` runs it after the parallel part, alone
pytestmark = pytest.mark.alone


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _public_codes(c: TestClient) -> set[str]:
    r = c.get("/api/v1/parcels", params={"limit": 1000})
    assert r.status_code == 200, r.text
    return {f["id"] for f in r.json()["features"]}


def _replica(c: TestClient) -> dict[str, object]:
    r = c.get("/readyz")
    assert r.status_code == 200, r.text
    return r.json()["replica"]  # type: ignore[no-any-return]


@pytest.fixture
def paused(standby: Standby) -> Iterator[Standby]:
    """The standby with WAL replay paused (it receives but does not apply): reads from it are
    stale for real. Resumed after the test."""
    standby.pause()
    try:
        yield standby
    finally:
        standby.resume()


def test_reads_go_to_the_standby_and_readyz_reports_its_lag(
    make_client: ClientFactory, clean_engine: Engine, standby: Standby
) -> None:
    add_parcels(clean_engine, {"code": "A", "geom_m": rect_m(0, 0, 50, 50), "published": True})
    standby.wait_replayed(clean_engine)
    c = make_client(_url(clean_engine), read_replica_url=standby.url(_url(clean_engine)))
    rep = _replica(c)
    assert rep["in_use"] is True and rep["in_recovery"] is True
    assert rep["replay_paused"] is False and _caught_up(c, standby, clean_engine)
    assert _public_codes(c) == {"A"}

    standby.pause()
    try:
        # written on the primary behind the service's back: a client without a write of its own
        # reads the standby, which has not applied it
        add_parcels(
            clean_engine, {"code": "B", "geom_m": rect_m(100, 0, 50, 50), "published": True}
        )
        assert _public_codes(c) == {"A"}
        rep = _replica(c)
        assert rep["in_use"] is True and rep["replay_paused"] is True
        assert isinstance(rep["lag_bytes"], int) and rep["lag_bytes"] > 0
    finally:
        standby.resume()
    standby.wait_replayed(clean_engine)
    assert _public_codes(c) == {"A", "B"}
    assert _caught_up(c, standby, clean_engine)


def _caught_up(c: TestClient, standby: Standby, primary: Engine, tries: int = 20) -> bool:
    """/readyz reports no lag once the standby has replayed what the primary wrote. The lag is
    the whole cluster's WAL: a background write on the primary (autovacuum, a checkpoint) between
    the replay and the question shows as lag for a moment, so ask again after each replay."""
    for _ in range(tries):
        if _replica(c)["lag_bytes"] == 0:
            return True
        standby.wait_replayed(primary)
        time.sleep(0.2)
    return False


def test_without_a_replica_readyz_has_no_replica_part(
    make_client: ClientFactory, clean_engine: Engine
) -> None:
    r = make_client(_url(clean_engine)).get("/readyz")
    assert r.status_code == 200 and "replica" not in r.json()


def test_a_client_reads_its_own_write_and_its_next_patch_is_not_stale(
    make_client: ClientFactory, clean_engine: Engine, standby: Standby
) -> None:
    add_parcels(clean_engine, {"code": "P-1", "geom_m": rect_m(0, 0, 200, 100), "notes": "a"})
    alice = token(clean_engine, "bureau", "alice")
    standby.wait_replayed(clean_engine)
    settings = {"read_replica_url": standby.url(_url(clean_engine))}
    # two workers (or hosts) of the same service: the client's position travels with it
    worker1 = make_client(_url(clean_engine), **settings)
    worker2 = make_client(_url(clean_engine), **settings)
    other = make_client(_url(clean_engine), **settings)  # a client that has not written

    standby.pause()
    try:
        tag = worker1.get("/api/v1/parcels/P-1", headers=alice).headers["etag"]
        first = worker1.patch(
            "/api/v1/parcels/P-1", json={"notes": "b"}, headers={**alice, "If-Match": tag}
        )
        assert first.status_code == 200, first.text
        lsn = first.headers["geo-service-lsn"]
        assert first.cookies.get("gs_lsn") == lsn

        # the standby is behind: a reader that has not written sees the old record...
        stale = other.get("/api/v1/parcels/P-1", headers=alice)
        assert stale.json()["properties"]["notes"] == "a" and stale.headers["etag"] == tag
        # ...the writer sees its own write, on another worker too (cookie or header)
        worker2.cookies.set("gs_lsn", lsn)
        for c, extra in ((worker1, {}), (worker2, {}), (other, {"Geo-Service-LSN": lsn})):
            got = c.get("/api/v1/parcels/P-1", headers={**alice, **extra})
            assert got.json()["properties"]["notes"] == "b"
            assert got.headers["etag"] == first.headers["etag"]

        # PATCH, GET, PATCH with the GET's ETag: no 412
        again = worker1.get("/api/v1/parcels/P-1", headers=alice)
        second = worker1.patch(
            "/api/v1/parcels/P-1",
            json={"notes": "c"},
            headers={**alice, "If-Match": again.headers["etag"]},
        )
        assert second.status_code == 200, second.text
        assert worker1.get("/api/v1/parcels/P-1", headers=alice).json()["properties"]["notes"] == (
            "c"
        )
    finally:
        standby.resume()
    # once the standby has replayed the write, the writer's reads go back to it
    standby.wait_replayed(clean_engine)
    standby.pause()
    try:
        add_parcels(
            clean_engine, {"code": "Q", "geom_m": rect_m(300, 0, 50, 50), "published": True}
        )
        assert "Q" not in _public_codes(worker1)  # read on the standby, although it has a cookie
    finally:
        standby.resume()


def test_reads_fall_back_to_the_primary_while_the_standby_is_away_and_use_it_again(
    make_client: ClientFactory, clean_engine: Engine, standby: Standby
) -> None:
    add_parcels(clean_engine, {"code": "A", "geom_m": rect_m(0, 0, 50, 50), "published": True})
    standby.wait_replayed(clean_engine)
    c = make_client(
        _url(clean_engine), read_replica_url=standby.url(_url(clean_engine)), read_replica_retry_s=1
    )
    assert _public_codes(c) == {"A"}  # the pool now holds a connection to the standby
    standby.stop()
    try:
        add_parcels(
            clean_engine, {"code": "B", "geom_m": rect_m(100, 0, 50, 50), "published": True}
        )
        for _ in range(3):  # no 5xx: every read is answered, by the primary
            assert _public_codes(c) == {"A", "B"}
        rep = _replica(c)
        assert rep["in_use"] is False and "error" in rep
    finally:
        standby.start()
    standby.wait_replayed(clean_engine)
    time.sleep(1.1)  # the retry window
    # used again without a restart: with replay paused, a write behind its back is not seen
    standby.pause()
    try:
        add_parcels(
            clean_engine, {"code": "C", "geom_m": rect_m(200, 0, 50, 50), "published": True}
        )
        assert _public_codes(c) == {"A", "B"}
        assert _replica(c)["in_use"] is True
    finally:
        standby.resume()


def test_the_standby_commands_report_it(clean_engine: Engine, standby: Standby) -> None:
    port = str(standby.cfg.port)
    up = run_cli(clean_engine, "db", "standby", "up", "--port", port)  # already up: idempotent
    assert up.returncode == 0, up.stderr
    assert f"127.0.0.1:{port}/" in up.stdout
    st = run_cli(clean_engine, "db", "standby", "status", "--port", port)
    assert st.returncode == 0, st.stderr
    assert "running" in st.stdout and "in recovery:   True" in st.stdout
    assert "bytes of WAL" in st.stdout
    stopped = run_cli(clean_engine, "db", "standby", "status", "--port", "55999")
    assert stopped.returncode == 3 and "stopped" in stopped.stdout
