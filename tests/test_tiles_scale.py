"""What fast tiles rest on: the stored summary and tile geometry stay equal to what they are made
from after every kind of write; the data version makes a write show on the next tile of any app
instance; overview tiles count the right parcels; ETag/304 and gzip.
"""

from __future__ import annotations

import gzip
import itertools
import math
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.db import summary as db_summary
from geo_service.db.engine import transaction
from geo_service.maps.data import CONDS
from geo_service.parcels import writes
from geo_service.readiness.engine import run_readiness
from geo_service.readiness.rules import map_category, map_category_sql
from geo_service.settings import Settings
from tests.databases import ClientFactory
from tests.helpers import ORIGIN, add_infrastructure, add_parcels, line_m, rect_m, to_lonlat, token

#: the summary as the embedded maps compute it (maps.data.CONDS), beside the stored one
DRIFT = f"""
WITH computed AS (
  SELECT p.id, coalesce(c.met, 0) AS met, coalesce(c.unmet, 0) AS unmet,
         CAST(c.fails AS text[]) AS fails
  FROM parcels p {CONDS})
SELECT p.code, 'readiness' AS what
FROM computed c JOIN parcels p ON p.id = c.id LEFT JOIN parcel_summary s ON s.parcel_id = c.id
WHERE (c.met, c.unmet, c.fails, 5 - c.met - c.unmet, c.met = 5) IS DISTINCT FROM
      (s.met, s.unmet, s.fails, s.unknown, s.net_land)
UNION ALL
SELECT p.code, 'attributes or geometry'
FROM parcels p LEFT JOIN parcel_summary s ON s.parcel_id = p.id
WHERE s.parcel_id IS NULL
   OR (p.code, p.name, p.zone_id, p.area_m2, p.supply_stage, p.land_use, p.industry, p.published)
      IS DISTINCT FROM
      (s.code, s.name, s.zone_id, s.area_m2, s.supply_stage, s.land_use, s.industry, s.published)
   OR NOT ST_Equals(s.geom, ST_Transform(p.geom, 3857)) OR NOT ST_Intersects(s.pt, s.geom)
   OR ST_HausdorffDistance(s.geom_public, s.geom) > 2
UNION ALL
SELECT 'orphan', 'summary without parcel' FROM parcel_summary s
WHERE NOT EXISTS (SELECT 1 FROM parcels p WHERE p.id = s.parcel_id)
"""  # noqa: S608 -- CONDS is a fixed fragment


def _drift(engine: Engine) -> list[Any]:
    with engine.connect() as c:
        return list(c.execute(text(DRIFT)))


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def _decode(r: Any) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    body = r.content
    if r.headers.get("content-encoding") == "gzip" and body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)  # (httpx normally undoes it already)
    layer = mapbox_vector_tile.decode(body).get("parcels", {"features": []})
    return [f["properties"] for f in layer["features"]]


def _parcel_tile(
    client: TestClient, z: int, headers: dict[str, str] | None = None, **q: Any
) -> Any:
    x, y = _tile_of(ORIGIN[0] + 0.001, ORIGIN[1] + 0.001, z)
    return client.get(f"/tiles/parcels/{z}/{x}/{y}.pbf", params=q, headers=headers or {})


def _small_district(engine: Engine) -> None:
    add_parcels(
        engine,
        {"code": "T-1", "geom_m": rect_m(0, 0, 100, 100), "published": True},
        {"code": "T-2", "geom_m": rect_m(150, 0, 100, 100), "published": True},
        {"code": "T-3", "geom_m": rect_m(0, 150, 100, 100), "published": False},
    )
    add_infrastructure(
        engine,
        {"code": "W-1", "kind": "water", "status": "existing", "diameter_mm": 300,
         "geom_m": line_m((-50, -20), (400, -20))},
        {"code": "R-1", "kind": "road", "status": "existing", "road_class": "main",
         "geom_m": line_m((-50, -10), (400, -10))},
    )  # fmt: skip


def test_map_category_is_one_rule_in_python_and_sql(clean_engine: Engine) -> None:
    combos = [(m, u, k) for m, u, k in itertools.product(range(6), range(6), range(6))
              if m + u <= k]  # fmt: skip
    values = ", ".join(f"({m}, {u}, {k})" for m, u, k in combos)
    with clean_engine.connect() as c:
        rows = c.execute(
            text(f"SELECT {map_category_sql('m', 'u', 'k')} FROM (VALUES {values}) v(m, u, k)")  # noqa: S608
        ).scalars()
        assert list(rows) == [map_category(m, u, k) for m, u, k in combos]


def test_the_stored_summary_equals_the_computed_one_after_every_kind_of_write(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _small_district(clean_engine)  # import-style bulk write of parcels and networks
    assert _drift(clean_engine) == []
    settings = Settings(database_url=_url(clean_engine))

    run_readiness(clean_engine, settings=settings, actor="test")  # the readiness run
    assert _drift(clean_engine) == []
    with clean_engine.connect() as c:
        counted = c.execute(text("SELECT count(*), sum(checked) FROM parcel_summary")).one()
    assert counted == (3, 15)  # every parcel, all five conditions decided

    client = make_client(_url(clean_engine))
    bureau = token(clean_engine, "bureau")
    for status in ("met", "unmet"):  # an attestation (override) either way
        r = client.put(
            "/api/v1/parcels/T-1/conditions/title",
            json={"status": status, "reason": "土地证 2026-1"},
            headers=bureau,
        )
        assert r.status_code == 200, r.text
        assert _drift(clean_engine) == []
    r = client.delete("/api/v1/parcels/T-1/conditions/title/override", headers=bureau)
    assert r.status_code == 200, r.text
    assert _drift(clean_engine) == []

    # parcel edits: one that moves it, one that changes what tiles show
    etag = client.get("/api/v1/parcels/T-2", headers=bureau).headers["etag"]
    moved = to_lonlat(rect_m(150, 300, 80, 80))
    r = client.patch(
        "/api/v1/parcels/T-2",
        json={"geometry": moved.__geo_interface__},
        headers={**bureau, "If-Match": etag},
    )
    assert r.status_code == 200, r.text
    assert _drift(clean_engine) == []
    etag = r.headers["etag"]
    r = client.patch(
        "/api/v1/parcels/T-2",
        json={"name": "改名", "published": False, "supply_stage": "sale"},
        headers={**bureau, "If-Match": etag},
    )
    assert r.status_code == 200, r.text
    assert _drift(clean_engine) == []

    # a re-import (upsert) of the same parcels, then deleting one
    add_parcels(clean_engine, {"code": "T-1", "geom_m": rect_m(0, 0, 120, 100), "published": True})
    assert _drift(clean_engine) == []
    with transaction(clean_engine) as s:
        s.execute(text("DELETE FROM parcel_conditions WHERE condition = 'water'"))
    assert _drift(clean_engine) == []
    # runs that defer the summary triggers (migration 0007) and refresh what changed: one that
    # decides the deleted conditions again, one with nothing changed, one after a record changed
    for _ in range(2):
        run_readiness(clean_engine, settings=settings, actor="test")
        assert _drift(clean_engine) == []
    met = "SELECT sum(met) FROM parcel_summary"
    with transaction(clean_engine) as s:
        before = s.execute(text(met)).scalar_one()
        s.execute(
            text(
                "INSERT INTO leveling_surveys (parcel_id, surveyed_on, leveled, "
                "earthwork_outstanding_m3) SELECT id, current_date, true, 0 FROM parcels"
            )
        )
        s.execute(text("INSERT INTO parcel_marks SELECT id FROM parcels ON CONFLICT DO NOTHING"))
    run_readiness(clean_engine, settings=settings, actor="test", only_marked=True)
    assert _drift(clean_engine) == []
    with clean_engine.connect() as c:
        assert c.execute(text(met)).scalar_one() > before  # leveling is met now, and shown
    with transaction(clean_engine) as s:
        s.execute(text("DELETE FROM parcels WHERE code = 'T-3'"))
    assert _drift(clean_engine) == []

    # a bulk insert with the triggers deferred, the summary built once after it (0007)
    with transaction(clean_engine) as s:
        with db_summary.deferred(s):
            writes.upsert_parcels(
                s, [{"code": "T-9", "wkb": to_lonlat(rect_m(600, 0, 80, 80)).wkb}]
            )
        ids = s.execute(text("SELECT id FROM parcels WHERE code = 'T-9'")).scalars().all()
        db_summary.add(s, ids)
    assert _drift(clean_engine) == []


def test_a_write_changes_the_next_tile_on_another_app_instance(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _small_district(clean_engine)
    run_readiness(clean_engine, settings=Settings(database_url=_url(clean_engine)), actor="test")
    bureau = token(clean_engine, "bureau")
    a, b = make_client(_url(clean_engine)), make_client(_url(clean_engine))

    def t1(client: TestClient) -> dict[str, Any]:
        return next(p for p in _decode(_parcel_tile(client, 15, bureau)) if p["code"] == "T-1")

    before = t1(b)  # now cached in b
    assert t1(b) == before
    first = _parcel_tile(b, 15, bureau)
    etag = first.headers["etag"]
    assert _parcel_tile(b, 15, {**bureau, "If-None-Match": etag}).status_code == 304

    # the write goes through instance a; b's cache knows nothing of it
    r = a.put(
        "/api/v1/parcels/T-1/conditions/leveling",
        json={"status": "unmet" if before["cat"] == "net_land" else "met", "reason": "复测"},
        headers=bureau,
    )
    assert r.status_code == 200, r.text
    after = t1(b)
    assert after["met"] != before["met"] and after["cat"] != before["cat"]
    again = _parcel_tile(b, 15, {**bureau, "If-None-Match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag

    # a rename through a, seen by b's public tile too
    pub = {p["code"]: p for p in _decode(_parcel_tile(b, 15))}
    assert set(pub) == {"T-1", "T-2"}  # the unpublished T-3 is not public
    etag1 = a.get("/api/v1/parcels/T-2", headers=bureau).headers["etag"]
    r = a.patch(
        "/api/v1/parcels/T-2", json={"name": "新名字"}, headers={**bureau, "If-Match": etag1}
    )
    assert r.status_code == 200, r.text
    assert {p["code"]: p["name"] for p in _decode(_parcel_tile(b, 15))}["T-2"] == "新名字"


def test_tiles_are_gzipped_for_clients_that_ask(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _small_district(clean_engine)
    client = make_client(_url(clean_engine))
    x, y = _tile_of(ORIGIN[0] + 0.001, ORIGIN[1] + 0.001, 15)
    raw = client.get(f"/tiles/parcels/15/{x}/{y}.pbf", headers={"Accept-Encoding": "identity"})
    zipped = client.get(f"/tiles/parcels/15/{x}/{y}.pbf", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in raw.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert "no-cache" in zipped.headers["cache-control"]
    assert zipped.content == raw.content  # the same tile once unpacked
    assert {p["code"] for p in _decode(raw)} == {"T-1", "T-2"}


def test_overview_tiles_count_the_right_parcels(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    # 40 parcels in a 8 × 5 block, a quarter of them unpublished
    parcels = [
        {
            "code": f"O-{i}",
            "geom_m": rect_m((i % 8) * 300, (i // 8) * 300, 200, 150),
            "published": i % 4 != 0,
        }
        for i in range(40)
    ]
    add_parcels(clean_engine, *parcels)
    run_readiness(clean_engine, settings=Settings(database_url=_url(clean_engine)), actor="test")
    with clean_engine.connect() as c:
        net = c.execute(text("SELECT count(*) FROM parcel_summary WHERE net_land")).scalar()
    client = make_client(_url(clean_engine), tile_overview_max_zoom=11)
    bureau = token(clean_engine, "bureau")

    # the block may straddle tile edges: add up every tile that covers it, at two zooms
    (w, s_), (e, n) = (to_lonlat(rect_m(-50, -50, 1, 1)).bounds[:2],
                       to_lonlat(rect_m(2500, 1600, 1, 1)).bounds[:2])  # fmt: skip

    def features(z: int, headers: dict[str, str] | None) -> list[dict[str, Any]]:
        (x0, y0), (x1, y1) = _tile_of(w, n, z), _tile_of(e, s_, z)
        out: list[dict[str, Any]] = []
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                r = client.get(f"/tiles/parcels/{z}/{x}/{y}.pbf", headers=headers or {})
                out += _decode(r) if r.content else []
        return out

    for z in (9, 10):
        staff = features(z, bureau)
        assert staff and all(f["overview"] for f in staff)
        assert sum(f["parcels"] for f in staff) == 40  # each parcel counted exactly once
        assert sum(f["net_land"] for f in staff) == net
        assert math.isclose(
            sum(f["area_mu"] for f in staff), 40 * 200 * 150 / (10000 / 15), rel_tol=0.01
        )
        assert all(f["cat"] in f["categories"] for f in staff)
        public = features(z, None)
        assert sum(f["parcels"] for f in public) == 30  # published only
        assert all("cat" not in f and "categories" not in f for f in public)

    # above the overview zoom: the polygons themselves
    polys = _decode(_parcel_tile(client, 15, bureau))
    assert polys and not any(f.get("overview") for f in polys)


def test_the_stored_summary_equals_the_computed_one_after_a_file_import(
    clean_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import path (``geo-service import parcels``: pieces merged on the database's thread
    in one transaction) stores the same summary as every other write: new parcels, a re-import
    that moves and renames some, and one that changes nothing."""
    import geopandas as gpd

    from geo_service.importers import chunks, run_import
    from tests.fixtures import land_files as lf

    monkeypatch.setattr(chunks, "FIRST_PIECE", 3)  # several pieces: 3, 6 and the rest
    settings = Settings(database_url=_url(clean_engine))
    path = tmp_path / "parcels.gpkg"

    def write(shift: dict[int, float], names: dict[int, str]) -> None:
        geoms = [
            lf.gk_box((i % 4) * 100 + shift.get(i, 0), (i // 4) * 100, 60, 50) for i in range(12)
        ]
        cols = {"编号": [f"S{i:02d}" for i in range(12)],
                "名称": [names.get(i, f"地块{i}") for i in range(12)]}  # fmt: skip
        gpd.GeoDataFrame(cols, geometry=geoms, crs=lf.GK).to_file(path)

    def imp() -> tuple[int, int, int]:
        r = run_import(clean_engine, kind="parcels", path=path, settings=settings, actor="test")
        return r.inserted, r.updated, r.unchanged

    write({}, {})
    assert imp() == (12, 0, 0)
    assert _drift(clean_engine) == []
    write({1: 20.0, 7: 15.0}, {2: "改名", 7: "又改名"})  # two moved, one renamed, one both
    assert imp() == (0, 3, 9)
    assert _drift(clean_engine) == []
    assert imp() == (0, 0, 12)
    assert _drift(clean_engine) == []
    # the summary follows its parcels out (0010: triggers, not a foreign key), also on TRUNCATE
    with transaction(clean_engine) as s:
        s.execute(text("DELETE FROM parcels WHERE code IN ('S03', 'S04')"))
    assert _drift(clean_engine) == []
    with transaction(clean_engine) as s:
        s.execute(text("TRUNCATE parcels CASCADE"))
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM parcel_summary")).scalar_one() == 0
