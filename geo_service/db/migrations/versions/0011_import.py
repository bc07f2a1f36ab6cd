"""Import speed (issue 12 item 4): ``parcel_summary`` follows its parcels by triggers, not a FK.

``parcel_summary.parcel_id`` referenced ``parcels(id) ON DELETE CASCADE``. Its summary rows are
only ever written by the database itself (the insert trigger of 0005/0006 and
``gs_parcel_summary_add`` of 0007, both from rows of ``parcels`` in the same transaction), so the
foreign key's per-row check on insert proved nothing and cost ~1.7 s of backend CPU per 100 000
parcels (a ``SELECT … FOR KEY SHARE`` on ``parcels`` for every summary row; EXPLAIN ANALYZE of
the import's summary insert: a third of it). What the key did besides is kept by two
statement-level triggers on ``parcels``:

* ``AFTER DELETE`` (transition table): the summary rows of the deleted parcels are deleted (the
  cascade); set-based, one statement per delete statement, never deferred;
* ``AFTER TRUNCATE``: ``parcel_summary`` is truncated too (``TRUNCATE parcels CASCADE`` did it
  through the key).

Both run as the table owner (``SECURITY DEFINER``, fixed ``search_path``) like the key's own
cascade, which the county wall's row-level security does not filter. ``tests/test_tiles_scale.py``
checks that no summary row is left without its parcel after deletes and imports.

Revision ID: 0011_import
Revises: 0010_readiness
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_import"
down_revision: str | None = "0010_readiness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
ALTER TABLE parcel_summary DROP CONSTRAINT parcel_summary_parcel_id_fkey;

CREATE FUNCTION gs_parcel_summary_delete() RETURNS trigger LANGUAGE plpgsql
  SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM parcel_summary s USING gone g WHERE s.parcel_id = g.id;
  RETURN NULL;
END $$;

CREATE FUNCTION gs_parcel_summary_truncate() RETURNS trigger LANGUAGE plpgsql
  SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM parcel_summary;  -- not TRUNCATE: ``TRUNCATE parcels, parcel_summary`` may name it too
  RETURN NULL;
END $$;

CREATE TRIGGER trg_parcels_summary_delete AFTER DELETE ON parcels REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION gs_parcel_summary_delete();
CREATE TRIGGER trg_parcels_summary_truncate AFTER TRUNCATE ON parcels
  FOR EACH STATEMENT EXECUTE FUNCTION gs_parcel_summary_truncate();
"""
    )


def downgrade() -> None:
    op.execute(
        """
DROP TRIGGER trg_parcels_summary_truncate ON parcels;
DROP TRIGGER trg_parcels_summary_delete ON parcels;
DROP FUNCTION gs_parcel_summary_truncate();
DROP FUNCTION gs_parcel_summary_delete();
DELETE FROM parcel_summary s WHERE NOT EXISTS (SELECT 1 FROM parcels p WHERE p.id = s.parcel_id);
ALTER TABLE parcel_summary ADD CONSTRAINT parcel_summary_parcel_id_fkey
  FOREIGN KEY (parcel_id) REFERENCES parcels(id) ON DELETE CASCADE;
"""
    )
