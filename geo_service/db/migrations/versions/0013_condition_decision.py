"""Readiness speed (issue 12 item 5): a network condition row keeps its decision as a short key.

A covering run writes only the condition rows whose decision changed. For the network conditions
(water, power, road) it built the evidence JSON of all 3 × N rows — nearest feature, rule, nearest
failing feature — and compared it with the stored evidence, to write a handful. Building that JSON
and its reason text cost 0.6–1.0 s per network statement at 100 000 parcels.

``parcel_conditions.decision`` holds, for a row the engine decided from the networks, the text of
what its evidence is made of (the nearest qualifying or nearest feature: code, name, distance to
0.1 m, attribute; the failing one with why; the county's rule). A run compares that key, and builds
the evidence and reason only for the rows it writes (``readiness.statements.diff``). NULL for
record and override rows (their evidence is compared as before) and for rows written before this
revision, which the next run rewrites once (no history row: their status is unchanged).

Revision ID: 0013_condition_decision
Revises: 0012_parcel_county
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_condition_decision"
down_revision: str | None = "0012_parcel_county"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE parcel_conditions ADD COLUMN decision text")


def downgrade() -> None:
    op.execute("ALTER TABLE parcel_conditions DROP COLUMN decision")
