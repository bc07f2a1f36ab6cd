"""Exports as a user meets them: empty cells stay empty, a projects export is a ledger that imports
back, Shapefiles open in a GIS, bad --out paths get one line (no traceback), no CSV formulas."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from geo_service.db.engine import transaction
from geo_service.exports import export
from geo_service.importers import run_import
from geo_service.projects import writes
from geo_service.projects.ledger import import_ledger
from geo_service.readiness import report
from geo_service.settings import Settings
from tests.helpers import add_parcels, rect_m, run_cli

EVIL = '=HYPERLINK("http://evil","x")'


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _dry_import(engine: Engine, path: Path) -> dict[str, object]:
    with transaction(engine) as s:
        return import_ledger(s, data=path.read_bytes(), filename=path.name, actor="t", dry_run=True)


@pytest.fixture
def projects(clean_engine: Engine) -> Engine:
    add_parcels(clean_engine, {"code": "P-1", "geom_m": rect_m(0, 0, 100, 100)})
    with transaction(clean_engine) as s:
        writes.upsert_projects(
            s,
            [
                {"code": "L-1", "name": EVIL, "year": 2026, "domain": "innovation",
                 "status": "started", "total_investment_wan": "1000",
                 "planned_investment_wan": "300", "completed_wan": "0",
                 "planned_start": date(2026, 3, 1), "actual_start": date(2026, 3, 15),
                 "lon": 114.9, "lat": 33.7, "parcel_code": "P-1"},
                {"code": "L-2", "name": "二号项目", "year": 2026, "domain": "livelihood",
                 "status": "planned", "total_investment_wan": "2000",
                 "planned_investment_wan": "0", "completed_wan": "0", "leader": "-张三"},
            ],
        )  # fmt: skip
    return clean_engine


# ------------------------------------------------------------------ 1. empty cells


def test_demo_projects_csv_has_empty_cells_and_reimports_unchanged(
    demo_engine: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "p.csv"
    n = export(demo_engine, what="projects", fmt="csv", out=out)
    rows = _rows(out)
    assert len(rows) == n > 0
    assert not [v for r in rows for v in r.values() if v.lower() == "nan"]
    assert any(r["actual_completion"] == "" for r in rows)  # not every project is finished
    res = _dry_import(demo_engine, out)
    assert (res["created"], res["updated"], res["unchanged"]) == (0, 0, n)
    assert res["ignored_columns"] == []


def test_parcel_csv_exports_have_no_nan(
    demo_engine: Engine, demo_client: object, tmp_path: Path
) -> None:
    out = tmp_path / "parcels.csv"
    export(demo_engine, what="parcels", fmt="csv", out=out)
    assert not [v for r in _rows(out) for v in r.values() if v.lower() == "nan"]
    r = demo_client.get("/api/v1/exports/parcels?format=csv")  # type: ignore[attr-defined]
    assert r.status_code == 200
    cells = [v for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) for v in row]
    assert "nan" not in [c.lower() for c in cells]


# ------------------------------------------------------------------ 2. projects export = ledger


def test_projects_xlsx_export_edit_import_updates_the_project(
    projects: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "projects.xlsx"
    r = run_cli(projects, "export", "projects", "--format", "xlsx", "--out", str(out))
    assert r.returncode == 0, r.stderr
    wb = load_workbook(out)
    ws = wb["项目台账"]
    head = {c.value: c.column for c in ws[1]}
    assert {"项目编号", "计划开工时间", "累计完成投资(万元)", "所属领域"} <= set(head)
    row = next(i for i in range(2, ws.max_row + 1) if ws.cell(i, head["项目编号"]).value == "L-2")
    ws.cell(row, head["计划开工时间"]).value = "2026-05-01"
    wb.save(out)

    r = run_cli(projects, "import", "projects", str(out))
    assert r.returncode == 0, r.stderr
    assert "1 updated, 1 unchanged" in r.stdout
    assert "not ledger columns" not in r.stderr
    with projects.connect() as c:
        got = c.execute(text("SELECT planned_start::text FROM projects WHERE code = 'L-2'"))
        assert got.scalar() == "2026-05-01"


def test_a_misnamed_ledger_column_is_refused_by_name(projects: Engine, tmp_path: Path) -> None:
    f = tmp_path / "edited.csv"
    f.write_text("项目编号,计划开工日期,备注\nL-2,2026-05-01,x\n", encoding="utf-8")
    r = run_cli(projects, "import", "projects", str(f))
    assert r.returncode == 1
    msg = " ".join(r.stderr.split())
    assert "column 计划开工日期 (B) is not a ledger column" in msg
    assert "did you mean 计划开工时间?" in msg
    with projects.connect() as c:
        assert c.execute(text("SELECT max(version) FROM projects")).scalar() == 1

    f.write_text("项目编号,计划开工时间,备注\nL-2,2026-05-01,x\n", encoding="utf-8")
    r = run_cli(projects, "import", "projects", str(f))
    assert r.returncode == 0, r.stderr
    assert "not read: 备注" in " ".join(r.stderr.split())


def test_headers_of_older_project_exports_still_import(projects: Engine, tmp_path: Path) -> None:
    f = tmp_path / "old.csv"
    f.write_text("项目编号,计划开工,已完成投资(万元)\nL-2,2026-06-01,0\n", encoding="utf-8")
    r = run_cli(projects, "import", "projects", str(f))
    assert r.returncode == 0, r.stderr
    with projects.connect() as c:
        got = c.execute(text("SELECT planned_start::text FROM projects WHERE code = 'L-2'"))
        assert got.scalar() == "2026-06-01"


# ------------------------------------------------------------------ 3. Shapefiles


def _parcels(engine: Engine) -> None:
    add_parcels(
        engine,
        {"code": "S-1", "name": "一号地块", "geom_m": rect_m(0, 0, 100, 100)},
        {"code": "S-2", "name": "二号地块", "geom_m": rect_m(200, 0, 100, 80)},
    )


def test_shp_out_path_writes_a_shapefile_set_a_gis_opens(
    clean_engine: Engine, tmp_path: Path
) -> None:
    _parcels(clean_engine)
    (tmp_path / "ex").mkdir()
    out = tmp_path / "ex" / "parcels.shp"
    r = run_cli(clean_engine, "export", "parcels", "--format", "shp", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "ex").iterdir()) == [
        "parcels.cpg", "parcels.dbf", "parcels.prj", "parcels.shp", "parcels.shx"
    ]  # fmt: skip
    assert not zipfile.is_zipfile(out)
    gdf = gpd.read_file(out)
    assert sorted(gdf["code"]) == ["S-1", "S-2"] and "一号地块" in set(gdf["name"])
    settings = Settings(database_url=clean_engine.url.render_as_string(hide_password=False))
    rep = run_import(clean_engine, kind="parcels", path=out, settings=settings, actor="t")
    assert (rep.inserted, rep.updated, rep.unchanged) == (0, 0, 2)


def test_shp_zip_or_folder_out_writes_a_zip(clean_engine: Engine, tmp_path: Path) -> None:
    _parcels(clean_engine)
    z = tmp_path / "parcels.zip"
    assert run_cli(clean_engine, "export", "parcels", "-f", "shp", "--out", str(z)).returncode == 0
    assert "parcels.shp" in zipfile.ZipFile(z).namelist()
    folder = tmp_path / "out"
    folder.mkdir()
    r = run_cli(clean_engine, "export", "parcels", "-f", "shp", "--out", str(folder))
    assert r.returncode == 0, r.stderr
    assert zipfile.is_zipfile(folder / "parcels.zip")
    r = run_cli(
        clean_engine, "export", "parcels", "-f", "shp", "--out", str(tmp_path / "p.geojson")
    )
    assert r.returncode == 1 and "end the name in .shp or .zip" in " ".join(r.stderr.split())


# ------------------------------------------------------------------ 4. bad --out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["export", "parcels", "-f", "geojson", "--out", "{tmp}"], "is a folder"),
        (["export", "parcels", "-f", "geojson", "--out", "/proc/x.geojson"], "/proc"),
        (["export", "parcels", "-f", "csv", "--out", "{tmp}/no/such/x.csv"], "no/such does not"),
        (["map", "export", "investors", "--out", "/proc/x.html"], "/proc"),
        (["map", "export", "investors", "--out", "{tmp}"], "is a folder"),
        (["ledger", "export", "--out", "/proc/x.xlsx"], "/proc"),
        (["ledger", "export", "--out", "{tmp}/no/such/x.xlsx"], "no/such does not"),
    ],
)
def test_a_bad_out_path_is_one_line_and_writes_nothing(
    clean_engine: Engine, tmp_path: Path, args: list[str], says: str
) -> None:
    _parcels(clean_engine)
    before = sorted(tmp_path.rglob("*"))
    r = run_cli(clean_engine, *(a.format(tmp=tmp_path) for a in args))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "Error:" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--out" in lines[0] and says in lines[0], r.stderr
    assert sorted(tmp_path.rglob("*")) == before  # no folder made, no file left behind
    assert not Path("/proc/x.geojson").exists()


# ------------------------------------------------------------------ 5. CSV formula injection


def test_csv_cells_cannot_run_as_formulas_and_numbers_stay_numbers(
    projects: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "p.csv"
    export(projects, what="projects", fmt="csv", out=out)
    by_code = {r["code"]: r for r in _rows(out)}
    assert by_code["L-1"]["name"] == "'" + EVIL
    assert by_code["L-2"]["leader"] == "'-张三"
    assert by_code["L-1"]["total_investment_wan"] == "1000.0"
    assert float(by_code["L-1"]["lon"]) == pytest.approx(114.9)
    # the quote is ours: importing the file back changes nothing
    res = _dry_import(projects, out)
    assert (res["updated"], res["unchanged"]) == (0, 2)


def test_readiness_report_csv_quotes_formulas() -> None:
    buf = io.BytesIO()
    report.write([{"code": "@SUM(A1)", "name": EVIL, "area_mu": -1.5}], "csv", buf)
    row = next(csv.DictReader(io.StringIO(buf.getvalue().decode("utf-8-sig"))))
    assert row["地块编号 code"] == "'@SUM(A1)" and row["地块名称 name"] == "'" + EVIL
    assert row["面积(亩) area_mu"] == "-1.5"
