"""Drop the geography index on parcels: no query needs it, and every parcel write paid for it.

Readiness finds features near a parcel through the *networks'* geography indexes; the one query
that searched parcels by distance (marking parcels near a changed feature) now uses the geometry
index with a bounding-box prefilter.

Revision ID: 0003_parcels_geog
Revises: 0002_readiness
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_parcels_geog"
down_revision: str | None = "0002_readiness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_parcels_geog")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_parcels_geog ON parcels USING gist ((geom::geography))"
    )
