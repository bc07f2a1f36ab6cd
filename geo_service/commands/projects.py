"""``geo-service ledger import|export|escalate``: the key-project ledger from the command line.

``import_projects_command`` is also what ``geo-service import projects FILE`` runs (wired in
``commands/importing.py``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from geo_service.errors import InvalidInput


def import_projects_command(
    file: Annotated[Path, typer.Argument(help="the ledger: .xlsx, .csv or .geojson")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check every cell, write nothing")
    ] = False,
    actor: Annotated[str, typer.Option(help="who is importing (for the audit trail)")] = "cli",
) -> None:
    """Create/update projects by 项目编号 (and problems by 问题编号 from sheet 问题清单) from an
    edited ledger; any bad cell in either sheet → nothing written."""
    from geo_service.commands import err, friendly_errors, load_settings, open_engine, out
    from geo_service.db.engine import transaction
    from geo_service.projects.ledger import import_ledger

    settings = load_settings()
    with friendly_errors():
        if not file.is_file():
            raise InvalidInput(f"{file}: no such file")
        data = file.read_bytes()
        with transaction(open_engine(settings)) as s:
            res = import_ledger(
                s, data=data, filename=file.name, actor=f"cli:{actor}", dry_run=dry_run
            )
    verb = "would be" if dry_run else "were"
    out.print(
        f"{res['rows']} rows: {res['created']} projects {verb} created, {res['updated']} "
        f"updated, {res['unchanged']} unchanged",
        highlight=False,
    )
    for outcome in ("created", "updated", "unchanged"):
        if codes := res.get(f"{outcome}_codes"):
            more = f" … and {res[outcome] - 50} more" if res[outcome] > 50 else ""
            out.print(f"  {outcome}: {', '.join(codes[:50])}{more}", highlight=False)
    if (ps := res.get("problem_sheet")) is not None:
        out.print(
            f"{ps['rows']} rows on 问题清单: {ps['created']} problems {verb} created, "
            f"{ps['updated']} updated, {ps['unchanged']} unchanged",
            highlight=False,
        )
    if res["ignored_columns"]:
        err.print(
            f"note: {len(res['ignored_columns'])} column(s) are not ledger columns and were not "
            f"read: {', '.join(res['ignored_columns'])}",
            highlight=False,
        )


def export_ledger_command(
    out_path: Annotated[Path, typer.Option("--out", help="the .xlsx file to write")],
    year: Annotated[int | None, typer.Option(help="ledger year (default: the latest)")] = None,
) -> None:
    """Write the ledger (项目台账 + 问题清单) as XLSX with Chinese headers."""
    from geo_service.commands import friendly_errors, load_settings, open_engine, out
    from geo_service.db.engine import transaction
    from geo_service.exports.service import check_out_path
    from geo_service.projects.ledger import export_ledger

    settings = load_settings()
    with friendly_errors():
        check_out_path(out_path)
        if out_path.suffix.lower() != ".xlsx":
            raise InvalidInput(f"--out {out_path}: the ledger is written as .xlsx")
        with transaction(open_engine(settings)) as s:
            data = export_ledger(s, year=year or settings.ledger_year)
        tmp = out_path.with_suffix(".xlsx.part")
        try:
            tmp.write_bytes(data)
            tmp.replace(out_path)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise InvalidInput(f"--out {out_path}: cannot write there ({e.strerror})") from None
    out.print(f"wrote {out_path} ({len(data)} bytes)", highlight=False)


def escalate_command(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today)")
    ] = None,
) -> None:
    """Flag every unresolved problem past its deadline as escalated (run daily)."""
    from geo_service.commands import friendly_errors, load_settings, open_engine, out
    from geo_service.db.engine import transaction
    from geo_service.projects.problems import escalate_overdue

    settings = load_settings()
    with friendly_errors():
        try:
            day = date.fromisoformat(as_of) if as_of else date.today()
        except ValueError:
            raise InvalidInput(f"--as-of {as_of!r} is not a date like 2026-06-30") from None
        with transaction(open_engine(settings)) as s:
            n = escalate_overdue(s, as_of=day, actor="cli:escalate")
    out.print(f"escalated {n} problem(s) past their deadline as of {day}")


def register(app: typer.Typer) -> None:
    ledger_app = typer.Typer(no_args_is_help=True, help="The key-project ledger (清单+台账).")
    app.add_typer(ledger_app, name="ledger")
    ledger_app.command("import")(import_projects_command)
    ledger_app.command("export")(export_ledger_command)
    ledger_app.command("escalate")(escalate_command)
    # CONTRACT.md: `geo-service import projects FILE` is the same command
    from geo_service.commands.importing import import_app

    import_app.command("projects")(import_projects_command)
