"""Boundary-point tables with broken coordinate cells are refused cell by cell; messages name
settings, not server paths."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from geo_service.errors import ImportRejected
from geo_service.importers import run_import
from tests.fixtures import land_files as lf
from tests.helpers import settings_for


def _broken_points(tmp_path: Path) -> Path:
    """The fixture's table with 'abc' in X坐标 (E) of row 3 and 1e20 in Y坐标 (F) of row 5."""
    path = lf.boundary_points_xlsx(tmp_path / "pts.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    assert ws["E1"].value == "X坐标" and ws["F1"].value == "Y坐标"
    ws["E3"] = "abc"
    ws["F5"] = 1e20
    wb.save(path)
    return path


@pytest.mark.parametrize("crs", [None, "EPSG:4490"])
def test_bad_coordinate_cells_are_reported_by_sheet_row_and_column(
    clean_engine: Engine, tmp_path: Path, crs: str | None
) -> None:
    path = _broken_points(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow in the transforms
        with pytest.raises(ImportRejected) as e:
            run_import(
                clean_engine,
                kind="parcels",
                path=path,
                settings=settings_for(clean_engine),
                actor="t",
                crs=crs,
            )
    problems = e.value.extra["problems"]
    assert "pts.xlsx, sheet Sheet1, row 3, column X坐标 (E): 'abc' is not a number" in problems
    assert any(
        p.startswith(
            "pts.xlsx, sheet Sheet1, row 5, column Y坐标 (F): '100000000000000000000' is not a "
        )
        for p in problems
    ), problems
    assert not [p for p in problems if "inf" in p.split(":")[-1]], problems
    if crs is None:
        # the other rows still tell the coordinate system: only the two cells are wrong
        assert not [p for p in problems if "coordinate system" in p], problems
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM parcels")).scalar() == 0


def test_a_csv_with_an_infinite_coordinate_names_the_cell(
    clean_engine: Engine, tmp_path: Path
) -> None:
    f = tmp_path / "pts.csv"
    f.write_text(
        "地块编号,经度,纬度\nA,114.90,33.72\nA,114.91,inf\nA,114.91,33.73\nA,114.90,33.73\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as e:
        run_import(
            clean_engine, kind="parcels", path=f, settings=settings_for(clean_engine), actor="t"
        )
    assert e.value.extra["problems"][0].startswith(
        "pts.csv, row 3, column 纬度 (C): 'inf' is not a plausible coordinate"
    )


def test_a_missing_district_boundary_is_named_by_setting_not_path(
    clean_engine: Engine, tmp_path: Path
) -> None:
    missing = tmp_path / "secret-folder" / "boundary.geojson"
    path = lf.boundary_points_xlsx(tmp_path / "pts.xlsx")
    report = run_import(
        clean_engine,
        kind="parcels",
        path=path,
        settings=settings_for(clean_engine, district_boundary=missing),
        actor="t",
        dry_run=True,
    )
    note = next(n for n in report.notes if "district extent not checked" in n)
    assert "GEO_SERVICE_DISTRICT_BOUNDARY" in note and "boundary.geojson" in note
    assert "secret-folder" not in note and str(tmp_path) not in note
