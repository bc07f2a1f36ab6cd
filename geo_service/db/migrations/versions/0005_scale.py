"""Tiles at scale: a stored readiness summary, tile-ready geometry and a data version.

* ``parcel_readiness`` — per parcel the met / unmet / unknown counts of the five conditions, net
  land and the failing conditions. Kept by statement triggers on ``parcel_conditions`` (the
  readiness run, attestations, overrides, records, imports: every path writes that table), so no
  code path can forget it. A parcel without a row has no conditions yet: all five unknown.
* ``parcel_tiles`` — per parcel its geometry in Web Mercator (EPSG:3857), the public simplified
  geometry (the same rule as ``geo_service.maps.data.PUBLIC_GEOM``) in 3857, and a point on its
  surface for the overview grid. Kept by statement triggers on ``parcels`` (insert, geometry
  update; deleted by cascade).
* ``data_version`` — one row whose ``version`` every write to parcels, conditions, zones or
  projects changes *in the same transaction* (so a reader sees the new version exactly when it
  sees the new data, on any worker or host). Values come from a sequence that nothing resets, so
  a version never repeats, even after a TRUNCATE.

None of these tables is in the ORM metadata: they are the database's own bookkeeping.

Revision ID: 0005_scale
Revises: 0003_parcels_geog
"""

# ruff: noqa: S608  -- fixed SQL of this migration only

from collections.abc import Sequence

from alembic import op

revision: str = "0005_scale"
down_revision: str | None = "0003_parcels_geog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

N_CONDITIONS = 5  # water, power, road, leveling, title (ck_parcel_conditions_condition)

#: the summary of the parcels in table ``ids(parcel_id)``, computed from parcel_conditions
_REFRESH = f"""
WITH ids AS (SELECT DISTINCT parcel_id FROM changed),
agg AS (
  SELECT i.parcel_id,
         count(pc.status) FILTER (WHERE pc.status = 'met')::smallint AS met,
         count(pc.status) FILTER (WHERE pc.status = 'unmet')::smallint AS unmet,
         count(pc.status)::smallint AS checked,
         coalesce(array_agg(pc.condition ORDER BY pc.condition)
                  FILTER (WHERE pc.status = 'unmet'), '{{}}') AS fails
  FROM ids i LEFT JOIN parcel_conditions pc ON pc.parcel_id = i.parcel_id
  GROUP BY i.parcel_id)
INSERT INTO parcel_readiness AS r (parcel_id, met, unmet, unknown, checked, net_land, fails)
SELECT a.parcel_id, a.met, a.unmet, ({N_CONDITIONS} - a.met - a.unmet)::smallint, a.checked,
       a.met = {N_CONDITIONS}, a.fails
FROM agg a JOIN parcels p ON p.id = a.parcel_id
ON CONFLICT (parcel_id) DO UPDATE SET met = EXCLUDED.met, unmet = EXCLUDED.unmet,
  unknown = EXCLUDED.unknown, checked = EXCLUDED.checked, net_land = EXCLUDED.net_land,
  fails = EXCLUDED.fails
WHERE (r.met, r.unmet, r.checked, r.fails)
      IS DISTINCT FROM (EXCLUDED.met, EXCLUDED.unmet, EXCLUDED.checked, EXCLUDED.fails);
"""

#: tile geometry of the parcels in ``changed(id, geom)``; public = maps.data.PUBLIC_GEOM
_TILE_GEOM = """
INSERT INTO parcel_tiles AS t (parcel_id, geom, geom_public, pt)
SELECT c.id, ST_Transform(c.geom, 3857),
       ST_Transform(ST_ReducePrecision(ST_SimplifyPreserveTopology(c.geom, 0.00001), 0.00001),
                    3857),
       ST_Transform(ST_PointOnSurface(c.geom), 3857)
FROM changed c
ON CONFLICT (parcel_id) DO UPDATE SET geom = EXCLUDED.geom, geom_public = EXCLUDED.geom_public,
  pt = EXCLUDED.pt;
"""


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE parcel_readiness (
  parcel_id bigint PRIMARY KEY REFERENCES parcels(id) ON DELETE CASCADE,
  met smallint NOT NULL, unmet smallint NOT NULL, unknown smallint NOT NULL,
  checked smallint NOT NULL, net_land boolean NOT NULL, fails text[] NOT NULL
);
CREATE TABLE parcel_tiles (
  parcel_id bigint PRIMARY KEY REFERENCES parcels(id) ON DELETE CASCADE,
  geom geometry(MultiPolygon, 3857) NOT NULL,
  geom_public geometry(Geometry, 3857),
  pt geometry(Point, 3857) NOT NULL
);
CREATE INDEX ix_parcel_tiles_geom ON parcel_tiles USING gist (geom);
CREATE INDEX ix_parcel_tiles_pt ON parcel_tiles USING gist (pt);

CREATE SEQUENCE data_version_seq;
CREATE TABLE data_version (
  id smallint PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_version (id, version) VALUES (1, nextval('data_version_seq'));

CREATE FUNCTION gs_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- once per transaction is enough: the row is locked and rewritten until commit
  IF current_setting('geo_service.version_bumped', true) = txid_current()::text THEN
    RETURN NULL;
  END IF;
  INSERT INTO data_version (id, version) VALUES (1, nextval('data_version_seq'))
  ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, changed_at = now();
  PERFORM set_config('geo_service.version_bumped', txid_current()::text, true);
  RETURN NULL;
END $$;
"""
    )
    for table in ("parcels", "parcel_conditions", "zones", "projects"):
        op.execute(
            f"""CREATE TRIGGER trg_{table}_data_version
                AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION gs_bump_data_version()"""
        )

    # the readiness summary, from the changed rows of parcel_conditions
    for event, ref, source in (
        ("INSERT", "NEW TABLE AS changed", None),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "update"),
        ("DELETE", "OLD TABLE AS changed", None),
    ):
        body = _REFRESH
        if source == "update":
            body = (
                "WITH changed AS (SELECT parcel_id FROM new_rows UNION "
                "SELECT parcel_id FROM old_rows) " + _REFRESH.replace("WITH ids", ", ids", 1)
            )
        op.execute(
            f"""CREATE FUNCTION gs_parcel_readiness_{event.lower()}() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$;
            CREATE TRIGGER trg_parcel_conditions_summary_{event.lower()}
              AFTER {event} ON parcel_conditions REFERENCING {ref}
              FOR EACH STATEMENT EXECUTE FUNCTION gs_parcel_readiness_{event.lower()}();"""
        )

    # tile geometry, from inserted parcels and parcels whose geometry changed
    op.execute(
        f"""
CREATE FUNCTION gs_parcel_tiles_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_TILE_GEOM} RETURN NULL; END $$;
CREATE TRIGGER trg_parcels_tiles_insert AFTER INSERT ON parcels REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION gs_parcel_tiles_insert();
CREATE FUNCTION gs_parcel_tiles_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH changed AS (
    SELECT n.id, n.geom FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE NOT ST_OrderingEquals(o.geom, n.geom))
  {_TILE_GEOM}
  RETURN NULL;
END $$;
CREATE TRIGGER trg_parcels_tiles_update AFTER UPDATE ON parcels
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gs_parcel_tiles_update();

-- existing data
WITH changed AS (SELECT id, geom FROM parcels) {_TILE_GEOM}
WITH changed AS (SELECT DISTINCT parcel_id FROM parcel_conditions)
{_REFRESH.replace("WITH ids", ", ids", 1)}
ANALYZE parcel_tiles;
ANALYZE parcel_readiness;
"""
    )


def downgrade() -> None:
    op.execute(
        """
DROP TRIGGER IF EXISTS trg_parcels_tiles_insert ON parcels;
DROP TRIGGER IF EXISTS trg_parcels_tiles_update ON parcels;
DROP FUNCTION IF EXISTS gs_parcel_tiles_insert();
DROP FUNCTION IF EXISTS gs_parcel_tiles_update();
DROP TRIGGER IF EXISTS trg_parcel_conditions_summary_insert ON parcel_conditions;
DROP TRIGGER IF EXISTS trg_parcel_conditions_summary_update ON parcel_conditions;
DROP TRIGGER IF EXISTS trg_parcel_conditions_summary_delete ON parcel_conditions;
DROP FUNCTION IF EXISTS gs_parcel_readiness_insert();
DROP FUNCTION IF EXISTS gs_parcel_readiness_update();
DROP FUNCTION IF EXISTS gs_parcel_readiness_delete();
DROP TRIGGER IF EXISTS trg_parcels_data_version ON parcels;
DROP TRIGGER IF EXISTS trg_parcel_conditions_data_version ON parcel_conditions;
DROP TRIGGER IF EXISTS trg_zones_data_version ON zones;
DROP TRIGGER IF EXISTS trg_projects_data_version ON projects;
DROP FUNCTION IF EXISTS gs_bump_data_version();
DROP TABLE IF EXISTS data_version;
DROP SEQUENCE IF EXISTS data_version_seq;
DROP TABLE IF EXISTS parcel_tiles;
DROP TABLE IF EXISTS parcel_readiness;
"""
    )
