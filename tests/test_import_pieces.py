"""What the faster import rests on (issue 12 item 4): the first chunk is merged in pieces on the
database's own thread while the next piece is checked, in ONE transaction. Every parcel lands
with its tile summary; a problem in any piece — found before its merge, or beside it (the
district extent) — rolls back the pieces already merged, nothing written, also on a dry run; a
code in two pieces is refused; the zone of a parcel is the one its point on surface lies in (or
the one its zone column names); an import for a county lands in that county."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box
from sqlalchemy import Engine, text

from geo_service.counties.scope import scoped
from geo_service.counties.service import upsert_county
from geo_service.db.engine import transaction
from geo_service.demo import second_county
from geo_service.errors import ImportRejected
from geo_service.importers import chunks, run_import
from geo_service.parcels.writes import upsert_zones
from geo_service.settings import Settings
from tests.fixtures import land_files as lf

N = 25  # one chunk; pieces of 3, 6, 12 and 4 features


@pytest.fixture(autouse=True)
def _small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "FIRST_PIECE", 3)


def _file(
    tmp_path: Path,
    *,
    codes: list[str] | None = None,
    bad: int | None = None,
    far: int | None = None,
    zones: list[str | None] | None = None,
) -> Path:
    geoms: list[Polygon] = [lf.gk_box((i % 5) * 100, (i // 5) * 100, 60, 50) for i in range(N)]
    if bad is not None:  # a bow-tie: invalid
        x, y = lf.E0 + 2000, lf.N0
        geoms[bad] = Polygon([(x, y), (x + 50, y + 50), (x + 50, y), (x, y + 50)])
    if far is not None:  # far outside the district
        geoms[far] = lf.gk_box(5_000_000 - lf.E0, 0, 50, 50)
    cols: dict[str, list[str | None]] = {
        "编号": list(codes or [f"P{i:02d}" for i in range(N)]),
        "名称": [f"地块{i}" for i in range(N)],
    }
    if zones is not None:
        cols["园区"] = zones
    path = tmp_path / "pieces.gpkg"
    gpd.GeoDataFrame(cols, geometry=geoms, crs=lf.GK).to_file(path)
    return path


def _settings(engine: Engine) -> Settings:
    return Settings(database_url=engine.url.render_as_string(hide_password=False))


def _stored(engine: Engine) -> tuple[int, int]:
    with engine.connect() as c:
        return (
            c.execute(text("SELECT count(*) FROM parcels")).scalar_one(),
            c.execute(text("SELECT count(*) FROM parcel_summary")).scalar_one(),
        )


def _imp(engine: Engine, path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return run_import(
        engine, kind="parcels", path=path, settings=_settings(engine), actor="test", **kw
    )


def test_a_file_in_pieces_lands_whole_with_its_summary(
    clean_engine: Engine, tmp_path: Path
) -> None:
    path = _file(tmp_path)
    src = next(chunks.read_chunks(path, layer=None, display="pieces.gpkg"))
    parts = list(chunks.pieces(src))
    assert [len(p.gdf) for p in parts] == [3, 6, 12, 4]
    assert parts[1].locations[0] == "feature 4" and parts[-1].locations[-1] == "feature 25"

    report = _imp(clean_engine, path)
    assert (report.features, report.inserted, report.updated) == (N, N, 0)
    assert report.inserted_codes == [f"P{i:02d}" for i in range(N)]  # in file order
    assert _stored(clean_engine) == (N, N)
    with clean_engine.connect() as c:
        # the summary the trigger stored equals what it is made from, for every piece
        drift = c.execute(
            text(
                """SELECT count(*) FROM parcels p JOIN parcel_summary s ON s.parcel_id = p.id
                WHERE s.code <> p.code OR s.name <> p.name OR s.area_m2 <> p.area_m2
                   OR s.county <> p.county OR NOT ST_Equals(s.geom, ST_Transform(p.geom, 3857))"""
            )
        ).scalar_one()
        # areas come from the geometry (the generated column): the geodesic area of each shape
        areas = dict(c.execute(text("SELECT code, area_m2 FROM parcels")).all())
    assert drift == 0
    assert areas["P07"] == pytest.approx(lf.geodesic_m2(lf.gk_box(200, 100, 60, 50), lf.GK), 1e-6)

    again = _imp(clean_engine, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, N)


def test_a_bad_row_in_the_last_piece_rolls_back_the_pieces_merged(
    clean_engine: Engine, tmp_path: Path
) -> None:
    with pytest.raises(ImportRejected) as ei:
        _imp(clean_engine, _file(tmp_path, bad=23))
    assert ei.value.extra["problems"] == [
        "pieces.gpkg feature 24 (code P23): invalid geometry: self-intersection at "
        + ei.value.extra["problems"][0].split("self-intersection at ")[1]
    ]
    assert _stored(clean_engine) == (0, 0)
    report = _imp(clean_engine, _file(tmp_path, bad=23), dry_run=True)
    assert not report.ok and "feature 24" in report.problems[0]
    assert _stored(clean_engine) == (0, 0)


def test_a_parcel_outside_found_beside_the_merge_rolls_back_everything(
    clean_engine: Engine, tmp_path: Path
) -> None:
    # the extent check of a piece runs while the database merges it: the problem comes after
    for far in (1, N - 1):
        with pytest.raises(ImportRejected) as ei:
            _imp(clean_engine, _file(tmp_path, far=far))
        (problem,) = ei.value.extra["problems"]
        assert f"feature {far + 1} (code P{far:02d}): lies (partly) outside" in problem
        assert _stored(clean_engine) == (0, 0)
        report = _imp(clean_engine, _file(tmp_path, far=far), dry_run=True)
        assert not report.ok and (report.inserted, report.updated) == (0, 0)
        assert _stored(clean_engine) == (0, 0)


def test_a_code_in_two_pieces_is_refused(clean_engine: Engine, tmp_path: Path) -> None:
    codes = [f"P{i:02d}" for i in range(N)]
    codes[22] = "P01"  # the first piece and the last
    with pytest.raises(ImportRejected) as ei:
        _imp(clean_engine, _file(tmp_path, codes=codes))
    assert ei.value.extra["problems"] == [
        "pieces.gpkg: code P01 appears 2 times (feature 2, feature 23); codes must be unique"
    ]
    assert _stored(clean_engine) == (0, 0)


def _zones(engine: Engine) -> None:
    """Zone Z1 covers the first two rows of the grid; Z2 lies beside it, its box meeting none."""
    to_ll = gpd.GeoSeries(
        [lf.gk_box(-10, -10, 480, 170), lf.gk_box(-10, 1000, 480, 100)], crs=lf.GK
    ).to_crs(4490)
    with transaction(engine) as s:
        upsert_zones(
            s,
            [
                {"code": "Z1", "name": "一区", "wkb": to_ll.iloc[0].wkb},
                {"code": "Z2", "name": "二区", "wkb": to_ll.iloc[1].wkb},
            ],
        )


def _zone_of(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as c:
        rows = c.execute(
            text("SELECT p.code, z.code FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id")
        ).all()
    return {code: zone for code, zone in rows}


def test_zones_from_the_location_or_the_zone_column(clean_engine: Engine, tmp_path: Path) -> None:
    _zones(clean_engine)
    _imp(clean_engine, _file(tmp_path))  # no zone column: the point on the surface decides
    with clean_engine.connect() as c:
        expected = dict(
            c.execute(
                text(
                    """SELECT p.code, (SELECT z.code FROM zones z
                        WHERE ST_Intersects(z.geom, ST_PointOnSurface(p.geom))
                        ORDER BY z.code LIMIT 1) FROM parcels p"""
                )
            ).all()
        )
    got = _zone_of(clean_engine)
    assert got == expected
    assert got["P00"] == got["P09"] == "Z1" and got["P10"] is None and got["P24"] is None

    # a zone column: the named zone; a blank cell: the location
    zones: list[str | None] = ["Z2"] * N
    zones[3] = None
    _imp(clean_engine, _file(tmp_path, zones=zones))
    got = _zone_of(clean_engine)
    assert got["P00"] == got["P24"] == "Z2" and got["P03"] == "Z1"


def test_an_import_for_a_county_lands_in_it(clean_engine: Engine, tmp_path: Path) -> None:
    b = second_county.CODE
    with transaction(clean_engine) as s:
        upsert_county(
            s,
            code=b,
            name_zh="郸城县",
            name_en="Dancheng County",
            boundary_wkb=second_county.OUTLINE.wkb_hex,
        )
    boxes = [
        box(115.26 + (i % 5) * 0.003, 33.605 + (i // 5) * 0.002, 115.262 + (i % 5) * 0.003,
            33.6065 + (i // 5) * 0.002)
        for i in range(N)
    ]  # fmt: skip
    path = tmp_path / "dc.gpkg"
    gpd.GeoDataFrame({"编号": [f"P{i:02d}" for i in range(N)]}, geometry=boxes, crs=4490).to_file(
        path
    )
    _imp(clean_engine, _file(tmp_path))  # the same codes in the home county
    with scoped(b):
        report = _imp(clean_engine, path)
    assert report.inserted == N  # codes are unique per county: none of the home county's moved
    with clean_engine.connect() as c:
        by_county = dict(
            c.execute(text("SELECT county, count(*) FROM parcels GROUP BY county")).all()
        )
        summary = dict(
            c.execute(text("SELECT county, count(*) FROM parcel_summary GROUP BY county")).all()
        )
    assert by_county[b] == N and summary[b] == N and sum(by_county.values()) == 2 * N
