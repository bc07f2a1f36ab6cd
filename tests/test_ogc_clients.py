"""Real OGC clients against a served instance: GDAL's OAPIF driver (Debian gdal-bin, installed by
`make test`) and OWSLib, each as the public and with a token.

A uvicorn server is started on a free loopback port over this session's test database; the
assertions are what a GIS user would notice: which layers they get, which parcels land in their
GeoPackage, with which areas, and that GDAL's ``-where`` reaches the server.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import owslib.ogcapi
import pytest
from owslib.ogcapi.features import Features
from pyproj import Geod
from shapely import wkb
from sqlalchemy import Engine, text

from tests.helpers import add_parcels, rect_m, token
from tests.route_matrix import seed

GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid differs from GRS80 by micrometres
_OWSLIB_HEADERS = dict(owslib.ogcapi.REQUEST_HEADERS)


def owslib_client(url: str, headers: dict[str, str] | None = None) -> Features:
    """An OWSLib client with its own headers. OWSLib 0.35 updates ONE module-level dict with
    every client's headers, so a token given to one client would be sent by all later ones."""
    shared = owslib.ogcapi.REQUEST_HEADERS
    shared.clear()
    shared.update(_OWSLIB_HEADERS)
    api = Features(url, headers=headers)
    api.headers = dict(api.headers)
    shared.clear()
    shared.update(_OWSLIB_HEADERS)
    return api


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(
    module_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The app under uvicorn over the seeded test database; its access log kept for asserts."""
    assert shutil.which("ogr2ogr") and shutil.which("ogrinfo"), (
        "GDAL's ogr2ogr/ogrinfo are missing: `make test` installs gdal-bin "
        "(scripts/install-os-deps.sh --with-gdal)"
    )
    codes = seed(module_engine)
    # more published parcels than one page, so the clients must page
    add_parcels(
        module_engine,
        *(
            {
                "code": f"PUB-X{i:02d}",
                "geom_m": rect_m(800 + 250 * i, 0, 200, 120),
                "published": True,
            }
            for i in range(12)
        ),
    )
    headers = {
        "bureau": token(module_engine, "bureau"),
        "official": token(module_engine, "official"),
    }
    port = _free_port()
    log = tmp_path_factory.mktemp("ogc-server") / "access.log"
    env = {
        **os.environ,
        "GEO_SERVICE_DATABASE_URL": module_engine.url.render_as_string(hide_password=False),
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "geo_service.api.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, log.read_text()[-2000:]
            time.sleep(0.2)
        else:
            raise AssertionError("the server did not start: " + log.read_text()[-2000:])
        yield {"url": f"{base}/ogc", "log": log, "headers": headers, "codes": codes}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _published(module_engine: Engine) -> dict[str, float]:
    with module_engine.connect() as c:
        rows = c.execute(text("SELECT code, area_m2 FROM parcels WHERE published")).all()
    return {code: area for code, area in rows}


def _gdal(*args: str, headers: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CPL_DEBUG": "OFF"}
    if headers:
        env["GDAL_HTTP_HEADERS"] = "\r\n".join(f"{k}: {v}" for k, v in headers.items())
    r = subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def _gpkg_rows(path: Path, *cols: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT {', '.join(cols)} FROM parcels").fetchall()


def _geodesic_area(gpkg_blob: bytes) -> float:
    """Area (m²) of a GeoPackage geometry blob (header + WKB), on the ellipsoid."""
    flags = gpkg_blob[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 0x07]
    geom = wkb.loads(gpkg_blob[8 + envelope :])
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def test_ogrinfo_lists_the_layers_each_caller_may_read(served: dict[str, Any]) -> None:
    url = f"OAPIF:{served['url']}"
    public = _gdal("ogrinfo", "-ro", "-q", url).stdout
    assert "parcels" in public and "zones" in public
    for hidden in ("projects", "infrastructure", "protected"):
        assert hidden not in public
    staff = _gdal("ogrinfo", "-ro", "-q", url, headers=served["headers"]["official"]).stdout
    for name in ("parcels", "zones", "infrastructure", "assessments", "protected", "projects"):
        assert name in staff


def test_ogr2ogr_copies_every_published_parcel_page_by_page(
    served: dict[str, Any], module_engine: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "public.gpkg"
    _gdal(
        "ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{served['url']}", "parcels",
        "-oo", "PAGE_SIZE=5",
    )  # fmt: skip
    want = _published(module_engine)
    rows = _gpkg_rows(out, "code", "area_m2", "area_mu", "geom")
    assert sorted(r[0] for r in rows) == sorted(want), "the same parcels, none unpublished"
    for code, area_m2, area_mu, geom in rows:
        assert area_m2 == pytest.approx(want[code], abs=0.1)
        assert area_mu == pytest.approx(want[code] / (10000 / 15), abs=0.01)
        # the geometry itself carries the area (CRS84 lon/lat read the right way round)
        assert _geodesic_area(geom) == pytest.approx(want[code], rel=1e-4)
    with sqlite3.connect(out) as db:
        cols = {r[1] for r in db.execute("PRAGMA table_info(parcels)")}
    assert not {"notes", "published", "version"} & cols, "public fields only"
    pages = [ln for ln in served["log"].read_text().splitlines() if "/parcels/items?" in ln]
    assert any("offset=10" in ln for ln in pages), "GDAL followed the next links"


def test_ogr2ogr_with_a_token_gets_every_parcel_and_internal_fields(
    served: dict[str, Any], module_engine: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "bureau.gpkg"
    _gdal(
        "ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{served['url']}", "parcels",
        "-oo", "PAGE_SIZE=1000", headers=served["headers"]["bureau"],
    )  # fmt: skip
    rows = dict(_gpkg_rows(out, "code", "notes"))
    with module_engine.connect() as c:
        total = c.execute(text("SELECT count(*) FROM parcels")).scalar_one()
    assert len(rows) == total
    assert rows["HID-1"] == "内部备注乙: 权属争议"


def test_gdal_pushes_where_down_as_a_property_parameter(
    served: dict[str, Any], tmp_path: Path
) -> None:
    r = _gdal(
        "ogrinfo", "-ro", "-al", "-q", f"OAPIF:{served['url']}", "parcels",
        "-where", "supply_stage = 'plan' AND net_land = 1", "-oo", "PAGE_SIZE=100",
    )  # fmt: skip
    assert "PUB-1" in r.stdout and "PUB-2" not in r.stdout  # PUB-1 is the public net land
    assert "supply_stage=plan" in served["log"].read_text(), "the filter reached the server"


def test_owslib_reads_collections_items_and_queryables(
    served: dict[str, Any], module_engine: Engine
) -> None:
    api = owslib_client(served["url"])
    ids = [c["id"] for c in api.collections()["collections"]]
    assert set(ids) == {"parcels", "zones"}
    want = _published(module_engine)
    got: list[str] = []
    offset = 0
    while True:
        page = api.collection_items("parcels", limit=4, offset=offset)
        assert page["numberMatched"] == len(want)
        got += [f["id"] for f in page["features"]]
        if not any(lk["rel"] == "next" for lk in page["links"]):
            break
        offset += 4
    assert sorted(got) == sorted(want)
    q = api.collection_queryables("parcels")["properties"]
    assert "area_mu" in q and "notes" not in q
    staff = owslib_client(served["url"], served["headers"]["official"])
    items = staff.collection_items("projects", limit=10)
    assert [f["id"] for f in items["features"]] == ["PRJ-1"]
    assert "notes" in staff.collection_queryables("parcels")["properties"]


def test_owslib_sends_a_cql2_filter_and_the_public_cannot_probe_hidden_fields(
    served: dict[str, Any],
) -> None:
    api = owslib_client(served["url"])
    big = api.collection_items("parcels", filter="area_mu > 40", limit=100)
    assert [f["id"] for f in big["features"]] == ["PUB-2"]  # 200×200 m = 60 亩; the rest < 40
    with pytest.raises(Exception) as refused:
        api.collection_items("parcels", filter="notes LIKE '%争议%'")
    assert "400" in str(refused.value) or "notes" in str(refused.value)
    staff = owslib_client(served["url"], served["headers"]["bureau"])
    hit = staff.collection_items("parcels", filter="notes LIKE '%争议%'")
    assert [f["id"] for f in hit["features"]] == ["HID-1"]
