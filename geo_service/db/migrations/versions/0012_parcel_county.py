"""Import speed (issue 12 item 4): a parcel's county is checked once per statement, not per row.

``parcels.county`` referenced ``counties(code) ON UPDATE CASCADE``. A foreign key is checked by a
trigger per inserted row (``SELECT 1 FROM counties WHERE code = $1 FOR KEY SHARE``, queued and run
one by one: 1.0–1.2 s of backend CPU per 100 000 imported parcels, for a table of a dozen rows).
The same guarantees, set-based:

* ``AFTER INSERT`` on ``parcels``, per statement (``gs_parcels_county_ref``, over the statement's
  new rows): the counties named are locked ``FOR KEY SHARE`` as the key's check would lock them (a
  concurrent delete of one waits for this transaction), then a row whose county does not exist
  stops the statement with ``foreign_key_violation`` and the key's own detail text;
* ``BEFORE UPDATE OF county`` on ``parcels``, per row and only when the county changes (rare: a
  parcel moved between counties by hand): the same check for the one row;
* on ``counties``: deleting or truncating a county that parcels still name is refused
  (``NO ACTION``, as before; a truncate is checked after it, so ``TRUNCATE counties, parcels``
  passes as it did), and changing a county's code carries its parcels along (the key's
  ``ON UPDATE CASCADE``).

The functions run as the table owner (``SECURITY DEFINER``, fixed ``search_path``), as the key's
own checks did, which the county wall's row-level security does not filter.
``tests/test_counties.py`` checks each guarantee.

Revision ID: 0012_parcel_county
Revises: 0011_import
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_parcel_county"
down_revision: str | None = "0011_import"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
ALTER TABLE parcels DROP CONSTRAINT fk_parcels_county_counties;

CREATE FUNCTION gs_parcels_county_ref() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE named bigint; locked bigint; missing text;
BEGIN
  IF TG_LEVEL = 'ROW' THEN
    PERFORM 1 FROM counties c WHERE c.code = NEW.county FOR KEY SHARE OF c;
    IF NOT FOUND THEN
      missing := NEW.county;
    END IF;
  ELSE
    SELECT count(DISTINCT n.county) INTO named FROM new_rows n;
    SELECT count(*) INTO locked FROM (SELECT 1 FROM counties c
      WHERE c.code IN (SELECT n.county FROM new_rows n) FOR KEY SHARE OF c) x;
    IF locked < named THEN
      SELECT n.county INTO missing FROM new_rows n
      WHERE NOT EXISTS (SELECT 1 FROM counties c WHERE c.code = n.county) LIMIT 1;
    END IF;
  END IF;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'insert or update on table "parcels" violates its county reference'
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (county)=(%s) is not present in table "counties".', missing);
  END IF;
  IF TG_LEVEL = 'ROW' THEN
    RETURN NEW;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION gs_counties_parcels() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN  -- the key's ON UPDATE CASCADE (the new code exists: AFTER UPDATE)
    UPDATE parcels SET county = NEW.code WHERE county = OLD.code;
    RETURN NULL;
  END IF;
  IF (TG_OP = 'TRUNCATE' AND EXISTS (SELECT 1 FROM parcels))
     OR (TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM parcels WHERE county = OLD.code)) THEN
    RAISE EXCEPTION 'county % still has parcels; move or delete them first',
      CASE WHEN TG_OP = 'DELETE' THEN OLD.code ELSE '(all)' END
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER trg_parcels_county_ref AFTER INSERT ON parcels
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gs_parcels_county_ref();
CREATE TRIGGER trg_parcels_county_moved BEFORE UPDATE OF county ON parcels
  FOR EACH ROW WHEN (OLD.county IS DISTINCT FROM NEW.county)
  EXECUTE FUNCTION gs_parcels_county_ref();
CREATE TRIGGER trg_counties_parcels_delete BEFORE DELETE ON counties
  FOR EACH ROW EXECUTE FUNCTION gs_counties_parcels();
CREATE TRIGGER trg_counties_parcels_truncate AFTER TRUNCATE ON counties
  FOR EACH STATEMENT EXECUTE FUNCTION gs_counties_parcels();
CREATE TRIGGER trg_counties_parcels_code AFTER UPDATE OF code ON counties
  FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION gs_counties_parcels();
"""
    )


def downgrade() -> None:
    op.execute(
        """
DROP TRIGGER trg_counties_parcels_code ON counties;
DROP TRIGGER trg_counties_parcels_truncate ON counties;
DROP TRIGGER trg_counties_parcels_delete ON counties;
DROP TRIGGER trg_parcels_county_moved ON parcels;
DROP TRIGGER trg_parcels_county_ref ON parcels;
DROP FUNCTION gs_counties_parcels();
DROP FUNCTION gs_parcels_county_ref();
ALTER TABLE parcels ADD CONSTRAINT fk_parcels_county_counties
  FOREIGN KEY (county) REFERENCES counties(code) ON UPDATE CASCADE;
"""
    )
