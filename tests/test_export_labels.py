"""Parcels XLSX for people (condition columns, readable indicators, Chinese labels) while CSV/GIS
keep the codes; imports say which records they created, updated or left unchanged."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.db.engine import transaction
from geo_service.errors import ImportRejected
from geo_service.exports import export
from geo_service.exports.labels import SUPPLY_STAGE_ZH, indicators_text
from geo_service.importers import run_import
from geo_service.importers.columns import SUPPLY_STAGE_WORDS
from geo_service.parcels.models import SUPPLY_STAGES
from geo_service.projects import writes
from geo_service.settings import Settings
from tests.helpers import add_parcels, rect_m, run_cli, to_lonlat, token

INDICATORS = [
    {"key": "investment_intensity", "min": 350, "max": None, "value": None, "unit": "万元/亩"},
    {"key": "far", "min": 1.2, "max": 2.5, "value": None, "unit": None},
    {"key": "green_ratio", "min": None, "max": 15, "value": None, "unit": "%"},
]


@pytest.fixture
def parcels(clean_engine: Engine) -> Engine:
    add_parcels(
        clean_engine,
        {"code": "X-1", "geom_m": rect_m(0, 0, 100, 100), "indicators": INDICATORS},
        {"code": "X-2", "geom_m": rect_m(300, 0, 100, 100), "supply_stage": "handed_over"},
    )
    with transaction(clean_engine) as s:
        s.execute(
            text(
                """INSERT INTO parcel_conditions (parcel_id, condition, status, method, verified_at)
                SELECT id, 'water', 'met', 'spatial', now() FROM parcels WHERE code = 'X-1'"""
            )
        )
    return clean_engine


def test_parcels_xlsx_has_condition_columns_readable_indicators_and_chinese_labels(
    parcels: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "p.xlsx"
    export(parcels, what="parcels", fmt="xlsx", out=out)
    rows = list(openpyxl.load_workbook(out).active.values)
    head = rows[0]
    assert {"通水", "通电", "通路", "场地平整", "权属清晰"} <= set(head)
    by = {r[0]: dict(zip(head, r, strict=True)) for r in rows[1:]}
    x1 = by["X-1"]
    assert (x1["通水"], x1["通电"]) == ("已满足", "未知")
    assert x1["控制指标"] == "投资强度 ≥ 350 万元/亩; 容积率 1.2–2.5; 绿地率 ≤ 15%"
    assert "{" not in x1["控制指标"]
    assert (x1["用途"], x1["供地阶段"]) == ("工业", "计划")
    assert by["X-2"]["供地阶段"] == "已交地"


def test_parcels_csv_keeps_the_codes(parcels: Engine, tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    export(parcels, what="parcels", fmt="csv", out=out)
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))}
    assert (rows["X-1"]["land_use"], rows["X-1"]["supply_stage"]) == ("industrial", "plan")
    assert (rows["X-1"]["water"], rows["X-1"]["power"]) == ("met", "unknown")
    assert json.loads(rows["X-1"]["indicators"])[1]["key"] == "far"


def test_public_xlsx_gets_no_condition_columns(parcels: Engine, tmp_path: Path) -> None:
    out = tmp_path / "pub.xlsx"
    export(parcels, what="parcels", fmt="xlsx", out=out, public=True, fields=["code", "name"])
    assert next(openpyxl.load_workbook(out).active.values) == (
        "地块编号",
        "地块名称",
        "中心经度",
        "中心纬度",
    )


def test_supply_stage_labels_read_back_as_their_codes() -> None:
    assert set(SUPPLY_STAGE_ZH) == set(SUPPLY_STAGES)
    for code, label in SUPPLY_STAGE_ZH.items():
        assert SUPPLY_STAGE_WORDS[label] == code


def test_unknown_indicator_keys_and_bad_json_stay_readable() -> None:
    assert indicators_text('[{"key": "noise_db", "max": 65, "unit": "dB"}]') == "noise_db ≤ 65 dB"
    assert indicators_text("not json") == "not json"


def test_the_parcels_xlsx_does_not_import_back_and_says_why(
    parcels: Engine, tmp_path: Path
) -> None:
    """A table for people: no boundaries in it (docs/importing.md says so)."""
    out = tmp_path / "p.xlsx"
    export(parcels, what="parcels", fmt="xlsx", out=out)
    settings = Settings(database_url=parcels.url.render_as_string(hide_password=False))
    with pytest.raises(ImportRejected) as e:
        run_import(parcels, kind="parcels", path=out, settings=settings, actor="t")
    assert "coordinate columns" in " ".join(e.value.extra["problems"])


# ------------------------------------------------------------------ imports list the codes


def _geojson(path: Path, names: dict[str, str]) -> Path:
    feats = []
    for i, (code, name) in enumerate(names.items()):
        g = to_lonlat(rect_m(i * 300, 0, 100, 100))
        feats.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": name},
                "geometry": json.loads(json.dumps(g.__geo_interface__)),
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), "utf-8")
    return path


def test_cli_import_lists_created_updated_and_unchanged_codes(
    clean_engine: Engine, tmp_path: Path
) -> None:
    f = _geojson(tmp_path / "a.geojson", {"N-1": "甲", "N-2": "乙", "N-3": "丙"})
    r = run_cli(clean_engine, "import", "parcels", str(f))
    assert r.returncode == 0, r.stderr
    assert "inserted: N-1, N-2, N-3" in r.stdout
    _geojson(f, {"N-1": "甲", "N-2": "乙二", "N-3": "丙"})
    r = run_cli(clean_engine, "import", "parcels", str(f))
    assert r.returncode == 0, r.stderr
    assert "updated: N-2" in r.stdout and "unchanged: N-1, N-3" in r.stdout


def test_api_import_answer_lists_the_codes(client: TestClient, clean_engine: Engine) -> None:
    hdr = token(clean_engine, "bureau")
    path = _geojson(Path("/tmp") / f"imp-{id(client)}.geojson", {"N-1": "甲", "N-2": "乙"})  # noqa: S108
    data = path.read_bytes()
    path.unlink()
    files = {"file": ("a.geojson", data)}
    r = client.post("/api/v1/imports", files=files, data={"kind": "parcels"}, headers=hdr)
    assert r.status_code == 201, r.text
    assert r.json()["inserted_codes"] == ["N-1", "N-2"]
    r = client.post("/api/v1/imports", files=files, data={"kind": "parcels"}, headers=hdr)
    assert (r.json()["inserted_codes"], r.json()["unchanged_codes"]) == ([], ["N-1", "N-2"])


def test_ledger_import_lists_the_project_codes(clean_engine: Engine, tmp_path: Path) -> None:
    with transaction(clean_engine) as s:
        writes.upsert_projects(
            s,
            [
                {"code": "L-1", "name": "一号项目", "year": 2026, "domain": "innovation",
                 "status": "planned", "total_investment_wan": "1000",
                 "planned_investment_wan": "0", "completed_wan": "0",
                 "planned_start": date(2026, 3, 1)},
            ],
        )  # fmt: skip
    out = tmp_path / "projects.csv"
    assert (
        run_cli(clean_engine, "export", "projects", "--format", "csv", "--out", str(out)).returncode
        == 0
    )
    text_ = out.read_text("utf-8-sig")
    lines = text_.splitlines()
    lines.append(lines[1].replace("L-1", "L-9", 1))
    out.write_text("\n".join(lines) + "\n", "utf-8-sig")
    r = run_cli(clean_engine, "import", "projects", str(out))
    assert r.returncode == 0, r.stderr
    assert "created: L-9" in r.stdout and "unchanged: L-1" in r.stdout
