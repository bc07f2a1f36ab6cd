"""POST /api/v1/imports and `geo-service import …`: roles, size limit, dry run, exit codes."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.databases import ClientFactory
from tests.fixtures import land_files as lf
from tests.helpers import run_cli, token


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _count(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT count(*) FROM parcels")).scalar() or 0)


def test_bureau_imports_a_geopackage_and_the_import_is_recorded(
    client: TestClient, clean_engine: Engine, tmp_path: Path
) -> None:
    gpkg = lf.geopackage_with_bowtie(tmp_path / "p.gpkg")
    files = {"file": ("p.gpkg", gpkg.read_bytes(), "application/octet-stream")}
    hdr = token(clean_engine, "bureau", "land-bureau")
    r = client.post("/api/v1/imports", data={"kind": "parcels"}, files=files, headers=hdr)
    assert r.status_code == 422
    body = r.json()
    assert "nothing was written" in body["detail"]
    assert any("feature 3 (code GP-3)" in p and "self-intersection" in p for p in body["problems"])
    assert _count(clean_engine) == 0
    r = client.post(
        "/api/v1/imports",
        data={"kind": "parcels", "repair": "true", "dry_run": "true"},
        files=files,
        headers=hdr,
    )
    assert r.status_code == 200 and r.json()["inserted"] == 4 and _count(clean_engine) == 0
    r = client.post(
        "/api/v1/imports", data={"kind": "parcels", "repair": "true"}, files=files, headers=hdr
    )
    assert r.status_code == 201, r.text
    rep = r.json()
    assert rep["inserted"] == 4 and len(rep["repairs"]) == 1 and rep["import_id"]
    assert _count(clean_engine) == 4
    with clean_engine.connect() as c:
        actor = c.execute(text("SELECT actor FROM imports")).scalar()
    assert actor == "bureau:land-bureau"


def test_only_the_land_bureau_may_import(
    client: TestClient, clean_engine: Engine, tmp_path: Path
) -> None:
    gpkg = lf.geopackage_with_bowtie(tmp_path / "p.gpkg")
    files = {"file": ("p.gpkg", gpkg.read_bytes())}
    assert client.post("/api/v1/imports", data={"kind": "parcels"}, files=files).status_code == 401
    hdr = token(clean_engine, "official")
    r = client.post("/api/v1/imports", data={"kind": "parcels"}, files=files, headers=hdr)
    assert r.status_code == 403
    assert _count(clean_engine) == 0


def test_upload_over_the_size_limit_is_413(
    make_client: ClientFactory, clean_engine: Engine, tmp_path: Path
) -> None:
    small = make_client(_url(clean_engine), max_upload_bytes=2048)
    gpkg = lf.geopackage_with_bowtie(tmp_path / "p.gpkg")
    assert gpkg.stat().st_size > 2048
    r = small.post(
        "/api/v1/imports",
        data={"kind": "parcels"},
        files={"file": ("p.gpkg", gpkg.read_bytes())},
        headers=token(clean_engine, "bureau"),
    )
    assert r.status_code == 413 and "GEO_SERVICE_MAX_UPLOAD_BYTES" in r.json()["detail"]
    assert _count(clean_engine) == 0


def test_cli_refuses_invalid_file_non_zero_then_repairs(
    clean_engine: Engine, tmp_path: Path
) -> None:
    gpkg = lf.geopackage_with_bowtie(tmp_path / "p.gpkg")
    bad = run_cli(clean_engine, "import", "parcels", str(gpkg))
    assert bad.returncode == 1
    assert "feature 3 (code GP-3)" in bad.stderr and "self-intersection at" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert _count(clean_engine) == 0
    ok = run_cli(clean_engine, "import", "parcels", str(gpkg), "--repair")
    assert ok.returncode == 0, ok.stderr
    assert "4 were inserted" in ok.stdout and "repaired: feature 3" in ok.stdout
    again = run_cli(clean_engine, "import", "parcels", str(gpkg), "--repair", "--dry-run")
    assert again.returncode == 0 and "4 unchanged" in again.stdout


def test_cli_export_then_import_changes_nothing(clean_engine: Engine, tmp_path: Path) -> None:
    xlsx = lf.boundary_points_xlsx(tmp_path / "界址点.xlsx")
    assert run_cli(clean_engine, "import", "parcels", str(xlsx)).returncode == 0
    out = tmp_path / "out.zip"
    exp = run_cli(clean_engine, "export", "parcels", "--format", "shp", "--out", str(out))
    assert exp.returncode == 0, exp.stderr
    back = run_cli(clean_engine, "import", "parcels", str(out))
    assert back.returncode == 0 and "0 were inserted, 0 updated, 2 unchanged" in back.stdout
