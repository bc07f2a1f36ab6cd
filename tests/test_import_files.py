"""Importing real-format files into the real PostGIS: names, areas, CRS, refusals, repairs."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from sqlalchemy import Engine, text

from geo_service.errors import ImportRejected, InvalidInput
from geo_service.importers import run_import
from geo_service.spatial import SQM_PER_MU
from tests.fixtures import land_files as lf
from tests.helpers import settings_for


def _import(engine: Engine, path: Path, kind: str = "parcels", **kw: object):  # type: ignore[no-untyped-def]
    return run_import(
        engine, kind=kind, path=path, settings=settings_for(engine), actor="test", **kw
    )


def _parcels(engine: Engine) -> dict[str, tuple[str, float, int]]:
    with engine.connect() as c:
        rows = c.execute(text("SELECT code, name, area_m2, version FROM parcels ORDER BY code"))
        return {r.code: (r.name, r.area_m2, r.version) for r in rows}


def test_gbk_shapefile_without_cpg_keeps_chinese_names_and_geodesic_areas(
    clean_engine: Engine, tmp_path: Path
) -> None:
    shp = lf.gbk_shapefile(tmp_path / "shp")
    assert not shp.with_suffix(".cpg").exists()
    report = _import(clean_engine, shp)
    assert report.ok and report.inserted == 2
    assert "GB18030" in " ".join(report.notes)
    assert "EPSG:4547" in report.crs
    got = _parcels(clean_engine)
    assert got["HY-2024-01"][0] == "淮阳产业集聚区一号地块"
    assert got["HY-2024-02"][0] == "龙湖北侧标准地"
    src = gpd.read_file(shp, encoding="GB18030")
    for code, geom in zip(src["地块编号"], src.geometry, strict=True):
        expected_mu = lf.geodesic_m2(geom, lf.GK) / SQM_PER_MU
        stored_mu = got[code][1] / SQM_PER_MU
        assert stored_mu == pytest.approx(expected_mu, rel=0.0005)
    # 200 m × 150 m is 45 亩 on the map; the GK scale factor keeps it within 0.05 %
    assert got["HY-2024-01"][1] / SQM_PER_MU == pytest.approx(45.0, rel=0.0005)


def test_zipped_shapefile_with_cpg(clean_engine: Engine, tmp_path: Path) -> None:
    import zipfile

    shp = lf.gbk_shapefile(tmp_path / "shp", cpg=True)
    z = tmp_path / "parcels.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in shp.parent.iterdir():
            zf.write(p, p.name)
    report = _import(clean_engine, z)
    assert report.inserted == 2 and "from the .cpg" in " ".join(report.notes)
    assert _parcels(clean_engine)["HY-2024-02"][0] == "龙湖北侧标准地"


def test_zone_prefixed_boundary_point_table_with_a_hole(
    clean_engine: Engine, tmp_path: Path
) -> None:
    xlsx = lf.boundary_points_xlsx(tmp_path / "界址点.xlsx")
    report = _import(clean_engine, xlsx)
    assert report.ok and report.inserted == 2, report.problems
    assert "EPSG:4526" in report.crs and "zone prefix 38" in report.crs
    with clean_engine.connect() as c:
        sql = "SELECT code, ST_NumInteriorRings(ST_GeometryN(geom, 1)) FROM parcels"
        holes = {code: n for code, n in c.execute(text(sql))}
    assert holes == {"JZ-01": 1, "JZ-02": 0}
    got = _parcels(clean_engine)
    assert got["JZ-01"][0] == "带空洞地块"
    for code, poly in lf.points_table_polygons().items():
        assert got[code][1] == pytest.approx(lf.geodesic_m2(poly, lf.GK), rel=0.0005)
    # 180 × 250 − 50 × 50 = 42 500 m² ≈ 63.75 亩
    assert got["JZ-01"][1] / SQM_PER_MU == pytest.approx(63.75, rel=0.0005)


def test_table_without_zone_prefix_is_refused_with_the_crs_to_pass(
    clean_engine: Engine, tmp_path: Path
) -> None:
    xlsx = lf.boundary_points_xlsx(tmp_path / "pts.xlsx", prefixed=False)
    with pytest.raises(InvalidInput, match=r"pass --crs EPSG:4547"):
        _import(clean_engine, xlsx)
    assert _parcels(clean_engine) == {}
    report = _import(clean_engine, xlsx, crs="EPSG:4547")
    assert report.inserted == 2
    assert _parcels(clean_engine)["JZ-01"][1] / SQM_PER_MU == pytest.approx(63.75, rel=0.0005)


def test_invalid_geometry_refuses_the_whole_file_and_names_row_and_reason(
    clean_engine: Engine, tmp_path: Path
) -> None:
    gpkg = lf.geopackage_with_bowtie(tmp_path / "p.gpkg")
    with pytest.raises(ImportRejected) as ei:
        _import(clean_engine, gpkg)
    problems = ei.value.extra["problems"]
    assert len(problems) == 1
    assert "feature 3 (code GP-3)" in problems[0]
    assert "self-intersection at 114.9" in problems[0]
    assert "nothing was written" in ei.value.public
    assert _parcels(clean_engine) == {}
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM imports")).scalar() == 0


def test_repair_fixes_the_bowtie_and_reports_the_area_change(
    clean_engine: Engine, tmp_path: Path
) -> None:
    gpkg = lf.geopackage_with_bowtie(tmp_path / "p.gpkg")
    report = _import(clean_engine, gpkg, repair=True)
    assert report.inserted == 4
    assert len(report.repairs) == 1
    rep = report.repairs[0]
    assert rep.startswith("feature 3 (code GP-3): self-intersection")
    # the bow tie's two triangles hold half of the 100 m square: 5 000 m² ≈ 7.50 亩
    assert "7.50 亩" in rep and "m²" in rep
    got = _parcels(clean_engine)
    assert got["GP-3"][1] == pytest.approx(5000, rel=0.001)
    with clean_engine.connect() as c:
        rec = c.execute(text("SELECT file_name, sha256, counts, actor FROM imports")).one()
        audit = c.execute(
            text("SELECT count(*) FROM audit_events WHERE action = 'import.parcels'")
        ).scalar()
    assert rec.file_name == "p.gpkg" and len(rec.sha256) == 64 and rec.actor == "test"
    assert rec.counts["inserted"] == 4 and rec.counts["repaired"] == 1
    assert audit == 1


def test_dry_run_reports_what_would_change_and_writes_nothing(
    clean_engine: Engine, tmp_path: Path
) -> None:
    shp = lf.gbk_shapefile(tmp_path / "shp")
    report = _import(clean_engine, shp, dry_run=True)
    assert report.inserted == 2 and report.dry_run
    assert _parcels(clean_engine) == {}
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM imports")).scalar() == 0


def test_reimport_updates_existing_codes_and_keeps_other_fields(
    clean_engine: Engine, tmp_path: Path
) -> None:
    shp = lf.gbk_shapefile(tmp_path / "shp")
    _import(clean_engine, shp)
    with clean_engine.begin() as c:
        c.execute(text("UPDATE parcels SET published = true, contact = '张科长'"))
    again = _import(clean_engine, shp)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    src = gpd.read_file(shp, encoding="GB18030")
    src.loc[0, "地块名称"] = "更名后的地块"
    changed = tmp_path / "changed.gpkg"
    src.to_file(changed)
    report = _import(clean_engine, changed)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    assert report.updated_codes == ["HY-2024-01"]
    got = _parcels(clean_engine)
    assert len(got) == 2 and got["HY-2024-01"][0] == "更名后的地块"
    assert got["HY-2024-01"][2] == 2 and got["HY-2024-02"][2] == 1
    with clean_engine.connect() as c:
        kept = c.execute(text("SELECT bool_and(published), min(contact) FROM parcels")).one()
    assert kept == (True, "张科长")


def test_every_problem_is_listed(clean_engine: Engine, tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"编号": ["D1", "D1", "D3", None, "D5"], "名称": ["a", "b", "c", "d", "e"]},
        geometry=[
            lf.gk_box(0, 0, 50, 50),
            lf.gk_box(100, 0, 50, 50),
            lf.gk_box(0, 0, 50, 50).buffer(0).boundary,  # a line, not a polygon
            lf.gk_box(200, 0, 50, 50),
            lf.gk_box(5_000_000 - lf.E0, 0, 50, 50),  # far outside the district
        ],
        crs=lf.GK,
    )
    path = tmp_path / "bad.gpkg"
    gdf.to_file(path)
    with pytest.raises(ImportRejected) as ei:
        _import(clean_engine, path)
    text_ = "\n".join(ei.value.extra["problems"])
    assert "code D1 appears 2 times (feature 1, feature 2)" in text_
    assert "feature 3 (code D3): geometry is a LineString" in text_
    assert "feature 4: no code" in text_
    assert "feature 5 (code D5): lies (partly) outside the district extent" in text_
    assert _parcels(clean_engine) == {}


def test_missing_required_column(clean_engine: Engine, tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"备注": ["x"]}, geometry=[lf.gk_box(0, 0, 50, 50)], crs=lf.GK)
    path = tmp_path / "nocode.geojson"
    gdf.to_file(path)
    with pytest.raises(ImportRejected) as ei:
        _import(clean_engine, path)
    assert "missing column code" in ei.value.extra["problems"][0]


def test_no_crs_and_not_lonlat_is_refused(clean_engine: Engine, tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"code": ["N1"]}, geometry=[lf.gk_box(0, 0, 50, 50)])
    path = tmp_path / "nocrs.gpkg"
    gdf.to_file(path)
    with pytest.raises(InvalidInput, match="no coordinate system.*--crs EPSG:4547"):
        _import(clean_engine, path)


def test_infrastructure_with_chinese_headers_and_units(
    clean_engine: Engine, tmp_path: Path
) -> None:
    from shapely.geometry import LineString

    gdf = gpd.GeoDataFrame(
        {
            "编号": ["W1", "W2", "P1"],
            "类型": ["给水", "供水", "电力"],
            "状态": ["现状", "规划", "已建"],
            "管径": ["DN300", "0.2m", None],
            "电压等级": [None, None, "10kV"],
        },
        geometry=[
            LineString([(lf.E0, lf.N0), (lf.E0 + 500, lf.N0)]),
            LineString([(lf.E0, lf.N0 + 50), (lf.E0 + 500, lf.N0 + 50)]),
            LineString([(lf.E0, lf.N0 + 90), (lf.E0 + 500, lf.N0 + 90)]),
        ],
        crs=lf.GK,
    )
    path = tmp_path / "net.gpkg"
    gdf.to_file(path)
    report = _import(clean_engine, path, kind="infrastructure")
    assert report.inserted == 3, report.problems
    with clean_engine.connect() as c:
        rows = {
            r.code: (r.kind, r.status, r.diameter_mm, r.voltage_kv)
            for r in c.execute(text("SELECT * FROM infrastructure"))
        }
    assert rows == {
        "W1": ("water", "existing", 300.0, None),
        "W2": ("water", "planned", 200.0, None),
        "P1": ("power", "existing", None, 10.0),
    }
    gdf["状态"] = ["现状", "未知", "已建"]
    gdf.to_file(path)
    with pytest.raises(ImportRejected, match="1 problem"):
        _import(clean_engine, path, kind="infrastructure")


def test_a_network_file_must_say_what_exists(clean_engine: Engine, tmp_path: Path) -> None:
    """Planned lines never count for readiness, so a file without 状态/status is refused."""
    from shapely.geometry import LineString

    gdf = gpd.GeoDataFrame(
        {"编号": ["R1"], "道路等级": ["主干路"]},
        geometry=[LineString([(lf.E0, lf.N0), (lf.E0 + 500, lf.N0)])],
        crs=lf.GK,
    )
    path = tmp_path / "roads.gpkg"
    gdf.to_file(path)
    with pytest.raises(ImportRejected, match="1 problem") as e:
        _import(clean_engine, path, kind="infrastructure", infra_kind="road")
    (problem,) = e.value.extra["problems"]
    assert "missing column status" in problem and "状态" in problem
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM infrastructure")).scalar() == 0
