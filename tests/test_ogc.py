"""OGC API – Features under /ogc: the core conformance assertions, CRS handling and roles.

The OGC's Java suite does not run here; this module reproduces what it checks (landing-page links,
conformance classes, collection metadata matching between list and item, paging to the end,
limits, bbox, feature by id, content types, 400 on bad parameters) on small explicit data, plus
what the role policy demands (the public sees published parcels and public fields only).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from pyproj import Transformer
from sqlalchemy import Engine, text

from geo_service.spatial import SQM_PER_MU
from tests.helpers import rect_m, to_lonlat, token
from tests.route_matrix import seed

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
PUBLIC_CODES = {"PUB-1", "PUB-2"}
ALL_CODES = {"PUB-1", "PUB-2", "HID-1", "HID-2"}


@pytest.fixture
def ogc(client: TestClient, clean_engine: Engine) -> dict[str, Any]:
    seed(clean_engine)
    return {
        "client": client,
        "bureau": token(clean_engine, "bureau"),
        "official": token(clean_engine, "official"),
        "investor": token(clean_engine, "investor"),
        "engine": clean_engine,
    }


def _all_pages(client: TestClient, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Follow `next` to the end, as the conformance suite and GDAL do."""
    out: list[dict[str, Any]] = []
    seen = 0
    while url:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/geo+json")
        body = r.json()
        assert body["numberReturned"] == len(body["features"])
        out += body["features"]
        seen += 1
        assert seen < 50, "paging does not end"
        nxt = [lk for lk in body["links"] if lk["rel"] == "next"]
        if nxt:
            assert nxt[0]["type"] == "application/geo+json"
            assert nxt[0]["href"].startswith("http://testserver/ogc/")
        url = nxt[0]["href"] if nxt else ""
    return out


def test_landing_page_links_are_absolute_and_typed(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    for path in ("/ogc", "/ogc/"):
        r = c.get(path, headers={"Accept": "*/*"})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/json")
        links = {lk["rel"]: lk for lk in r.json()["links"]}
        for rel in ("self", "service-desc", "service-doc", "conformance", "data"):
            assert links[rel]["href"].startswith("http://testserver/ogc"), rel
            assert links[rel]["type"]
        assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
        # the documentation page the landing page names works
        assert c.get(links["service-doc"]["href"]).status_code == 200


def test_links_follow_the_reverse_proxy(ogc: dict[str, Any]) -> None:
    r = ogc["client"].get(
        "/ogc/collections/parcels/items?limit=1",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "gis.example.gov.cn"},
    )
    assert all(lk["href"].startswith("https://gis.example.gov.cn/ogc/") for lk in r.json()["links"])


def test_conformance_lists_the_classes_served(ogc: dict[str, Any]) -> None:
    classes = ogc["client"].get("/ogc/conformance").json()["conformsTo"]
    for c in ("core", "oas30", "geojson"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes
    assert not any(c.endswith("/html") for c in classes), "no HTML alternates are served"


def test_the_openapi_document_is_valid_3_0_and_declares_the_parameters(
    ogc: dict[str, Any],
) -> None:
    c = ogc["client"]
    r = c.get("/ogc/api")
    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = r.json()
    assert doc["openapi"] == "3.0.3"
    validate(doc)
    limit = doc["components"]["parameters"]["limit"]
    assert limit["schema"]["minimum"] == 1 and limit["schema"]["maximum"] == 1000
    assert limit["style"] == "form" and limit["explode"] is False
    names = {
        p.get("name") or p["$ref"].rsplit("/", 1)[-1]
        for p in doc["paths"]["/collections/parcels/items"]["get"]["parameters"]
    }
    assert {"limit", "offset", "bbox", "datetime", "crs", "bbox-crs", "zone"} <= names
    # the public's document names no internal field; the bureau's does (GDAL's -where pushdown)
    assert "notes" not in names and "published" not in names
    staff = c.get("/ogc/api", headers=ogc["bureau"]).json()
    validate(staff)
    staff_names = {
        p.get("name") for p in staff["paths"]["/collections/parcels/items"]["get"]["parameters"]
    }
    assert {"notes", "published"} <= staff_names
    assert "/collections/projects/items" in staff["paths"]
    assert "/collections/projects/items" not in doc["paths"]


def test_collection_metadata_matches_between_list_and_item(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    for headers, ids in (
        ({}, {"parcels", "zones"}),
        (ogc["bureau"], {"parcels", "zones", "infrastructure", "assessments", "protected"}),
    ):
        listed = c.get("/ogc/collections", headers=headers).json()["collections"]
        assert {x["id"] for x in listed} >= ids
        for meta in listed:
            one = c.get(f"/ogc/collections/{meta['id']}", headers=headers)
            assert one.status_code == 200
            assert one.json() == meta
            assert meta["itemType"] == "feature"
            assert meta["crs"][0] == CRS84 and meta["storageCrs"] == EPSG.format(4490)
            assert len(meta["extent"]["spatial"]["bbox"][0]) == 4
            rels = {(lk["rel"], lk["type"]) for lk in meta["links"]}
            assert ("items", "application/geo+json") in rels
            assert ("self", "application/json") in rels
    public = {x["id"] for x in c.get("/ogc/collections").json()["collections"]}
    assert public == {"parcels", "zones"}, "the public sees land and zones only"


def test_internal_collections_are_refused_to_the_public(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    for cid in ("projects", "infrastructure", "assessments", "protected"):
        for path in ("", "/items", "/queryables"):
            r = c.get(f"/ogc/collections/{cid}{path}")
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
            r = c.get(f"/ogc/collections/{cid}{path}", headers=ogc["investor"])
            assert r.status_code == 403
    r = c.get("/ogc/collections/projects/items", headers=ogc["official"])
    assert [f["id"] for f in r.json()["features"]] == ["PRJ-1"]
    assert r.json()["features"][0]["properties"]["leader"] == "王领导甲"
    assert c.get("/ogc/collections/no-such").status_code == 404


def test_public_items_are_published_parcels_with_public_fields_only(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    public = _all_pages(c, "/ogc/collections/parcels/items?limit=1", {})
    assert {f["id"] for f in public} == PUBLIC_CODES
    for f in public:
        assert not {"notes", "published", "version", "updated_at"} & set(f["properties"])
    # every feature carries every visible key, even when empty (QGIS reads the first ones)
    assert len({tuple(sorted(f["properties"])) for f in public}) == 1
    staff = _all_pages(c, "/ogc/collections/parcels/items?limit=3", ogc["bureau"])
    assert {f["id"] for f in staff} == ALL_CODES
    notes = {f["id"]: f["properties"]["notes"] for f in staff}
    assert notes["HID-1"] == "内部备注乙: 权属争议" and notes["PUB-2"] is None
    assert c.get("/ogc/collections/parcels/items/HID-1").status_code == 404
    assert c.get("/ogc/collections/parcels/items/HID-1", headers=ogc["bureau"]).status_code == 200


def test_paging_counts_and_links(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    h = ogc["bureau"]
    first = c.get("/ogc/collections/parcels/items?limit=3", headers=h).json()
    assert first["numberMatched"] == 4 and first["numberReturned"] == 3
    assert [f["id"] for f in first["features"]] == ["HID-1", "HID-2", "PUB-1"]
    rels = {lk["rel"]: lk for lk in first["links"]}
    assert {"self", "alternate", "next", "collection"} <= set(rels)
    assert "prev" not in rels
    last = c.get(rels["next"]["href"], headers=h).json()
    assert [f["id"] for f in last["features"]] == ["PUB-2"]
    last_rels = {lk["rel"] for lk in last["links"]}
    assert "next" not in last_rels and "prev" in last_rels
    # offset (OWSLib sends it), a limit above the maximum is cut to it
    r = c.get("/ogc/collections/parcels/items?offset=1&limit=5000", headers=h).json()
    assert r["numberReturned"] == 3
    alt = c.get(rels["alternate"]["href"], headers=h)
    assert alt.headers["content-type"].startswith("application/json")
    assert alt.json()["features"] == first["features"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=unlimited",
        "limit=0",
        "limit=-1",
        "offset=-5",
        "unknown=1",
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=114,33,113,34",
        "crs=EPSG:4326",
        "crs=http://www.opengis.net/def/crs/EPSG/0/2000",
        "bbox-crs=http://www.opengis.net/def/crs/EPSG/0/27700&bbox=1,2,3,4",
        "datetime=yesterday",
        "datetime=2026-12-01/2026-01-01",
        "net_land=maybe",
        "notes=x",  # an internal field: the public may not filter on it
        "limit=1&limit=2",
        "f=xml",
    ],
)
def test_bad_parameters_are_400_problems(ogc: dict[str, Any], query: str) -> None:
    r = ogc["client"].get(f"/ogc/collections/parcels/items?{query}")
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"]


def test_bbox_and_property_filters(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    box = to_lonlat(rect_m(-10, -10, 250, 150)).bounds  # around PUB-1 only
    lonlat = ",".join(str(v) for v in box)
    r = c.get(f"/ogc/collections/parcels/items?bbox={lonlat}").json()
    assert [f["id"] for f in r["features"]] == ["PUB-1"]
    # the same box in EPSG:4326 is lat,lon
    latlon = ",".join(str(v) for v in (box[1], box[0], box[3], box[2]))
    r = c.get(f"/ogc/collections/parcels/items?bbox={latlon}&bbox-crs={EPSG.format(4326)}").json()
    assert [f["id"] for f in r["features"]] == ["PUB-1"]
    # and in Gauss-Krüger CM 114°E: northing first
    gk = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)
    e1, n1 = gk.transform(box[0], box[1])
    e2, n2 = gk.transform(box[2], box[3])
    r = c.get(
        f"/ogc/collections/parcels/items?bbox={n1},{e1},{n2},{e2}&bbox-crs={EPSG.format(4547)}"
    ).json()
    assert [f["id"] for f in r["features"]] == ["PUB-1"]
    r = c.get("/ogc/collections/parcels/items?net_land=true", headers=ogc["bureau"]).json()
    assert {f["id"] for f in r["features"]} == {"PUB-1", "HID-1"}
    r = c.get("/ogc/collections/parcels/items?net_land=true").json()
    assert [f["id"] for f in r["features"]] == ["PUB-1"]
    r = c.get("/ogc/collections/parcels/items?zone=Z1").json()
    assert {f["id"] for f in r["features"]} == PUBLIC_CODES  # all lie in the one zone
    assert c.get("/ogc/collections/parcels/items?zone=Z9").json()["numberMatched"] == 0


def test_datetime_filters_on_the_time_the_caller_sees(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    h = ogc["bureau"]
    future = c.get("/ogc/collections/parcels/items?datetime=2999-01-01T00:00:00Z/..", headers=h)
    assert future.json()["numberMatched"] == 0
    # QGIS's open bounds
    qgis = "0000-01-01T00:00:00Z/9999-12-31T00:00:00Z"
    assert (
        c.get(f"/ogc/collections/parcels/items?datetime={qgis}", headers=h).json()["numberMatched"]
        == 4
    )
    # the public cannot see updated_at: datetime does not filter (nor reveal) it
    assert (
        c.get("/ogc/collections/parcels/items?datetime=2999-01-01T00:00:00Z/..").json()[
            "numberMatched"
        ]
        == 2
    )


def test_feature_by_code_with_strong_etag_and_axis_order(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    with ogc["engine"].connect() as conn:
        x, y, area = conn.execute(
            text(
                "SELECT ST_X(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1)), "
                "ST_Y(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1)), area_m2 "
                "FROM parcels WHERE code = 'PUB-1'"
            )
        ).one()
    r = c.get("/ogc/collections/parcels/items/PUB-1")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    etag = r.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert r.headers["content-crs"] == f"<{CRS84}>"
    f = r.json()
    assert f["id"] == "PUB-1"
    assert f["properties"]["area_mu"] == round(area / SQM_PER_MU, 2)
    assert {lk["rel"] for lk in f["links"]} >= {"self", "alternate", "collection"}
    lon, lat = f["geometry"]["coordinates"][0][0][0]
    assert (lon, lat) == pytest.approx((x, y), abs=1e-7)
    # EPSG:4490 and 4326 are latitude first
    for srid in (4490, 4326):
        r = c.get(f"/ogc/collections/parcels/items/PUB-1?crs={EPSG.format(srid)}")
        assert r.headers["content-crs"] == f"<{EPSG.format(srid)}>"
        assert r.json()["geometry"]["coordinates"][0][0][0] == pytest.approx([y, x], abs=1e-6)
    # Gauss-Krüger: X = northing first, as the survey tables write it; 4526 with the zone prefix
    e, n = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True).transform(x, y)
    r = c.get(f"/ogc/collections/parcels/items/PUB-1?crs={EPSG.format(4547)}")
    assert r.json()["geometry"]["coordinates"][0][0][0] == pytest.approx([n, e], abs=0.01)
    r = c.get(f"/ogc/collections/parcels/items/PUB-1?crs={EPSG.format(4526)}")
    assert r.json()["geometry"]["coordinates"][0][0][0] == pytest.approx(
        [n, e + 38_000_000], abs=0.01
    )
    r = c.get(f"/ogc/collections/parcels/items/PUB-1?crs={EPSG.format(3857)}")
    mx, my = Transformer.from_crs("EPSG:4490", "EPSG:3857", always_xy=True).transform(x, y)
    assert r.json()["geometry"]["coordinates"][0][0][0] == pytest.approx([mx, my], abs=0.01)
    # the staff ETag is the record version If-Match uses in /api/v1
    staff = c.get("/ogc/collections/parcels/items/PUB-1", headers=ogc["bureau"])
    assert (
        staff.headers["etag"]
        == c.get("/api/v1/parcels/PUB-1", headers=ogc["bureau"]).headers["etag"]
    )
    assert c.get("/ogc/collections/parcels/items/NOPE").status_code == 404
    assert c.get("/ogc/collections/parcels/items/PUB-1?limit=3").status_code == 400


def test_queryables_are_per_role(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    r = c.get("/ogc/collections/parcels/queryables")
    assert r.headers["content-type"].startswith("application/schema+json")
    public = set(r.json()["properties"])
    assert {"code", "zone", "area_mu", "net_land", "geometry"} <= public
    assert not {"notes", "published", "needs_check", "version"} & public
    staff = set(
        c.get("/ogc/collections/parcels/queryables", headers=ogc["bureau"]).json()["properties"]
    )
    assert {"notes", "published"} <= staff


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    col = int((lon + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return row, col


def test_vector_tiles_row_before_column_by_role(ogc: dict[str, Any]) -> None:
    import mapbox_vector_tile

    c = ogc["client"]
    meta = c.get("/ogc/collections/parcels").json()
    tiles_link = [lk for lk in meta["links"] if lk["rel"].endswith("tilesets-vector")]
    assert tiles_link
    ts = c.get(tiles_link[0]["href"]).json()["tilesets"][0]
    assert ts["dataType"] == "vector"
    assert ts["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    item = next(lk for lk in ts["links"] if lk["rel"] == "item")
    assert item["templated"] and item["type"] == "application/vnd.mapbox-vector-tile"
    scheme = next(lk for lk in ts["links"] if lk["rel"].endswith("tiling-scheme"))
    assert c.get(scheme["href"]).json()["id"] == "WebMercatorQuad"
    assert {t["id"] for t in c.get("/ogc/tileMatrixSets").json()["tileMatrixSets"]} == {
        "WebMercatorQuad",
        "CGCS2000Quad",
    }
    assert c.get("/ogc/tileMatrixSets/CGCS2000Quad").json()["crs"].endswith("/4490")

    centre = to_lonlat(rect_m(0, 0, 600, 500)).centroid
    row, col = _tile_of(centre.x, centre.y, 14)
    lim = ts["tileMatrixSetLimits"][14]
    assert lim["minTileRow"] <= row <= lim["maxTileRow"]
    url = item["href"].format(tileMatrix=14, tileRow=row, tileCol=col)

    def codes(headers: dict[str, str]) -> set[str]:
        r = c.get(url, headers=headers)
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        layer = mapbox_vector_tile.decode(r.content)["parcels"]
        return {f["properties"]["code"] for f in layer["features"]}

    assert codes({}) == PUBLIC_CODES
    assert codes(ogc["bureau"]) == ALL_CODES
    # column and row swapped is another tile, outside the data: 404, not the same tile
    if (row, col) != (col, row):
        swapped = item["href"].format(tileMatrix=14, tileRow=col, tileCol=row)
        assert c.get(swapped).status_code == 404
    # an empty tile inside the limits (between PUB-1 and PUB-2): 204
    gap = to_lonlat(rect_m(300, 50, 1, 1)).centroid
    r20, c20 = _tile_of(gap.x, gap.y, 20)
    assert c.get(item["href"].format(tileMatrix=20, tileRow=r20, tileCol=c20)).status_code == 204
    # projects need a staff token; tilejson for MapLibre
    assert c.get("/ogc/collections/projects/tiles").status_code == 401
    tj = c.get("/ogc/collections/parcels/tiles/WebMercatorQuad/tilejson.json").json()
    assert tj["tilejson"] == "3.0.0" and tj["tiles"][0].endswith("/{z}/{y}/{x}")
    assert c.get("/ogc/collections/zones/tiles").status_code == 404


def _filtered(c: TestClient, flt: str, headers: dict[str, str] | None = None, **extra: str) -> Any:
    return c.get(
        "/ogc/collections/parcels/items",
        params={"filter": flt, "limit": "100", **extra},
        headers=headers or {},
    )


def test_cql2_text_and_json_filters(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    h = ogc["bureau"]
    # PUB-1 is 200×100 m (30 亩), PUB-2 200×200 m (60 亩), HID-1 150×100, HID-2 100×100
    r = _filtered(c, "area_mu > 40")
    assert [f["id"] for f in r.json()["features"]] == ["PUB-2"]
    r = _filtered(c, "area_mu BETWEEN 10 AND 40 AND net_land = true", h)
    assert {f["id"] for f in r.json()["features"]} == {"PUB-1", "HID-1"}
    r = _filtered(c, "code IN ('PUB-1', 'HID-2') OR code LIKE 'HID-%'", h)
    assert {f["id"] for f in r.json()["features"]} == {"PUB-1", "HID-1", "HID-2"}
    r = _filtered(c, "notes IS NULL", h)
    assert {f["id"] for f in r.json()["features"]} == {"PUB-2", "HID-2"}
    as_json = json.dumps({"op": ">", "args": [{"property": "area_mu"}, 40]})
    r = _filtered(c, as_json, **{"filter-lang": "cql2-json"})
    assert [f["id"] for f in r.json()["features"]] == ["PUB-2"]


def test_cql2_spatial_filters_in_any_served_crs(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    inside_pub1 = to_lonlat(rect_m(100, 50, 1, 1)).centroid
    r = _filtered(c, f"S_INTERSECTS(geometry, POINT({inside_pub1.x} {inside_pub1.y}))")
    assert [f["id"] for f in r.json()["features"]] == ["PUB-1"]
    # the same point in EPSG:4490 is lat lon; in Gauss-Krüger northing easting
    r = _filtered(
        c,
        f"S_INTERSECTS(geometry, POINT({inside_pub1.y} {inside_pub1.x}))",
        **{"filter-crs": EPSG.format(4490)},
    )
    assert [f["id"] for f in r.json()["features"]] == ["PUB-1"]
    e, n = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True).transform(
        inside_pub1.x, inside_pub1.y
    )
    r = _filtered(c, f"S_INTERSECTS(geometry, POINT({n} {e}))", **{"filter-crs": EPSG.format(4547)})
    assert [f["id"] for f in r.json()["features"]] == ["PUB-1"]
    w, s, e2, n2 = to_lonlat(rect_m(350, -50, 300, 300)).bounds
    poly = f"POLYGON(({w} {s}, {e2} {s}, {e2} {n2}, {w} {n2}, {w} {s}))"
    r = _filtered(c, f"S_WITHIN(geometry, {poly})")
    assert [f["id"] for f in r.json()["features"]] == ["PUB-2"]
    bbox = {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [w, s, e2, n2]}]}
    r = _filtered(c, json.dumps(bbox), **{"filter-lang": "cql2-json"})
    assert [f["id"] for f in r.json()["features"]] == ["PUB-2"]


@pytest.mark.parametrize(
    "flt",
    [
        "notes LIKE '%争议%'",  # an internal field
        "published = false",
        "version > 0",
        "notes IS NULL OR code = 'PUB-1'",
        "area_mu > 'big'",  # a type mismatch
        "area_mu >",  # a syntax error
        "nosuchfield = 1",
        "area_mu + 1 > 2",  # arithmetic is not offered
    ],
)
def test_public_filters_on_hidden_or_bad_fields_are_400_not_silent(
    ogc: dict[str, Any], flt: str
) -> None:
    r = _filtered(ogc["client"], flt)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "争议" not in r.text and "HID" not in r.text


def test_filter_parameters_are_checked(ogc: dict[str, Any]) -> None:
    c = ogc["client"]
    assert _filtered(c, "area_mu > 1", **{"filter-lang": "ecql"}).status_code == 400
    assert _filtered(c, "{not json", **{"filter-lang": "cql2-json"}).status_code == 400
    assert c.get("/ogc/collections/parcels/items?filter-lang=cql2-text").status_code == 400
    bad_crs = _filtered(c, "S_INTERSECTS(geometry, POINT(1 2))", **{"filter-crs": "EPSG:4326"})
    assert bad_crs.status_code == 400


def test_gauss_kruger_zone_comes_from_the_data_without_a_boundary_file(
    make_client: Any, clean_engine: Engine, tmp_path: Any
) -> None:
    """Another county: no boundary file configured, its parcels near 117°E get CM 117 (EPSG:4548,
    prefixed 4527) offered, not the demo district's zone."""
    from tests.helpers import add_parcels

    url = clean_engine.url.render_as_string(hide_password=False)
    add_parcels(
        clean_engine,
        {
            "code": "E-1",
            "geom": to_lonlat(rect_m(0, 0, 100, 100), (117.2, 31.8)),
            "published": True,
        },
    )
    c = make_client(url, district_boundary=tmp_path / "none.geojson")
    meta = c.get("/ogc/collections/parcels").json()
    assert EPSG.format(4548) in meta["crs"] and EPSG.format(4527) in meta["crs"]
    assert EPSG.format(4547) not in meta["crs"]
    r = c.get(f"/ogc/collections/parcels/items/E-1?crs={EPSG.format(4548)}")
    assert r.status_code == 200 and r.json()["geometry"]["coordinates"][0][0][0][0] > 3_000_000
