"""Counties: the list, county tokens, codes unique per county, boundaries, the city roll-up."""

from __future__ import annotations

from typing import Any

import shapely
from fastapi.testclient import TestClient
from shapely.geometry import box, mapping
from sqlalchemy import Engine, text

from geo_service.auth.tokens import create_token
from geo_service.counties.models import HOME
from geo_service.counties.scope import scoped
from geo_service.counties.service import read_outline, upsert_county
from geo_service.db.engine import transaction
from geo_service.demo import second_county
from geo_service.settings import Settings
from tests.helpers import add_parcels, rect_m, run_cli, to_lonlat, token

B = second_county.CODE


def _county_b(engine: Engine, *, with_home_boundary: bool = False) -> None:
    with transaction(engine) as s:
        upsert_county(
            s,
            code=B,
            name_zh="郸城县",
            name_en="Dancheng County",
            boundary_wkb=second_county.OUTLINE.wkb_hex,
        )
        if with_home_boundary:
            upsert_county(
                s,
                code=HOME[0],
                name_zh=HOME[1],
                name_en=HOME[2],
                boundary_wkb=read_outline(Settings().district_boundary),
            )


def _b_token(engine: Engine, role: str) -> dict[str, str]:
    with transaction(engine) as s:
        secret = create_token(s, role=role, name=f"{role}-dc", actor="test", county=B)
    return {"Authorization": f"Bearer {secret}"}


def _square_in_b(dx: float = 0.0) -> dict[str, Any]:
    x, y = 115.26 + dx, 33.605
    return dict(mapping(box(x, y, x + 0.002, y + 0.0015)))


def _feature(code: str, geometry: dict[str, Any]) -> dict[str, Any]:
    geom = shapely.geometry.shape(geometry)
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [list(map(list, geom.exterior.coords))]},
        "properties": {"code": code, "name": f"地块 {code}", "published": True},
    }


def test_counties_are_listed_with_their_outlines(client: TestClient, clean_engine: Engine) -> None:
    _county_b(clean_engine)
    fc = client.get("/api/v1/counties").json()
    by = {f["id"]: f for f in fc["features"]}
    assert set(by) == {HOME[0], B}
    assert by[HOME[0]]["properties"]["home"] is True
    assert by[B]["properties"]["name_zh"] == "郸城县"
    assert by[B]["geometry"]["type"] == "MultiPolygon"
    assert by[B]["properties"]["area_km2"] > 1000  # a county-sized outline


def test_codes_are_unique_within_a_county_not_across(clean_engine: Engine) -> None:
    _county_b(clean_engine)
    add_parcels(clean_engine, {"code": "P-1", "geom_m": rect_m(0, 0, 100, 100)})
    with scoped(B):
        add_parcels(clean_engine, {"code": "P-1", "geom_m": rect_m(0, 0, 100, 100)})
    with clean_engine.connect() as c:
        rows = c.execute(text("SELECT county FROM parcels WHERE code = 'P-1'")).scalars().all()
    assert sorted(rows) == sorted([HOME[0], B])


def test_a_county_token_creates_in_its_county_and_inside_its_boundary(
    client: TestClient, clean_engine: Engine
) -> None:
    _county_b(clean_engine)
    bureau = _b_token(clean_engine, "bureau")
    r = client.post("/api/v1/parcels", json=_feature("DC-N1", _square_in_b()), headers=bureau)
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["county"] == B
    # a parcel in Huaiyang (the test origin) is outside 郸城县: refused, naming the county
    inside_a = mapping(to_lonlat(rect_m(0, 0, 200, 100)))
    r = client.post("/api/v1/parcels", json=_feature("DC-N2", dict(inside_a)), headers=bureau)
    assert r.status_code == 422, r.text
    assert "411625" in r.json()["detail"] and "郸城县" in r.json()["detail"]
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM parcels WHERE code = 'DC-N2'")).scalar() == 0


def test_an_import_for_a_county_is_checked_against_its_boundary(
    client: TestClient, clean_engine: Engine, tmp_path: Any
) -> None:
    import json

    _county_b(clean_engine)
    inside_a = dict(mapping(to_lonlat(rect_m(0, 0, 200, 100))))
    fc = {
        "type": "FeatureCollection",
        "features": [_feature("DC-I1", _square_in_b()), _feature("DC-I2", inside_a)],
    }
    path = tmp_path / "dc.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    with path.open("rb") as f:
        r = client.post(
            f"/api/v1/imports?county={B}",
            data={"kind": "parcels"},
            files={"file": ("dc.geojson", f, "application/geo+json")},
            headers=token(clean_engine, "bureau"),
        )
    assert r.status_code == 422, r.text
    assert "DC-I2" in r.text and "nothing was written" in r.json()["detail"]
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM parcels")).scalar() == 0
    # the good row alone lands in county B
    fc["features"] = fc["features"][:1]
    path.write_text(json.dumps(fc), encoding="utf-8")
    res = run_cli(clean_engine, "import", "parcels", str(path), "--county", B)
    assert res.returncode == 0, res.stderr
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT county FROM parcels WHERE code = 'DC-I1'")).scalar() == B
    res = run_cli(clean_engine, "import", "parcels", str(path), "--county", "419999")
    assert res.returncode != 0 and "--county" in res.stderr


def test_token_cli_takes_a_county(clean_engine: Engine) -> None:
    _county_b(clean_engine)
    made = run_cli(
        clean_engine, "token", "create", "--role", "bureau", "--name", "dc", "--county", B
    )
    assert made.returncode == 0, made.stderr
    assert B in made.stderr
    listed = run_cli(clean_engine, "token", "list")
    assert listed.stdout.split()[:3] == ["dc", "bureau", "411625"]
    bad = run_cli(
        clean_engine, "token", "create", "--role", "bureau", "--name", "x", "--county", "1"
    )
    assert bad.returncode != 0 and "--county" in bad.stderr


def test_stats_roll_up_by_county(client: TestClient, clean_engine: Engine) -> None:
    _county_b(clean_engine)
    add_parcels(clean_engine, {"code": "A-1", "geom_m": rect_m(0, 0, 200, 100)})
    with scoped(B):
        add_parcels(clean_engine, {"code": "B-1", "geom_m": rect_m(0, 0, 400, 100)})
    official = token(clean_engine, "official")
    city = client.get("/api/v1/stats", headers=official).json()
    assert city["county"] is None and set(city["by_county"]) == {HOME[0], B}
    parts = city["by_county"]
    assert parts[B]["name_zh"] == "郸城县"
    for key in ("parcels", "area_mu"):
        if key in city["land"]:
            total = sum(p["land"][key] for p in parts.values())
            assert abs(total - city["land"][key]) < 0.05, key
    only_b = client.get("/api/v1/stats", params={"county": B}, headers=official).json()
    assert only_b["county"] == B and "by_county" not in only_b
    assert only_b["land"] == parts[B]["land"]


def test_exports_per_county_or_all(client: TestClient, clean_engine: Engine) -> None:
    _county_b(clean_engine)
    add_parcels(clean_engine, {"code": "A-1", "geom_m": rect_m(0, 0, 200, 100), "published": True})
    with scoped(B):
        add_parcels(
            clean_engine, {"code": "B-1", "geom_m": rect_m(0, 0, 400, 100), "published": True}
        )
    every = client.get("/api/v1/exports/parcels?format=csv").text
    assert "A-1" in every and "B-1" in every
    only_b = client.get(f"/api/v1/exports/parcels?format=csv&county={B}")
    assert only_b.status_code == 200, only_b.text
    assert "B-1" in only_b.text and "A-1" not in only_b.text


def test_a_parcels_county_must_exist_and_carries_its_parcels(clean_engine: Engine) -> None:
    """The parcels' county reference is checked per statement (migration 0012_parcel_county), as
    the foreign key did per row: no parcel in an unknown county, none left behind by a county's
    delete, and a county's new code carries its parcels."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    _county_b(clean_engine)
    add_parcels(clean_engine, {"code": "P-A", "geom_m": rect_m(0, 0, 100, 100)})
    with scoped(B):
        add_parcels(clean_engine, {"code": "P-B", "geom_m": rect_m(0, 0, 100, 100)})
    copy = (
        "INSERT INTO parcels (county, code, name, geom) SELECT :c, 'P-X', name, geom "
        "FROM parcels WHERE code = 'P-A'"
    )
    with pytest.raises(IntegrityError, match=r"\(county\)=\(999999\)"), clean_engine.begin() as c:
        c.execute(text(copy), {"c": "999999"})
    with pytest.raises(IntegrityError, match="county"), clean_engine.begin() as c:
        c.execute(text("UPDATE parcels SET county = '999999' WHERE code = 'P-A'"))
    gone = pytest.raises(IntegrityError, match=f"county {B} still has parcels")
    with gone, clean_engine.begin() as c:
        c.execute(text("DELETE FROM counties WHERE code = :b"), {"b": B})
    with clean_engine.begin() as c:  # a known county is accepted, by insert and by a move
        c.execute(text(copy), {"c": B})
        c.execute(text("UPDATE parcels SET county = :b WHERE code = 'P-A'"), {"b": B})
        c.execute(text("UPDATE counties SET code = '411699' WHERE code = :b"), {"b": B})
        rows = c.execute(text("SELECT code, county FROM parcels ORDER BY code")).all()
    assert [tuple(r) for r in rows] == [("P-A", "411699"), ("P-B", "411699"), ("P-X", "411699")]
    with clean_engine.begin() as c:
        c.execute(text("DELETE FROM parcels"))
        c.execute(text("DELETE FROM counties WHERE code = '411699'"))
        assert c.execute(text("SELECT count(*) FROM counties")).scalar_one() == 1
