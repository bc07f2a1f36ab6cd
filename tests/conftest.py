"""Test fixtures: throw-away databases in the project-local PostGIS (never mocks, never skips).

`make test` starts the cluster; with GEO_SERVICE_TEST_ADMIN_URL set, databases are made through
that role instead (any PostgreSQL with PostGIS where it may CREATE DATABASE).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from geo_service.api.app import create_app
from geo_service.db import cluster, migrate
from geo_service.demo.load import DEMO_DATE
from geo_service.settings import PROJECT_DIR, Settings
from tests import browser as browser_args

#: the demo district's reference date; readiness evidence ages against it, not the wall clock
DEMO_AS_OF = DEMO_DATE


def target_cluster() -> cluster.ClusterConfig | str:
    admin = os.environ.get("GEO_SERVICE_TEST_ADMIN_URL")
    if admin:
        return admin
    cfg = cluster.default_config(
        PROJECT_DIR, port=int(os.environ.get("GEO_SERVICE_DB_PORT", 55432))
    )
    cluster.up(cfg)  # idempotent; fails loudly (never skips) when PostGIS cannot run
    return cfg


def fresh_database() -> Iterator[str]:
    target = target_cluster()
    url = cluster.create_database(target)
    try:
        yield url
    finally:
        cluster.drop_database(target, make_url(url).database or "")


@pytest.fixture(scope="session")
def db_url() -> Iterator[str]:
    """An empty, migrated database for tests that write their own small data."""
    for url in fresh_database():
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_engine(db_url)
    yield eng
    eng.dispose()


def truncate_all(engine: Engine) -> None:
    from geo_service.counties.models import HOME_COUNTY_SQL
    from geo_service.db.models import Base

    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text(HOME_COUNTY_SQL))  # the county rows without one belong to


@pytest.fixture
def clean_engine(engine: Engine) -> Engine:
    """The empty database, emptied again before the test."""
    truncate_all(engine)
    return engine


@pytest.fixture(scope="session")
def demo_url() -> Iterator[str]:
    """A database with the demo district loaded and checked as of DEMO_AS_OF. Read only."""
    from geo_service.demo.load import load_demo
    from geo_service.readiness.engine import run_readiness

    for url in fresh_database():
        eng = create_engine(url)
        migrate.upgrade(eng)
        settings = Settings(database_url=url)
        load_demo(eng, settings.demo_dir)
        # the demo's evidence is dated up to 2026-11-20: judge it as of the demo's "today"
        run_readiness(eng, settings=settings, actor="test", as_of=DEMO_AS_OF)
        eng.dispose()
        yield url


@pytest.fixture(scope="session")
def demo_engine(demo_url: str) -> Iterator[Engine]:
    eng = create_engine(demo_url)
    yield eng
    eng.dispose()


ClientFactory = Callable[..., TestClient]


@contextmanager
def open_client(url: str, **overrides: object) -> Iterator[TestClient]:
    """A TestClient (lifespan started) for an app on ``url``; closed, with its pool, on exit."""
    with TestClient(create_app(Settings(database_url=url, **overrides))) as client:
        yield client


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """Build TestClients for a database URL and optional settings overrides; closed after the test
    (each app holds its own connection pool)."""
    with ExitStack() as stack:
        yield lambda url, **overrides: stack.enter_context(open_client(url, **overrides))


@pytest.fixture
def client(make_client: ClientFactory, clean_engine: Engine) -> TestClient:
    """A client on the emptied database."""
    return make_client(str(clean_engine.url.render_as_string(hide_password=False)))


@pytest.fixture(scope="session")
def demo_client(demo_url: str) -> Iterator[TestClient]:
    with open_client(demo_url) as c:
        yield c


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=browser_args.CHROMIUM_ARGS)
        yield b
        b.close()
