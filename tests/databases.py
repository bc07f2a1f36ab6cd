"""Throw-away test databases in the project-local PostGIS, cloned from per-session templates.

Each pytest process (each pytest-xdist worker too) builds two template databases once: an empty
migrated one and one with the demo district loaded and checked. Every database a test gets is a
``CREATE DATABASE … TEMPLATE`` copy of one of them (well under a second), so no two workers and
no two modules ever share a database they write, and the demo a reader sees was never written.
Templates and copies are dropped when the session ends.

`make test` starts the cluster; with GEO_SERVICE_TEST_ADMIN_URL set, databases are made through
that role instead (any PostgreSQL with PostGIS where it may CREATE DATABASE).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from geo_service.api.app import create_app
from geo_service.db import cluster, migrate
from geo_service.demo.load import DEMO_DATE
from geo_service.settings import PROJECT_DIR, Settings

#: the demo district's reference date; readiness evidence ages against it, not the wall clock
DEMO_AS_OF = DEMO_DATE

ClientFactory = Callable[..., TestClient]


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
    """An empty database with PostGIS (not migrated), dropped after use."""
    target = target_cluster()
    url = cluster.create_database(target)
    try:
        yield url
    finally:
        cluster.drop_database(target, make_url(url).database or "")


def database_name(url: str) -> str:
    return make_url(url).database or ""


class Databases:
    """The session's templates and the copies made of them (see the module docstring)."""

    def __init__(self) -> None:
        self.target = target_cluster()
        self._made: list[str] = []
        self._templates: dict[str, str] = {}

    def _new(self) -> str:
        url = cluster.create_database(self.target)
        self._made.append(database_name(url))
        return url

    def template(self, kind: str) -> str:
        """The URL of the ``empty`` (migrated) or ``demo`` template; built on first use."""
        if kind not in self._templates:
            url = self._new()
            eng = create_engine(url)
            try:
                migrate.upgrade(eng)
                if kind == "demo":
                    _load_demo(eng, url)
            finally:
                eng.dispose()  # a template must have no connections while it is copied
            self._templates[kind] = url
        return self._templates[kind]

    def copy(self, kind: str = "empty") -> str:
        """A new database, a copy of the ``kind`` template; the caller may write it freely."""
        source = self.template(kind)
        name = f"geo_test_{secrets.token_hex(6)}"
        admin = create_engine(
            make_url(source).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{database_name(source)}"'))
        finally:
            admin.dispose()
        self._made.append(name)
        return make_url(source).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for name in reversed(self._made):
            cluster.drop_database(self.target, name)
        self._made.clear()
        self._templates.clear()


def _load_demo(eng: Engine, url: str) -> None:
    from geo_service.db.engine import analyze
    from geo_service.demo.load import load_demo
    from geo_service.readiness.engine import run_readiness

    settings = Settings(database_url=url)
    load_demo(eng, settings.demo_dir)
    # the demo's evidence is dated up to 2026-11-20: judge it as of the demo's "today"
    run_readiness(eng, settings=settings, actor="test", as_of=DEMO_AS_OF)
    analyze(eng)  # as `geo-service demo load` does: copies keep the template's statistics


def truncate_all(engine: Engine) -> None:
    from geo_service.counties.models import HOME_COUNTY_SQL
    from geo_service.db.models import Base

    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text(HOME_COUNTY_SQL))  # rows written without a county belong to it


def register_fingerprint(engine: Engine) -> dict[str, tuple[int, int]]:
    """Each table's row count and newest row version (``xmin``): any insert, update or delete
    changes it. API tokens (and their audit lines) are left out: a test may sign in to the demo."""
    from geo_service.db.models import Base

    out: dict[str, tuple[int, int]] = {}
    with engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            if t.name == "api_tokens":
                continue
            where = " WHERE entity_type <> 'token'" if t.name == "audit_events" else ""
            row = conn.execute(
                text(f"SELECT count(*), coalesce(max(xmin::text::bigint), 0) FROM {t.name}{where}")
            ).one()
            out[t.name] = (int(row[0]), int(row[1]))
    return out


@contextmanager
def open_client(url: str, **overrides: object) -> Iterator[TestClient]:
    """A TestClient (lifespan started) for an app on ``url``; closed, with its pool, on exit."""
    with TestClient(create_app(Settings(database_url=url, **overrides))) as client:
        yield client
