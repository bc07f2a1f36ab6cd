"""Text from users reaches Excel as text: no formulas, no characters that break the file."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from tests.helpers import add_parcels, rect_m, token


def test_parcel_export_keeps_hostile_names_as_plain_text(
    client: TestClient, clean_engine: Engine
) -> None:
    add_parcels(
        clean_engine,
        {
            "code": "F-1",
            "name": '=HYPERLINK("http://x.test","点我")',
            "geom_m": rect_m(0, 0, 50, 50),
        },
        {"code": "F-2", "name": "坏\x01名字", "geom_m": rect_m(100, 0, 50, 50)},
    )
    r = client.get(
        "/api/v1/exports/parcels",
        params={"format": "xlsx"},
        headers=token(clean_engine, "bureau"),
    )
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    formula = next(c for c in cells if c.value.startswith("=HYPERLINK"))
    assert formula.data_type == "s"  # stored as text: Excel shows it, never runs it
    assert any(c.value == "坏名字" for c in cells)
