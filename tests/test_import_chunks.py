"""A large file is read, checked and staged in chunks, and still imported as ONE transaction:
every parcel lands (with its tile summary), a bad row in a later chunk rejects the whole file with
nothing written and names the file and the feature, and a code repeated in two chunks is caught."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon
from sqlalchemy import Engine, text

from geo_service.errors import ImportRejected
from geo_service.importers import chunks, run_import
from geo_service.settings import Settings
from tests.fixtures import land_files as lf

N = 25  # features in the file; chunks of 10 → three chunks


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "CHUNK_FEATURES", 10)


def _file(tmp_path: Path, *, codes: list[str] | None = None, bad: int | None = None) -> Path:
    geoms: list[Polygon] = [lf.gk_box((i % 5) * 100, (i // 5) * 100, 60, 50) for i in range(N)]
    if bad is not None:  # a bow-tie: invalid
        x, y = lf.E0 + 2000, lf.N0
        geoms[bad] = Polygon([(x, y), (x + 50, y + 50), (x + 50, y), (x, y + 50)])
    gdf = gpd.GeoDataFrame(
        {"编号": codes or [f"C{i:02d}" for i in range(N)], "名称": [f"地块{i}" for i in range(N)]},
        geometry=geoms,
        crs=lf.GK,
    )
    path = tmp_path / "many.gpkg"
    gdf.to_file(path)
    return path


def _stored(engine: Engine) -> tuple[int, int]:
    with engine.connect() as c:
        return (
            c.execute(text("SELECT count(*) FROM parcels")).scalar_one(),
            c.execute(text("SELECT count(*) FROM parcel_summary")).scalar_one(),
        )


def _settings(engine: Engine) -> Settings:
    return Settings(database_url=engine.url.render_as_string(hide_password=False))


def test_a_file_in_three_chunks_lands_whole(clean_engine: Engine, tmp_path: Path) -> None:
    path = _file(tmp_path)
    assert len(list(chunks.read_chunks(path, layer=None, display="many.gpkg"))) == 3
    s = _settings(clean_engine)
    report = run_import(clean_engine, kind="parcels", path=path, settings=s, actor="test")
    assert (report.features, report.inserted, report.updated) == (N, N, 0)
    assert _stored(clean_engine) == (N, N)
    with clean_engine.connect() as c:
        names = dict(c.execute(text("SELECT code, name FROM parcels")).all())
    assert names["C00"] == "地块0" and names["C24"] == "地块24"  # first and last chunk

    again = run_import(clean_engine, kind="parcels", path=path, settings=s, actor="test")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, N)


def test_a_bad_row_in_the_last_chunk_rejects_the_whole_file(
    clean_engine: Engine, tmp_path: Path
) -> None:
    s = _settings(clean_engine)
    with pytest.raises(ImportRejected) as ei:
        run_import(
            clean_engine, kind="parcels", path=_file(tmp_path, bad=22), settings=s, actor="test"
        )
    problems = ei.value.extra["problems"]
    assert len(problems) == 1
    assert problems[0].startswith("many.gpkg feature 23 (code C22): invalid geometry")
    assert _stored(clean_engine) == (0, 0)  # the first two chunks were staged, not written

    report = run_import(
        clean_engine,
        kind="parcels",
        path=_file(tmp_path, bad=22),
        settings=s,
        actor="test",
        dry_run=True,
    )
    assert not report.ok and "feature 23" in report.problems[0]
    assert _stored(clean_engine) == (0, 0)


def test_a_code_repeated_in_two_chunks_is_refused(clean_engine: Engine, tmp_path: Path) -> None:
    codes = [f"C{i:02d}" for i in range(N)]
    codes[21] = "C03"  # the same code in the first and the third chunk
    s = _settings(clean_engine)
    with pytest.raises(ImportRejected) as ei:
        run_import(
            clean_engine, kind="parcels", path=_file(tmp_path, codes=codes), settings=s, actor="t"
        )
    problems = ei.value.extra["problems"]
    assert problems == [
        "many.gpkg: code C03 appears 2 times (feature 4, feature 22); codes must be unique"
    ]
    assert _stored(clean_engine) == (0, 0)
