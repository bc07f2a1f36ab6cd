"""Benchmark of the three maps: page weight and build time at 1 000, 10 000 and 100 000 parcels,
first vector-tile latency, and the process's peak memory.

For each size it fills a throw-away database of the project-local PostGIS with a grid of parcels
(all published and on offer, all five conditions met, so every parcel shows on both parcel maps),
then builds each page through the same code as the service (``geo_service.maps.pages``) with the
default ``map_max_embedded_features``: above it the parcels come from vector tiles, so the page
stays small. The tile latency is measured through the HTTP app (TestClient) on a cold and a warm
tile at zoom 15 in the middle of the grid.

Run: ``.venv/bin/python benchmarks/maps.py [--sizes 1000,10000,100000]``. Not a test.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from geo_service.api.app import create_app
from geo_service.db import cluster, migrate
from geo_service.db.engine import transaction
from geo_service.maps import data, pages
from geo_service.projects.repository import ProjectFilter
from geo_service.settings import PROJECT_DIR, ReadinessRules, Settings

# parcels of 200 x 150 m in 220 x 170 m cells (EPSG:4547 around 114.9 E, 33.7 N)
GENERATE = """
INSERT INTO zones (code, name, geom) VALUES ('BZ', 'bench zone',
  ST_Multi(ST_Transform(ST_MakeEnvelope(560000, 3700000, 700000, 3800000, 4547), 4490)));
INSERT INTO parcels (code, name, zone_id, geom, published, supply_stage, industry, indicators,
  contact)
SELECT format('B%s', i), format('地块 %s', i), (SELECT id FROM zones WHERE code = 'BZ'),
  ST_Multi(ST_Transform(ST_MakeEnvelope(
    580000 + (i % :cols) * 220, 3720000 + (i / :cols) * 170,
    580000 + (i % :cols) * 220 + 200, 3720000 + (i / :cols) * 170 + 150, 4547), 4490)),
  true, 'plan', 'equipment',
  '[{"key": "investment_intensity", "min": 300, "unit": "万元/亩"}]'::jsonb, '0394-1'
FROM generate_series(0, :n - 1) AS i;
INSERT INTO parcel_conditions (parcel_id, condition, status, method, evidence, verified_at)
SELECT p.id, c, 'met', 'spatial', '{"nearest": "W-1", "distance_m": 42}'::jsonb, now()
FROM parcels p, unnest(ARRAY['water', 'power', 'road', 'leveling', 'title']) AS c;
INSERT INTO projects (code, name, year, domain, status, total_investment_wan,
  planned_investment_wan, completed_wan, leader, geom)
SELECT format('P%s', i), format('项目 %s', i), 2024, 'infrastructure', 'under_construction',
  10000 + i, 5000, 2500, '张三', ST_PointOnSurface(geom)
FROM (SELECT row_number() OVER () AS i, geom FROM parcels LIMIT 250) q;
"""
# every required regional assessment, valid, covering the zone: without them no plot is ready for
# supply and the investor map would show none (ReadinessRules.required_assessments)
GENERATE += (
    "INSERT INTO assessment_areas (code, kind, name, geom, valid_from, valid_until) "
    "SELECT 'A-' || k, k, k, z.geom, DATE '2020-01-01', DATE '2099-12-31' "
    "FROM zones z, unnest(ARRAY["
    + ", ".join(f"'{k}'" for k in ReadinessRules().required_assessments)
    + "]) AS k WHERE z.code = 'BZ';"
)


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int(
        (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    )


def bench(n: int, target: Any) -> dict[str, Any]:
    url = cluster.create_database(target)
    try:
        eng = create_engine(url)
        migrate.upgrade(eng)
        with eng.begin() as c:
            params = {"n": n, "cols": max(1, int(math.sqrt(n)))}
            for stmt in filter(str.strip, GENERATE.split(";")):
                c.execute(text(stmt), {k: v for k, v in params.items() if f":{k}" in stmt})
            c.execute(text("ANALYZE"))
        settings = Settings(database_url=url, tile_url="none")
        out: dict[str, Any] = {"parcels": n}
        for name, build in (
            (
                "readiness",
                lambda s: pages.readiness_page(s, settings, filters=data.ReadinessFilter()),
            ),
            (
                "investors",
                lambda s: pages.investors_page(s, settings, filters=data.InvestorFilter()),
            ),
            (
                "projects",
                lambda s: pages.projects_page(s, settings, filters=ProjectFilter()),
            ),
        ):
            with transaction(eng) as s:
                t0 = time.perf_counter()
                page = build(s)
                out[name] = (len(page.html.encode()), time.perf_counter() - t0)
        with eng.connect() as c:
            lon, lat = c.execute(
                text(
                    "SELECT ST_X(c), ST_Y(c) "
                    "FROM (SELECT ST_Centroid(ST_Extent(geom)) c FROM parcels) q"
                )
            ).one()
        x, y = _tile(lon, lat, 15)
        with TestClient(create_app(settings)) as client:
            client.get("/readyz")  # the service is up and has its database connection
            times = []
            for i in range(6):
                t0 = time.perf_counter()
                r = client.get(f"/tiles/parcels/15/{x + i % 2}/{y}.pbf?available=true")
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200
            out["tile_first_s"] = times[0]
            out["tile_median_s"] = statistics.median(times[1:])
            out["tile_bytes"] = len(r.content)
        eng.dispose()
        return out
    finally:
        cluster.drop_database(target, make_url(url).database or "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_SIZES", "1000,10000,100000"),
        help="parcel counts (or BENCH_SIZES), e.g. 1000,100000,1000000",
    )
    args = ap.parse_args()
    target = cluster.default_config(PROJECT_DIR, port=Settings().db_port)
    cluster.up(target)
    print(f"{'parcels':>8} {'map':>10} {'HTML MB':>8} {'build s':>8}")
    for n in (int(s) for s in args.sizes.split(",")):
        r = bench(n, target)
        for name in ("readiness", "investors", "projects"):
            size, secs = r[name]
            print(f"{n:>8} {name:>10} {size / 1e6:>8.3f} {secs:>8.2f}")
        print(
            f"{n:>8} {'tile z15':>10} first {r['tile_first_s'] * 1000:.0f} ms, "
            f"then median {r['tile_median_s'] * 1000:.0f} ms ({r['tile_bytes']} bytes)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (builds + app): {peak:.0f} MB")


if __name__ == "__main__":
    main()
