"""GET /api/v1/exports/{what}: formats, and what each role may download."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.helpers import add_parcels, rect_m, token


def _land(engine: Engine) -> None:
    add_parcels(
        engine,
        {"code": "E-1", "geom_m": rect_m(0, 0, 100, 100), "published": True, "notes": "内部"},
        {"code": "E-2", "geom_m": rect_m(200, 0, 100, 100), "published": False},
    )


def test_public_gets_published_parcels_and_public_fields(
    client: TestClient, clean_engine: Engine, tmp_path: Path
) -> None:
    _land(clean_engine)
    r = client.get("/api/v1/exports/parcels?format=geojson")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    path = tmp_path / "p.geojson"
    path.write_bytes(r.content)
    gdf = gpd.read_file(path)
    assert list(gdf["code"]) == ["E-1"] and "notes" not in gdf.columns
    assert round(float(gdf["area_mu"].iloc[0]), 2) == 15.0


def test_bureau_gets_all_parcels_as_shapefile_zip_and_xlsx(
    client: TestClient, clean_engine: Engine
) -> None:
    _land(clean_engine)
    hdr = token(clean_engine, "bureau")
    r = client.get("/api/v1/exports/parcels?format=shp", headers=hdr)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert 'filename="parcels.zip"' in r.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert {"parcels.prj", "parcels.cpg"} <= set(names)
    r = client.get("/api/v1/exports/parcels?format=xlsx", headers=hdr)
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.values)
    assert rows[0][0] == "地块编号" and sorted(x[0] for x in rows[1:]) == ["E-1", "E-2"]


def test_projects_and_readiness_need_official_or_bureau(
    client: TestClient, clean_engine: Engine
) -> None:
    assert client.get("/api/v1/exports/projects?format=csv").status_code == 401
    inv = token(clean_engine, "investor")
    assert client.get("/api/v1/exports/readiness?format=csv", headers=inv).status_code == 403
    off = token(clean_engine, "official")
    r = client.get("/api/v1/exports/projects?format=csv", headers=off)
    assert r.status_code == 200 and r.text.lstrip("\ufeff").startswith("code,name")


def test_unknown_format_is_422(client: TestClient) -> None:
    r = client.get("/api/v1/exports/parcels?format=dwg")
    assert r.status_code == 422 and "format" in r.json()["detail"]
