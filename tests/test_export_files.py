"""Exports: every format opens in its own tool's reader, holds the right rows, and round-trips."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from geo_service.exports import FORMATS, export
from geo_service.importers import run_import
from geo_service.settings import Settings
from tests.fixtures import land_files as lf
from tests.helpers import settings_for


@pytest.fixture
def loaded(clean_engine: Engine, tmp_path: Path) -> Engine:
    """Six parcels from a GBK Shapefile, a boundary-point table and a GeoPackage; two published."""
    s = settings_for(clean_engine)
    for path in (
        lf.gbk_shapefile(tmp_path / "shp"),
        lf.boundary_points_xlsx(tmp_path / "pts.xlsx"),
    ):
        run_import(clean_engine, kind="parcels", path=path, settings=s, actor="t")
    with clean_engine.begin() as c:
        c.execute(
            text(
                """UPDATE parcels SET published = true, contact = '招商局',
                indicators = '[{"key": "far", "min": 1.0, "unit": ""}]'
                WHERE code IN ('HY-2024-01', 'JZ-01')"""
            )
        )
        c.execute(text("UPDATE parcels SET notes = '内部备注：拆迁未完' WHERE code = 'JZ-02'"))
    return clean_engine


def _versions(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {code: v for code, v in c.execute(text("SELECT code, version FROM parcels"))}


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp"])
def test_round_trip_changes_nothing(loaded: Engine, tmp_path: Path, fmt: str) -> None:
    before = _versions(loaded)
    out = tmp_path / f"parcels{FORMATS[fmt].suffix}"
    n = export(loaded, what="parcels", fmt=fmt, out=out)
    assert n == 4
    report = run_import(loaded, kind="parcels", path=out, settings=settings_for(loaded), actor="t")
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 4), report
    assert _versions(loaded) == before


def test_shapefile_zip_has_prj_and_utf8_cpg_and_chinese_names(
    loaded: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "p.zip"
    export(loaded, what="parcels", fmt="shp", out=out)
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert {"parcels.shp", "parcels.shx", "parcels.dbf", "parcels.prj", "parcels.cpg"} <= names
        assert zf.read("parcels.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
        assert (
            "CGCS2000" in zf.read("parcels.prj").decode()
            or "China" in zf.read("parcels.prj").decode()
        )
    gdf = gpd.read_file(f"zip://{out}")
    assert "淮阳产业集聚区一号地块" in set(gdf["name"])


def test_public_export_has_published_parcels_and_public_fields_only(
    loaded: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "pub.geojson"
    fields = Settings().public_parcel_fields
    n = export(loaded, what="parcels", fmt="geojson", out=out, public=True, fields=fields)
    gdf = gpd.read_file(out)
    assert n == 2 and sorted(gdf["code"]) == ["HY-2024-01", "JZ-01"]
    assert "notes" not in gdf.columns and "published" not in gdf.columns


def test_xlsx_has_chinese_headers_and_areas_in_mu(loaded: Engine, tmp_path: Path) -> None:
    out = tmp_path / "p.xlsx"
    export(loaded, what="parcels", fmt="xlsx", out=out)
    ws = openpyxl.load_workbook(out).active
    rows = list(ws.values)
    head = rows[0]
    assert head[:2] == ("地块编号", "地块名称") and "面积(亩)" in head
    by_code = {r[0]: dict(zip(head, r, strict=True)) for r in rows[1:]}
    assert by_code["JZ-01"]["面积(亩)"] == pytest.approx(63.75, abs=0.02)
    assert by_code["JZ-01"]["是否公开"] == "是"


def test_csv_and_kml(loaded: Engine, tmp_path: Path) -> None:
    csv_out = tmp_path / "p.csv"
    assert export(loaded, what="parcels", fmt="csv", out=csv_out) == 4
    df = pd.read_csv(csv_out, encoding="utf-8-sig")
    assert set(df["name"]) >= {"龙湖北侧标准地"} and df["lon"].between(114, 116).all()
    kml = tmp_path / "p.kml"
    export(loaded, what="parcels", fmt="kml", out=kml)
    assert len(gpd.read_file(kml)) == 4


def test_readiness_and_projects_exports(loaded: Engine, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    assert export(loaded, what="readiness", fmt="xlsx", out=out) == 4
    head = next(openpyxl.load_workbook(out).active.values)
    assert {"通水", "通电", "通路", "场地平整", "权属清晰"} <= set(head)
    assert export(loaded, what="projects", fmt="gpkg", out=tmp_path / "p.gpkg") == 0


@pytest.mark.parametrize("fmt", ["gpkg", "shp"])
def test_demo_district_round_trip_is_unchanged(
    demo_engine: Engine, tmp_path: Path, fmt: str
) -> None:
    """The demo's long indicator lists and notes survive (GeoPackage) or stay out (Shapefile).

    The district's own parcels (county 411603), exported and imported back into it."""
    from geo_service.counties.scope import scoped

    out = tmp_path / f"demo{FORMATS[fmt].suffix}"
    with scoped("411603"):
        n = export(demo_engine, what="parcels", fmt=fmt, out=out)
        with demo_engine.connect() as c:
            assert n == c.execute(text("SELECT count(*) FROM parcels")).scalar() > 0
        report = run_import(
            demo_engine,
            kind="parcels",
            path=out,
            settings=settings_for(demo_engine),
            actor="t",
            dry_run=True,
        )
    assert report.problems == [] and (report.inserted, report.updated) == (0, 0)
    assert report.unchanged == n
