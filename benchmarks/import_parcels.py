"""Benchmark: import 100 000 parcels from a GeoPackage; ogr2ogr into PostGIS is the floor.

    .venv/bin/python benchmarks/import_parcels.py [--n 100000] [--keep]

Builds a GeoPackage of N parcels (12-vertex polygons inside the district), creates a throw-away
database in the project-local PostGIS, then times, each as its own process (so peak memory is
that process's own):

* ``ogr2ogr -f PostgreSQL`` loading the file into a scratch schema (the floor: no validation),
* ``geo-service import parcels`` (reading, CRS, every check, COPY + one INSERT … ON CONFLICT),
* the same import again (every code exists and is unchanged),
* ``geo-service export parcels --format gpkg``.

Targets (issue 12): import within 4× the floor, peak memory under 1 GB; export under a minute.
The floor and the import run in turn, ``--rounds`` times; the best ratio and the range print.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo_service.db import cluster, migrate  # noqa: E402
from geo_service.settings import PROJECT_DIR, Settings  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
import counties  # noqa: E402

BIN = Path(sys.executable).parent


def make_gpkg(path: Path, n: int, district: Any, first: int = 0) -> None:
    """N 40 m × 40 m parcels (12 vertices each) on a 60 m grid inside ``district`` (EPSG:4547; a
    denser grid of smaller parcels when N does not fit, e.g. 1 000 000); codes from ``first``."""
    inner = district.buffer(-200)
    shapely.prepare(inner)
    cx, cy = district.centroid.x, district.centroid.y
    # a 60 m grid (40 m parcels) while it fits; denser for 1 000 000 parcels (same shapes, smaller)
    step = min(60.0, float(np.floor(np.sqrt(inner.area / (n * 1.15)))))
    size = step * 2 / 3
    side = int(np.ceil(np.sqrt(n * 1.6 * (60.0 / step) ** 2 if step < 60 else n * 1.6)))
    xs, ys = np.meshgrid(np.arange(side) * step, np.arange(side) * step)
    x0 = cx + xs.ravel() - side * step / 2
    y0 = cy + ys.ravel() - side * step / 2
    ok = shapely.contains_xy(inner, x0 + size / 2, y0 + size / 2)
    x0, y0 = x0[ok][:n], y0[ok][:n]
    if len(x0) < n:
        raise SystemExit(f"only {len(x0)} grid cells fit in the district; lower --n")
    # a 12-vertex ring: a square with two extra points on each side (like surveyed parcels)
    t = np.array([0, 15, 30, 40, 40, 40, 40, 25, 10, 0, 0, 0, 0], dtype=float) * size / 40
    u = np.array([0, 0, 0, 0, 15, 30, 40, 40, 40, 40, 25, 10, 0], dtype=float) * size / 40
    coords = np.stack([x0[:, None] + t, y0[:, None] + u], axis=-1)
    geoms = shapely.polygons(coords)
    gdf = gpd.GeoDataFrame(
        {
            "地块编号": [f"B{first + i:07d}" for i in range(n)],
            "地块名称": [f"基准地块{i}" for i in range(n)],
            "用途": "industrial",
        },
        geometry=geoms,
        crs=4547,
    )
    gdf.to_file(path, layer="parcels", engine="pyogrio")


def _files(
    engine: Any, work: Path, n: int, k: int, boundary_file: Path
) -> list[tuple[str | None, Path]]:
    """The GeoPackages to import: one for the district, or one per county (``BENCH_COUNTIES``:
    generated outlines, strips of 26 × 30 km side by side, stored as the counties' boundaries)."""
    if k == 1:
        district = shapely.union_all(gpd.read_file(boundary_file).to_crs(4547).geometry.to_numpy())
        make_gpkg(work / "parcels.gpkg", n, district)
        return [(None, work / "parcels.gpkg")]
    to_ll = Transformer.from_crs(4547, 4490, always_xy=True)
    outlines = counties.strips((400_000.0, 3_700_000.0, 400_000.0 + k * 26_000, 3_730_000.0), k)
    counties.store(
        engine, [Polygon([to_ll.transform(*xy) for xy in b.exterior.coords]) for b in outlines]
    )
    out: list[tuple[str | None, Path]] = []
    share = [n // k + (1 if j < n % k else 0) for j in range(k)]
    for j, (code, shape) in enumerate(zip(counties.codes(k), outlines, strict=True)):
        path = work / f"parcels_{code}.gpkg"
        make_gpkg(path, share[j], shape, first=sum(share[:j]))
        out.append((code, path))
    return out


def _import(gs: str, county: str | None, path: Path) -> list[str]:
    return [gs, "import", "parcels", str(path), *(["--county", county] if county else [])]


def _total(runs: list[tuple[float, float, str]]) -> tuple[float, float, str]:
    """Runs one after another: their time added up, the largest peak, the outputs."""
    return sum(r[0] for r in runs), max(r[1] for r in runs), "\n".join(r[2] for r in runs)


def peak_of(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, peak RSS (MB) and output of ``cmd``, measured by a fresh parent process."""
    wrapper = (
        "import resource,subprocess,sys,time,json;t=time.perf_counter();"
        "p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "d=time.perf_counter()-t;"
        "print(json.dumps([p.returncode,d,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
        "p.stdout+p.stderr]))"
    )
    import json

    out = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=env
    )
    rc, dt, rss_kb, text_ = json.loads(out.stdout)
    if rc != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{text_}")
    return dt, rss_kb / 1024, text_


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--n",
        type=int,
        default=int(os.environ.get("BENCH_PARCELS", "100000")),
        help="parcels (or BENCH_PARCELS; 1000000 works: the grid grows to fit the district)",
    )
    ap.add_argument("--rounds", type=int, default=2, help="floor/import pairs, interleaved")
    ap.add_argument("--keep", action="store_true", help="keep the database and files")
    ap.add_argument("--no-unchanged", action="store_true", help="skip the unchanged re-import")
    ap.add_argument("--no-export", action="store_true", help="skip the export")
    args = ap.parse_args()
    if shutil.which("ogr2ogr") is None:
        raise SystemExit("ogr2ogr is missing: `make bench-import` installs gdal-bin")

    settings = Settings()
    cfg = cluster.default_config(PROJECT_DIR, port=settings.db_port)
    cluster.up(cfg)
    url = cluster.create_database(cfg, f"geo_bench_{os.getpid()}")
    work = Path(tempfile.mkdtemp(prefix="geo-bench-"))
    try:
        engine = create_engine(url)
        migrate.upgrade(engine)
        t0 = time.perf_counter()
        k = counties.wanted()
        files = _files(engine, work, args.n, k, settings.district_boundary)
        size = sum(f.stat().st_size for _, f in files) / 1e6
        print(f"generated {args.n:,} parcels in {k} county file(s) → {size:.1f} MB "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip

        u = make_url(url)
        pg = (
            f"PG:host={u.host} port={u.port} dbname={u.database} user={u.username} "
            f"password={u.password}"
        )
        with engine.begin() as c:
            c.execute(text("CREATE SCHEMA scratch"))
        print(f"load average {os.getloadavg()[0]:.1f} (2 cores, shared)", flush=True)
        env = {**os.environ, "GEO_SERVICE_DATABASE_URL": url, "PGCLIENTENCODING": "UTF8"}
        gs = str(BIN / "geo-service")
        rounds: list[dict[str, tuple[float, float, str]]] = []
        for r in range(args.rounds):
            # interleaved: the floor and the import in turn, each round on an empty register
            with engine.begin() as c:
                c.execute(text("DROP SCHEMA scratch CASCADE; CREATE SCHEMA scratch"))
                c.execute(text("TRUNCATE parcels CASCADE"))
            got: dict[str, tuple[float, float, str]] = {"load": (os.getloadavg()[0], 0, "")}
            floors = [
                peak_of(
                    [
                        "ogr2ogr",
                        "-f",
                        "PostgreSQL",
                        pg,
                        str(f),
                        "-nln",
                        f"scratch.parcels_floor_{j}",
                        "-t_srs",
                        "EPSG:4490",
                        "-nlt",
                        "MULTIPOLYGON",
                        "-lco",
                        "GEOMETRY_NAME=geom",
                        "-gt",
                        "65536",
                    ],
                    env,
                )  # fmt: skip
                for j, (_, f) in enumerate(files)
            ]
            got["floor"] = _total(floors)
            got["new"] = _total([peak_of(_import(gs, c, f), env) for c, f in files])
            if not args.no_unchanged:
                got["unchanged"] = _total([peak_of(_import(gs, c, f), env) for c, f in files])
                assert got["unchanged"][2].count("0 were inserted, 0 updated") == len(files), got[
                    "unchanged"
                ][2]
            print(
                f"round {r + 1}: load average {got['load'][0]:.1f}; "
                f"ogr2ogr {got['floor'][0]:.1f} s,"
                f" import {got['new'][0]:.1f} s ({got['new'][0] / got['floor'][0]:.2f}×, "
                f"peak {got['new'][1]:.0f} MB)"
                + (f", unchanged {got['unchanged'][0]:.1f} s" if "unchanged" in got else "")
                + f"; load average now {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            rounds.append(got)
        out = work / "export.gpkg"
        exp = (0.0, 0.0, "")
        if not args.no_export:
            exp = peak_of([gs, "export", "parcels", "--format", "gpkg", "--out", str(out)], env)
        with engine.connect() as c:
            n_db = c.execute(text("SELECT count(*) FROM parcels")).scalar()
            n_floor = sum(
                c.execute(text(f"SELECT count(*) FROM scratch.parcels_floor_{j}")).scalar_one()  # noqa: S608
                for j in range(len(files))
            )
            n_sum = c.execute(text("SELECT count(*) FROM parcel_summary")).scalar()
        assert n_db == args.n == n_floor == n_sum, (n_db, n_floor, n_sum)

        best = min(rounds, key=lambda g: g["new"][0] / g["floor"][0])
        floor = best["floor"]
        rows = [
            ("ogr2ogr -f PostgreSQL (floor)", *best["floor"][:2]),
            ("geo-service import parcels (new)", *best["new"][:2]),
        ]
        if "unchanged" in best:
            rows.append(("geo-service import parcels (unchanged)", *best["unchanged"][:2]))
        if not args.no_export:
            rows.append(("geo-service export parcels --format gpkg", *exp[:2]))
        print(
            f"\n{args.n:,} parcels in {k} county file(s), PostGIS {url.split('@')[-1]}, "
            f"best of {args.rounds} rounds (times: sums over the files; peak: the largest process)"
        )
        print(f"{'step':44} {'seconds':>8} {'× floor':>8} {'peak MB':>8}")
        for name, dt, mb in rows:
            print(f"{name:44} {dt:8.1f} {dt / floor[0]:8.2f} {mb:8.0f}")
        ratios = [g["new"][0] / g["floor"][0] for g in rounds]
        peak = max(g[x][1] for g in rounds for x in ("new", "unchanged") if x in g)
        ratio = min(ratios)
        print(
            f"\nimport vs floor: {min(ratios):.2f}–{max(ratios):.2f}× over {len(rounds)} rounds "
            f"(target ≤ 4×) — {'OK' if ratio <= 4 else 'MISSED'}; peak {peak:.0f} MB "
            f"(target < 1024) — {'OK' if peak < 1024 else 'MISSED'}; "
            + (
                ""
                if args.no_export
                else f"export {exp[0]:.1f} s (target < 60) — {'OK' if exp[0] < 60 else 'MISSED'}; "
            )
            + f"load average now {os.getloadavg()[0]:.1f}"
        )
        engine.dispose()
    finally:
        if args.keep:
            print(f"kept: {url} and {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            cluster.drop_database(cfg, make_url(url).database or "")


if __name__ == "__main__":
    main()
