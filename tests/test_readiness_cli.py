"""``geo-service readiness run|report`` as a user runs them."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine

from tests.helpers import add_infrastructure, add_parcels, line_m, rect_m, run_cli


def test_run_prints_the_summary(clean_engine: Engine) -> None:
    add_parcels(
        clean_engine,
        {"code": "A", "geom_m": rect_m(0, 0, 100, 100)},
        {"code": "B", "geom_m": rect_m(3000, 0, 100, 100)},
    )
    add_infrastructure(
        clean_engine,
        {"code": "W", "kind": "water", "geom_m": line_m((0, 150), (100, 150)), "diameter_mm": 100},
    )
    r = run_cli(clean_engine, "readiness", "run", "--as-of", "2024-06-30")
    assert r.returncode == 0, r.stderr
    assert "2 parcels checked, 0 net land (0.00 亩), missing: water 1, power 2" in r.stdout
    assert "as of 2024-06-30" in r.stdout


def test_a_bad_date_is_named_and_nothing_runs(clean_engine: Engine) -> None:
    r = run_cli(clean_engine, "readiness", "run", "--as-of", "30/06/2024")
    assert r.returncode == 1
    assert "--as-of must be a date like 2024-06-30" in r.stderr
    assert "Traceback" not in r.stderr


def test_report_writes_xlsx(clean_engine: Engine, tmp_path: Path) -> None:
    add_parcels(clean_engine, {"code": "A", "geom_m": rect_m(0, 0, 100, 100)})
    assert run_cli(clean_engine, "readiness", "run").returncode == 0
    out = tmp_path / "readiness.xlsx"
    r = run_cli(clean_engine, "readiness", "report", "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = list(load_workbook(out).active.values)
    assert rows[1][0] == "A" and len(rows) == 2
    r = run_cli(clean_engine, "readiness", "report", "--out", str(tmp_path / "x.pdf"))
    assert r.returncode == 1 and "format must be one of xlsx, csv" in r.stderr
