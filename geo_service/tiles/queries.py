"""The SQL of parcel tiles over the stored readiness summary and tile-ready geometry.

``parcel_summary`` holds each parcel's geometry already in Web Mercator (and the public
simplified shape), its condition counts and the attributes tiles show (kept by the database,
migration ``0005_scale``), so a tile is one GiST-indexed scan of one table: no per-row
transform, no per-parcel aggregate, no join to the wide parcels table. The filters (``where``)
are those of ``geo_service.maps.data`` over ``p`` (here the summary row, which carries the parcel
columns they read), ``z`` (zones) and ``c`` (the counts: met / unmet / fails).

At low zooms (``overview``) a tile carries a grid of cells (64 × 64 per tile) instead of every
polygon: each cell a square with the number of parcels whose point-on-surface lies in it (each
parcel is counted in exactly one cell of one tile), their area, how many are net land and, for
staff, the most frequent map category and the count of each.
"""

from __future__ import annotations

from geo_service.maps.data.common import SUMMARY_FROM
from geo_service.readiness.rules import map_category_sql, net_land_sql
from geo_service.spatial import SQM_PER_MU

#: 亩 in SQL, from the one constant (the same fragment as maps.data.common.MU)
MU = f"CAST({SQM_PER_MU!r} AS float8)"
#: cells per tile side in overview tiles
GRID = 64
#: half the Web Mercator world width, metres
HALF_WORLD = 20037508.342789244

#: the tile rows: one table (``parcel_summary``, see migration 0005_scale) with every column the
#: filters of ``maps.data`` read from ``p`` and ``c``; ``c`` is the same row under the name
#: the readiness filters use
FROM = SUMMARY_FROM

#: session settings of a tile build: a tile is one short index-driven query among many
#: concurrent ones; parallel workers and JIT only add start-up cost to it
TUNE = "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off"

#: the staff tile of an empty corner of the world: run once per process at start (warm-up)
WARM = (12, 0, 0)

PUBLIC_PROPS = f"""p.code, p.name, z.code AS zone,
  round((p.area_m2 / {MU})::numeric, 2) AS area_mu, p.land_use, p.industry, p.supply_stage,
  coalesce(c.met, 0) AS met"""

#: what the staff map reads from a tile: its popup (name, code, zone, area, stage, met_text) and
#: its colours (cat); every property costs encoding time on each of ~6 000 features per tile
STAFF_PROPS = f"""p.code, p.name, z.code AS zone,
  round((p.area_m2 / {MU})::numeric, 2) AS area_mu, p.supply_stage,
  coalesce(c.met, 0) AS met, coalesce(c.met, 0) || '/5' AS met_text,
  {map_category_sql()} AS cat"""


def parcel_tile_sql(where: str, *, public: bool) -> str:
    """One MVT (layer ``parcels``) of every parcel in tile :z/:x/:y that passes ``where``."""
    geom = "p.geom_public" if public else "p.geom"
    props = PUBLIC_PROPS if public else STAFF_PROPS
    return f"""WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS e,
                      ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096) AS m),
      q AS (SELECT ST_AsMVTGeom({geom}, env.e, 4096, 64, true) AS geom, {props}
            {FROM}, env
            WHERE p.geom && env.m AND {where})
      SELECT ST_AsMVT(q, 'parcels', 4096, 'geom') FROM q WHERE q.geom IS NOT NULL"""  # noqa: S608 -- fixed fragments only; values bound


def cell_size(z: int) -> float:
    return 2 * HALF_WORLD / 2**z / GRID


def overview_tile_sql(where: str, *, public: bool) -> str:
    """One MVT (layer ``parcels``) of grid cells for tile :z/:x/:y (parameter :cell, metres)."""
    staff = (
        ""
        if public
        else """,
            (array_agg(cat ORDER BY k DESC, cat))[1] AS cat,
            string_agg(cat || ': ' || k, ', ' ORDER BY k DESC, cat) AS categories"""
    )
    return f"""WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS e),
      b AS (SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1,
                   e FROM env),
      per AS (
        SELECT floor((ST_X(p.pt) - b.x0) / :cell)::int AS cx,
               floor((ST_Y(p.pt) - b.y0) / :cell)::int AS cy,
               {map_category_sql()} AS cat, count(*) AS k, sum(p.area_m2) AS m2,
               count(*) FILTER (WHERE {net_land_sql("c.met")}) AS nl,
               coalesce(sum(p.area_m2) FILTER (WHERE {net_land_sql("c.met")}), 0) AS nl_m2
        {FROM}, b
        WHERE p.geom && b.e AND ST_X(p.pt) >= b.x0 AND ST_X(p.pt) < b.x1
          AND ST_Y(p.pt) >= b.y0 AND ST_Y(p.pt) < b.y1 AND {where}
        GROUP BY 1, 2, 3),
      cells AS (
        SELECT cx, cy, sum(k)::int AS parcels, sum(nl)::int AS net_land,
               round((sum(m2) / {MU})::numeric, 2)::float8 AS area_mu,
               round((sum(nl_m2) / {MU})::numeric, 2)::float8 AS net_land_mu{staff}
        FROM per GROUP BY cx, cy),
      q AS (
        SELECT ST_AsMVTGeom(ST_MakeEnvelope(b.x0 + cx * :cell, b.y0 + cy * :cell,
                 b.x0 + (cx + 1) * :cell, b.y0 + (cy + 1) * :cell, 3857), b.e, 4096, 0, true)
                 AS geom,
               format('cell:%s/%s/%s/%s/%s', :z, :x, :y, cx, cy) AS code, true AS overview,
               cells.*
        FROM cells, b)
      SELECT ST_AsMVT(q, 'parcels', 4096, 'geom') FROM q WHERE q.geom IS NOT NULL"""  # noqa: S608 -- fixed fragments only; values bound


#: one MVT (layer ``projects``) of the located projects in tile :z/:x/:y (:w/:s/:e/:n: its
#: lon/lat bounds with a margin, for the GiST index of ``projects.geom``)
PROJECT_TILE_SQL = """WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS e),
      q AS (SELECT ST_AsMVTGeom(ST_Transform(ST_PointOnSurface(pr.geom), 3857), env.e,
                 4096, 64, true) AS geom,
               pr.code, pr.name, pr.status, pr.domain, pr.leader,
               pr.total_investment_wan::float8 AS total_investment_wan
        FROM projects pr, env
        WHERE pr.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4490))
      SELECT ST_AsMVT(q, 'projects', 4096, 'geom') FROM q WHERE q.geom IS NOT NULL"""
