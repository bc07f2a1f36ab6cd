"""The ledger's 问题清单 sheet: export → edit a problem → import, by the API's rules."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from geo_service.commands import projects as ledger_commands
from tests.helpers import patch_current, token
from tests.samples import add, cells, export, props, upload

AS_OF = "2026-11-30"  # after every date the tests record (a day to come is refused)


@pytest.fixture
def h(clean_engine: Engine) -> dict[str, str]:
    return token(clean_engine, "official")


def problem(client: TestClient, h: dict[str, str], code: str, project: str, **over: Any) -> None:
    body = {
        "project": project,
        "code": code,
        "description": f"问题 {code}",
        "found_on": "2026-04-01",
        "assignee_unit": "城关镇",
        "assignee_leader": "孙七",
        "deadline": "2026-06-30",
    } | over
    r = client.post("/api/v1/problems", json=body, headers=h)
    assert r.status_code == 201, r.text


def seed(client: TestClient, h: dict[str, str]) -> None:
    add(client, h, "P-1", status="signed", signed_on="2026-02-01")
    add(client, h, "P-2")
    problem(client, h, "Q-1", "P-1")
    problem(client, h, "Q-2", "P-2")
    r = patch_current(client, "/api/v1/problems/Q-2", json={"status": "in_progress"}, headers=h)
    assert r.status_code == 200, r.text


def rows(ws: Any) -> tuple[dict[str, int], dict[str, int]]:
    """Column index by header and row index by 问题编号."""
    head = {c.value: c.column for c in ws[1]}
    return head, {ws.cell(r, head["问题编号"]).value: r for r in range(2, ws.max_row + 1)}


def get(client: TestClient, h: dict[str, str], code: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/problems/{code}", headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def stats_problems(client: TestClient, h: dict[str, str]) -> dict[str, Any]:
    r = client.get("/api/v1/stats", params={"year": 2026, "as_of": AS_OF}, headers=h)
    assert r.status_code == 200, r.text
    return r.json()["problems"]


def audit_actions(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as c:
        return [
            tuple(r)
            for r in c.execute(
                text(
                    "SELECT action, entity_code, actor FROM audit_events "
                    "WHERE entity_type = 'problem' AND action = 'problem.import' ORDER BY id"
                )
            ).all()
        ]


def test_the_export_has_the_problems_with_chinese_headers(
    client: TestClient, h: dict[str, str]
) -> None:
    seed(client, h)
    ws = export(client, h)["问题清单"]
    head, at = rows(ws)
    assert list(head) == ["问题编号", "项目编号", "问题描述", "发现时间", "责任单位", "责任领导",
                          "整改时限", "整改状态", "解决时间", "解决情况"]  # fmt: skip
    assert ws.cell(at["Q-1"], head["整改状态"]).value == "未整改"
    assert ws.cell(at["Q-2"], head["整改状态"]).value == "整改中"
    assert ws.cell(at["Q-2"], head["项目编号"]).value == "P-2"


def test_resolving_a_problem_in_the_file(
    client: TestClient, clean_engine: Engine, h: dict[str, str]
) -> None:
    seed(client, h)
    before = stats_problems(client, h)
    assert (before["found"], before["resolved"], before["in_progress"]) == (2, 0, 1)
    wb = export(client, h)
    ws = wb["问题清单"]
    head, at = rows(ws)
    ws.cell(at["Q-2"], head["整改状态"]).value = "已解决"
    ws.cell(at["Q-2"], head["解决情况"]).value = "征迁协议已签订"
    ws.cell(at["Q-2"], head["解决时间"]).value = date(2026, 5, 10)
    ws.cell(at["Q-1"], head["责任领导"]).value = "周八"  # a reassignment
    new = ws.max_row + 1  # a new problem, found on a project of the file
    for header, value in {
        "问题编号": "Q-3",
        "项目编号": "P-1",
        "问题描述": "用电未接通",
        "发现时间": "2026年5月1日",
        "责任单位": "供电公司",
        "责任领导": "赵六",
        "整改时限": "2026-05-31",
    }.items():
        ws.cell(new, head[header]).value = value

    r = upload(client, h, wb)
    assert r.status_code == 200, r.text
    assert r.json()["problem_sheet"] == {"rows": 3, "created": 1, "updated": 2, "unchanged": 0}
    assert (r.json()["updated"], r.json()["unchanged"]) == (0, 2)  # the projects sheet

    q2 = get(client, h, "Q-2")
    assert (q2["status"], q2["resolution"], q2["resolved_on"]) == (
        "resolved",
        "征迁协议已签订",
        "2026-05-10",
    )
    assert q2["version"] == 3  # created, in_progress, resolved
    q1 = get(client, h, "Q-1")
    assert (q1["assignee_leader"], q1["status"], q1["version"]) == ("周八", "open", 2)
    q3 = get(client, h, "Q-3")
    assert (q3["project"], q3["found_on"], q3["status"]) == ("P-1", "2026-05-01", "open")
    after = stats_problems(client, h)
    assert (after["found"], after["resolved"], after["in_progress"]) == (3, 1, 0)

    with clean_engine.connect() as c:
        api_actor = c.execute(
            text("SELECT actor FROM audit_events WHERE action = 'problem.create' LIMIT 1")
        ).scalar()
    # every write audited, actor = the importer (the same token as the API writes above)
    assert audit_actions(clean_engine) == [
        ("problem.import", "Q-3", api_actor),
        ("problem.import", "Q-1", api_actor),
        ("problem.import", "Q-2", api_actor),
    ]

    # the same file again changes nothing
    r = upload(client, h, export(client, h))
    assert r.status_code == 200, r.text
    assert r.json()["problem_sheet"] == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3}
    assert [get(client, h, c)["version"] for c in ("Q-1", "Q-2", "Q-3")] == [2, 3, 1]
    assert len(audit_actions(clean_engine)) == 3


def test_a_bad_transition_or_missing_resolution_writes_nothing(
    client: TestClient, clean_engine: Engine, h: dict[str, str]
) -> None:
    seed(client, h)
    r = patch_current(
        client,
        "/api/v1/problems/Q-2",
        json={"status": "resolved", "resolution": "已完成", "resolved_on": "2026-05-01"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    wb = export(client, h)
    pws = wb["项目台账"]
    phead, prow = cells(pws)
    pws.cell(prow["P-2"], phead["分包领导"]).value = "李四"  # a good edit, must not be written
    ws = wb["问题清单"]
    head, at = rows(ws)
    ws.cell(at["Q-2"], head["整改状态"]).value = "未整改"  # resolved → open
    ws.cell(at["Q-1"], head["整改状态"]).value = "已解决"  # without 解决情况 / 解决时间
    new = ws.max_row + 1
    for header, value in {
        "问题编号": "Q-9",
        "项目编号": "NOPE",
        "问题描述": "x",
        "发现时间": "2026-05-01",
        "责任单位": "u",
        "责任领导": "l",
        "整改时限": "2026-04-01",
    }.items():
        ws.cell(new, head[header]).value = value

    r = upload(client, h, wb)
    assert r.status_code == 422, r.text
    body = r.json()
    assert "nothing was written" in body["detail"]
    status_col = ws.cell(1, head["整改状态"]).column_letter
    res_col = ws.cell(1, head["解决情况"]).column_letter
    assert (
        f"台账.xlsx, sheet 问题清单, row {at['Q-2']}, column 整改状态 ({status_col}): "
        "problem Q-2 cannot go back from resolved to open; if it came back, file a new problem"
    ) in body["problems"]
    assert any(
        p.startswith(f"台账.xlsx, sheet 问题清单, row {at['Q-1']}, column 解决情况 ({res_col}): ")
        and "resolving a problem needs both resolution" in p
        for p in body["problems"]
    )
    assert any(
        f"row {new}, column 项目编号" in p and "NOPE is not a project" in p
        for p in body["problems"]
    )
    assert props(client, h, "P-2")["leader"] == "张三"
    assert get(client, h, "Q-2")["status"] == "resolved"
    assert (get(client, h, "Q-1")["status"], get(client, h, "Q-1")["version"]) == ("open", 1)
    assert client.get("/api/v1/problems/Q-9", headers=h).status_code == 404
    assert audit_actions(clean_engine) == []

    # a new problem on a good project but with its deadline before it was found
    ws.cell(new, head["项目编号"]).value = "P-1"
    ws.cell(at["Q-2"], head["整改状态"]).value = "已解决"
    ws.cell(at["Q-1"], head["整改状态"]).value = "整改中"
    ws.cell(at["Q-1"], head["发现时间"]).value = date(2026, 3, 1)  # cannot change
    r = upload(client, h, wb)
    assert r.status_code == 422, r.text
    problems = r.json()["problems"]
    assert any(f"row {new}, column 整改时限" in p and "deadline" in p for p in problems)
    assert any(
        f"row {at['Q-1']}, column 发现时间" in p and "cannot be changed" in p for p in problems
    )
    assert len(problems) == 2
    assert props(client, h, "P-2")["leader"] == "张三"


def test_bad_cells_in_both_sheets_are_all_reported(client: TestClient, h: dict[str, str]) -> None:
    seed(client, h)
    wb = export(client, h)
    pws = wb["项目台账"]
    phead, prow = cells(pws)
    pws.cell(prow["P-1"], phead["总投资(万元)"]).value = "三万"
    ws = wb["问题清单"]
    head, at = rows(ws)
    ws.cell(at["Q-1"], head["整改状态"]).value = "差不多了"
    ws.cell(at["Q-1"], head["整改时限"]).value = "月底"
    r = upload(client, h, wb)
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert any("sheet 项目台账" in p and "column 总投资(万元)" in p for p in problems)
    assert any(
        "sheet 问题清单" in p and "column 整改状态" in p and "未整改、整改中、已解决" in p
        for p in problems
    )
    assert any("sheet 问题清单" in p and "column 整改时限" in p for p in problems)


def test_a_workbook_without_the_problem_sheet_imports_projects_as_before(
    client: TestClient, h: dict[str, str]
) -> None:
    seed(client, h)
    wb = export(client, h)
    del wb["问题清单"]
    ws = wb["项目台账"]
    head, at = cells(ws)
    ws.cell(at["P-2"], head["分包领导"]).value = "李四"
    r = upload(client, h, wb)
    assert r.status_code == 200, r.text
    assert (r.json()["updated"], r.json()["problem_sheet"]) == (1, None)
    assert props(client, h, "P-2")["leader"] == "李四"
    assert get(client, h, "Q-1")["version"] == 1


def test_a_workbook_with_only_the_problem_sheet(client: TestClient, h: dict[str, str]) -> None:
    seed(client, h)
    wb = export(client, h)
    del wb["项目台账"]
    ws = wb["问题清单"]
    head, at = rows(ws)
    ws.cell(at["Q-1"], head["整改状态"]).value = "in_progress"
    r = upload(client, h, wb)
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == 0
    assert r.json()["problem_sheet"] == {"rows": 2, "created": 0, "updated": 1, "unchanged": 1}
    assert get(client, h, "Q-1")["status"] == "in_progress"


def test_the_cli_reports_problem_counts(
    client: TestClient,
    clean_engine: Engine,
    h: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(client, h)
    wb = load_workbook(io.BytesIO(client.get("/api/v1/ledger/export", headers=h).content))
    ws = wb["问题清单"]
    head, at = rows(ws)
    ws.cell(at["Q-2"], head["整改状态"]).value = "已解决"
    ws.cell(at["Q-2"], head["解决情况"]).value = "已协调"
    ws.cell(1, head["解决时间"]).value = "解决日期"  # the header's other name is read too
    ws.cell(at["Q-2"], head["解决时间"]).value = "2026/5/2"
    f = tmp_path / "ledger.xlsx"
    wb.save(f)
    monkeypatch.setenv(
        "GEO_SERVICE_DATABASE_URL", clean_engine.url.render_as_string(hide_password=False)
    )
    app = typer.Typer()
    ledger_commands.register(app)
    r = CliRunner().invoke(app, ["ledger", "import", str(f), "--actor", "王科长"])
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    assert "2 rows on 问题清单: 0 problems were created, 1 updated, 1 unchanged" in said
    q2 = get(client, h, "Q-2")
    assert (q2["status"], q2["resolved_on"]) == ("resolved", "2026-05-02")
    assert audit_actions(clean_engine) == [("problem.import", "Q-2", "cli:王科长")]


def test_text_excel_trims_does_not_count_as_a_change(client: TestClient, h: dict[str, str]) -> None:
    add(client, h, "P-1")
    problem(client, h, "Q-1", "P-1", description="征迁未完成 ", assignee_unit=" 城关镇")
    r = upload(client, h, export(client, h))
    assert r.status_code == 200, r.text
    assert r.json()["problem_sheet"] == {"rows": 1, "created": 0, "updated": 0, "unchanged": 1}
    assert get(client, h, "Q-1")["version"] == 1
