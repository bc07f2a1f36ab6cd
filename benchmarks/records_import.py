"""Benchmark of the readiness XLSX round trip for survey and title records.

Generates N parcels with networks and one survey and one title record each (the readiness
benchmark's generator) in a throw-away database of the project-local PostGIS, then times:

* writing the readiness report XLSX with its records sheets;
* importing it back unchanged (every row is "unchanged");
* importing it with every survey row and every title row given a new date (2 × N new records,
  N parcels re-checked in the same transaction).

Run: ``.venv/bin/python benchmarks/records_import.py [--parcels 10000]``. Not a test.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from geo_service.db import cluster, migrate
from geo_service.db.engine import transaction
from geo_service.readiness import queries, records_sheet, report
from geo_service.settings import PROJECT_DIR, Settings

sys.path.insert(0, str(Path(__file__).parent))
from readiness import generate  # noqa: E402  -- the readiness benchmark's generator


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=10_000)
    ap.add_argument("--profile", action="store_true", help="profile the second import")
    args = ap.parse_args()
    cfg = cluster.default_config(PROJECT_DIR, port=Settings().db_port)
    cluster.up(cfg)
    url = cluster.create_database(cfg, f"geo_bench_records_{int(time.time())}")
    try:
        engine = create_engine(url)
        migrate.upgrade(engine)
        settings = Settings(database_url=url)
        generate(engine, args.parcels)
        print(f"generated {args.parcels} parcels with one survey and one title record each")

        buf = io.BytesIO()
        t = time.perf_counter()
        with transaction(engine) as s:
            report.write(
                queries.report_rows(s, settings=settings), "xlsx", buf, records_sheet.sheet_rows(s)
            )
        print(f"report XLSX with records sheets: {time.perf_counter() - t:.1f} s, "
              f"{len(buf.getvalue()) / 1e6:.1f} MB")  # fmt: skip

        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "readiness.xlsx"
            path.write_bytes(buf.getvalue())
            t = time.perf_counter()
            with transaction(engine) as s:
                same = records_sheet.import_file(
                    s, path=path, display=path.name, actor="bench", settings=settings
                )
            print(f"import as exported: {time.perf_counter() - t:.1f} s, {same.written.counts()}")

            wb = load_workbook(path)
            day = date.today() - timedelta(days=1)
            for name in records_sheet.SHEETS.values():
                ws = wb[name]
                for row in ws.iter_rows(min_row=2, min_col=3, max_col=3):
                    row[0].value = day
            wb.save(path)
            import cProfile
            import pstats

            prof = cProfile.Profile()
            t = time.perf_counter()
            if args.profile:
                prof.enable()
            with transaction(engine) as s:
                new = records_sheet.import_file(
                    s, path=path, display=path.name, actor="bench", settings=settings
                )
            secs = time.perf_counter() - t
            if args.profile:
                prof.disable()
                pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            c = new.written.counts()
            print(f"import with new dates: {secs:.1f} s, {c}")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print()
        print("| parcels | records added | import s | peak RSS MB |")
        print(f"| {args.parcels} | {c['surveys_created'] + c['titles_created']} | {secs:.1f} "
              f"| {peak_mb:.0f} |")  # fmt: skip
        engine.dispose()
    finally:
        cluster.drop_database(cfg, make_url(url).database or "")


if __name__ == "__main__":
    main()
