"""Details a client notices: plain GeoJSON, leaders found by name, dates, broken bodies."""

from __future__ import annotations

import subprocess
import sys

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.databases import ClientFactory
from tests.helpers import add_parcels, rect_m, token
from tests.samples import project


def test_geojson_geometries_carry_no_crs_member(client: TestClient, clean_engine: Engine) -> None:
    # RFC 7946 dropped "crs": coordinates are lon/lat, and some clients choke on the member
    add_parcels(clean_engine, {"code": "G-1", "geom_m": rect_m(0, 0, 50, 50), "published": True})
    assert "crs" not in client.get("/api/v1/parcels/G-1").json()["geometry"]
    assert "crs" not in client.get("/api/v1/parcels").json()["features"][0]["geometry"]


def test_projects_are_found_by_the_leaders_name_without_title(
    client: TestClient, clean_engine: Engine
) -> None:
    h = token(clean_engine, "official")
    client.post("/api/v1/projects", json=project("L-1", leader="王建国(副区长)"), headers=h)
    client.post("/api/v1/projects", json=project("L-2", leader="王建国副"), headers=h)
    for q in ("王建国", "王建国(副区长)"):
        r = client.get("/api/v1/projects", params={"leader": q}, headers=h)
        assert [f["id"] for f in r.json()["features"]] == ["L-1"], q


def test_readiness_run_takes_a_plain_date(client: TestClient, clean_engine: Engine) -> None:
    r = client.post(
        "/api/v1/readiness/run",
        params={"as_of": "2026-06-30"},
        headers=token(clean_engine, "bureau"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["as_of"].startswith("2026-06-30T23:59:59")
    r = client.post(
        "/api/v1/readiness/run", params={"as_of": "June"}, headers=token(clean_engine, "bureau")
    )
    assert r.status_code == 422 and "as_of" in r.json()["detail"]


def test_a_broken_json_body_is_described_as_such(client: TestClient, clean_engine: Engine) -> None:
    r = client.post(
        "/api/v1/parcels",
        content=b'{"type": "Feature", ',
        headers={**token(clean_engine, "bureau"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["detail"].startswith("request body: not valid JSON")


def test_serve_refuses_an_impossible_port() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "geo_service.cli", "serve", "--port", "99999"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    assert "65535" in r.stderr and "Traceback" not in r.stderr


def test_a_chunked_body_over_the_limit_is_413_naming_it(
    make_client: ClientFactory, clean_engine: Engine
) -> None:
    c = make_client(clean_engine.url.render_as_string(hide_password=False), max_body_bytes=2048)

    def chunks():  # no Content-Length: the client sends it chunked
        for _ in range(10):
            yield b" " * 1024

    r = c.post(
        "/api/v1/parcels",
        content=chunks(),
        headers={**token(clean_engine, "bureau"), "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert "2048" in r.json()["detail"] and "GEO_SERVICE_MAX_BODY_BYTES" in r.json()["detail"]
