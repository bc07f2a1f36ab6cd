"""The ledger's Excel round trip: export → edit → import updates the right projects."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.helpers import token
from tests.samples import cells, export, props, seed, upload


@pytest.fixture
def h(clean_engine: Engine) -> dict[str, str]:
    return token(clean_engine, "official")


def test_export_has_chinese_headers_and_exact_money(client: TestClient, h: dict[str, str]) -> None:
    seed(client, h)
    wb = export(client, h)
    assert wb.sheetnames == ["项目台账", "问题清单"]
    ws = wb["项目台账"]
    head, rows = cells(ws)
    for header in ("项目名称", "建设内容", "总投资(万元)", "年度计划投资(万元)", "分包领导",
                   "责任单位", "开工时间", "计划开工时间"):  # fmt: skip
        assert header in head
    assert ws.cell(rows["P-1"], head["总投资(万元)"]).value == 30000.5
    assert ws.cell(rows["P-1"], head["项目状态"]).value == "签约"
    assert ws.cell(rows["P-2"], head["所属领域"]).value == "民生和社会事业改善"
    assert ws.cell(rows["P-1"], head["签约时间"]).value == datetime(2026, 2, 1)


def test_export_edit_import_updates_the_right_projects(
    client: TestClient, clean_engine: Engine, h: dict[str, str]
) -> None:
    seed(client, h)
    geom_before = client.get("/api/v1/projects/P-2", headers=h).json()["geometry"]
    wb = export(client, h)
    ws = wb["项目台账"]
    head, rows = cells(ws)
    ws.cell(rows["P-1"], head["项目状态"]).value = "开工"
    ws.cell(rows["P-1"], head["开工时间"]).value = date(2026, 3, 10)
    ws.cell(rows["P-2"], head["分包领导"]).value = "李四"
    ws.cell(rows["P-3"], head["总投资(万元)"]).value = 45000
    new = ws.max_row + 1
    for header, value in {
        "项目编号": "P-4",
        "项目名称": "新增项目",
        "年度": 2026,
        "所属领域": "绿色低碳转型",
        "总投资(万元)": "12,000.25",
        "计划开工时间": "2026年5月1日",
        "经度": 114.95,
        "纬度": 33.70,
    }.items():
        ws.cell(new, head[header]).value = value

    r = upload(client, h, wb)
    assert r.status_code == 200, r.text
    assert r.json() | {"ignored_columns": []} == {
        "file": "台账.xlsx",
        "rows": 4,
        "created": 1,
        "updated": 3,
        "unchanged": 0,
        # the answer names the projects by outcome
        "created_codes": ["P-4"],
        "updated_codes": ["P-1", "P-2", "P-3"],
        "unchanged_codes": [],
        "problem_sheet": {"rows": 0, "created": 0, "updated": 0, "unchanged": 0},
        "ignored_columns": [],
        "dry_run": False,
    }
    p1 = props(client, h, "P-1")
    assert (p1["status"], p1["actual_start"]) == ("started", "2026-03-10")
    assert props(client, h, "P-2")["leader"] == "李四"
    assert props(client, h, "P-3")["total_investment_wan"] == "45000.00"
    assert props(client, h, "P-3")["leader"] == "张三"  # untouched cells stay
    p4 = client.get("/api/v1/projects/P-4", headers=h).json()
    assert p4["properties"]["total_investment_wan"] == "12000.25"
    assert p4["properties"]["planned_start"] == "2026-05-01"
    assert p4["properties"]["domain"] == "green_low_carbon"
    assert p4["geometry"] == {"type": "Point", "coordinates": [114.95, 33.7]}
    # the polygon was exported as a point (经度/纬度); importing it back keeps the polygon
    assert client.get("/api/v1/projects/P-2", headers=h).json()["geometry"] == geom_before
    with clean_engine.connect() as c:
        n = c.execute(
            text("SELECT count(*) FROM audit_events WHERE action = 'project.import'")
        ).scalar()
        kinds = c.execute(text("SELECT kind, counts FROM imports")).all()
    assert n == 4
    assert kinds == [
        (
            "projects",
            {
                "rows": 4,
                "created": 1,
                "updated": 3,
                "unchanged": 0,
                "problem_sheet": {"rows": 0, "created": 0, "updated": 0, "unchanged": 0},
            },
        )
    ]


def test_re_importing_an_unchanged_export_changes_nothing(
    client: TestClient, h: dict[str, str]
) -> None:
    seed(client, h)
    r = upload(client, h, export(client, h))
    assert r.status_code == 200, r.text
    assert (r.json()["updated"], r.json()["unchanged"]) == (0, 3)
    assert all(props(client, h, c)["version"] == 1 for c in ("P-1", "P-2", "P-3"))


def test_bad_cells_are_reported_by_sheet_row_and_column_and_nothing_is_written(
    client: TestClient, h: dict[str, str]
) -> None:
    seed(client, h)
    wb = export(client, h)
    ws = wb["项目台账"]
    head, rows = cells(ws)
    ws.cell(rows["P-2"], head["分包领导"]).value = "李四"  # a good edit, must not be written
    ws.cell(rows["P-3"], head["总投资(万元)"]).value = "三万"
    ws.cell(rows["P-3"], head["计划竣工时间"]).value = "下个月"
    ws.cell(rows["P-1"], head["项目状态"]).value = "谋划"  # back from 签约
    r = upload(client, h, wb)
    assert r.status_code == 422
    body = r.json()
    assert "nothing was written" in body["detail"]
    col_total = ws.cell(1, head["总投资(万元)"]).column_letter
    assert (
        f"台账.xlsx, sheet 项目台账, row {rows['P-3']}, column 总投资(万元) ({col_total}): "
        "'三万' is not an amount in 万元 such as 12500.00"
    ) in body["problems"]
    assert any("column 计划竣工时间" in p and "not a date" in p for p in body["problems"])
    assert any(
        f"row {rows['P-1']}" in p and "cannot go back from signed to planned" in p
        for p in body["problems"]
    )
    assert props(client, h, "P-2")["leader"] == "张三"
    assert props(client, h, "P-1")["status"] == "signed"


def test_skipping_forward_in_the_file_needs_the_dates(
    client: TestClient, h: dict[str, str]
) -> None:
    seed(client, h)
    wb = export(client, h)
    ws = wb["项目台账"]
    head, rows = cells(ws)
    ws.cell(rows["P-3"], head["项目状态"]).value = "投产"
    r = upload(client, h, wb)
    assert r.status_code == 422
    assert any(
        f"row {rows['P-3']}" in p
        and "signed_on, actual_start, actual_completion, in_production_on missing" in p
        for p in r.json()["problems"]
    )


def test_csv_with_chinese_headers_and_roles(
    client: TestClient, clean_engine: Engine, h: dict[str, str]
) -> None:
    csv_text = (
        "项目编号,项目名称,年度,所属领域,总投资（万元）,分包领导,责任单位,开工时间,备注\n"
        "C-1,物流园,2026,基础设施建设,5000,王五,交通局,,试点\n"
    )
    files = {"file": ("ledger.csv", csv_text.encode("utf-8-sig"), "text/csv")}
    assert client.post("/api/v1/ledger/import", files=files).status_code == 401
    bureau = token(clean_engine, "bureau")
    assert client.post("/api/v1/ledger/import", files=files, headers=bureau).status_code == 403
    assert client.get("/api/v1/ledger/export").status_code == 401
    assert client.get("/api/v1/ledger/export", headers=bureau).status_code == 200
    r = client.post("/api/v1/ledger/import", files=files, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1 and r.json()["ignored_columns"] == ["备注"]
    c1 = props(client, h, "C-1")
    assert (c1["domain"], c1["total_investment_wan"], c1["status"]) == (
        "infrastructure",
        "5000.00",
        "planned",
    )
