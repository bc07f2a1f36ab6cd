"""The FastAPI application factory. No import-time side effects: call create_app(settings)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from geo_service.api import errors, openapi
from geo_service.api.read_your_writes import ReadYourWrites
from geo_service.api.routes import (
    audit,
    counties,
    docs,
    exports,
    health,
    imports,
    ledger,
    maps,
    ogc,
    ogc_writes,
    parcels,
    projects,
    readiness,
    records,
    reports,
    stats,
    supply,
    supply_maps,
    tiles,
)
from geo_service.db.engine import make_engine, make_sessionmaker
from geo_service.db.migrate import ensure_current
from geo_service.db.replica import ReadRouter
from geo_service.errors import ConfigurationError
from geo_service.readiness.rules import validate_rules
from geo_service.settings import Settings, get_settings
from geo_service.tiles.fastpath import TileFastPath
from geo_service.tiles.warm import warm_up

log = logging.getLogger("geo_service")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if problems := validate_rules(settings.readiness):
        raise ConfigurationError("readiness rules: " + "; ".join(problems))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        app.state.engine = engine
        # CONTRACT: the service creates PostGIS and migrates the schema when it may
        if (why := ensure_current(engine)) is not None:
            log.warning("schema not migrated at start (%s); /readyz says 503 until it is", why)
        app.state.sessionmaker = make_sessionmaker(engine)
        # GET/HEAD may go to a read replica; everything that writes goes to the primary
        replica = (
            make_engine(settings, settings.read_replica_url) if settings.read_replica_url else None
        )
        app.state.read_sessionmaker = (
            make_sessionmaker(replica) if replica else app.state.sessionmaker
        )
        # which of the two a read uses (fresh enough for the caller, answering): db/replica.py
        app.state.read_router = ReadRouter(engine, replica, settings.read_replica_retry_s)
        warm_up(app.state.read_sessionmaker)  # the first tile costs what the others do
        try:
            yield
        finally:
            engine.dispose()
            if replica is not None:
                replica.dispose()

    app = FastAPI(
        title="geo_service",
        summary="One map of a district's industrial standard land and key projects",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by routes/docs.py with local assets (no CDN on an intranet)
        redoc_url=None,
    )
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(ReadYourWrites)  # the write's WAL position for the client's next read
    app.add_middleware(TileFastPath)  # cached tiles in one round trip (tiles/fastpath.py)
    for module in (
        health,
        docs,
        parcels,
        readiness,
        supply,
        records,
        projects,
        ledger,
        stats,
        imports,
        exports,
        audit,
        maps,
        supply_maps,
        tiles,
        reports,
        ogc,
        ogc_writes,
        counties,
    ):
        app.include_router(module.router)
    openapi.install(app, settings)
    return app
