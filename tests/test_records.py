"""Site surveys and title records: API, CLI and the readiness XLSX round trip (real PostGIS)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from geo_service.parcels.models import OWNERSHIPS
from geo_service.readiness.records import TitleIn
from tests.helpers import add_parcels, rect_m, run_cli, token

DAY = date.today() - timedelta(days=3)  # a recent day, before the database's today
EARLIER = DAY - timedelta(days=20)


@pytest.fixture
def land(client: TestClient, clean_engine: Engine) -> tuple[TestClient, dict[str, str]]:
    add_parcels(
        clean_engine,
        {"code": "LV-1", "geom_m": rect_m(0, 0, 200, 100)},
        {"code": "LV-2", "geom_m": rect_m(400, 0, 200, 100)},
    )
    run_cli(clean_engine, "readiness", "run")
    return client, token(clean_engine, "bureau", "张三")


def survey(**kw: Any) -> dict[str, Any]:
    body = {
        "surveyed_on": DAY.isoformat(),
        "leveled": True,
        "earthwork_outstanding_m3": 0,
        "surveyor": "周口测绘院",
        "document_ref": "ZK-CH-2026-118",
    }
    return {**body, **kw}


def title(**kw: Any) -> dict[str, Any]:
    body = {
        "recorded_on": DAY.isoformat(),
        "ownership": "state",
        "requisition_done": True,
        "compensation_settled": True,
        "open_disputes": 0,
        "document_ref": "淮自然资〔2026〕12号",
    }
    return {**body, **kw}


def count(engine: Engine, table: str) -> int:
    with engine.connect() as c:
        return int(c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def leveling(client: TestClient, hdr: dict[str, str], code: str = "LV-1") -> dict[str, Any]:
    r = client.get(f"/api/v1/parcels/{code}/readiness", headers=hdr)
    assert r.status_code == 200
    return r.json()["conditions"]["leveling"]  # type: ignore[no-any-return]


def test_an_unleveled_survey_makes_leveling_unmet_with_the_earthwork_in_its_evidence(
    land: tuple[TestClient, dict[str, str]],
) -> None:
    client, hdr = land
    assert leveling(client, hdr)["status"] == "unknown"  # no survey yet
    r = client.post(
        "/api/v1/parcels/LV-1/surveys",
        json=survey(surveyed_on=EARLIER.isoformat(), leveled=False, earthwork_outstanding_m3=18500),
        headers=hdr,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["condition"]["status"] == "unmet"
    assert body["status_changes"] == [
        {"parcel": "LV-1", "condition": "leveling", "old": "unknown", "new": "unmet",
         "reason": "not leveled; 18500 m³ earthwork outstanding"}
    ]  # fmt: skip
    cond = leveling(client, hdr)
    assert cond["status"] == "unmet"
    assert cond["evidence"]["survey"]["earthwork_outstanding_m3"] == 18500
    # the survey's own date is the evidence date
    assert cond["verified_at"].startswith(EARLIER.isoformat())

    r = client.post("/api/v1/parcels/LV-1/surveys", json=survey(), headers=hdr)
    assert r.status_code == 201, r.text
    assert leveling(client, hdr)["status"] == "met"
    hist = client.get("/api/v1/parcels/LV-1/readiness/history?condition=leveling", headers=hdr)
    changes = [(i["old_status"], i["new_status"], i["actor"]) for i in hist.json()["items"]]
    assert changes[:2] == [("unmet", "met", "bureau:张三"), ("unknown", "unmet", "bureau:张三")]

    listed = client.get("/api/v1/parcels/LV-1/surveys", headers=hdr).json()
    assert [(i["surveyed_on"], i["counts"]) for i in listed["items"]] == [
        (DAY.isoformat(), True),
        (EARLIER.isoformat(), False),
    ]
    assert listed["items"][0]["recorded_by"] == "bureau:张三"
    # the other parcel was not touched
    assert leveling(client, hdr, "LV-2")["status"] == "unknown"


def test_an_older_survey_recorded_later_does_not_decide(
    land: tuple[TestClient, dict[str, str]],
) -> None:
    client, hdr = land
    client.post("/api/v1/parcels/LV-1/surveys", json=survey(), headers=hdr)
    r = client.post(
        "/api/v1/parcels/LV-1/surveys",
        json=survey(surveyed_on=EARLIER.isoformat(), leveled=False, earthwork_outstanding_m3=900),
        headers=hdr,
    )
    assert r.status_code == 201
    assert r.json()["condition"]["status"] == "met"
    assert r.json()["counts"] is False
    assert "later survey" in r.json()["notes"][0]


def test_a_title_record_with_open_disputes_is_unmet_with_the_reason(
    land: tuple[TestClient, dict[str, str]],
) -> None:
    client, hdr = land
    r = client.post("/api/v1/parcels/LV-2/title-records", json=title(open_disputes=2), headers=hdr)
    assert r.status_code == 201, r.text
    cond = client.get("/api/v1/parcels/LV-2/readiness", headers=hdr).json()["conditions"]["title"]
    assert cond["status"] == "unmet"
    assert "2 open dispute(s)" in cond["evidence"]["reason"]
    r = client.post("/api/v1/parcels/LV-2/title-records", json=title(), headers=hdr)
    assert r.json()["condition"]["status"] == "met"
    listed = client.get("/api/v1/parcels/LV-2/title-records", headers=hdr).json()
    assert [i["open_disputes"] for i in listed["items"]] == [0, 2]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("surveys", survey(surveyed_on=(date.today() + timedelta(days=5)).isoformat()),
         "surveyed_on"),
        ("surveys", survey(earthwork_outstanding_m3=-5), "earthwork_outstanding_m3"),
        ("surveys", survey(leveled="perhaps"), "leveled"),
        ("surveys", survey(surveyed_on="2026-13-01"), "surveyed_on"),
        ("surveys", {**survey(), "earthwork": 5}, "earthwork"),
        ("surveys", {k: v for k, v in survey().items() if k != "leveled"}, "leveled"),
        ("title-records", title(ownership="private"), "ownership"),
        ("title-records", title(open_disputes=-1), "open_disputes"),
        ("title-records", title(recorded_on=(date.today() + timedelta(days=2)).isoformat()),
         "recorded_on"),
    ],
)  # fmt: skip
def test_bad_records_are_422_naming_the_field_and_write_nothing(
    land: tuple[TestClient, dict[str, str]],
    clean_engine: Engine,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    client, hdr = land
    audit_before = count(clean_engine, "audit_events")
    r = client.post(f"/api/v1/parcels/LV-1/{path}", json=body, headers=hdr)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.json()["detail"]
    assert count(clean_engine, "leveling_surveys") == 0
    assert count(clean_engine, "title_records") == 0
    assert count(clean_engine, "audit_events") == audit_before


def test_unknown_parcel_is_404(land: tuple[TestClient, dict[str, str]]) -> None:
    client, hdr = land
    assert (
        client.post("/api/v1/parcels/NOPE/surveys", json=survey(), headers=hdr).status_code == 404
    )
    assert client.get("/api/v1/parcels/NOPE/title-records", headers=hdr).status_code == 404


def test_records_are_audited_with_their_values(
    land: tuple[TestClient, dict[str, str]], clean_engine: Engine
) -> None:
    client, hdr = land
    client.post(
        "/api/v1/parcels/LV-1/title-records", json=title(ownership="collective"), headers=hdr
    )
    audit = client.get("/api/v1/audit?entity_code=LV-1", headers=hdr).json()
    items = audit["items"] if isinstance(audit, dict) else audit
    ev = next(i for i in items if i["action"] == "record.title")
    assert ev["actor"] == "bureau:张三"
    assert ev["after"]["ownership"] == "collective"


def test_the_ownership_vocabulary_is_the_registers() -> None:
    assert set(TitleIn.model_fields["ownership"].annotation.__args__) == set(OWNERSHIPS)  # type: ignore[union-attr]


# ------------------------------------------------------------------ override expiry


def test_an_override_expiry_may_be_a_plain_date_meaning_the_end_of_that_day(
    land: tuple[TestClient, dict[str, str]],
) -> None:
    client, hdr = land
    day = date.today() + timedelta(days=30)
    r = client.put(
        "/api/v1/parcels/LV-1/conditions/leveling",
        json={"status": "met", "reason": "现场核查已平整", "expires_at": day.isoformat()},
        headers=hdr,
    )
    assert r.status_code == 200, r.text
    expires = datetime.fromisoformat(r.json()["conditions"]["leveling"]["override"]["expires_at"])
    assert expires == datetime(day.year, day.month, day.day, 15, 59, 59, tzinfo=UTC)  # 23:59:59+08
    past = client.put(
        "/api/v1/parcels/LV-1/conditions/leveling",
        json={"status": "met", "reason": "x", "expires_at": "2020-01-31"},
        headers=hdr,
    )
    assert past.status_code == 422
    assert "expires_at" in past.json()["detail"]
    bad = client.put(
        "/api/v1/parcels/LV-1/conditions/leveling",
        json={"status": "met", "reason": "x", "expires_at": "2026-02-30"},
        headers=hdr,
    )
    assert bad.status_code == 422
    assert "expires_at" in bad.json()["detail"]


# ------------------------------------------------------------------ command line


def test_cli_records_one_survey_and_says_what_changed(
    land: tuple[TestClient, dict[str, str]], clean_engine: Engine
) -> None:
    client, hdr = land
    r = run_cli(
        clean_engine, "record", "survey", "--parcel", "LV-1", "--date", DAY.isoformat(),
        "--not-leveled", "--earthwork", "18500", "--surveyor", "周口测绘院",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "leveling is now unmet" in r.stdout
    assert "18500 m³" in r.stdout
    assert leveling(client, hdr)["evidence"]["survey"]["earthwork_outstanding_m3"] == 18500
    bad = run_cli(clean_engine, "record", "survey", "--parcel", "LV-1", "--date", "2099-01-01",
                  "--leveled")  # fmt: skip
    assert bad.returncode == 1
    assert "--date" in bad.stderr
    assert count(clean_engine, "leveling_surveys") == 1
    t = run_cli(
        clean_engine, "record", "title", "--parcel", "LV-1", "--date", DAY.isoformat(),
        "--ownership", "国有", "--requisition-done", "--compensation-open",
    )  # fmt: skip
    assert t.returncode == 0, t.stderr
    assert "title is now unmet (compensation not settled)" in t.stdout


def test_cli_bulk_csv_is_all_or_nothing(
    land: tuple[TestClient, dict[str, str]], clean_engine: Engine, tmp_path: Path
) -> None:
    client, hdr = land
    f = tmp_path / "surveys.csv"
    with f.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["地块编号", "调查日期", "已平整", "未完成土方(m³)", "调查单位"])
        w.writerow(["LV-1", DAY.isoformat(), "是", "0", "甲"])
        w.writerow(["LV-2", DAY.isoformat(), "maybe", "0", "乙"])
    r = run_cli(clean_engine, "record", "survey", "--file", str(f))
    assert r.returncode == 1
    assert "surveys.csv, row 3, column 已平整 (C)" in r.stderr
    assert count(clean_engine, "leveling_surveys") == 0
    f.write_text(f.read_text(encoding="utf-8-sig").replace("maybe", "否"), encoding="utf-8-sig")
    r = run_cli(clean_engine, "record", "survey", "--file", str(f))
    assert r.returncode == 0, r.stderr
    assert "surveys 2 were added" in r.stdout
    assert "LV-1 leveling: unknown → met" in r.stdout
    assert leveling(client, hdr, "LV-2")["status"] == "unmet"


# ------------------------------------------------------------------ the XLSX round trip


def _sheet(wb: Any, word: str) -> Any:
    return next(ws for ws in wb.worksheets if word in ws.title)


def test_readiness_xlsx_round_trip_adds_the_records_a_clerk_types(
    land: tuple[TestClient, dict[str, str]], clean_engine: Engine, tmp_path: Path
) -> None:
    client, hdr = land
    client.post("/api/v1/parcels/LV-2/surveys", json=survey(), headers=hdr)
    out = tmp_path / "readiness.xlsx"
    r = run_cli(clean_engine, "readiness", "report", "--out", str(out))
    assert r.returncode == 0, r.stderr
    wb = load_workbook(out)
    ws = _sheet(wb, "surveys")
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][:4] == [
        "地块编号 code",
        "地块名称 name",
        "调查日期 surveyed_on",
        "已平整 leveled",
    ]
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["LV-1"][2:] == [None] * 5  # no survey: blank, to fill in
    assert by_code["LV-2"][3] == "是"
    # as exported, the file changes nothing
    same = run_cli(clean_engine, "record", "import", str(out))
    assert same.returncode == 0, same.stderr
    assert "surveys 0 were added, 1 unchanged" in same.stdout
    # the clerk fills in LV-1's survey and a title record for LV-2
    row = next(i for i, r in enumerate(rows, start=1) if r[0] == "LV-1")
    for col, v in zip("CDEFG", [DAY, "否", 18500, "周口测绘院", "ZK-1"], strict=True):
        ws[f"{col}{row}"] = v
    ts = _sheet(wb, "titles")
    trow = next(i for i, r in enumerate(ts.iter_rows(values_only=True), start=1) if r[0] == "LV-2")
    for col, v in zip("CDEFGH", [DAY.isoformat(), "国有", "是", "是", 1, "淮-9"], strict=True):
        ts[f"{col}{trow}"] = v
    wb.save(out)
    r = run_cli(clean_engine, "record", "import", str(out))
    assert r.returncode == 0, r.stderr
    assert "surveys 1 were added" in r.stdout and "title records 1 were added" in r.stdout
    assert "LV-1 leveling: unknown → unmet" in r.stdout
    assert leveling(client, hdr)["evidence"]["survey"]["earthwork_outstanding_m3"] == 18500
    t2 = client.get("/api/v1/parcels/LV-2/readiness", headers=hdr).json()["conditions"]["title"]
    assert t2["status"] == "unmet" and "1 open dispute(s)" in t2["evidence"]["reason"]


def test_records_import_api_names_sheet_row_and_column_and_writes_nothing(
    land: tuple[TestClient, dict[str, str]], clean_engine: Engine
) -> None:
    client, hdr = land
    x = client.get("/api/v1/readiness/report?format=xlsx", headers=hdr)
    assert x.status_code == 200
    path = Path("/tmp") / f"records-{id(x)}.xlsx"  # noqa: S108
    path.write_bytes(x.content)
    wb = load_workbook(path)
    ws = _sheet(wb, "surveys")
    ws["C2"], ws["D2"], ws["E2"] = DAY, "是", -3  # LV-1: negative earthwork
    ws["C3"], ws["D3"] = DAY, "是"  # LV-2: fine
    ts = _sheet(wb, "titles")
    ts["C2"], ts["D2"], ts["E2"], ts["F2"] = DAY, "私有", "是", "是"
    wb.save(path)
    files = {"file": ("records.xlsx", path.read_bytes())}
    path.unlink()
    r = client.post("/api/v1/records/import", files=files, headers=hdr)
    assert r.status_code == 422, r.text
    problems = r.json()["problems"]
    assert any("sheet 场地平整记录 surveys, row 2, column 未完成土方 earthwork_outstanding_m3 (E)"
               in p for p in problems), problems  # fmt: skip
    assert any("sheet 权属记录 titles, row 2, column 权属 ownership (D)" in p for p in problems)
    assert count(clean_engine, "leveling_surveys") == 0
    wb = load_workbook(__import__("io").BytesIO(files["file"][1]))
    _sheet(wb, "surveys")["E2"] = 0
    _sheet(wb, "titles")["D2"] = "国有"
    buf = __import__("io").BytesIO()
    wb.save(buf)
    dry = client.post(
        "/api/v1/records/import",
        files={"file": ("records.xlsx", buf.getvalue())},
        data={"dry_run": "true"},
        headers=hdr,
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["surveys_created"] == 2
    assert count(clean_engine, "leveling_surveys") == 0
    ok = client.post(
        "/api/v1/records/import", files={"file": ("records.xlsx", buf.getvalue())}, headers=hdr
    )
    assert ok.status_code == 201, ok.text
    body = ok.json()
    assert (body["surveys_created"], body["titles_created"]) == (2, 1)
    assert {c["parcel"] for c in body["created"]} == {"LV-1", "LV-2"}
    assert {(c["parcel"], c["condition"], c["new"]) for c in body["changes"]} >= {
        ("LV-1", "leveling", "met"),
        ("LV-1", "title", "met"),
    }
    assert leveling(client, hdr)["status"] == "met"


def test_identical_rows_in_one_file_add_one_record(
    land: tuple[TestClient, dict[str, str]], clean_engine: Engine, tmp_path: Path
) -> None:
    f = tmp_path / "titles.csv"
    row = ["LV-1", DAY.isoformat(), "国有", "是", "是", "0"]
    with f.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "recorded_on", "ownership", "requisition_done",
                    "compensation_settled", "open_disputes"])  # fmt: skip
        w.writerows([row, row, ["LV-2", *row[1:]]])
    r = run_cli(clean_engine, "record", "title", "--file", str(f))
    assert r.returncode == 0, r.stderr
    assert "title records 2 were added, 1 unchanged" in r.stdout
    assert count(clean_engine, "title_records") == 2
