"""``geo-service report weekly|monthly [--as-of DATE] [--county CODE] --out FILE.pdf|FILE.docx``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer


def _write(
    kind: str,
    out_path: Path,
    as_of: str | None,
    year: int | None,
    stuck_weeks: int,
    county: str | None = None,
) -> None:
    from geo_service.commands import err, friendly_errors, load_settings, open_engine, out
    from geo_service.counties import scope
    from geo_service.db.engine import transaction
    from geo_service.errors import InvalidInput
    from geo_service.exports.service import check_out_path
    from geo_service.reports import documents, span
    from geo_service.reports.figures import ReportOptions

    settings = load_settings()
    with friendly_errors():
        fmt = out_path.suffix.lower().lstrip(".")
        if fmt not in ("pdf", "docx"):
            raise InvalidInput(f"--out {out_path} must end in .pdf or .docx")
        try:
            day = date.fromisoformat(as_of) if as_of else date.today()
        except ValueError:
            raise InvalidInput(f"--as-of {as_of!r} is not a date; write it as YYYY-MM-DD") from None
        check_out_path(out_path)
        opts = ReportOptions(as_of=day, year=year, stuck_weeks=stuck_weeks)
        engine = open_engine(settings)
        if county is not None:  # one county's report: the county wall scopes every query
            with transaction(engine) as s:
                county = scope.check_code(s, county, field="--county")
        with scope.scoped(county), transaction(engine) as s:
            span.check_year(s, year, param="--year")
            span.check_day(s, day, param="--as-of")
            build = documents.weekly_report if kind == "weekly" else documents.monthly_report
            report = build(s, settings, opts)
        data = documents.render(report, fmt)
        tmp = out_path.with_suffix(out_path.suffix + ".tmp")
        try:
            tmp.write_bytes(data)
            tmp.replace(out_path)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise InvalidInput(f"--out {out_path}: cannot write there ({e.strerror})") from None
    d = report.data
    if kind == "weekly":
        n, m = len(d["flagged_codes"]), len(d["problems_open"])
        summary = f"{n} slow/overdue projects, {m} open problems"
    else:
        summary = f"{len(d['stuck_codes'])} stuck projects (久推不动)"
    out.print(
        f"wrote {out_path} ({len(data) / 1e3:.0f} kB): as of {d['as_of']}, {summary}",
        highlight=False,
    )
    if not d["stats"].get("projects", {}).get("count"):
        err.print("note: the ledger has no projects for that year", highlight=False)


AsOf = Annotated[
    str | None, typer.Option("--as-of", help="the report's day, YYYY-MM-DD (default today)")
]
Out = Annotated[Path, typer.Option("--out", help="FILE.pdf or FILE.docx")]
Year = Annotated[int | None, typer.Option(help="ledger year (default the latest)")]
County = Annotated[
    str | None,
    typer.Option("--county", help="one county's report (division code); default: the whole city"),
]


def register(app: typer.Typer) -> None:
    report_app = typer.Typer(no_args_is_help=True, help="The weekly 督查专报 and the monthly pack.")
    app.add_typer(report_app, name="report")

    @report_app.command("weekly")
    def weekly(out_path: Out, as_of: AsOf = None, year: Year = None, county: County = None) -> None:
        """督查专报: figures against targets, slow/overdue projects by leader, problems,
        projects not visited, changes since last week, a map of the flagged projects."""
        _write("weekly", out_path, as_of, year, 8, county)

    @report_app.command("monthly")
    def monthly(
        out_path: Out,
        as_of: AsOf = None,
        year: Year = None,
        stuck_weeks: Annotated[
            int, typer.Option(min=4, max=52, help="久推不动: red at every weekly check, weeks")
        ] = 8,
        county: County = None,
    ) -> None:
        """The monthly meeting pack: the stuck projects (久推不动), one page each."""
        _write("monthly", out_path, as_of, year, stuck_weeks, county)
