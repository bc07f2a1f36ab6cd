"""Readiness writes without a per-row trigger: the parcel references of the readiness tables are
checked once per statement, and the parcels' pages keep room for their updates.

* ``parcel_conditions.parcel_id`` and ``condition_history.parcel_id`` lose their foreign keys:
  a key is checked by a trigger per row (one index probe and one row lock each, ~9 of the ~56 s
  of a first run over 100 000 parcels, which writes 500 000 rows to each table). A statement
  trigger does the same set-based (``gs_readiness_parcel_ref``: the parcels named are locked
  ``FOR KEY SHARE`` as a key check would, then a row whose parcel does not exist stops the
  statement with ``foreign_key_violation``); deleting or truncating parcels deletes their rows
  (``gs_readiness_parcels_gone``, as ``ON DELETE CASCADE`` did); a parcel's ``id`` cannot
  change while it is referenced (it never changes) and a row's ``parcel_id`` cannot change.
* ``parcels`` and ``parcel_summary`` get ``fillfactor = 90``: a run resets ``needs_check`` and
  refreshes the summary counts of the parcels it checked; with room on the page those updates
  are HOT (no new entry in every index, the GiST ones included) instead of a new row version
  elsewhere. Pages written before keep no room until rewritten.

Revision ID: 0010_readiness
Revises: 0009_tile_store
"""

# ruff: noqa: S608  -- fixed SQL of this migration only

from collections.abc import Sequence

from alembic import op

revision: str = "0010_readiness"
down_revision: str | None = "0009_tile_store"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the tables whose parcel_id refers to parcels.id through the triggers below
TABLES = ("parcel_conditions", "condition_history")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_parcel_id_parcels")
    op.execute(
        """
CREATE FUNCTION gs_readiness_parcel_ref() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE named bigint; locked bigint; missing bigint;
BEGIN
  -- as a foreign key check would, once for the statement: lock the parcels named (a concurrent
  -- delete waits for this transaction); a parcel named but not locked does not exist
  SELECT count(DISTINCT n.parcel_id) INTO named FROM new_rows n;
  SELECT count(*) INTO locked FROM (SELECT 1 FROM parcels p
    WHERE p.id IN (SELECT n.parcel_id FROM new_rows n) FOR KEY SHARE OF p) x;
  IF locked < named THEN
    SELECT n.parcel_id INTO missing FROM new_rows n
    WHERE NOT EXISTS (SELECT 1 FROM parcels p WHERE p.id = n.parcel_id) LIMIT 1;
    RAISE EXCEPTION 'insert on table "%" violates its parcel reference', TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (parcel_id)=(%s) is not present in table "parcels".', missing);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION gs_readiness_parcel_id_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'parcels' THEN
    IF EXISTS (SELECT 1 FROM parcel_conditions WHERE parcel_id = OLD.id)
       OR EXISTS (SELECT 1 FROM condition_history WHERE parcel_id = OLD.id) THEN
      RAISE EXCEPTION 'parcel % is referenced by its readiness; its id cannot change', OLD.id
        USING ERRCODE = 'foreign_key_violation';
    END IF;
  ELSE
    RAISE EXCEPTION 'the parcel_id of a % row cannot change', TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION gs_readiness_parcels_gone() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN  -- a TRUNCATE may name these tables too: it cannot nest here
    DELETE FROM parcel_conditions;
    DELETE FROM condition_history;
  ELSE
    DELETE FROM parcel_conditions c USING gone g WHERE c.parcel_id = g.id;
    DELETE FROM condition_history h USING gone g WHERE h.parcel_id = g.id;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER trg_parcels_readiness_gone AFTER DELETE ON parcels
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION gs_readiness_parcels_gone();
CREATE TRIGGER trg_parcels_readiness_truncate AFTER TRUNCATE ON parcels
  FOR EACH STATEMENT EXECUTE FUNCTION gs_readiness_parcels_gone();
CREATE TRIGGER trg_parcels_readiness_id BEFORE UPDATE OF id ON parcels
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION gs_readiness_parcel_id_fixed();
"""
    )
    for table in TABLES:
        op.execute(
            f"""CREATE TRIGGER trg_{table}_parcel_ref AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
            EXECUTE FUNCTION gs_readiness_parcel_ref();
            CREATE TRIGGER trg_{table}_parcel_id BEFORE UPDATE OF parcel_id ON {table}
            FOR EACH ROW WHEN (OLD.parcel_id IS DISTINCT FROM NEW.parcel_id)
            EXECUTE FUNCTION gs_readiness_parcel_id_fixed()"""
        )
    op.execute("ALTER TABLE parcels SET (fillfactor = 90)")
    op.execute("ALTER TABLE parcel_summary SET (fillfactor = 90)")


def downgrade() -> None:
    op.execute("ALTER TABLE parcel_summary RESET (fillfactor)")
    op.execute("ALTER TABLE parcels RESET (fillfactor)")
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_parcel_ref ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_parcel_id ON {table}")
    op.execute(
        """
DROP TRIGGER IF EXISTS trg_parcels_readiness_id ON parcels;
DROP TRIGGER IF EXISTS trg_parcels_readiness_truncate ON parcels;
DROP TRIGGER IF EXISTS trg_parcels_readiness_gone ON parcels;
DROP FUNCTION IF EXISTS gs_readiness_parcels_gone();
DROP FUNCTION IF EXISTS gs_readiness_parcel_id_fixed();
DROP FUNCTION IF EXISTS gs_readiness_parcel_ref();
"""
    )
    for table in TABLES:
        op.execute(
            f"""ALTER TABLE {table} ADD CONSTRAINT fk_{table}_parcel_id_parcels
            FOREIGN KEY (parcel_id) REFERENCES parcels (id) ON DELETE CASCADE"""
        )
