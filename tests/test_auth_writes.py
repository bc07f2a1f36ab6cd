"""Safe writes: who may create/edit parcels, If-Match/ETag, input limits, and the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping
from sqlalchemy import Engine, text

from tests.databases import ClientFactory
from tests.helpers import add_parcels, rect_m, to_lonlat, token


def feature(code: str, geom_m: Any = None, **props: Any) -> dict[str, Any]:
    geom = to_lonlat(geom_m if geom_m is not None else rect_m(0, 0, 200, 100))
    return {
        "type": "Feature",
        "geometry": mapping(geom),
        "properties": {"code": code, "name": f"地块 {code}", **props},
    }


def _json_geom(g: Any) -> dict[str, Any]:
    """A shapely geometry as plain JSON lists (mapping() gives tuples)."""
    import json

    return json.loads(shapely.to_geojson(g))


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


# ------------------------------------------------------------------ create


def test_bureau_creates_a_parcel_and_the_area_is_computed(
    client: TestClient, clean_engine: Engine
) -> None:
    body = feature("N-1", rect_m(0, 0, 200, 100), notes="内部", published=True)
    body["geometry"] = _json_geom(to_lonlat(rect_m(0, 0, 200, 100)))
    r = client.post("/api/v1/parcels", json=body, headers=token(clean_engine, "bureau"))
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/api/v1/parcels/N-1"
    assert r.headers["etag"] == '"1"'
    props = r.json()["properties"]
    assert props["area_mu"] == 30.00 and props["notes"] == "内部"
    # the public sees it (published), without the internal note
    pub = client.get("/api/v1/parcels/N-1").json()["properties"]
    assert pub["area_mu"] == 30.00 and "notes" not in pub


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("investor", 403), ("official", 403)])
def test_only_the_bureau_creates_parcels(
    client: TestClient, clean_engine: Engine, role: str | None, status: int
) -> None:
    headers = token(clean_engine, role) if role else {}
    r = client.post("/api/v1/parcels", json=feature("N-1"), headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert "bureau" in r.json()["detail"]
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM parcels")).scalar() == 0


def test_creating_an_existing_code_is_409_and_changes_nothing(
    client: TestClient, clean_engine: Engine
) -> None:
    h = token(clean_engine, "bureau")
    assert client.post("/api/v1/parcels", json=feature("N-1"), headers=h).status_code == 201
    r = client.post(
        "/api/v1/parcels", json=feature("N-1", rect_m(500, 0, 10, 10), name="x"), headers=h
    )
    assert r.status_code == 409
    assert "PATCH /api/v1/parcels/N-1" in r.json()["detail"]
    assert client.get("/api/v1/parcels/N-1", headers=h).json()["properties"]["area_mu"] == 30.0


def test_unknown_zone_is_refused_with_the_known_ones(
    client: TestClient, clean_engine: Engine
) -> None:
    r = client.post(
        "/api/v1/parcels", json=feature("N-1", zone="NOPE"), headers=token(clean_engine, "bureau")
    )
    assert r.status_code == 422 and "zone 'NOPE' does not exist" in r.json()["detail"]


# ------------------------------------------------------------------ geometry checks and limits


def _post(client: TestClient, engine: Engine, body: Any) -> Any:
    return client.post("/api/v1/parcels", json=body, headers=token(engine, "bureau"))


def test_a_self_intersecting_polygon_is_refused_with_the_reason(
    client: TestClient, clean_engine: Engine
) -> None:
    bow = to_lonlat(shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)]))
    body = feature("N-1")
    body["geometry"] = _json_geom(bow)
    r = _post(client, clean_engine, body)
    assert r.status_code == 422
    assert "Self-intersection" in r.json()["detail"]


def test_a_line_is_not_a_parcel(client: TestClient, clean_engine: Engine) -> None:
    body = feature("N-1")
    body["geometry"] = {"type": "LineString", "coordinates": [[114.9, 33.7], [114.91, 33.71]]}
    r = _post(client, clean_engine, body)
    assert r.status_code == 422 and "Polygon" in r.json()["detail"]


def test_swapped_lat_lon_is_refused_with_a_hint(client: TestClient, clean_engine: Engine) -> None:
    geom = _json_geom(to_lonlat(rect_m(0, 0, 100, 100)))
    geom["coordinates"] = [[[lat, lon] for lon, lat in ring] for ring in geom["coordinates"]]
    body = feature("N-1")
    body["geometry"] = geom
    # [33.7, 114.9]: latitude 114.9 is out of range
    r = _post(client, clean_engine, body)
    assert r.status_code == 422
    assert "[lon, lat]" in r.json()["detail"] and "geometry.coordinates[0][0]" in r.json()["detail"]


def test_gauss_kruger_metres_are_refused_with_a_hint(
    client: TestClient, clean_engine: Engine
) -> None:
    body = feature("N-1")
    x, y = 38583419.0, 3732000.0
    body["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + 100, y], [x + 100, y + 100], [x, y + 100], [x, y]]],
    }
    r = _post(client, clean_engine, body)
    assert r.status_code == 422 and "projected metres" in r.json()["detail"]


def test_a_parcel_outside_the_district_is_refused(client: TestClient, clean_engine: Engine) -> None:
    # 100 km north of the development zone: valid lon/lat, but not in Huaiyang
    body = feature("N-1", rect_m(0, 100_000, 100, 100))
    r = _post(client, clean_engine, body)
    assert r.status_code == 422 and "not inside the district" in r.json()["detail"]


def test_too_many_vertices_names_the_limit(
    make_client: ClientFactory, clean_engine: Engine
) -> None:
    client = make_client(url_of(clean_engine), max_vertices=16)
    circle = to_lonlat(shapely.Point(0, 0).buffer(50, quad_segs=8))  # 33 vertices
    body = feature("N-1")
    body["geometry"] = _json_geom(circle)
    r = _post(client, clean_engine, body)
    assert r.status_code == 422
    assert "33 vertices" in r.json()["detail"] and "limit is 16" in r.json()["detail"]
    body["geometry"] = _json_geom(to_lonlat(rect_m(0, 0, 100, 100)))
    assert _post(client, clean_engine, body).status_code == 201


def test_a_body_over_the_size_limit_is_413_before_it_is_read(
    make_client: ClientFactory, clean_engine: Engine
) -> None:
    client = make_client(url_of(clean_engine), max_body_bytes=4096)
    body = feature("N-1", notes="x" * 3000)
    body["properties"]["industry"] = "y" * 2000
    r = _post(client, clean_engine, body)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert "4096 bytes" in r.json()["detail"] and r.json()["limit_bytes"] == 4096


def test_long_strings_are_refused_naming_the_field_and_limit(
    client: TestClient, clean_engine: Engine
) -> None:
    r = _post(client, clean_engine, feature("N-1", name="名" * 201))
    assert r.status_code == 422
    assert "properties.name" in r.json()["detail"] and "200" in r.json()["detail"]
    r = _post(client, clean_engine, feature("X" * 65))
    assert r.status_code == 422 and "64" in r.json()["detail"]


def test_page_size_over_the_maximum_names_it(
    make_client: ClientFactory, clean_engine: Engine
) -> None:
    client = make_client(url_of(clean_engine), max_page_size=50)
    r = client.get("/api/v1/parcels", params={"limit": 51})
    assert r.status_code == 422 and "at most 50" in r.json()["detail"]
    assert client.get("/api/v1/parcels", params={"limit": 50}).status_code == 200


# ------------------------------------------------------------------ ETag / If-Match


def _seed(engine: Engine) -> None:
    add_parcels(
        engine, {"code": "P-1", "geom_m": rect_m(0, 0, 200, 100), "published": False, "notes": "a"}
    )


def test_patch_without_if_match_is_428(client: TestClient, clean_engine: Engine) -> None:
    _seed(clean_engine)
    r = client.patch(
        "/api/v1/parcels/P-1", json={"name": "新"}, headers=token(clean_engine, "bureau")
    )
    assert r.status_code == 428 and "If-Match" in r.json()["detail"]


def test_two_edits_with_the_same_etag_one_is_refused_with_412(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine)
    alice = token(clean_engine, "bureau", "alice")
    bob = token(clean_engine, "bureau", "bob")
    tag = client.get("/api/v1/parcels/P-1", headers=alice).headers["etag"]
    assert tag == '"1"'
    first = client.patch(
        "/api/v1/parcels/P-1", json={"notes": "alice"}, headers={**alice, "If-Match": tag}
    )
    second = client.patch(
        "/api/v1/parcels/P-1", json={"notes": "bob"}, headers={**bob, "If-Match": tag}
    )
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    assert second.status_code == 412
    assert second.json()["current_version"] == 2 and second.json()["current_etag"] == '"2"'
    # alice's change was not overwritten
    assert client.get("/api/v1/parcels/P-1", headers=bob).json()["properties"]["notes"] == "alice"
    # bob re-reads and retries with the new ETag
    again = client.patch(
        "/api/v1/parcels/P-1", json={"notes": "bob"}, headers={**bob, "If-Match": '"2"'}
    )
    assert again.status_code == 200 and again.json()["properties"]["notes"] == "bob"


def test_patch_changes_only_what_is_sent_and_geometry_updates_the_area(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine)
    h = {**token(clean_engine, "bureau"), "If-Match": '"1"'}
    geom = _json_geom(to_lonlat(rect_m(0, 0, 100, 100)))
    r = client.patch(
        "/api/v1/parcels/P-1",
        json={"published": True, "geometry": geom, "industry": None},
        headers=h,
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["area_mu"] == 15.00 and props["published"] is True and props["notes"] == "a"
    assert props["needs_check"] is True


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"name": None}, "cannot be cleared"),
        ({"code": "other"}, "code"),
        ({"supply_stage": "sold"}, "supply_stage"),
        ({"name": "x" * 201}, "200"),
    ],
)
def test_bad_patches_are_422_and_change_nothing(
    client: TestClient, clean_engine: Engine, body: dict[str, Any], needle: str
) -> None:
    _seed(clean_engine)
    h = {**token(clean_engine, "bureau"), "If-Match": '"1"'}
    r = client.patch("/api/v1/parcels/P-1", json=body, headers=h)
    assert r.status_code == 422 and needle in r.json()["detail"]
    assert client.get("/api/v1/parcels/P-1", headers=h).headers["etag"] == '"1"'


def test_patch_of_an_unknown_parcel_is_404(client: TestClient, clean_engine: Engine) -> None:
    h = {**token(clean_engine, "bureau"), "If-Match": '"1"'}
    assert client.patch("/api/v1/parcels/NOPE", json={}, headers=h).status_code == 404


# ------------------------------------------------------------------ audit


def test_every_write_is_audited_with_before_and_after(
    client: TestClient, clean_engine: Engine
) -> None:
    alice = token(clean_engine, "bureau", "alice")
    assert client.post("/api/v1/parcels", json=feature("N-1"), headers=alice).status_code == 201
    r = client.patch(
        "/api/v1/parcels/N-1",
        json={"supply_stage": "notice", "name": "地块 N-1"},  # the name is unchanged
        headers={**alice, "If-Match": '"1"'},
    )
    assert r.status_code == 200
    official = token(clean_engine, "official", "chen")
    events = client.get("/api/v1/audit", params={"entity_code": "N-1"}, headers=official).json()[
        "items"
    ]
    assert [e["action"] for e in events] == ["parcel.update", "parcel.create"]
    upd = events[0]
    assert upd["actor"] == "bureau:alice" and upd["entity_type"] == "parcel"
    assert upd["before"] == {"supply_stage": "plan", "version": 1}
    assert upd["after"] == {"supply_stage": "notice", "version": 2}
    assert events[1]["after"]["geometry"]["type"] == "MultiPolygon"


def test_audit_filters(client: TestClient, clean_engine: Engine) -> None:
    alice = token(clean_engine, "bureau", "alice")
    bob = token(clean_engine, "bureau", "bob")
    client.post("/api/v1/parcels", json=feature("A"), headers=alice)
    client.post("/api/v1/parcels", json=feature("B", rect_m(500, 0, 50, 50)), headers=bob)
    h = token(clean_engine, "official")

    def codes(**q: str) -> list[str | None]:
        r = client.get("/api/v1/audit", params={"entity_type": "parcel", **q}, headers=h)
        assert r.status_code == 200, r.text
        return [e["entity_code"] for e in r.json()["items"]]

    assert codes() == ["B", "A"]
    assert codes(actor="bureau:alice") == ["A"]
    assert codes(entity_code="B") == ["B"]
    assert codes(since="2000-01-01T00:00:00Z", until="2999-01-01T00:00:00Z") == ["B", "A"]
    assert codes(until="2000-01-01T00:00:00Z") == []
    # token creation is audited too (by the helper, actor "test")
    r = client.get("/api/v1/audit", params={"entity_type": "token"}, headers=h)
    assert {e["entity_code"] for e in r.json()["items"]} >= {"alice", "bob"}
    # until before since: nothing lies between them (an empty page, as the document says)
    assert codes(since="2030-01-01T00:00:00Z", until="2020-01-01T00:00:00Z") == []
    # times carry their offset (RFC 3339); a bare number or a naive time is refused naming it
    for bad_value in ("0", "2020-01-01T00:00:00", "2020-01-01"):
        bad = client.get("/api/v1/audit", params={"until": bad_value}, headers=h)
        assert bad.status_code == 422 and "until" in bad.json()["detail"], bad_value


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("investor", 403), ("bureau", 200)])
def test_audit_is_for_bureau_and_officials(
    client: TestClient, clean_engine: Engine, role: str | None, status: int
) -> None:
    headers = token(clean_engine, role) if role else {}
    assert client.get("/api/v1/audit", headers=headers).status_code == status
