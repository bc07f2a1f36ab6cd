"""A changed network feature marks the parcels within reach for re-checking, and only those."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.readiness.engine import run_readiness
from tests.helpers import (
    add_infrastructure,
    add_parcels,
    line_m,
    rect_m,
    run_cli,
    settings_for,
    to_lonlat,
    token,
)

MARKED = "SELECT p.code FROM parcels p JOIN parcel_marks m ON m.parcel_id = p.id"


def test_parcels_near_a_changed_main_are_marked(clean_engine: Engine) -> None:
    add_parcels(
        clean_engine,
        {"code": "NEAR", "geom_m": rect_m(0, 0, 100, 100)},
        {"code": "EDGE", "geom_m": rect_m(4900, 0, 100, 100)},  # 4.9 km east of the main
        {"code": "FAR", "geom_m": rect_m(0, 6000, 100, 100)},  # 6 km north
    )
    # a rule reaching 5 km (settings allow up to 50 km): the parcels within it are marked
    with clean_engine.begin() as c:
        c.execute(text("DELETE FROM parcel_marks"))
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
        marked = set(c.execute(text(MARKED)).scalars())
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
            c.execute(text("DELETE FROM parcel_marks"))
        main["diameter_mm"] = main["diameter_mm"] + 1  # a change, so the feature is updated
        main.to_file(path, driver="GeoJSON")
        res = run_cli(clean_engine, "import", "infrastructure", str(path), "--kind", "water",
                      env=env)  # fmt: skip
        assert res.returncode == 0, res.stderr + res.stdout
        with clean_engine.connect() as c:
            marked = set(c.execute(text(MARKED)).scalars())
        assert marked == expected, reach


def test_a_moved_parcel_is_marked_and_an_unchanged_or_renamed_one_is_not(
    clean_engine: Engine, client: TestClient
) -> None:
    """The bureau's 待复核 flag: a new parcel is due (never checked), a checked one is not; moving
    it makes it due again, a re-import of the same shape or a new name does not."""
    add_parcels(clean_engine, {"code": "A", "geom_m": rect_m(0, 0, 100, 100)})
    bureau = token(clean_engine, "bureau")

    def due() -> bool:
        r = client.get("/api/v1/parcels/A", headers=bureau)
        assert r.status_code == 200, r.text
        return bool(r.json()["properties"]["needs_check"])

    with clean_engine.connect() as c:
        assert set(c.execute(text(MARKED)).scalars()) == set()  # new: due without a mark
    assert due()
    run_readiness(clean_engine, settings=settings_for(clean_engine), actor="test")
    assert not due()
    add_parcels(clean_engine, {"code": "A", "geom_m": rect_m(0, 0, 100, 100)})  # the same shape
    add_parcels(clean_engine, {"code": "A", "name": "新名字", "geom_m": rect_m(0, 0, 100, 100)})
    assert not due()
    add_parcels(clean_engine, {"code": "A", "geom_m": rect_m(10, 0, 100, 100)})  # moved 10 m
    with clean_engine.connect() as c:
        assert set(c.execute(text(MARKED)).scalars()) == {"A"}
    assert due()
    run_readiness(clean_engine, settings=settings_for(clean_engine), actor="test", only_marked=True)
    assert not due()
    with clean_engine.connect() as c:
        assert set(c.execute(text(MARKED)).scalars()) == set()


def test_a_parcel_moved_again_during_a_run_stays_marked(clean_engine: Engine) -> None:
    """A run clears the marks it found, not one a write made while it was checking: the parcel
    moved once more mid-run is checked again by the next run, against its newest shape."""
    add_parcels(clean_engine, {"code": "A", "geom_m": rect_m(0, 0, 100, 100)})
    settings = settings_for(clean_engine)
    run_readiness(clean_engine, settings=settings, actor="test")
    add_parcels(clean_engine, {"code": "A", "geom_m": rect_m(10, 0, 100, 100)})

    def move_mid_run(step: str, i: int, n: int) -> None:
        if step == "water":  # the run has chosen its parcels and read their marks
            add_parcels(clean_engine, {"code": "A", "geom_m": rect_m(20, 0, 100, 100)})

    first = run_readiness(
        clean_engine, settings=settings, actor="test", only_marked=True, progress=move_mid_run
    )
    assert first.parcels_checked == 1
    with clean_engine.connect() as c:
        assert set(c.execute(text(MARKED)).scalars()) == {"A"}
    again = run_readiness(clean_engine, settings=settings, actor="test", only_marked=True)
    assert again.parcels_checked == 1
    with clean_engine.connect() as c:
        assert set(c.execute(text(MARKED)).scalars()) == set()
