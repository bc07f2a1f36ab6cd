"""Probes, migrations from an empty database, and a database that is not there."""

from __future__ import annotations

import uuid

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from geo_service.db import cluster, migrate
from geo_service.db.models import Base
from tests.databases import ClientFactory, target_cluster
from tests.helpers import token


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"


def test_migrations_run_up_from_an_empty_database_and_back() -> None:
    target = target_cluster()
    url = cluster.create_database(target)
    try:
        eng = create_engine(url)
        assert migrate.current_revision(eng) is None
        before, after = migrate.upgrade(eng)
        assert before is None and after == migrate.head_revision()
        tables = set(inspect(eng).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert migrate.upgrade(eng) == (after, after)  # idempotent
        cfg = migrate.alembic_config()
        with eng.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert not set(Base.metadata.tables) & set(inspect(eng).get_table_names())
        migrate.upgrade(eng)
        assert migrate.is_current(eng)
        eng.dispose()
    finally:
        cluster.drop_database(target, url.rsplit("/", 1)[1])


def test_the_service_migrates_an_empty_database_when_it_may(make_client: ClientFactory) -> None:
    target = target_cluster()
    url = cluster.create_database(target)
    try:
        c = make_client(url)
        assert c.get("/readyz").status_code == 200
        assert c.get("/api/v1/parcels").json()["features"] == []
    finally:
        cluster.drop_database(target, url.rsplit("/", 1)[1])


def test_readyz_is_503_while_the_schema_cannot_be_migrated(make_client: ClientFactory) -> None:
    """A role without the right to create tables: the service starts, says why, never 500s."""
    target = target_cluster()
    url = cluster.create_database(target)
    role = f"ro_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'"))
            conn.execute(text(f"REVOKE CREATE ON SCHEMA public FROM {role}, PUBLIC"))
        ro_url = (
            make_url(url).set(username=role, password="pw").render_as_string(hide_password=False)
        )
        c = make_client(ro_url)
        r = c.get("/readyz")
        assert r.status_code == 503
        assert "geo-service db migrate" in r.json()["detail"]
        r = c.get("/api/v1/parcels")
        assert r.status_code == 503 and "migrate" in r.json()["detail"]
        assert c.get("/healthz").status_code == 200
    finally:
        admin.dispose()
        cluster.drop_database(target, url.rsplit("/", 1)[1])
        with create_engine(_admin_url(target)).begin() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))


def test_a_database_migrated_by_newer_code_is_not_called_unmigrated(
    make_client: ClientFactory,
) -> None:
    """A rolling upgrade: new hosts have migrated, this one still runs the old code. It is not
    ready, and it says to run the newer code, not to migrate (which cannot help)."""
    target = target_cluster()
    url = cluster.create_database(target)
    eng = create_engine(url)
    try:
        migrate.upgrade(eng)
        with eng.begin() as conn:  # what a newer revision might do: a column renamed
            conn.execute(text("ALTER TABLE parcels RENAME COLUMN notes TO remarks"))
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_newer'"))
        c = make_client(url)
        r = c.get("/readyz")
        assert r.status_code == 503
        assert "newer than this server" in r.json()["detail"]
        assert "9999_newer" in r.json()["detail"]
        r = c.get("/api/v1/parcels", headers=token(eng, "bureau"))
        assert r.status_code == 503 and "newer than this server" in r.json()["detail"]
        assert "db migrate" not in r.json()["detail"]
    finally:
        eng.dispose()
        cluster.drop_database(target, url.rsplit("/", 1)[1])


def _admin_url(target: object) -> str:
    url = cluster.url(target) if isinstance(target, cluster.ClusterConfig) else str(target)
    assert url is not None
    return url


def test_database_down_is_503_json_quickly(make_client: ClientFactory) -> None:
    # nothing listens on this port: every data endpoint must say so, without a trace
    c = make_client("postgresql+psycopg://nobody:x@127.0.0.1:9/none", db_connect_timeout_s=1)
    for path in ("/readyz", "/api/v1/parcels", "/api/v1/parcels/X", "/api/v1/stats"):
        r = c.get(path)
        assert r.status_code == 503, path
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "Traceback" not in r.text and "psycopg" not in r.text
    assert c.get("/healthz").status_code == 200


def test_models_and_migrations_agree(engine: Engine) -> None:
    """A model change without its migration shows up here, not on a production database."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from geoalchemy2 import alembic_helpers

    def include(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
        if type_ == "table" and name not in Base.metadata.tables:
            return False  # PostGIS's own tables
        if type_ == "index" and reflected and compare_to is None:
            return False  # indexes made in SQL by the migrations (geography GiST, partial)
        return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)

    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": include, "compare_type": True}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
