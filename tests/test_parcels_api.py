"""The parcel register over HTTP: areas in 亩, bbox filters, errors a user would meet."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.helpers import add_parcels, rect_m, to_lonlat, token


def test_a_200_by_100_metre_parcel_is_30_mu(client: TestClient, clean_engine: Engine) -> None:
    add_parcels(clean_engine, {"code": "T-1", "geom_m": rect_m(0, 0, 200, 100), "published": True})
    r = client.get("/api/v1/parcels/T-1")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    props = r.json()["properties"]
    assert props["area_mu"] == 30.00
    assert props["area_m2"] == pytest.approx(20000, abs=0.5)
    assert r.json()["id"] == "T-1"


def test_geometry_is_lon_lat(client: TestClient, clean_engine: Engine) -> None:
    add_parcels(clean_engine, {"code": "T-1", "geom_m": rect_m(0, 0, 50, 50), "published": True})
    ring = client.get("/api/v1/parcels/T-1").json()["geometry"]["coordinates"][0][0]
    lon, lat = ring[0]
    assert 114.8 < lon < 115.0 and 33.6 < lat < 33.8


def test_bbox_returns_exactly_the_parcels_it_touches(
    client: TestClient, clean_engine: Engine
) -> None:
    add_parcels(
        clean_engine,
        {"code": "A", "geom_m": rect_m(0, 0, 100, 100), "published": True},
        {"code": "B", "geom_m": rect_m(300, 0, 100, 100), "published": True},
        {"code": "C", "geom_m": rect_m(1000, 1000, 100, 100), "published": True},
    )
    # a box from inside A to the middle of B: touches A and B, not C
    minlon, minlat, _, _ = to_lonlat(rect_m(50, 50, 1, 1)).bounds
    _, _, maxlon, maxlat = to_lonlat(rect_m(349, 50, 1, 1)).bounds
    r = client.get("/api/v1/parcels", params={"bbox": f"{minlon},{minlat},{maxlon},{maxlat}"})
    assert r.status_code == 200
    assert [f["id"] for f in r.json()["features"]] == ["A", "B"]
    assert r.json()["numberMatched"] == 2
    # the other two corners of the same box (as a drag on a map gives them): the same parcels
    r = client.get("/api/v1/parcels", params={"bbox": f"{maxlon},{maxlat},{minlon},{minlat}"})
    assert [f["id"] for f in r.json()["features"]] == ["A", "B"]


def test_area_filters_in_mu(client: TestClient, clean_engine: Engine) -> None:
    add_parcels(
        clean_engine,
        {"code": "S", "geom_m": rect_m(0, 0, 100, 100), "published": True},  # 15 亩
        {"code": "L", "geom_m": rect_m(500, 0, 300, 200), "published": True},  # 90 亩
    )

    def codes(**q: float) -> list[str]:
        return [f["id"] for f in client.get("/api/v1/parcels", params=q).json()["features"]]

    assert codes(min_area_mu=20) == ["L"]
    assert codes(max_area_mu=20) == ["S"]
    assert codes(min_area_mu=10, max_area_mu=100) == ["L", "S"]
    assert codes(min_area_mu=100, max_area_mu=50) == ["L"]  # a range the wrong way round
    # an HTML form sends empty fields: they count as not sent
    r = client.get("/api/v1/parcels?min_area_mu=&max_area_mu=20&net_land=&zone=")
    assert r.status_code == 200 and [f["id"] for f in r.json()["features"]] == ["S"]


def test_paging(client: TestClient, clean_engine: Engine) -> None:
    add_parcels(
        clean_engine,
        *(
            {"code": f"P{i:02}", "geom_m": rect_m(i * 150, 0, 100, 100), "published": True}
            for i in range(5)
        ),
    )
    r = client.get("/api/v1/parcels", params={"limit": 2, "offset": 2}).json()
    assert [f["id"] for f in r["features"]] == ["P02", "P03"]
    assert r["numberMatched"] == 5


@pytest.mark.parametrize(
    "bbox, says",
    [
        ("1,2,3", "four numbers"),
        ("a,b,c,d", "four numbers"),
        ("114, 33,115,34", "no spaces"),
        ("1e2,33,115,34", "four numbers"),
        ("114,33,200,34", "longitudes"),
        ("114,-95,115,34", "latitudes"),
    ],
)
def test_malformed_bbox_is_422_naming_it(client: TestClient, bbox: str, says: str) -> None:
    r = client.get("/api/v1/parcels", params={"bbox": bbox})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "bbox" in r.json()["detail"] and says in r.json()["detail"]


def test_bad_filters_are_422_naming_the_parameter(client: TestClient) -> None:
    r = client.get("/api/v1/parcels", params={"min_area_mu": "lots"})
    assert r.status_code == 422 and "min_area_mu" in r.json()["detail"]
    r = client.get("/api/v1/parcels", params={"limit": 1_000_000})
    assert r.status_code == 422 and "limit" in r.json()["detail"]


def test_unknown_code_is_404_json(client: TestClient) -> None:
    r = client.get("/api/v1/parcels/NOPE")
    assert r.status_code == 404
    assert "NOPE" in r.json()["detail"]


def test_public_sees_published_parcels_and_public_fields_only(
    client: TestClient, clean_engine: Engine
) -> None:
    add_parcels(
        clean_engine,
        {"code": "PUB", "geom_m": rect_m(0, 0, 100, 100), "published": True, "notes": "内部"},
        {"code": "HID", "geom_m": rect_m(200, 0, 100, 100), "published": False},
    )
    public = client.get("/api/v1/parcels").json()
    assert [f["id"] for f in public["features"]] == ["PUB"]
    assert "notes" not in public["features"][0]["properties"]
    assert client.get("/api/v1/parcels/HID").status_code == 404
    bureau = token(clean_engine, "bureau")
    internal = client.get("/api/v1/parcels", headers=bureau).json()
    assert [f["id"] for f in internal["features"]] == ["HID", "PUB"]
    assert client.get("/api/v1/parcels/HID", headers=bureau).json()["properties"]["notes"] is None
