"""A changed network feature marks the parcels within reach for re-checking, and only those."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from sqlalchemy import Engine, text

from tests.helpers import add_infrastructure, add_parcels, line_m, rect_m, run_cli, to_lonlat


def test_parcels_near_a_changed_main_are_marked(clean_engine: Engine) -> None:
    add_parcels(
        clean_engine,
        {"code": "NEAR", "geom_m": rect_m(0, 0, 100, 100)},
        {"code": "EDGE", "geom_m": rect_m(4900, 0, 100, 100)},  # 4.9 km east of the main
        {"code": "FAR", "geom_m": rect_m(0, 6000, 100, 100)},  # 6 km north
    )
    # a rule reaching 5 km (settings allow up to 50 km): the parcels within it are marked
    with clean_engine.begin() as c:
        c.execute(text("UPDATE parcels SET needs_check = false"))
    add_infrastructure(
        clean_engine,
        {
            "code": "W-1",
            "kind": "water",
            "diameter_mm": 200,
            "geom_m": line_m((-50, -50), (-50, 150)),
        },
        within_m=5000,
    )
    with clean_engine.connect() as c:
        marked = set(c.execute(text("SELECT code FROM parcels WHERE needs_check")).scalars())
    assert marked == {"NEAR", "EDGE"}


def test_an_import_marks_as_far_as_the_configured_rule_reaches(
    clean_engine: Engine, tmp_path: Path
) -> None:
    """The reach is the rules' longest distance, not a constant: 500 m by default (power),
    6 km when the water rule says so."""
    add_parcels(
        clean_engine,
        {"code": "NEAR", "geom_m": rect_m(0, 0, 100, 100)},
        {"code": "EDGE", "geom_m": rect_m(4900, 0, 100, 100)},
    )
    main = gpd.GeoDataFrame(
        {"code": ["W-9"], "kind": ["water"], "status": ["existing"], "diameter_mm": [200]},
        geometry=[to_lonlat(line_m((-50, -50), (-50, 150)))],
        crs="EPSG:4490",
    )
    path = tmp_path / "mains.geojson"
    for reach, env, expected in (
        (500, {}, {"NEAR"}),
        (6000, {"GEO_SERVICE_READINESS__WATER__MAX_DISTANCE_M": "6000"}, {"NEAR", "EDGE"}),
    ):
        with clean_engine.begin() as c:
            c.execute(text("UPDATE parcels SET needs_check = false"))
        main["diameter_mm"] = main["diameter_mm"] + 1  # a change, so the feature is updated
        main.to_file(path, driver="GeoJSON")
        res = run_cli(clean_engine, "import", "infrastructure", str(path), "--kind", "water",
                      env=env)  # fmt: skip
        assert res.returncode == 0, res.stderr + res.stdout
        with clean_engine.connect() as c:
            marked = set(c.execute(text("SELECT code FROM parcels WHERE needs_check")).scalars())
        assert marked == expected, reach
