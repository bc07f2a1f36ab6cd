"""Tiles shared by every worker and host, and no stale tile after an assessment changes.

* ``tile_store`` — built tiles (gzipped MVT) keyed by ``(version, key)``: the data version they
  were built at and what was asked by whom (``geo_service.tiles.http.key_of``). UNLOGGED: no
  WAL, emptied by a crash, not replicated — it is a cache, losing it only costs rebuilding
  (``geo_service.tiles.store``). The gzipped body is already compressed: stored out of line
  without pglz (``STORAGE EXTERNAL``).
* ``data_version`` is bumped by writes to ``assessment_areas`` too (a lapsed or redrawn regional
  assessment takes a plot off offer: the investor tiles read it through the ready-for-supply
  rule) and to ``parcel_summary`` itself (the tiles' table; its own writers already bump, this
  keeps a direct write from serving stale tiles). The other tables tiles read (parcels,
  parcel_conditions, zones, projects) bump since 0005_scale.

Revision ID: 0009_tile_store
Revises: 0008_readiness_writes
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_tile_store"
down_revision: str | None = "0008_readiness_writes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: tables tiles read whose writes 0005_scale did not make bump the data version
BUMPED = ("assessment_areas", "parcel_summary")


def upgrade() -> None:
    op.execute(
        """CREATE UNLOGGED TABLE tile_store (
  version bigint NOT NULL,
  key text NOT NULL,
  gzipped bytea NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (version, key)
);
ALTER TABLE tile_store ALTER COLUMN gzipped SET STORAGE EXTERNAL;
CREATE INDEX ix_tile_store_stored_at ON tile_store (stored_at);"""
    )
    for table in BUMPED:
        op.execute(
            f"""CREATE TRIGGER trg_{table}_data_version
                AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION gs_bump_data_version()"""
        )


def downgrade() -> None:
    for table in BUMPED:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_data_version ON {table}")
    op.execute("DROP TABLE IF EXISTS tile_store")
