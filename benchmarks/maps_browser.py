"""Benchmark of the two parcel maps in headless Chromium: navigation → last parcel tile.

It fills a throw-away database of the project-local PostGIS with N parcels (the grid of
``benchmarks/maps.py``: published, on offer, every condition met, so every parcel shows on both
maps; above ``GEO_SERVICE_MAP_MAX_EMBEDDED_FEATURES`` the maps draw them from vector tiles),
serves geo_service with uvicorn on 127.0.0.1 (``BENCH_PORT``, 2 workers, no base map tiles) and
opens ``/maps/readiness`` (bureau, by its sign-in cookie) and ``/maps/investors`` (the public) in
Debian's Chromium, each in a fresh browser context (no browser cache):

* **cold**: the service just started, its tile cache empty;
* **warm**: the same page again (new context), the service's tile cache holding its tiles;
* **revisit**: the same page once more in the last warm visit's context: what a user who has
  opened the map before waits for (the browser's cache holds its assets and tiles).

The figure is the time from the start of the navigation to the end of the last
``/tiles/parcels/`` response of the first view (the network then idle for 0.5 s); it prints the
page's own load time, the number of tiles and the load average with each.

Run: ``.venv/bin/python benchmarks/maps_browser.py [--parcels 100000] [--rounds 3]``
(``--reuse URL`` with a database kept by ``--keep``). Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.maps import GENERATE  # noqa: E402
from benchmarks.tiles import make_token, ours, server  # noqa: E402
from geo_service.db import cluster, migrate  # noqa: E402
from geo_service.settings import PROJECT_DIR  # noqa: E402

PORT = int(os.environ.get("BENCH_PORT", "8144"))
BASE = f"http://127.0.0.1:{PORT}"
#: the browser flags of tests/browser.py (no GPU, no sandbox as root, no background traffic)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def generate(url: str, n: int) -> None:
    eng = create_engine(url)
    migrate.upgrade(eng)
    with eng.begin() as c:
        params = {"n": n, "cols": max(1, int(math.sqrt(n)))}
        for stmt in filter(str.strip, GENERATE.split(";")):
            c.execute(text(stmt), {k: v for k, v in params.items() if f":{k}" in stmt})
    with eng.connect() as c:
        c.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    eng.dispose()


def visit(
    browser: Any, path: str, cookie: str | None, ctx: Any = None
) -> tuple[dict[str, Any], Any]:
    """Open ``path`` in a fresh context (or ``ctx``, whose browser cache holds the last visit);
    (last tile s, page load s, tiles, failed tiles, where the time went), and the context."""
    if ctx is None:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        ctx.set_default_timeout(180_000)  # a slow page is measured, not given up on
        if cookie:
            ctx.add_cookies([{"name": "gs_token", "value": cookie, "url": BASE}])
    page = ctx.new_page()
    ends: list[float] = []
    failed: list[str] = []

    def done(req: Any) -> None:
        if "/tiles/parcels/" in req.url:
            resp = req.response()
            if resp is None or resp.status >= 400:
                failed.append(req.url)
            ends.append(time.perf_counter())

    page.on("requestfinished", done)
    page.on("requestfailed", lambda req: failed.append(req.url))
    t0 = time.perf_counter()
    page.goto(BASE + path, wait_until="load")
    loaded = time.perf_counter() - t0
    page.wait_for_load_state("networkidle")
    timing = page.evaluate(BREAKDOWN_JS)
    page.close()
    return {
        "last_tile": (max(ends) - t0) if ends else float("nan"),
        "load": loaded,
        "tiles": len(ends),
        "failed": len(failed),
        "loadavg": os.getloadavg()[0],
        **timing,
    }, ctx


#: where the time went, from the page's own Navigation and Resource Timing (ms since navigation
#: start): the HTML's first byte (the server's build), each /static asset, the first tile asked
BREAKDOWN_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const tiles = res.filter(r => r.name.includes('/tiles/parcels/'));
  const assets = res.filter(r => r.name.includes('/static/'));
  return {
    html_first_byte: nav.responseStart / 1000, html_kb: nav.transferSize / 1024,
    dom_ready: nav.domContentLoadedEventEnd / 1000, load_event: nav.loadEventEnd / 1000,
    assets: assets.map(r => [r.name.split('/static/')[1].split('?')[0],
                             (r.responseEnd - r.startTime) / 1000, r.transferSize]),
    assets_end: Math.max(0, ...assets.map(r => r.responseEnd)) / 1000,
    first_tile: tiles.length ? Math.min(...tiles.map(r => r.startTime)) / 1000 : NaN,
    tile_kb: tiles.reduce((a, r) => a + r.transferSize, 0) / 1024,
    tile_times: tiles.map(r => [r.startTime / 1000, r.requestStart / 1000, r.responseStart / 1000,
                                r.responseEnd / 1000, r.transferSize]),
  };
}"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=int(os.environ.get("BENCH_PARCELS", "100000")))
    ap.add_argument("--rounds", type=int, default=3, help="cold + warm visits per map")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--verbose", action="store_true", help="print each static asset's time")
    ap.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    ap.add_argument("--reuse", metavar="URL", help="a database kept by an earlier --keep run")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    target = cluster.default_config(
        PROJECT_DIR, port=int(os.environ.get("GEO_SERVICE_DB_PORT", 55432))
    )
    cluster.up(target)
    url = args.reuse or cluster.create_database(target)
    args.keep = args.keep or bool(args.reuse)
    try:
        if not args.reuse:
            t = time.perf_counter()
            generate(url, args.parcels)
            print(f"generated {args.parcels:,} parcels in {time.perf_counter() - t:.1f} s")
        bureau = make_token(url)
        maps = (("/maps/readiness", bureau), ("/maps/investors", None))
        results: dict[tuple[str, str], list[dict[str, Any]]] = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for rnd in range(args.rounds):
                cmd, env = ours(url, args.workers, 64, PORT)
                env = {**env, "GEO_SERVICE_TILE_URL": "none"}
                with server(cmd, env, BASE + "/readyz"):
                    time.sleep(3)  # every worker has finished starting
                    for path, cookie in maps:
                        # warm twice: each of the two workers gets its tiles cached; then the
                        # same browser again (its cache holds the last visit's assets and tiles)
                        ctx = None
                        for kind in ("cold", "warm", "warm", "revisit"):
                            if ctx is not None and kind != "revisit":
                                ctx.close()
                                ctx = None
                            r, ctx = visit(browser, path, cookie, ctx)
                            results.setdefault((path, kind), []).append(r)
                            print(f"  round {rnd + 1} {path} {kind}: last tile "
                                  f"{r['last_tile']:.2f} s, page load {r['load']:.2f} s, "
                                  f"{r['tiles']} tiles ({r['failed']} failed), "
                                  f"load average {r['loadavg']:.1f}", flush=True)  # fmt: skip
                            print(f"    html first byte {r['html_first_byte']:.2f} s "
                                  f"({r['html_kb']:.0f} kB), assets done {r['assets_end']:.2f} s "
                                  f"({len(r['assets'])} fetched, "
                                  f"{sum(a[2] == 0 for a in r['assets'])} from cache), "
                                  f"DOM ready {r['dom_ready']:.2f} s, "
                                  f"load {r['load_event']:.2f} s, "
                                  f"first tile asked {r['first_tile']:.2f} s, "
                                  f"tiles {r['tile_kb']:.0f} kB", flush=True)  # fmt: skip
                            if args.verbose:
                                for name, secs, size in r["assets"]:
                                    print(f"      {name}: {secs * 1000:.0f} ms, {size} B")
                                for t in r["tile_times"]:
                                    print("      tile asked {:.2f} sent {:.2f} first byte {:.2f} "
                                          "end {:.2f} s, {} B".format(*t))  # fmt: skip
                        ctx.close()
            browser.close()
        print(f"\n{args.parcels:,} parcels, {args.workers} workers, {args.rounds} rounds, "
              f"load average now {os.getloadavg()[0]:.1f}\n")  # fmt: skip
        print("| map | tile cache | last tile s (median, best) | HTML first byte s | page load s "
              "| first tile asked s | tiles | failed |")  # fmt: skip
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for (path, kind), rs in results.items():
            last = [r["last_tile"] for r in rs]
            print(f"| {path} | {kind} | {statistics.median(last):.2f}, {min(last):.2f} | "
                  f"{statistics.median(r['html_first_byte'] for r in rs):.2f} | "
                  f"{statistics.median(r['load'] for r in rs):.2f} | "
                  f"{statistics.median(r['first_tile'] for r in rs):.2f} | {rs[0]['tiles']} | "
                  f"{sum(r['failed'] for r in rs)} |")  # fmt: skip
        if args.keep:
            print(f"\nkept: {url}")
    finally:
        if not args.keep:
            with contextlib.suppress(Exception):
                cluster.drop_database(target, make_url(url).database or "")


if __name__ == "__main__":
    main()
