"""Benchmark of a full readiness run against its floor (the bare spatial statements).

Generates N parcels (default 100 000) and networks of realistic density in a throw-away database
of the project-local PostGIS, then times, in the same process and database:

* the floor: the engine's own spatial statements (water, power, road, title overlaps) alone,
  into the temporary result table, rolled back;
* a cold full run (every status is new: N × 5 history rows and upserts);
* a warm full run (nothing changed: no history rows, no condition row written);
* with ``--now``, two runs as of now, as a daily run without ``--as-of`` makes them: the first
  changes what the later date changes (records grow stale), the second only moves the network
  rows' evidence date, so it writes them again;

with the floor measured before the first run and after each, so each run is compared with the
floors just before and after it.

Prints the figures and the process's peak memory. Run: ``make bench-readiness`` or
``.venv/bin/python benchmarks/readiness.py [--parcels N] [--keep | --reuse URL] [--now]``.
Not a test.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from pyproj import Transformer
from shapely.geometry import Polygon
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from geo_service.db import cluster, migrate
from geo_service.readiness import engine as rd
from geo_service.settings import PROJECT_DIR, Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
import counties  # noqa: E402
from readiness_floor import floor_seconds  # noqa: E402

AS_OF = datetime(2024, 6, 30, tzinfo=UTC)

# A grid of 200 × 150 m parcels (45 亩) in 220 × 170 m cells, in CGCS2000 / 3-degree GK CM 114°E
# (EPSG:4547), around the demo district; roads run in the 20 m gaps, mains along every other gap.
GENERATE = """
SELECT setseed(0.42);
-- one zone per county (BENCH_COUNTIES): the county's strip of the grid, west to east
INSERT INTO zones (code, name, county, geom)
SELECT 'BZ', 'bench zone', u.c, ST_Multi(ST_Transform(ST_MakeEnvelope(
    570000 + (u.j - 1) * :ncol * 220.0 / :k, 3730000,
    570000 + u.j * :ncol * 220.0 / :k, 3730000 + (:nrow + 1) * 170, 4547), 4490))
FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY AS u(c, j);
INSERT INTO parcels (code, name, zone_id, county, geom, published, indicators)
SELECT format('B%s', i), format('bench %s', i), z.id, z.county,
  ST_Multi(ST_Transform(ST_MakeEnvelope(
    570000 + (i % :ncol) * 220, 3730000 + (i / :ncol) * 170,
    570000 + (i % :ncol) * 220 + 200, 3730000 + (i / :ncol) * 170 + 150, 4547), 4490)),
  random() < 0.5, '[{"key": "far", "min": 1.0}]'::jsonb
FROM generate_series(0, :n - 1) i
JOIN zones z ON z.code = 'BZ' AND z.county = (CAST(:codes AS text[]))[1 + (i % :ncol) * :k / :ncol];

-- roads: a segment of 4 cells in every gap row, 10 % missing
INSERT INTO infrastructure (code, kind, county, status, road_class, geom)
SELECT format('R%s-%s', r, c), 'road', (CAST(:codes AS text[]))[1 + least(:k - 1,
    floor(greatest(0, c * 880) * :k / (:ncol * 220.0))::int)],
  CASE WHEN random() < 0.05 THEN 'planned' ELSE 'existing' END,
  'branch', ST_Transform(ST_SetSRID(ST_MakeLine(
    ST_MakePoint(570000 + c * 880, 3730000 + r * 170 + 160),
    ST_MakePoint(570000 + c * 880 + 880, 3730000 + r * 170 + 160)), 4547), 4490)
FROM generate_series(0, :nrow) r, generate_series(0, :ncol / 4) c WHERE random() > 0.10;

-- water mains along every other gap row, varied diameters, 10 % planned
INSERT INTO infrastructure (code, kind, county, status, diameter_mm, geom)
SELECT format('W%s-%s', r, c), 'water', (CAST(:codes AS text[]))[1 + least(:k - 1,
    floor(greatest(0, c * 880) * :k / (:ncol * 220.0))::int)],
  CASE WHEN random() < 0.10 THEN 'planned' ELSE 'existing' END,
  (ARRAY[80, 100, 150, 200, 300])[1 + floor(random() * 5)::int],
  ST_Transform(ST_SetSRID(ST_MakeLine(
    ST_MakePoint(570000 + c * 880, 3730000 + r * 170 + 158),
    ST_MakePoint(570000 + c * 880 + 880, 3730000 + r * 170 + 158)), 4547), 4490)
FROM generate_series(0, :nrow, 2) r, generate_series(0, :ncol / 4) c;

-- power lines every fifth gap row (2 km spans) and a substation every ~3 km
INSERT INTO infrastructure (code, kind, county, status, voltage_kv, geom)
SELECT format('E%s-%s', r, c), 'power', (CAST(:codes AS text[]))[1 + least(:k - 1,
    floor(greatest(0, c * 2000) * :k / (:ncol * 220.0))::int)],
  CASE WHEN random() < 0.10 THEN 'planned' ELSE 'existing' END,
  (ARRAY[0.4, 10, 10, 35, 110])[1 + floor(random() * 5)::int],
  ST_Transform(ST_SetSRID(ST_MakeLine(
    ST_MakePoint(570000 + c * 2000, 3730000 + r * 170 + 162),
    ST_MakePoint(570000 + c * 2000 + 2000, 3730000 + r * 170 + 162)), 4547), 4490)
FROM generate_series(0, :nrow, 5) r, generate_series(0, :ncol * 220 / 2000) c;
INSERT INTO infrastructure (code, kind, county, status, voltage_kv, geom)
SELECT format('S%s-%s', x, y), 'power', (CAST(:codes AS text[]))[1 + least(:k - 1,
    floor(greatest(0, x * 3000) * :k / (:ncol * 220.0))::int)], 'existing', 110,
  ST_Transform(ST_SetSRID(ST_MakePoint(570000 + x * 3000, 3730000 + y * 3000), 4547), 4490)
FROM generate_series(0, :ncol * 220 / 3000) x, generate_series(0, :nrow * 170 / 3000) y;

-- records: one survey and one title record per parcel, dated over the last 300 days
INSERT INTO leveling_surveys (parcel_id, surveyed_on, leveled, earthwork_outstanding_m3)
SELECT id, DATE '2024-06-30' - floor(random() * 300)::int, random() < 0.85,
  CASE WHEN random() < 0.9 THEN 0 ELSE round(random() * 5000) END FROM parcels;
INSERT INTO title_records (parcel_id, recorded_on, ownership, requisition_done,
  compensation_settled, open_disputes)
SELECT id, DATE '2024-06-30' - floor(random() * 300)::int,
  CASE WHEN random() < 0.97 THEN 'state' ELSE 'collective' END, random() < 0.95,
  random() < 0.93, CASE WHEN random() < 0.03 THEN 1 ELSE 0 END FROM parcels;

-- protected land: 100 × 100 m squares scattered over the grid
INSERT INTO protected_areas (code, kind, county, geom)
SELECT format('JB%s', i), 'basic_farmland', (CAST(:codes AS text[]))[1 + least(:k - 1,
    floor(greatest(0, x) * :k / (:ncol * 220.0))::int)],
  ST_Multi(ST_Transform(ST_MakeEnvelope(
  570000 + x, 3730000 + y, 570000 + x + 100, 3730000 + y + 100, 4547), 4490))
FROM (SELECT i, random() * :ncol * 220 AS x, random() * :nrow * 170 AS y
      FROM generate_series(1, :n / 200) i) s;
"""


def generate(engine: Engine, n: int) -> None:
    ncol = int(round(n**0.5))
    nrow = (n + ncol - 1) // ncol
    k = counties.wanted()
    params = {"n": n, "ncol": ncol, "nrow": nrow, "k": k, "codes": counties.codes(k)}
    # the counties' outlines: their strips of the grid, in lon/lat
    to_ll = Transformer.from_crs(4547, 4490, always_xy=True)
    grid = (570000.0, 3730000.0, 570000.0 + ncol * 220, 3730000.0 + (nrow + 1) * 170)
    counties.store(engine, [Polygon([to_ll.transform(*xy) for xy in b.exterior.coords])
                            for b in counties.strips(grid, k)])  # fmt: skip
    with engine.begin() as conn:
        for stmt in GENERATE.split(";\n"):
            if stmt.strip():
                conn.execute(text(stmt), params)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=int(os.environ.get("BENCH_PARCELS", "100000")))
    ap.add_argument("--reuse", help="a database URL kept by an earlier --keep (skips generating)")
    ap.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    ap.add_argument(
        "--now",
        action="store_true",
        help="two more runs as of now, as daily runs without --as-of (the network conditions' "
        "evidence date is the run's, so the second writes their rows again)",
    )
    args = ap.parse_args()

    cfg = cluster.default_config(PROJECT_DIR, port=Settings().db_port)
    cluster.up(cfg)
    url = args.reuse or cluster.create_database(cfg, f"geo_bench_{int(time.time())}")
    try:
        engine = create_engine(url)
        migrate.upgrade(engine)
        settings = Settings(database_url=url)
        t = time.perf_counter()
        if args.reuse:  # back to "never checked", so the first run is cold again
            with engine.begin() as c:
                c.execute(text("TRUNCATE parcel_conditions, condition_history, parcel_marks"))
                args.parcels = c.execute(text("SELECT count(*) FROM parcels")).scalar_one()
            # the previous runs leave dead rows (summaries refreshed, parcels of a database made
            # before parcel_marks): without a vacuum the cold run pays for them
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(
                    text(
                        "VACUUM ANALYZE parcels, parcel_summary, parcel_conditions, "
                        "condition_history, parcel_marks"
                    )
                )
        else:
            generate(engine, args.parcels)
        with engine.connect() as c:
            counts = dict(
                c.execute(text("SELECT kind, count(*) FROM infrastructure GROUP BY kind")).all()
            )
        print(
            f"generated {args.parcels} parcels, networks {counts} "
            f"in {time.perf_counter() - t:.1f} s"
        )

        # interleaved: floor, cold run, floor, warm run, floor — the machine is shared, so each
        # run is compared with the floors measured just before and just after it
        floors: list[float] = []
        runs: dict[str, float] = {}

        def measure_floor() -> None:
            load = os.getloadavg()[0]
            floor = floor_seconds(engine, settings)
            best = {c: min(v.values()) for c, v in floor.items()}
            floors.append(sum(best.values()))
            print(
                f"floor (load average {load:.1f}): "
                + "; ".join(
                    f"{c} " + "/".join(f"{k} {t:.2f}" for k, t in v.items())
                    for c, v in floor.items()
                )
                + f" s → best total {floors[-1]:.2f} s",
                flush=True,
            )

        labels = ["cold", "warm"] + (["as of now", "again as of now"] if args.now else [])
        for label in labels:
            if not floors:
                measure_floor()
            load = os.getloadavg()[0]
            t = time.perf_counter()
            marks: list[tuple[str, float]] = []
            res = rd.run_readiness(
                engine,
                settings=settings,
                actor="bench",
                as_of=None if label.endswith("now") else AS_OF,
                progress=lambda name, _i, _n, m=marks: m.append((name, time.perf_counter())),
            )
            runs[label] = time.perf_counter() - t
            steps = "; ".join(
                f"{a} {tb - ta:.1f}" for (a, ta), (_, tb) in itertools.pairwise(marks)
            )
            print(
                f"{label} run (load average {load:.1f}): {res}  ({res.changed} status changes, "
                f"{res.written} condition rows written)\n"
                f"  steps, s: {steps} (save: the save, marks cleared, summary refreshed)",
                flush=True,
            )
            measure_floor()

        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print()
        print("| parcels | run | run s | floors before/after, s | run / floor | peak RSS MB |")
        print("| --- | --- | --- | --- | --- | --- |")
        for i, label in enumerate(labels):
            lo, hi = sorted(floors[i : i + 2])
            print(
                f"| {args.parcels} | {label} | {runs[label]:.1f} | {floors[i]:.1f} / "
                f"{floors[i + 1]:.1f} | {runs[label] / hi:.2f}–{runs[label] / lo:.2f} "
                f"| {peak_mb:.0f} |"
            )
        print(f"target: full run ≤ 1.5× floor; load average now {os.getloadavg()[0]:.1f}")
        engine.dispose()
    finally:
        if args.keep or args.reuse:
            print(f"kept: {make_url(url).render_as_string(hide_password=True)}")
        else:
            cluster.drop_database(cfg, make_url(url).database or "")


if __name__ == "__main__":
    main()
