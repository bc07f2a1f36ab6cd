"""Tiles at scale: a stored per-parcel summary (readiness counts, tile attributes, tile-ready
geometry) and a data version.

* ``parcel_summary`` — one row per parcel, kept by the database itself (statement-level triggers,
  set-based), so that no code path can forget it:
  - the readiness summary: ``met`` / ``unmet`` / ``unknown`` counts of the five conditions,
    ``checked``, ``net_land`` and ``fails`` (the unmet conditions), from triggers on
    ``parcel_conditions`` — the readiness run, attestations, overrides, records and imports all
    write that table;
  - what a tile shows and filters on (code, name, zone, area, stage, land use, industry,
    published), from triggers on ``parcels`` (insert; update when one of them changed);
  - the geometry in Web Mercator, the public shape (simplified, snapped to 1 m: never the
    surveyed vertices, like ``geo_service.maps.data.PUBLIC_GEOM``) and a point on the surface for
    the overview grid (recomputed only when the geometry changed). Deleted with the parcel.
  One table so a tile is one GiST scan without joins: joining 6 000 of 100 000 wide parcel rows
  per tile cost more than building the tile.
* ``data_version`` — one row whose ``version`` every write to parcels, conditions, zones or
  projects changes *in the same transaction*, so a reader sees the new version exactly when it
  sees the new data, on any worker or host. Values come from a sequence that nothing resets: a
  version never repeats, even after a TRUNCATE.

Neither table is in the ORM metadata: they are the database's own bookkeeping.

Revision ID: 0005_scale
Revises: 0003_parcels_geog
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_scale"
down_revision: str | None = "0004_supply"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

N_CONDITIONS = 5  # water, power, road, leveling, title (ck_parcel_conditions_condition)
ALL_CONDITIONS = "{water,power,road,leveling,title}"  # the same, as a text[] literal

#: the readiness counts of the parcels in ``changed(parcel_id)``, from parcel_conditions
_REFRESH = f"""
, ids AS (SELECT DISTINCT parcel_id FROM changed),
agg AS (
  SELECT i.parcel_id,
         count(pc.status) FILTER (WHERE pc.status = 'met')::smallint AS met,
         count(pc.status) FILTER (WHERE pc.status = 'unmet')::smallint AS unmet,
         count(pc.status)::smallint AS checked,
         -- not met: unmet, unknown or never checked (as maps.data.common.CONDS)
         ARRAY(SELECT x FROM unnest(CAST({ALL_CONDITIONS!r} AS text[])) x
               WHERE NOT x = ANY(coalesce(array_agg(pc.condition::text)
                                 FILTER (WHERE pc.status = 'met'), '{{}}'::text[]))) AS fails
  FROM ids i LEFT JOIN parcel_conditions pc ON pc.parcel_id = i.parcel_id
  GROUP BY i.parcel_id)
UPDATE parcel_summary s SET met = a.met, unmet = a.unmet,
  unknown = ({N_CONDITIONS} - a.met - a.unmet)::smallint, checked = a.checked,
  net_land = a.met = {N_CONDITIONS}, fails = a.fails
FROM agg a
WHERE s.parcel_id = a.parcel_id
  AND (s.met, s.unmet, s.checked, s.fails) IS DISTINCT FROM (a.met, a.unmet, a.checked, a.fails);
"""  # noqa: S608 -- fixed fragments only; values bound

#: what tiles show of the parcels in ``changed`` (rows of parcels)
ATTRS = ("code", "name", "zone_id", "area_m2", "supply_stage", "land_use", "industry", "published")

#: tile geometry from ``g.m`` (the parcel's geometry in 3857, transformed once): as is; the public
#: shape, simplified and snapped to a 1 m grid (like ``maps.data.PUBLIC_GEOM``, never the surveyed
#: vertices; done in 3857 without GEOS, 5x cheaper per parcel on a 100 000-parcel import); and a
#: point on the surface for the overview grid
GEOMS = {
    "geom": "g.m",
    "geom_public": "ST_SnapToGrid(ST_Simplify(g.m, 1.0, true), 1.0)",
    "pt": "ST_PointOnSurface(g.m)",
}
TRANSFORM = "CROSS JOIN LATERAL (SELECT ST_Transform(c.geom, 3857) AS m) g"

_INSERT = f"""
INSERT INTO parcel_summary (parcel_id, {", ".join(ATTRS)}, {", ".join(GEOMS)},
                            met, unmet, unknown, checked, net_land, fails)
SELECT c.id, {", ".join("c." + a for a in ATTRS)}, {", ".join(GEOMS.values())},
       0, 0, {N_CONDITIONS}, 0, false, CAST({ALL_CONDITIONS!r} AS text[])
FROM changed c {TRANSFORM};
"""  # noqa: S608 -- fixed fragments only; values bound

_UPDATE = f"""
UPDATE parcel_summary s SET {", ".join(f"{a} = n.{a}" for a in ATTRS)}
FROM new_rows n
WHERE s.parcel_id = n.id
  AND ({", ".join("s." + a for a in ATTRS)}) IS DISTINCT FROM ({", ".join("n." + a for a in ATTRS)});
WITH c AS (SELECT n.id, n.geom FROM new_rows n JOIN old_rows o ON o.id = n.id
           WHERE NOT ST_OrderingEquals(o.geom, n.geom))
UPDATE parcel_summary s SET {", ".join(f"{k} = {v}" for k, v in GEOMS.items())}
FROM c {TRANSFORM} WHERE s.parcel_id = c.id;
"""  # noqa: S608 -- fixed fragments only; values bound


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE parcel_summary (
  parcel_id bigint PRIMARY KEY REFERENCES parcels(id) ON DELETE CASCADE,
  code varchar(64) NOT NULL, name varchar(200) NOT NULL, zone_id bigint,
  area_m2 double precision NOT NULL, supply_stage varchar(32), land_use text, industry text,
  published boolean NOT NULL,
  geom geometry(MultiPolygon, 3857) NOT NULL,
  geom_public geometry(Geometry, 3857),
  pt geometry(Point, 3857) NOT NULL,
  met smallint NOT NULL, unmet smallint NOT NULL, unknown smallint NOT NULL,
  checked smallint NOT NULL, net_land boolean NOT NULL, fails text[] NOT NULL
) WITH (fillfactor = 70);  -- room on each page: a readiness update stays there (HOT), no bloat

CREATE SEQUENCE data_version_seq;
CREATE TABLE data_version (
  id smallint PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_version (id, version) VALUES (1, nextval('data_version_seq'));

CREATE FUNCTION gs_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- once per transaction is enough: the row stays locked and rewritten until commit
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

    # readiness counts, from the changed rows of parcel_conditions
    for event, ref, changed in (
        ("INSERT", "NEW TABLE AS changed", "WITH _ AS (SELECT 1)"),
        (
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "WITH changed AS (SELECT parcel_id FROM new_rows UNION SELECT parcel_id FROM old_rows)",
        ),
        ("DELETE", "OLD TABLE AS changed", "WITH _ AS (SELECT 1)"),
    ):
        name = f"gs_parcel_summary_conditions_{event.lower()}"
        op.execute(
            f"""CREATE FUNCTION {name}() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN {changed} {_REFRESH} RETURN NULL; END $$;
            CREATE TRIGGER trg_parcel_conditions_summary_{event.lower()}
              AFTER {event} ON parcel_conditions REFERENCING {ref}
              FOR EACH STATEMENT EXECUTE FUNCTION {name}();"""
        )

    # attributes and geometry, from inserted and updated parcels
    op.execute(
        f"""
CREATE FUNCTION gs_parcel_summary_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_INSERT} RETURN NULL; END $$;
CREATE TRIGGER trg_parcels_summary_insert AFTER INSERT ON parcels
  REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION gs_parcel_summary_insert();
CREATE FUNCTION gs_parcel_summary_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_UPDATE} RETURN NULL; END $$;
CREATE TRIGGER trg_parcels_summary_update AFTER UPDATE ON parcels
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gs_parcel_summary_update();

-- existing data
WITH changed AS (SELECT * FROM parcels) {_INSERT}
WITH changed AS (SELECT DISTINCT parcel_id FROM parcel_conditions) {_REFRESH}
CREATE INDEX ix_parcel_summary_geom ON parcel_summary USING gist (geom);
ANALYZE parcel_summary;
"""  # noqa: S608 -- fixed fragments only; values bound
    )


def downgrade() -> None:
    op.execute(
        """
DROP TRIGGER IF EXISTS trg_parcels_summary_insert ON parcels;
DROP TRIGGER IF EXISTS trg_parcels_summary_update ON parcels;
DROP FUNCTION IF EXISTS gs_parcel_summary_insert();
DROP FUNCTION IF EXISTS gs_parcel_summary_update();
DROP TRIGGER IF EXISTS trg_parcel_conditions_summary_insert ON parcel_conditions;
DROP TRIGGER IF EXISTS trg_parcel_conditions_summary_update ON parcel_conditions;
DROP TRIGGER IF EXISTS trg_parcel_conditions_summary_delete ON parcel_conditions;
DROP FUNCTION IF EXISTS gs_parcel_summary_conditions_insert();
DROP FUNCTION IF EXISTS gs_parcel_summary_conditions_update();
DROP FUNCTION IF EXISTS gs_parcel_summary_conditions_delete();
DROP TRIGGER IF EXISTS trg_parcels_data_version ON parcels;
DROP TRIGGER IF EXISTS trg_parcel_conditions_data_version ON parcel_conditions;
DROP TRIGGER IF EXISTS trg_zones_data_version ON zones;
DROP TRIGGER IF EXISTS trg_projects_data_version ON projects;
DROP FUNCTION IF EXISTS gs_bump_data_version();
DROP TABLE IF EXISTS data_version;
DROP SEQUENCE IF EXISTS data_version_seq;
DROP TABLE IF EXISTS parcel_summary;
"""
    )
