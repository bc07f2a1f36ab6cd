"""Schema migrations (Alembic), run programmatically: no alembic.ini to keep in step."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@cache
def head_revision() -> str | None:
    """The code's head(s), comma-joined (independent branches off one base are allowed): read
    once per process, so a server compares the database with the code it runs, not with
    migration files written on disk since it started."""
    heads = sorted(_scripts().get_heads())
    return ",".join(heads) or None


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


@cache
def _known() -> frozenset[str]:
    """Every revision of the code this process runs (read once, as the head)."""
    return frozenset(s.revision for s in _scripts().walk_revisions())


def schema_mismatch(engine: Engine) -> str | None:
    """None when the database's schema is the code's; else what is wrong, for an operator."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return None
    if current and not set(current.split(",")) <= _known():
        return (
            f"the database schema is at {current}, newer than this server knows (its newest is "
            f"{head}): run this server from the code that migrated the database"
        )
    return f"schema is at {current or 'none'}, the code needs {head}: run `geo-service db migrate`"


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        heads = sorted(MigrationContext.configure(conn).get_current_heads())
    return ",".join(heads) or None


#: advisory lock key: with several workers or hosts starting at once, one migrates, others wait
_MIGRATION_LOCK = 4_490_001


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the schema to head (idempotent); returns (before, after) revisions."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        before = ",".join(sorted(MigrationContext.configure(conn).get_current_heads())) or None
        # PostGIS first: the service creates the extension when the role may
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    return before, current_revision(engine)


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def ensure_current(engine: Engine) -> str | None:
    """Migrate when the schema is behind and the role may; returns why not, or None when current.

    Never raises: a service must start (and say 503 on /readyz) even when it cannot migrate.
    """
    try:
        if is_current(engine):
            return None
        upgrade(engine)
        return None
    except Exception as e:  # noqa: BLE001 - any failure means "not migrated"; the caller reports it
        orig = getattr(e, "orig", None)
        return (str(orig or e).splitlines() or [type(e).__name__])[0]
