"""Benchmark of the parcel vector tiles under load, beside tipg serving the same table.

It fills a throw-away database of the project-local PostGIS with N parcels (100 × 80 m in a
110 × 90 m grid around the district's centre, ~6 000 per z12 tile; published; four zones; a
deterministic mix of met / unmet / unknown conditions), then serves, one after the other on
127.0.0.1 with the same number of uvicorn workers and no access log:

* **tipg** (from PyPI, in its own venv ``.bench-venv``, never a dependency of the service) on the
  same ``parcels`` table, asked for similar properties;
* **geo_service, cold** (``cold``): ``GEO_SERVICE_TILE_CACHE_MB=0`` and
  ``GEO_SERVICE_TILE_STORE_MB=0`` — every tile built by PostGIS;
* **geo_service, cold start** (``start``): a service started just before the run, its memory
  cache empty and the shared tile store (``tile_store``) emptied;
* **geo_service, warm** (``warm``): the tile cache on, each tile asked before the run;
* **geo_service, built by another** (``shared``): the store emptied, a one-worker service asks
  every tile once (it builds and stores them) and stops; then the service under test starts with
  its memory empty: each worker serves what the other process built, from the store;
* **geo_service, store only** (``store``): as ``shared`` but with the memory cache off: every
  answer read from the store (what another host costs, every time).

``--kinds`` chooses among them (``BENCH_APP_DIR`` serves another checkout: an older one knows no
store, give it ``--kinds tipg,cold,start,warm``). Every figure is printed with ``uptime``.

Each is loaded by Debian's ``wrk`` (loopback only, bounded: ``--duration`` seconds per run) with
the same 20 z12 tiles in turn, then a z10/z14 mix (4 + 16 tiles), at 16 and 64 connections, with a
bureau token (tipg has no roles) and ``Accept-Encoding: gzip``. It prints req/s, p50/p99 latency,
non-2xx answers and the ratio to tipg, and the first tile of a just-started cold service.

Run: ``make bench-tiles`` or ``.venv/bin/python benchmarks/tiles.py [--parcels 100000]``.
Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.wrk import run_wrk  # noqa: E402
from geo_service.auth.tokens import create_token
from geo_service.db import cluster, migrate
from geo_service.db.engine import transaction
from geo_service.settings import PROJECT_DIR

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / ".bench-venv"
#: loopback ports: ours (one geo_service at a time) and the peer's (tipg)
PORT = int(os.environ.get("BENCH_PORT", "8144"))
TIPG_PORT = int(os.environ.get("BENCH_PEER_PORT", "8150"))

GENERATE = """
INSERT INTO zones (code, name, geom)
SELECT format('BZ%s', q), format('bench zone %s', q),
  ST_Multi(ST_Transform(ST_MakeEnvelope(563000 + (q % 2) * 18500, 3720000 + (q / 2) * 14000,
    563000 + (q % 2 + 1) * 18500, 3720000 + (q / 2 + 1) * 14000, 4547), 4490))
FROM generate_series(0, 3) q;
INSERT INTO parcels (code, name, zone_id, geom, published, supply_stage, land_use, industry,
  indicators, contact)
SELECT format('B%s', i), format('地块 %s', i),
  (SELECT id FROM zones WHERE code = format('BZ%s',
     ((i % :cols) * 110 >= 18500)::int + 2 * ((i / :cols) * 90 >= 14000)::int)),
  ST_Multi(ST_Transform(ST_MakeEnvelope(
    563000 + (i % :cols) * 110, 3720000 + (i / :cols) * 90,
    563000 + (i % :cols) * 110 + 100, 3720000 + (i / :cols) * 90 + 80, 4547), 4490)),
  true, (ARRAY['plan', 'notice', 'sale', 'contract'])[1 + i % 4], 'industrial', 'equipment',
  '[{"key": "investment_intensity", "min": 300, "unit": "万元/亩"}]'::jsonb, '0394-1'
FROM generate_series(0, :n - 1) AS i;
INSERT INTO parcel_conditions (parcel_id, condition, status, method, evidence, verified_at)
SELECT p.id, c.name, CASE WHEN (p.id * 7 + c.k) % 10 < 8 THEN 'met' ELSE 'unmet' END, 'spatial',
  '{"nearest": "W-1", "distance_m": 42}'::jsonb, now()
FROM parcels p, (VALUES ('water', 1), ('power', 2), ('road', 3), ('leveling', 4), ('title', 5))
  AS c(name, k)
WHERE (p.id * 3 + c.k) % 13 <> 0;
"""

TIPG_PROPS = "code,name,area_m2,supply_stage,land_use,industry"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def block(lon: float, lat: float, z: int, w: int, h: int) -> list[tuple[int, int, int]]:
    x, y = tile_of(lon, lat, z)
    return [(z, x + dx - w // 2, y + dy - h // 2) for dy in range(h) for dx in range(w)]


SETS = ("z12", "mix")
#: what each kind of run serves from: (memory cache MB, store MB)
KINDS = ("tipg", "cold", "start", "warm", "shared", "store")
SETTINGS = {"cold": (0, 0), "start": (256, 256), "warm": (256, 256), "shared": (256, 256),
            "store": (0, 256)}  # fmt: skip
LABEL = {
    "tipg": "tipg 1.6.1",
    "cold": "geo_service cold (no cache, no store)",
    "start": "geo_service cold start (cache and store empty at start)",
    "warm": "geo_service warm (cache)",
    "shared": "geo_service built by another process (from the store, then cache)",
    "store": "geo_service store only (every answer read from the store)",
}


def tile_sets(lon: float, lat: float) -> dict[str, list[tuple[int, int, int]]]:
    return {
        "z12 ×20": block(lon, lat, 12, 5, 4),
        "z10/z14 mix": block(lon, lat, 10, 2, 2) + block(lon, lat, 14, 4, 4),
    }


def generate(url: str, n: int) -> tuple[float, float]:
    eng = create_engine(url)
    migrate.upgrade(eng)
    with eng.begin() as c:
        params = {"n": n, "cols": max(1, int(math.sqrt(n * 90 / 110)))}
        for stmt in filter(str.strip, GENERATE.split(";")):
            c.execute(text(stmt), {k: v for k, v in params.items() if f":{k}" in stmt})
    with eng.connect() as c:
        c.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        lon, lat = c.execute(
            text(
                "SELECT ST_X(c), ST_Y(c) "
                "FROM (SELECT ST_Centroid(ST_Extent(geom)) c FROM parcels) q"
            )
        ).one()
    eng.dispose()
    return float(lon), float(lat)


def centre(url: str) -> tuple[float, float]:
    eng = create_engine(url)
    with eng.connect() as c:
        lon, lat = c.execute(
            text(
                "SELECT ST_X(c), ST_Y(c) "
                "FROM (SELECT ST_Centroid(ST_Extent(geom)) c FROM parcels) q"
            )
        ).one()
    eng.dispose()
    return float(lon), float(lat)


def make_token(url: str) -> str:
    eng = create_engine(url)
    with transaction(eng) as s:
        secret = create_token(s, role="bureau", name=f"bench-{time.time_ns()}", actor="bench")
    eng.dispose()
    return secret


def ensure_tipg() -> Path:
    """tipg in its own venv (PyPI), created on first use; never in the service's environment."""
    uvicorn = BENCH_VENV / "bin" / "uvicorn"
    if not uvicorn.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        pip = [str(BENCH_VENV / "bin" / "pip"), "install", "--quiet"]
        subprocess.run([*pip, "tipg==1.6.1", "uvicorn"], check=True)
    return uvicorn


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})  # noqa: S310 -- loopback only
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@contextlib.contextmanager
def server(cmd: list[str], env: dict[str, str], health: str) -> Iterator[None]:
    log = tempfile.NamedTemporaryFile(prefix="bench-tiles-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(OSError):
                if _get(health, timeout=2)[0] == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {' '.join(cmd)}; see {log.name}")
            time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def uptime() -> str:
    """``uptime`` as printed (time, load averages): the machine is shared."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def empty_store(url: str) -> None:
    """Empty the shared tile store (when the schema has one)."""
    eng = create_engine(url)
    with eng.begin() as c:
        if c.execute(text("SELECT to_regclass('tile_store') IS NOT NULL")).scalar():
            c.execute(text("TRUNCATE tile_store"))
    eng.dispose()


def ours(
    url: str, workers: int, cache_mb: int, port: int, store_mb: int = 256
) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "GEO_SERVICE_DATABASE_URL": url,
        "GEO_SERVICE_TILE_CACHE_MB": str(cache_mb),
        "GEO_SERVICE_TILE_STORE_MB": str(store_mb),
    }
    cmd = [str(ROOT / ".venv" / "bin" / "uvicorn"), "geo_service.api.app:create_app", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--no-access-log", "--log-level", "warning"]  # fmt: skip
    if app_dir := os.environ.get("BENCH_APP_DIR"):  # A/B: serve another checkout's geo_service
        cmd += ["--app-dir", app_dir]
    return cmd, env


def tipg(url: str, workers: int) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    dsn = f"postgresql://{u.username}:{u.password}@{u.host}:{u.port}/{u.database}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GEO_SERVICE_")},
        "DATABASE_URL": dsn,
        "TIPG_DB_TABLES": json.dumps(["public.parcels"]),
        "TIPG_DB_SPATIAL_EXTENT": "false",
        "TIPG_DB_DATETIME_EXTENT": "false",
    }
    cmd = [str(ensure_tipg()), "tipg.main:app", "--host", "127.0.0.1", "--port", str(TIPG_PORT),
           "--workers", str(workers), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    return cmd, env


def our_path(z: int, x: int, y: int) -> str:
    return f"/tiles/parcels/{z}/{x}/{y}.pbf"


def tipg_path(z: int, x: int, y: int) -> str:
    return f"/collections/public.parcels/tiles/WebMercatorQuad/{z}/{x}/{y}?properties={TIPG_PROPS}"


def _run_ours(
    url: str,
    kind: str,
    tiles: list[tuple[int, int, int]],
    auth: dict[str, str],
    conns: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One wrk run of a geo_service started afresh for it, its cache and store as ``kind`` says."""
    base = f"http://127.0.0.1:{PORT}"
    cache_mb, store_mb = SETTINGS[kind]
    if kind != "warm":
        empty_store(url)
    if kind in ("shared", "store"):  # another process builds every tile (and stores it)
        with server(*ours(url, 1, 0, PORT), base + "/readyz"):
            for tl in tiles:
                _get(base + our_path(*tl), auth)
    with server(*ours(url, args.workers, cache_mb, PORT, store_mb), base + "/readyz"):
        time.sleep(3)
        if kind == "warm":  # each worker has its own cache
            for _ in range(args.workers * 3):
                for tl in tiles:
                    _get(base + our_path(*tl), auth)
        return run_wrk(base, [our_path(*t) for t in tiles], auth, conns, args.duration)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=int(os.environ.get("BENCH_PARCELS", "100000")))
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--conns", default="16,64")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2, help="rounds of alternating runs")
    ap.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    ap.add_argument("--reuse", metavar="URL", help="a database kept by an earlier --keep run")
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"of {','.join(KINDS)}")
    ap.add_argument("--sets", default=",".join(SETS), help=f"tile sets, of {','.join(SETS)}")
    args = ap.parse_args()
    conns = [int(c) for c in args.conns.split(",")]
    kinds = [k for k in KINDS if k in args.kinds.split(",")]

    target = cluster.default_config(
        PROJECT_DIR, port=int(os.environ.get("GEO_SERVICE_DB_PORT", 55432))
    )
    cluster.up(target)
    url = args.reuse or cluster.create_database(target)
    args.keep = args.keep or bool(args.reuse)
    try:
        t0 = time.perf_counter()
        lon, lat = generate(url, args.parcels) if not args.reuse else centre(url)
        print(f"generated {args.parcels:,} parcels in {time.perf_counter() - t0:.1f} s "
              f"(centre {lon:.4f}, {lat:.4f}); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        secret = make_token(url)
        sets = tile_sets(lon, lat)
        auth = {"Authorization": f"Bearer {secret}", "Accept-Encoding": "gzip"}
        results: dict[tuple[str, str, int], dict[str, Any]] = {}

        # tipg runs throughout; one geo_service at a time on PORT, started afresh for each run
        # (cache off, cache empty, cache warmed), and the runs alternate between the kinds,
        # round after round: on a shared machine the load drifts, and each kind then sees the
        # same drift; the best round of each is reported
        ourbase = f"http://127.0.0.1:{PORT}"
        tbase = f"http://127.0.0.1:{TIPG_PORT}"
        sets = {n: t for n, t in sets.items() if SETS[list(sets).index(n)] in args.sets}
        with server(*tipg(url, args.workers), tbase + "/healthz"):
            empty_store(url)
            with server(*ours(url, args.workers, 256, PORT), ourbase + "/readyz"):
                time.sleep(3)  # every worker has finished starting
                # first tiles of a started service whose cache and store are empty
                firsts, sizes = [], []
                for z, x, y in tile_sets(lon, lat)["z12 ×20"]:
                    t = time.perf_counter()
                    status, body = _get(ourbase + our_path(z, x, y), auth)
                    firsts.append(time.perf_counter() - t)
                    sizes.append(len(body))
                    assert status == 200, body[:300]
            print(f"geo_service cold: first z12 tile {firsts[0] * 1000:.0f} ms, "
                  f"median of 20 cold z12 tiles {statistics.median(firsts) * 1000:.0f} ms, "
                  f"largest {max(sizes):,} bytes gzipped; {uptime()}")  # fmt: skip
            t = time.perf_counter()
            tile = tile_sets(lon, lat)["z12 ×20"][7]
            status, body = _get(tbase + tipg_path(*tile), {"Accept-Encoding": "gzip"})
            print(f"tipg: first z12 tile {(time.perf_counter() - t) * 1000:.0f} ms, "
                  f"{len(body):,} bytes (status {status}); {uptime()}")  # fmt: skip
            tipg_headers = {"Accept-Encoding": "gzip"}
            for rnd in range(args.rounds):
                for name, tiles in sets.items():
                    for c in conns:
                        for kind in kinds:
                            if kind == "tipg":
                                paths = [tipg_path(*t) for t in tiles]
                                r = run_wrk(tbase, paths, tipg_headers, c, args.duration)
                            else:
                                r = _run_ours(url, kind, tiles, auth, c, args)
                            r["load"] = os.getloadavg()[0]
                            r["uptime"] = uptime()
                            print(f"  round {rnd + 1} {name} {c} {kind}: {r['rps']:.1f} req/s, "
                                  f"non-2xx {r['non2xx']}; {r['uptime']}", flush=True)  # fmt: skip
                            prev = results.get((kind, name, c))
                            if prev is None or r["rps"] > prev["rps"]:
                                # non-2xx are added up over the rounds, never hidden
                                r["non2xx"] += prev["non2xx"] if prev else 0
                                results[(kind, name, c)] = r
                            elif prev is not None:
                                prev["non2xx"] += r["non2xx"]

        print(f"\n{args.parcels:,} parcels, {args.workers} workers each, wrk {args.duration} s "
              f"per run, best of {args.rounds} rounds, "
              f"load average now {os.getloadavg()[0]:.1f}\n")  # fmt: skip
        print(
            "| tiles | conns | server | req/s | × tipg | p50 ms | p99 ms | non-2xx | timeouts "
            "| load |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name in sets:
            for c in conns:
                peer = results[("tipg", name, c)]["rps"] if "tipg" in kinds else 0
                for kind in kinds:
                    r = results[(kind, name, c)]
                    print(f"| {name} | {c} | {LABEL[kind]} | {r['rps']:.1f} | "
                          f"{r['rps'] / peer if peer else float('nan'):.2f} | {r['p50']:.0f} | "
                          f"{r['p99']:.0f} | {r['non2xx']} | {r['timeouts']} | "
                          f"{r['load']:.1f} |")  # fmt: skip
        if args.keep:
            print(f"\nkept: {url}")
    finally:
        if not args.keep:
            cluster.drop_database(target, make_url(url).database or "")


if __name__ == "__main__":
    main()
