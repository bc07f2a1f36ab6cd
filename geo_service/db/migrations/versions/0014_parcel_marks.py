"""Readiness speed (issue 12 item 5): a parcel's "re-check me" mark in a narrow table of its own.

``parcels.needs_check`` was a column of the widest table: every write that marked a parcel, and
every readiness run that cleared the marks of the parcels it checked, updated whole parcel rows
(geometry, indicators, the GiST indexes; at 100 000 parcels the clearing alone was 3.3–3.6 s of
a cold run, against 0.1 s to delete the same ids from a narrow table). Now:

* ``parcel_marks (parcel_id)`` — one row per parcel a write has marked for re-checking (a moved
  parcel, a new or changed record, a network feature or protected area changed nearby); a run
  deletes the rows of the parcels it checked. Copied from ``needs_check`` here.
* A parcel that has never been checked needs no mark: the run takes every parcel without
  condition rows, and the API's ``needs_check`` is "marked, or never checked" — what the column's
  default ``true`` meant for a new parcel.
* No foreign key (a key check per inserted mark): marks are written from joins with ``parcels``;
  deleting or truncating parcels deletes their marks (``gs_readiness_parcels_gone``, which clears
  their readiness rows already); a stray mark of a parcel that is gone is never read (the run
  selects from ``parcels``).
* The county wall covers it as the other child tables of ``parcels``.

Revision ID: 0014_parcel_marks
Revises: 0013_condition_decision
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_parcel_marks"
down_revision: str | None = "0013_condition_decision"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GONE = """
CREATE OR REPLACE FUNCTION gs_readiness_parcels_gone() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN  -- a TRUNCATE may name these tables too: it cannot nest here
    DELETE FROM parcel_conditions;
    DELETE FROM condition_history;{truncate}
  ELSE
    DELETE FROM parcel_conditions c USING gone g WHERE c.parcel_id = g.id;
    DELETE FROM condition_history h USING gone g WHERE h.parcel_id = g.id;{delete}
  END IF;
  RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE parcel_marks (
  parcel_id bigint NOT NULL,
  CONSTRAINT pk_parcel_marks PRIMARY KEY (parcel_id)
);
INSERT INTO parcel_marks (parcel_id) SELECT id FROM parcels WHERE needs_check;
ALTER TABLE parcels DROP COLUMN needs_check;
GRANT SELECT, INSERT, UPDATE, DELETE ON parcel_marks TO gs_scoped;
ALTER TABLE parcel_marks ENABLE ROW LEVEL SECURITY;
CREATE POLICY county_wall ON parcel_marks TO gs_scoped
  USING (parcel_id IN (SELECT id FROM parcels))
  WITH CHECK (parcel_id IN (SELECT id FROM parcels));
"""
    )
    op.execute(
        _GONE.format(
            truncate="\n    DELETE FROM parcel_marks;",
            delete="\n    DELETE FROM parcel_marks m USING gone g WHERE m.parcel_id = g.id;",
        )
    )


def downgrade() -> None:
    op.execute(_GONE.format(truncate="", delete=""))
    op.execute(
        """
ALTER TABLE parcels ADD COLUMN needs_check boolean NOT NULL DEFAULT true;
UPDATE parcels p SET needs_check = EXISTS (SELECT 1 FROM parcel_marks m WHERE m.parcel_id = p.id)
  OR NOT EXISTS (SELECT 1 FROM parcel_conditions c WHERE c.parcel_id = p.id);
DROP TABLE parcel_marks;
"""
    )
