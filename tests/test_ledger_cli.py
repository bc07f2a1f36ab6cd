"""``geo-service ledger export|import``: the Excel round trip from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from geo_service.commands import projects as ledger_commands
from geo_service.db.engine import transaction
from geo_service.projects import writes


@pytest.fixture
def cli(clean_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    url = clean_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("GEO_SERVICE_DATABASE_URL", url)
    app = typer.Typer()
    ledger_commands.register(app)
    with transaction(clean_engine) as s:
        writes.upsert_projects(
            s,
            [
                {"code": "L-1", "name": "一号项目", "year": 2026, "domain": "innovation",
                 "status": "planned", "total_investment_wan": "1000", "planned_investment_wan": "0",
                 "completed_wan": "0", "lon": 114.9, "lat": 33.7},
                {"code": "L-2", "name": "二号项目", "year": 2026, "domain": "livelihood",
                 "status": "planned", "total_investment_wan": "2000", "planned_investment_wan": "0",
                 "completed_wan": "0"},
            ],
        )  # fmt: skip
    return app


def test_export_edit_import(cli: typer.Typer, clean_engine: Engine, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "ledger.xlsx"
    r = runner.invoke(cli, ["ledger", "export", "--out", str(out)])
    assert r.exit_code == 0, r.output
    wb = load_workbook(out)
    ws = wb["项目台账"]
    head = {c.value: c.column for c in ws[1]}
    assert ws.cell(2, head["项目编号"]).value == "L-1"
    ws.cell(3, head["责任单位"]).value = "教体局"
    wb.save(out)

    r = runner.invoke(cli, ["ledger", "import", str(out), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "1 updated" in " ".join(r.output.split())
    with clean_engine.connect() as c:
        assert (
            c.execute(text("SELECT responsible_unit FROM projects WHERE code = 'L-2'")).scalar()
            is None
        )

    r = runner.invoke(cli, ["ledger", "import", str(out)])
    assert r.exit_code == 0, r.output
    assert "2 rows: 0 projects were created, 1 updated, 1 unchanged" in " ".join(r.output.split())
    with clean_engine.connect() as c:
        unit = c.execute(text("SELECT responsible_unit FROM projects WHERE code = 'L-2'")).scalar()
    assert unit == "教体局"


def test_a_bad_cell_exits_non_zero_and_writes_nothing(
    cli: typer.Typer, clean_engine: Engine, tmp_path: Path
) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("项目编号,项目名称,开工时间\nL-1,一号项目,2026-02-30\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["ledger", "import", str(f)])
    assert r.exit_code == 1
    assert "bad.csv, sheet csv, row 2, column 开工时间 (C): '2026-02-30' is not a date" in " ".join(
        r.output.split()
    )  # rich may wrap long lines
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT max(version) FROM projects")).scalar() == 1
