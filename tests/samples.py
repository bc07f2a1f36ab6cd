"""Sample records and the ledger's Excel round trip, shared by the project and ledger tests."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.helpers import rect_m, to_lonlat


def project(code: str = "P-1", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": f"项目 {code}",
        "year": 2026,
        "domain": "industrial_transformation",
        "total_investment_wan": "50000.00",
        "planned_investment_wan": "12000.00",
        "leader": "张三",
        "responsible_unit": "发改委",
        "planned_start": "2026-03-01",
        "geometry": {"type": "Point", "coordinates": [114.9, 33.72]},
    }
    body.update(over)
    return body


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def add(client: TestClient, h: dict[str, str], code: str, **over: Any) -> None:
    body: dict[str, Any] = {
        "code": code,
        "name": f"项目 {code}",
        "year": 2026,
        "domain": "industrial_transformation",
        "total_investment_wan": "30000.50",
        "planned_investment_wan": "8000",
        "leader": "张三",
        "responsible_unit": "工信局",
        "planned_start": "2026-03-01",
        "geometry": {"type": "Point", "coordinates": [114.91, 33.73]},
    }
    body.update(over)
    r = client.post("/api/v1/projects", json=body, headers=h)
    assert r.status_code == 201, r.text


def seed(client: TestClient, h: dict[str, str]) -> None:
    add(client, h, "P-1", status="signed", signed_on="2026-02-01")
    poly = to_lonlat(rect_m(0, 0, 200, 100)).__geo_interface__
    add(client, h, "P-2", geometry=poly, domain="livelihood", description="建设教学楼")
    add(client, h, "P-3")


def export(client: TestClient, h: dict[str, str]) -> Any:
    r = client.get("/api/v1/ledger/export", headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    return load_workbook(io.BytesIO(r.content))


def upload(client: TestClient, h: dict[str, str], wb: Any, name: str = "台账.xlsx") -> Any:
    buf = io.BytesIO()
    wb.save(buf)
    return client.post(
        "/api/v1/ledger/import", files={"file": (name, buf.getvalue(), XLSX)}, headers=h
    )


def cells(ws: Any) -> tuple[dict[str, int], dict[str, int]]:
    """Column index by header and row index by 项目编号."""
    head = {c.value: c.column for c in ws[1]}
    rows = {ws.cell(r, head["项目编号"]).value: r for r in range(2, ws.max_row + 1)}
    return head, rows


def props(client: TestClient, h: dict[str, str], code: str) -> dict[str, Any]:
    return client.get(f"/api/v1/projects/{code}", headers=h).json()["properties"]
