"""Test fixtures: throw-away databases in the project-local PostGIS (never mocks, never skips).

Every database is a copy of a per-session template (tests/databases.py), so the suite runs under
``pytest -n 2`` (pytest-xdist): each worker has its own databases and nothing is shared.

- ``db_url``/``engine``/``clean_engine``/``client``: the worker's empty migrated database, emptied
  before each test that asks for ``clean_engine``.
- ``new_database()``: a database of one's own (a copy of the empty or the demo template), for a
  module-scoped fixture that loads its own data; never truncate a database others use.
- ``demo_url``/``demo_engine``/``demo_client``: the demo district, read only (checked when the
  session ends: no test may change its register; tokens may be made). A test that writes the
  demo asks for ``demo_copy``/``demo_copy_url``, its own copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from tests import browser as browser_args
from tests.databases import (  # noqa: F401  (names older tests import from here)
    DEMO_AS_OF,
    ClientFactory,
    Databases,
    fresh_database,
    open_client,
    register_fingerprint,
    target_cluster,
    truncate_all,
)
from tests.replica_fixtures import standby  # noqa: F401  (a real streaming hot standby)


@pytest.fixture(scope="session")
def databases() -> Iterator[Databases]:
    dbs = Databases()
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def new_database(databases: Databases) -> Callable[..., str]:
    """``new_database(kind="empty"|"demo")``: the URL of a new database of the caller's own."""
    return databases.copy


@pytest.fixture(scope="session")
def db_url(databases: Databases) -> str:
    """An empty, migrated database for tests that write their own small data."""
    return databases.copy("empty")


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def clean_engine(engine: Engine) -> Engine:
    """The empty database, emptied again before the test."""
    truncate_all(engine)
    return engine


@pytest.fixture(scope="module")
def module_engine(new_database: Callable[..., str]) -> Iterator[Engine]:
    """An empty migrated database of this test module's own, for a module-scoped fixture that
    loads (and serves) its own data."""
    eng = create_engine(new_database("empty"))
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_url(databases: Databases) -> Iterator[str]:
    """A database with the demo district loaded and checked as of DEMO_AS_OF. Read only: when the
    session ends its register must be as it was (tokens aside); a test that writes the demo asks
    for ``demo_copy`` instead."""
    url = databases.copy("demo")
    eng = create_engine(url)
    before = register_fingerprint(eng)
    eng.dispose()
    yield url
    eng = create_engine(url)
    changed = sorted(k for k, v in register_fingerprint(eng).items() if before.get(k) != v)
    eng.dispose()
    assert not changed, f"a test wrote the read-only demo database: {', '.join(changed)}"


@pytest.fixture(scope="session")
def demo_engine(demo_url: str) -> Iterator[Engine]:
    eng = create_engine(demo_url)
    yield eng
    eng.dispose()


@pytest.fixture
def demo_copy_url(new_database: Callable[..., str]) -> str:
    """A copy of the demo district of this test's own, to write."""
    return new_database("demo")


@pytest.fixture
def demo_copy(demo_copy_url: str) -> Iterator[Engine]:
    eng = create_engine(demo_copy_url)
    yield eng
    eng.dispose()


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
