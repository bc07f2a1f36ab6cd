"""The district-extent check runs beside the database's merge: a file whose only problem is a
parcel outside the district is still rejected whole, and nothing is written (also on a dry run)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from sqlalchemy import Engine, text

from geo_service.errors import ImportRejected
from geo_service.importers import run_import
from geo_service.settings import Settings
from tests.fixtures import land_files as lf


def _file(tmp_path: Path) -> Path:
    gdf = gpd.GeoDataFrame(
        {"编号": ["E1", "E2", "E3"], "名称": ["甲", "乙", "丙"]},
        geometry=[
            lf.gk_box(0, 0, 50, 50),
            lf.gk_box(100, 0, 50, 50),
            lf.gk_box(5_000_000 - lf.E0, 0, 50, 50),  # far outside the district
        ],
        crs=lf.GK,
    )
    path = tmp_path / "one_outside.gpkg"
    gdf.to_file(path)
    return path


def _count(engine: Engine) -> tuple[int, int]:
    with engine.connect() as c:
        return (
            c.execute(text("SELECT count(*) FROM parcels")).scalar_one(),
            c.execute(text("SELECT count(*) FROM parcel_summary")).scalar_one(),
        )


def test_one_parcel_outside_rejects_the_file_and_writes_nothing(
    clean_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(database_url=clean_engine.url.render_as_string(hide_password=False))
    with pytest.raises(ImportRejected) as ei:
        run_import(
            clean_engine, kind="parcels", path=_file(tmp_path), settings=settings, actor="test"
        )
    problems = ei.value.extra["problems"]
    assert len(problems) == 1
    assert "feature 3 (code E3): lies (partly) outside the district extent" in problems[0]
    assert _count(clean_engine) == (0, 0)

    report = run_import(
        clean_engine,
        kind="parcels",
        path=_file(tmp_path),
        settings=settings,
        actor="test",
        dry_run=True,
    )
    assert not report.ok and "outside the district extent" in report.problems[0]
    assert (report.inserted, report.updated) == (0, 0)
    assert _count(clean_engine) == (0, 0)
