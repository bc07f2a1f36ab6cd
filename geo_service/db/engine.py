"""Engine and session factories. Engines are made by the caller and live on app.state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from geo_service.errors import ConfigurationError
from geo_service.settings import PROJECT_DIR, Settings


def database_url(settings: Settings) -> str:
    """The URL to use: GEO_SERVICE_DATABASE_URL, else the project-local cluster's."""
    if settings.database_url:
        return settings.database_url
    from geo_service.db import cluster

    url = cluster.url(cluster.default_config(PROJECT_DIR, port=settings.db_port))
    if url is None:
        raise ConfigurationError(
            "no database configured: run `geo-service db up` to start the project-local "
            "PostGIS, or set GEO_SERVICE_DATABASE_URL"
        )
    return url


def make_engine(settings: Settings, url: str | None = None) -> Engine:
    """An engine with short connect timeouts so a dead database answers 503 quickly.

    Waiting for a *pooled* connection is a different matter: under load a request queues for up to
    ``db_pool_wait_s`` (the pool hands connections out in turn) and only then is refused as busy.
    """
    engine = create_engine(
        url or database_url(settings),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        pool_timeout=settings.db_pool_wait_s,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_s,
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
            "application_name": "geo-service",
        },
    )
    event.listen(engine, "connect", _warm_transforms)
    return engine


def _warm_transforms(dbapi_conn: Any, _record: Any) -> None:
    """Let a new connection set up the 4490 → 3857 transform now, not on its first map tile."""
    with dbapi_conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
        if cur.fetchone():
            cur.execute("SELECT ST_Transform(ST_SetSRID(ST_MakePoint(114.9, 33.7), 4490), 3857)")
            # and the MVT encoder and the tile table's catalogue entries, so that the first
            # tile a fresh worker serves costs what every other one does (an empty tile)
            cur.execute("SELECT to_regclass('parcel_summary') IS NOT NULL")
            row = cur.fetchone()
            if row and row[0]:
                cur.execute(
                    "SELECT ST_AsMVT(q, 'parcels', 4096, 'geom') FROM (SELECT ST_AsMVTGeom("
                    "s.geom, ST_TileEnvelope(24, 0, 0), 4096, 64, true) AS geom, s.code "
                    "FROM parcel_summary s WHERE s.geom && ST_TileEnvelope(24, 0, 0)) q"
                )
    dbapi_conn.commit()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One session, one transaction: commit on success, roll back on any error."""
    with make_sessionmaker(engine)() as session, session.begin():
        yield session


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics of every table, after a bulk load: until autovacuum
    gets to it a freshly loaded database is planned as if empty (the demo's stats and maps ran
    50-100× slower in the first minutes after `demo load`)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
