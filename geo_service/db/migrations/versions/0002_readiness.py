"""readiness: per-kind geography indexes of the networks

The readiness checks look for the nearest feature of ONE kind (water, power, road) within a
distance on the ellipsoid. With one index over all kinds, a 500 m search for power wades through
the roads and mains around every parcel; a partial index per kind keeps each search to its layer.

Revision ID: 0002_readiness
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_readiness"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("water", "power", "road")


def upgrade() -> None:
    for kind in KINDS:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS ix_infrastructure_geog_{kind} ON infrastructure "
            f"USING gist ((geom::geography)) WHERE kind = '{kind}'"
        )


def downgrade() -> None:
    for kind in KINDS:
        op.execute(f"DROP INDEX IF EXISTS ix_infrastructure_geog_{kind}")
