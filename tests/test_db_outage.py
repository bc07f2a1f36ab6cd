"""The database goes away mid-way: 503 problem JSON with Retry-After, quickly; back by itself.

Runs its OWN throw-away cluster (own folder, own free port) so stopping it disturbs nobody.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from geo_service.db import cluster, migrate
from tests.databases import ClientFactory
from tests.helpers import add_parcels, rect_m, token

#: starts and stops PostgreSQL servers: `make test` runs it after the parallel part, alone
pytestmark = pytest.mark.alone


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def outage_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[cluster.ClusterConfig]:
    # as root the postgres OS user must be able to enter the folder: pytest's tmp is mode 700
    base = cluster.ROOT_STATE_BASE if os.geteuid() == 0 else tmp_path_factory.mktemp("outage")
    cfg = cluster.ClusterConfig(
        state_dir=Path(base) / f"outage-{uuid.uuid4().hex[:8]}", port=_free_port()
    )
    try:
        cluster.up(cfg)
        yield cfg
    finally:
        cluster.down(cfg)
        shutil.rmtree(cfg.state_dir, ignore_errors=True)


def _timed_get(client: TestClient, path: str, **kw: object) -> tuple[int, float, object]:
    t0 = time.monotonic()
    r = client.get(path, **kw)  # type: ignore[arg-type]
    return r.status_code, time.monotonic() - t0, r


def test_database_down_is_503_then_service_resumes_by_itself(
    outage_cluster: cluster.ClusterConfig, make_client: ClientFactory
) -> None:
    url = cluster.url(outage_cluster)
    assert url is not None
    eng = create_engine(url)
    migrate.upgrade(eng)
    add_parcels(eng, {"code": "O-1", "geom_m": rect_m(0, 0, 100, 100), "published": True})
    bureau = token(eng, "bureau")
    eng.dispose()

    client = make_client(url, db_connect_timeout_s=2)
    assert client.get("/api/v1/parcels/O-1").status_code == 200
    assert client.get("/api/v1/parcels/O-1", headers=bureau).status_code == 200

    cluster.down(outage_cluster)
    try:
        # the public (no token), a token holder (the token lookup needs the DB) and a write
        for kw in ({}, {"headers": bureau}):
            # the connect timeout (2 s) bounds the wait; no wall-clock assertion on a shared box
            status, _took, r = _timed_get(client, "/api/v1/parcels/O-1", **kw)
            assert status == 503, r.text  # type: ignore[attr-defined]
            assert r.headers["retry-after"].isdigit()  # type: ignore[attr-defined]
            assert r.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
            body = r.json()  # type: ignore[attr-defined]
            assert body["status"] == 503 and "try again" in body["detail"]
            assert "psycopg" not in r.text and "SELECT" not in r.text  # type: ignore[attr-defined]
        w = client.patch(
            "/api/v1/parcels/O-1", json={"name": "x"}, headers={**bureau, "If-Match": '"1"'}
        )
        assert w.status_code == 503
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
    finally:
        cluster.up(outage_cluster)

    # same app, same engine and pool: no restart
    r = client.get("/api/v1/parcels/O-1", headers=bureau)
    assert r.status_code == 200, r.text
    assert (
        r.json()["properties"]["name"] == "地块 O-1"
    )  # the write during the outage never happened
    assert client.get("/api/v1/parcels/O-1").status_code == 200
    assert client.get("/readyz").status_code == 200
