"""A project's fields are defined once (projects/fields.py, read from the table) and every layer
agrees; both ways of loading projects (a load through ``writes.upsert_projects`` and a ledger
import) treat a drawn polygon the same way: a re-load without a new shape keeps it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.db.engine import transaction
from geo_service.exports.queries import PROJECT_COLUMNS as EXPORT_COLUMNS
from geo_service.projects import writes
from geo_service.projects.edits import SNAPSHOT_FIELDS
from geo_service.projects.fields import LINK_COLUMNS, NOT_IN_BODIES, PROJECT_FIELDS
from geo_service.projects.ledger import COLUMNS as LEDGER_COLUMNS
from geo_service.projects.models import Project
from geo_service.projects.schemas import ProjectFields
from tests.helpers import rect_m, to_lonlat, token
from tests.samples import cells, export, upload


def test_every_layer_names_the_same_project_fields() -> None:
    stored = {c.name for c in Project.__table__.columns}
    assert set(PROJECT_FIELDS) <= stored and "name" in PROJECT_FIELDS
    assert writes.PROJECT_COLS == PROJECT_FIELDS
    assert ("code", *PROJECT_FIELDS) == SNAPSHOT_FIELDS
    ledger = [c.field for c in LEDGER_COLUMNS]
    assert sorted(ledger) == sorted([*PROJECT_FIELDS, *LINK_COLUMNS])
    assert {c[0] for c in EXPORT_COLUMNS} >= set(PROJECT_FIELDS)
    assert set(ProjectFields.model_fields) == (
        set(PROJECT_FIELDS) - NOT_IN_BODIES | {"parcel", "geometry"}
    )


POLYGON = to_lonlat(rect_m(0, 0, 200, 100))


def _row(**over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": "P-POLY",
        "name": "画了范围的项目",
        "year": 2026,
        "domain": "industrial_transformation",
        "status": "planned",
        "total_investment_wan": 20000,
        "planned_investment_wan": 5000,
        "completed_wan": 0,
    }
    row.update(over)
    return row


def _shape(engine: Engine) -> tuple[str, int]:
    with engine.connect() as c:
        row = c.execute(
            text("SELECT GeometryType(geom), version FROM projects WHERE code = 'P-POLY'")
        ).one()
    return row[0], row[1]


def test_a_reload_without_a_shape_keeps_the_drawn_polygon(clean_engine: Engine) -> None:
    with transaction(clean_engine) as s:
        writes.upsert_projects(s, [_row(wkb=POLYGON.wkb_hex)])
    assert _shape(clean_engine) == ("POLYGON", 1)
    # the same project again, without a location, then with its polygon's own point
    centre = POLYGON.point_on_surface()
    with transaction(clean_engine) as s:
        writes.upsert_projects(s, [_row()])
        writes.upsert_projects(s, [_row(lon=centre.x, lat=centre.y)])
    assert _shape(clean_engine) == ("POLYGON", 1)  # kept, and nothing rewritten
    # a point somewhere else is a move: it replaces the shape
    with transaction(clean_engine) as s:
        writes.upsert_projects(s, [_row(lon=centre.x + 0.01, lat=centre.y)])
    assert _shape(clean_engine) == ("POINT", 2)


def test_the_ledger_round_trip_keeps_a_drawn_polygon_and_applies_a_move(
    client: TestClient, clean_engine: Engine
) -> None:
    h = token(clean_engine, "official")
    with transaction(clean_engine) as s:
        writes.upsert_projects(s, [_row(wkb=POLYGON.wkb_hex)])
    wb = export(client, h)
    ws = wb.active
    head, rows = cells(ws)
    ws.cell(rows["P-POLY"], head["分包领导"]).value = "李四"
    assert upload(client, h, wb).status_code == 200
    assert _shape(clean_engine) == ("POLYGON", 2)  # the leader changed, the polygon stayed
    ws.cell(rows["P-POLY"], head["经度"]).value = (
        float(ws.cell(rows["P-POLY"], head["经度"]).value) + 0.01
    )
    assert upload(client, h, wb).status_code == 200
    assert _shape(clean_engine) == ("POINT", 3)
