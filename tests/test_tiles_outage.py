"""A cached tile is not served while the database is down: the data version cannot be read, so
the answer is 503 "Database unavailable", and the same app serves the tile again once it is back.

Runs its OWN throw-away cluster (own folder, own free port) so stopping it disturbs nobody.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from geo_service.db import cluster, migrate
from tests.databases import ClientFactory
from tests.helpers import ORIGIN, add_parcels, rect_m, token

#: starts and stops PostgreSQL servers: `make test` runs it after the parallel part, alone
pytestmark = pytest.mark.alone


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def tile_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[cluster.ClusterConfig]:
    base = cluster.ROOT_STATE_BASE if os.geteuid() == 0 else tmp_path_factory.mktemp("tiles")
    cfg = cluster.ClusterConfig(
        state_dir=Path(base) / f"tiles-{uuid.uuid4().hex[:8]}", port=_free_port()
    )
    try:
        cluster.up(cfg)
        yield cfg
    finally:
        cluster.down(cfg)
        shutil.rmtree(cfg.state_dir, ignore_errors=True)


def _path(z: int = 15) -> str:
    lon, lat = ORIGIN[0] + 0.001, ORIGIN[1] + 0.001
    n = 2**z
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/parcels/{z}/{int((lon + 180) / 360 * n)}/{y}.pbf"


def test_a_cached_tile_is_503_while_the_database_is_down(
    tile_cluster: cluster.ClusterConfig, make_client: ClientFactory
) -> None:
    url = cluster.url(tile_cluster)
    assert url is not None
    eng = create_engine(url)
    migrate.upgrade(eng)
    add_parcels(eng, {"code": "TO-1", "geom_m": rect_m(0, 0, 100, 100), "published": True})
    bureau = token(eng, "bureau")
    eng.dispose()

    client = make_client(url, db_connect_timeout_s=2)
    for headers in ({}, bureau):
        first = client.get(_path(), headers=headers)
        assert first.status_code == 200 and client.get(_path(), headers=headers).status_code == 200

    cluster.down(tile_cluster)
    try:
        for headers in ({}, bureau):  # both tiles are in the cache
            r = client.get(_path(), headers=headers)
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"].isdigit()
            assert r.json()["title"] == "Database unavailable"
    finally:
        cluster.up(tile_cluster)

    r = client.get(_path(), headers=bureau)
    assert r.status_code == 200 and r.content
