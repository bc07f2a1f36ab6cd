"""Probes, migrations from an empty database, and a database that is not there."""

from __future__ import annotations

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect

from geo_service.db import cluster, migrate
from geo_service.db.models import Base
from tests.conftest import ClientFactory, _target


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"


def test_migrations_run_up_from_an_empty_database_and_back() -> None:
    target = _target()
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


def test_readyz_is_503_while_the_schema_is_not_migrated(make_client: ClientFactory) -> None:
    target = _target()
    url = cluster.create_database(target)
    try:
        c = make_client(url)
        r = c.get("/readyz")
        assert r.status_code == 503
        assert "geo-service db migrate" in r.json()["detail"]
        assert c.get("/healthz").status_code == 200
    finally:
        cluster.drop_database(target, url.rsplit("/", 1)[1])


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
