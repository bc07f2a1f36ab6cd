"""The readiness run measures networks on a metric copy (Gauss-Krüger): what it decides and shows
must still be the distance on the ellipsoid, also 140 km off the zone's central meridian where the
projection stretches 200 m by 4 cm."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from geo_service.readiness.engine import run_readiness
from geo_service.settings import Settings
from tests.helpers import add_infrastructure, add_parcels, line_m, rect_m, to_lonlat

AS_OF = datetime(2024, 6, 30, tzinfo=UTC)
#: 1.45° east of CM 114°E (still its zone): k - 1 ≈ 2.2e-4, 200 m → 200.044 m on the plane
EAST = (115.45, 33.72)


def _geodesic(engine: Engine, parcel: str, main: str) -> float:
    with engine.connect() as c:
        return float(
            c.execute(
                text(
                    "SELECT ST_Distance(p.geom::geography, i.geom::geography) FROM parcels p, "
                    "infrastructure i WHERE p.code = :p AND i.code = :i"
                ),
                {"p": parcel, "i": main},
            ).scalar_one()
        )


def _water(engine: Engine, code: str) -> dict:
    with engine.connect() as c:
        return dict(
            c.execute(
                text(
                    "SELECT c.status, c.evidence FROM parcel_conditions c "
                    "JOIN parcels p ON p.id = c.parcel_id "
                    "WHERE p.code = :c AND c.condition = 'water'"
                ),
                {"c": code},
            )
            .mappings()
            .one()
        )


def test_distances_are_on_the_ellipsoid_not_the_projection(clean_engine: Engine) -> None:
    # two parcels 3 km apart, each with its own main just inside / just outside 200 m
    add_parcels(
        clean_engine,
        {"code": "IN", "geom": to_lonlat(rect_m(0, -100, 100, 100), EAST)},
        {"code": "OUT", "geom": to_lonlat(rect_m(3000, -100, 100, 100), EAST)},
    )
    add_infrastructure(
        clean_engine,
        {
            "code": "W-IN",
            "kind": "water",
            "diameter_mm": 150,
            "geom": to_lonlat(line_m((-50, 199.97), (150, 199.97)), EAST),
        },
        {
            "code": "W-OUT",
            "kind": "water",
            "diameter_mm": 150,
            "geom": to_lonlat(line_m((2950, 200.03), (3150, 200.03)), EAST),
        },
    )
    d_in, d_out = _geodesic(clean_engine, "IN", "W-IN"), _geodesic(clean_engine, "OUT", "W-OUT")
    assert d_in < 200 < d_out  # the geometry is what the test says (to the ellipsoid)
    settings = Settings(database_url=clean_engine.url.render_as_string(hide_password=False))
    run_readiness(clean_engine, settings=settings, actor="test", as_of=AS_OF)

    inside, outside = _water(clean_engine, "IN"), _water(clean_engine, "OUT")
    # 199.97 m on the ellipsoid is ~200.01 m on the plane: still met, as the rule says
    assert inside["status"] == "met"
    assert inside["evidence"]["nearest"]["code"] == "W-IN"
    assert inside["evidence"]["nearest"]["distance_m"] == pytest.approx(d_in, abs=0.051)
    assert outside["status"] == "unmet"
    failing = outside["evidence"]["nearest_failing"]
    assert failing["code"] == "W-OUT"
    assert failing["distance_m"] == pytest.approx(d_out, abs=0.051)
    assert failing["why"].startswith("distance 200")
