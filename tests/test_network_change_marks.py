"""A changed network feature marks the parcels within reach for re-checking, and only those."""

from __future__ import annotations

from sqlalchemy import Engine, text

from tests.helpers import add_infrastructure, add_parcels, line_m, rect_m


def test_parcels_near_a_changed_main_are_marked(clean_engine: Engine) -> None:
    add_parcels(
        clean_engine,
        {"code": "NEAR", "geom_m": rect_m(0, 0, 100, 100)},
        {"code": "EDGE", "geom_m": rect_m(4900, 0, 100, 100)},  # 4.9 km east of the main
        {"code": "FAR", "geom_m": rect_m(0, 6000, 100, 100)},  # 6 km north
    )
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
    )
    with clean_engine.connect() as c:
        marked = set(c.execute(text("SELECT code FROM parcels WHERE needs_check")).scalars())
    assert marked == {"NEAR", "EDGE"}
