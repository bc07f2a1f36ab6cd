"""``geo-service readiness run|report``: net-land checks from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geo_service.readiness.rules import parse_as_of


def register(app: typer.Typer) -> None:
    readiness_app = typer.Typer(no_args_is_help=True, help="Net-land (净地) readiness checks.")
    app.add_typer(readiness_app, name="readiness")

    @readiness_app.command("run")
    def run(
        as_of: Annotated[
            str | None,
            typer.Option("--as-of", help="judge freshness as of this date (YYYY-MM-DD)"),
        ] = None,
        only_marked: Annotated[
            bool, typer.Option("--only-marked", help="only parcels changed since the last run")
        ] = False,
    ) -> None:
        """Re-check every parcel's five conditions; show progress and a summary."""
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from geo_service.commands import friendly_errors, load_settings, open_engine, out
        from geo_service.readiness.engine import run_readiness

        settings = load_settings()
        with friendly_errors():
            when = parse_as_of(as_of, param="--as-of")
            engine = open_engine(settings)
            with Progress(
                TextColumn("{task.description:<16}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=out,
                transient=True,
            ) as bar:
                task = bar.add_task("starting", total=10)

                def progress(step: str, i: int, n: int) -> None:
                    bar.update(task, description=step, completed=i, total=n)

                summary = run_readiness(
                    engine,
                    settings=settings,
                    actor="cli",
                    as_of=when,
                    only_marked=only_marked,
                    progress=progress,
                )
        out.print(f"readiness: {summary}", highlight=False)
        out.print(
            f"  as of {summary.as_of:%Y-%m-%d %H:%M %Z}, parcels in the register "
            f"{summary.parcels_total}, status changes {summary.changed}, "
            f"rows written {summary.written}, run #{summary.run_id}",
            highlight=False,
        )
        for cond, n in summary.missing.items():
            out.print(f"  missing {cond:<9} {n:>7}", highlight=False)

    @readiness_app.command("report")
    def report_cmd(
        out_path: Annotated[Path, typer.Option("--out", help="file to write (.xlsx or .csv)")],
        fmt: Annotated[
            str | None, typer.Option("--format", help="xlsx or csv (default: from --out)")
        ] = None,
    ) -> None:
        """Write the readiness report per parcel (XLSX or CSV).

        The XLSX has the sheets 场地平整记录 surveys and 权属记录 titles too: fill them in and
        read them back with `geo-service record import FILE.xlsx`.
        """
        from geo_service.commands import friendly_errors, load_settings, open_engine, out
        from geo_service.db.engine import transaction
        from geo_service.exports.service import check_out_path
        from geo_service.readiness import queries, records_sheet, report

        settings = load_settings()
        with friendly_errors():
            check_out_path(out_path)
            f = report.check_format(fmt or out_path.suffix.lstrip(".").lower())
            tmp = out_path.with_name(out_path.name + ".part")
            with transaction(open_engine(settings)) as s, tmp.open("wb") as fh:
                sheets = records_sheet.sheet_rows(s) if f == "xlsx" else None
                n = report.write(queries.report_rows(s, settings=settings), f, fh, sheets)
            tmp.replace(out_path)
        out.print(f"wrote {n} parcels to {out_path}", highlight=False)
