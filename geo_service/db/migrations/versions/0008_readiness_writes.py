"""Readiness writes: a run records which parcels it covered, so unchanged rows stay unwritten.

* ``readiness_runs.covers`` — ``'all'`` for a run over every parcel, a county's division code
  for a run over that county's parcels, NULL for a partial run (``--only-marked``, a record, an
  attestation: those write every row they checked). Runs made before this revision keep NULL:
  their rows were all rewritten with their time, so nothing is lost.
* ``ix_readiness_runs_covers`` — the latest finished run per scope, for "last checked".

A parcel's "last checked" is then the greatest of its rows' own ``checked_at`` and the start of
the latest finished run that covered it (``geo_service.readiness.rules.checked_at_sql``, the one
definition the API and the exports use). A covering run writes only the condition rows whose
decision (status, method, evidence, evidence date) changed.

Revision ID: 0008_readiness_writes
Revises: 0007_scale2
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_readiness_writes"
down_revision: str | None = "0007_scale2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("readiness_runs", sa.Column("covers", sa.String(length=8), nullable=True))
    op.create_index(
        "ix_readiness_runs_covers", "readiness_runs", ["covers", "status", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_readiness_runs_covers", table_name="readiness_runs")
    op.drop_column("readiness_runs", "covers")
