"""A real streaming hot standby of the test cluster (``pg_basebackup -R``), for the replica tests.

``standby`` (session-scoped) makes a fresh copy of the test cluster, starts it streaming on its
own port (``GEO_SERVICE_TEST_STANDBY_PORT``, default the cluster's port + 20) and deletes it, with
its replication slot, at the end. The test databases live in the primary cluster and reach the
standby like every other change; the main test database is never touched. Never skips: a standby
that cannot start fails the tests that use it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from geo_service.db import cluster
from geo_service.db import standby as standby_mod
from geo_service.db.cluster import ClusterConfig


@dataclass
class Standby:
    """The running standby and the primary it streams from."""

    primary: ClusterConfig
    cfg: ClusterConfig

    def url(self, primary_url: str) -> str:
        """The standby's URL of the database that ``primary_url`` names."""
        return standby_mod.url(self.primary, self.cfg, make_url(primary_url).database)

    def pause(self) -> None:
        standby_mod.pause_replay(self.cfg, True)

    def resume(self) -> None:
        standby_mod.pause_replay(self.cfg, False)

    def stop(self) -> None:
        standby_mod.down(self.cfg)

    def start(self) -> None:
        standby_mod.up(self.primary, self.cfg)

    def wait_replayed(self, primary_engine: Engine, timeout_s: float = 30) -> None:
        """Until the standby has applied everything the primary has written so far."""
        with primary_engine.connect() as conn:
            target = conn.execute(text("SELECT pg_current_wal_lsn()::text")).scalar()
        eng = create_engine(self.url(primary_engine.url.render_as_string(hide_password=False)))
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                with eng.connect() as conn:
                    done = conn.execute(
                        text("SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"),
                        {"t": target},
                    ).scalar()
                if done:
                    return
                assert time.monotonic() < deadline, f"the standby did not replay up to {target}"
                time.sleep(0.05)
        finally:
            eng.dispose()


@pytest.fixture(scope="session")
def standby() -> Iterator[Standby]:
    from tests.conftest import target_cluster

    primary = target_cluster()
    if not isinstance(primary, ClusterConfig):
        pytest.fail(
            "the replica tests need the project-local cluster (a standby is made with "
            "pg_basebackup from it): unset GEO_SERVICE_TEST_ADMIN_URL"
        )
    port = int(os.environ.get("GEO_SERVICE_TEST_STANDBY_PORT", primary.port + 20))
    cfg = standby_mod.config(primary, port)
    standby_mod.destroy(primary, cfg)  # a copy left by an interrupted run may be far behind
    standby_mod.up(primary, cfg)
    try:
        yield Standby(primary, cfg)
    finally:
        standby_mod.destroy(primary, cfg)
        assert cluster.status(primary).running
