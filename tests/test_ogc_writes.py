"""OGC API – Features Part 4 on /ogc: create, replace, update, delete through the service's own
write paths (validation, district boundary, lifecycle, audit, If-Match 428/412, roles)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import mapping
from sqlalchemy import Engine, text

from tests.helpers import rect_m, to_lonlat, token
from tests.route_matrix import seed

ITEMS = "/ogc/collections/parcels/items"
MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
def env(client: TestClient, clean_engine: Engine) -> dict[str, Any]:
    seed(clean_engine)
    return {
        "c": client,
        "e": clean_engine,
        "bureau": token(clean_engine, "bureau"),
        "official": token(clean_engine, "official"),
    }


def _feature(code: str, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": mapping(to_lonlat(rect_m(1000, 1000, 150, 100))),
        "properties": {"code": code, "name": f"新地块 {code}", **props},
    }


def _audit(engine: Engine, code: str) -> list[str]:
    with engine.connect() as c:
        return list(
            c.execute(
                text("SELECT action FROM audit_events WHERE entity_code = :c ORDER BY id"),
                {"c": code},
            ).scalars()
        )


def test_create_a_parcel_201_with_location_and_etag(env: dict[str, Any]) -> None:
    c = env["c"]
    body = _feature("NEW-1", industry="装备制造")
    assert c.post(ITEMS, json=body).status_code == 401
    assert c.post(ITEMS, json=body, headers=env["official"]).status_code == 403
    r = c.post(ITEMS, json=body, headers={**env["bureau"], "Content-Type": "application/geo+json"})
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "http://testserver/ogc/collections/parcels/items/NEW-1"
    assert r.headers["etag"] == '"1"'
    got = c.get(r.headers["location"], headers=env["bureau"]).json()
    assert got["properties"]["industry"] == "装备制造"
    assert got["properties"]["area_mu"] == pytest.approx(150 * 100 / (10000 / 15), abs=0.05)
    assert _audit(env["e"], "NEW-1") == ["parcel.create"]
    # the same code again: 409, nothing changed
    assert c.post(ITEMS, json=body, headers=env["bureau"]).status_code == 409


def test_invalid_features_write_nothing(env: dict[str, Any]) -> None:
    c = env["c"]
    far = _feature("FAR-1")
    far["geometry"] = mapping(to_lonlat(rect_m(0, 0, 100, 100), origin=(100.0, 30.0)))
    for bad in (
        far,  # outside the district
        {"type": "Feature", "geometry": None, "properties": {"code": "X-1", "name": "x"}},
        {**_feature("X-2"), "properties": {"code": "X-2"}},  # no name
        {**_feature("X-3"), "properties": {"code": "X-3", "name": "x", "colour": "red"}},
    ):
        r = c.post(ITEMS, json=bad, headers=env["bureau"])
        assert 400 <= r.status_code < 500 and r.json()["detail"], r.text
    with env["e"].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM parcels")).scalar_one() == 4
    assert (
        c.post(
            "/ogc/collections/zones/items", json=_feature("Z"), headers=env["bureau"]
        ).status_code
        == 405
    )


def test_update_with_merge_patch_needs_the_current_etag(env: dict[str, Any]) -> None:
    c = env["c"]
    h = env["bureau"]
    url = f"{ITEMS}/PUB-2"
    patch = {"properties": {"industry": "新能源", "contact": None}}
    assert c.patch(url, json=patch, headers={**h, **MERGE}).status_code == 428
    etag = c.get(url, headers=h).headers["etag"]
    r = c.patch(url, json=patch, headers={**h, **MERGE, "If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.headers["etag"] != etag
    assert r.json()["properties"]["industry"] == "新能源"
    stale = c.patch(url, json=patch, headers={**h, **MERGE, "If-Match": etag})
    assert stale.status_code == 412 and stale.json()["current_etag"] == r.headers["etag"]
    assert (
        c.patch(url, json=patch, headers={**env["official"], "If-Match": etag}).status_code == 403
    )


def test_replace_resets_what_is_left_out(env: dict[str, Any]) -> None:
    c = env["c"]
    h = env["bureau"]
    url = f"{ITEMS}/PUB-1"
    got = c.get(url, headers=h)
    feature = got.json()
    assert feature["properties"]["notes"]
    # what a client sends back: the GET's feature, edited; computed fields are ignored
    props = {k: v for k, v in feature["properties"].items() if k != "notes"}
    props["name"] = "改名地块"
    body = {"type": "Feature", "geometry": feature["geometry"], "properties": props}
    r = c.put(url, json=body, headers={**h, "If-Match": got.headers["etag"]})
    assert r.status_code == 200, r.text
    after = c.get(url, headers=h).json()["properties"]
    assert after["name"] == "改名地块" and after["notes"] is None
    assert after["published"] is True
    assert after["area_m2"] == pytest.approx(feature["properties"]["area_m2"], abs=0.05)
    wrong = {**body, "properties": {**props, "code": "PUB-2"}}
    assert c.put(url, json=wrong, headers={**h, "If-Match": r.headers["etag"]}).status_code == 422
    assert _audit(env["e"], "PUB-1")[-1] == "parcel.update"


def test_delete_only_unpublished_plan_land_with_if_match(env: dict[str, Any]) -> None:
    c = env["c"]
    h = env["bureau"]
    etag = c.get(f"{ITEMS}/PUB-2", headers=h).headers["etag"]
    assert c.delete(f"{ITEMS}/PUB-2", headers={**h, "If-Match": etag}).status_code == 409
    assert c.delete(f"{ITEMS}/HID-2", headers=h).status_code == 428
    etag = c.get(f"{ITEMS}/HID-2", headers=h).headers["etag"]
    assert c.delete(f"{ITEMS}/HID-2", headers={**h, "If-Match": '"99"'}).status_code == 412
    assert (
        c.delete(f"{ITEMS}/HID-2", headers={**env["official"], "If-Match": etag}).status_code == 403
    )
    assert c.delete(f"{ITEMS}/HID-2", headers={**h, "If-Match": etag}).status_code == 204
    assert c.get(f"{ITEMS}/HID-2", headers=h).status_code == 404
    assert _audit(env["e"], "HID-2")[-1] == "parcel.delete"


def test_projects_follow_their_lifecycle_and_roles(env: dict[str, Any]) -> None:
    c = env["c"]
    h = env["official"]
    items = "/ogc/collections/projects/items"
    new = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [114.9, 33.72]},
        "properties": {
            "code": "PRJ-9",
            "name": "新材料产业园",
            "year": 2026,
            "domain": "innovation",
            "total_investment_wan": 50000,
        },
    }
    assert c.post(items, json=new, headers=env["bureau"]).status_code == 403
    r = c.post(items, json=new, headers=h)
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("/ogc/collections/projects/items/PRJ-9")
    got = c.get(r.headers["location"], headers=h)
    assert got.json()["properties"]["status"] == "planned"
    # a jump the lifecycle refuses is refused here too, nothing written
    jump = {"properties": {"status": "completed"}}
    bad = c.patch(f"{items}/PRJ-9", json=jump, headers={**h, "If-Match": got.headers["etag"]})
    assert bad.status_code == 422
    ok = c.patch(
        f"{items}/PRJ-9",
        json={"properties": {"status": "signed", "signed_on": "2026-02-01"}},
        headers={**h, "If-Match": got.headers["etag"]},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["properties"]["status"] == "signed"
    assert (
        c.put(f"{items}/PRJ-9", json=new, headers={**h, "If-Match": ok.headers["etag"]}).status_code
        == 405
    )
    assert (
        c.delete(f"{items}/PRJ-9", headers={**h, "If-Match": ok.headers["etag"]}).status_code == 405
    )
