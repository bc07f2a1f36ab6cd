"""The shared tile store: a tile built by one worker (on any host) is served by every other.

``tile_store`` (migration ``0009_tile_store``) is an UNLOGGED table of gzipped tiles keyed by
``(version, key)``: the data version the tile was built at and the key of ``tiles.http`` (who
asks, what, the code and settings the tile was built by and, for tiles that depend on the day,
the day). Every write to a table tiles read bumps the version, so a stored tile is never
served after the data it was built from changed; a tile of another role or scope has another key.

It is a cache: a crash empties it, a TRUNCATE is harmless, every error reading or writing it is
logged and the tile built (or served) without it. Pruning (old versions; oldest first above
``GEO_SERVICE_TILE_STORE_MB``) runs in a background thread, at most one at a time across every
worker (an advisory lock), so no request waits for it. Off with a read replica configured (an
unlogged table is not replicated and a standby cannot read it) and with ``tile_store_mb`` 0.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from geo_service.settings import Settings

log = logging.getLogger("geo_service.tiles")

GET = text("SELECT gzipped FROM tile_store WHERE version = :v AND key = :k")
PUT = text(
    "INSERT INTO tile_store (version, key, gzipped) VALUES (:v, :k, :g) ON CONFLICT DO NOTHING"
)
#: an advisory lock id of the pruner ("gs tiles" in ASCII), so only one runs at a time
PRUNE_LOCK = 0x67732074696C6573
#: the tiles of old versions (never asked again: every key carries the current version)
PRUNE_OLD = text(
    "DELETE FROM tile_store WHERE version < (SELECT version FROM data_version WHERE id = 1)"
)
#: then the oldest tiles until the rest fit in :max bytes
PRUNE_SIZE = text(
    """DELETE FROM tile_store s USING (
      SELECT version, key FROM (
        SELECT version, key, sum(octet_length(gzipped)) OVER (
          ORDER BY stored_at DESC, version DESC, key) AS upto
        FROM tile_store) r WHERE r.upto > :max) old
    WHERE s.version = old.version AND s.key = old.key"""
)
#: a pruner runs at most this often per process
PRUNE_EVERY_S = 5.0


def enabled(settings: Settings) -> bool:
    return settings.tile_store_mb > 0 and not settings.read_replica_url


def get(conn: Connection | Session, version: int, key: str) -> bytes | None:
    """The stored gzipped tile, or None (not stored, or the store not there: never an error)."""
    try:
        if isinstance(conn, Session):
            with conn.begin_nested():
                row = conn.execute(GET, {"v": version, "k": key}).first()
        else:
            row = conn.execute(GET, {"v": version, "k": key}).first()
    except SQLAlchemyError as e:
        log.warning("tile store not read: %s", type(e).__name__)
        return None
    return bytes(row[0]) if row is not None else None


def put(session: Session, version: int, key: str, gzipped: bytes) -> bool:
    """Store a built tile (first writer wins); a failure only costs the next worker a build."""
    try:
        with session.begin_nested():
            session.execute(PUT, {"v": version, "k": key, "g": gzipped})
    except SQLAlchemyError as e:
        log.warning("tile not stored: %s", type(e).__name__)
        return False
    return True


def prune(engine: Engine, max_bytes: int) -> bool:
    """Delete the tiles of old versions and the oldest ones above ``max_bytes``; False when
    another pruner (any worker) holds the lock."""
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL lock_timeout = '1s'"))
        got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": PRUNE_LOCK})
        if not got.scalar():
            return False
        conn.execute(PRUNE_OLD)
        conn.execute(PRUNE_SIZE, {"max": max_bytes})
    return True


SIZE = text("SELECT coalesce(sum(octet_length(gzipped)), 0) FROM tile_store")


def stored_bytes(conn: Connection | Session) -> int:
    """Bytes of tiles in the store."""
    return int(conn.execute(SIZE).scalar() or 0)


class Pruner:
    """Runs :func:`prune` in a background thread after stores, at most every PRUNE_EVERY_S."""

    def __init__(self, engine: Engine, max_bytes: int) -> None:
        self.engine = engine
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._last = 0.0
        self.thread: threading.Thread | None = None

    def maybe(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < PRUNE_EVERY_S or (self.thread and self.thread.is_alive()):
                return
            self._last = now
            self.thread = threading.Thread(target=self._run, name="tile-store-prune", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        try:
            prune(self.engine, self.max_bytes)
        except SQLAlchemyError as e:
            log.warning("tile store not pruned: %s", type(e).__name__)


def pruner_of(state: Any, settings: Settings) -> Pruner:
    pruner: Pruner | None = getattr(state, "tile_store_pruner", None)
    if pruner is None:
        pruner = Pruner(state.engine, settings.tile_store_mb * 1024 * 1024)
        state.tile_store_pruner = pruner
    return pruner


def fingerprint(settings: Settings) -> str:
    """What a tile is built by besides the data: the tile SQL (every kind, every role) and the
    settings it reads. In every key, so a worker of another release or configuration (a rolling
    deploy, another required assessment) never serves a tile built by this one."""
    from geo_service.maps import data
    from geo_service.tiles import queries

    where, _ = data.readiness_where(data.ReadinessFilter())
    available, _ = data.investor_where(
        data.InvestorFilter(), readiness=settings.readiness, parcel_id="p.parcel_id"
    )
    parts = [
        queries.parcel_tile_sql(w, public=pub) + queries.overview_tile_sql(w, public=pub)
        for w in (where, available, "p.published")
        for pub in (False, True)
    ]
    parts += [queries.PROJECT_TILE_SQL, queries.TUNE, str(queries.GRID)]
    parts += [settings.readiness.model_dump_json(), str(settings.tile_overview_max_zoom)]
    return hashlib.blake2s("\n".join(parts).encode(), digest_size=6).hexdigest()
