"""``geo-service record survey|title|import``: site surveys and title records by hand or by file.

Each record takes effect at once: the parcel's leveling/title condition is re-checked in the same
transaction (with history), exactly as ``readiness run`` would decide it.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer

FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file", help="many records from a CSV/XLSX with the report's headers (bulk, all or none)"
    ),
]
ParcelOpt = Annotated[str | None, typer.Option("--parcel", help="the parcel's code (地块编号)")]
DateOpt = Annotated[str | None, typer.Option("--date", help="day of the record (YYYY-MM-DD)")]
DocOpt = Annotated[str | None, typer.Option("--doc", help="document reference (文号)")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="check and report; write nothing")]


_OPTIONS = {
    "surveyed_on": "--date",
    "recorded_on": "--date",
    "leveled": "--leveled/--not-leveled",
    "earthwork_outstanding_m3": "--earthwork",
    "surveyor": "--surveyor",
    "document_ref": "--doc",
    "ownership": "--ownership",
    "requisition_done": "--requisition-done/--requisition-open",
    "compensation_settled": "--compensation-settled/--compensation-open",
    "open_disputes": "--disputes",
}


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _one(kind: str, code: str | None, data: dict[str, Any]) -> None:
    from geo_service.commands import friendly_errors, load_settings, open_engine, out
    from geo_service.db.engine import transaction
    from geo_service.errors import InvalidInput
    from geo_service.readiness import records

    settings = load_settings()
    with friendly_errors():
        if not code:
            raise InvalidInput("--parcel is required (or --file for many records)")
        try:
            rec = records.parse(kind, {k: v for k, v in data.items() if v is not None})
        except InvalidInput as e:  # name the command's options, not the API's fields
            msg = e.public
            for name, opt in _OPTIONS.items():
                msg = msg.replace(f"{name}:", f"{opt}:")
            raise InvalidInput(msg) from None
        with transaction(open_engine(settings)) as s:
            got = records.add_record(
                s, kind=kind, code=code, rec=rec, actor=_actor(), settings=settings
            )
    cond = got["condition"]
    reason = cond["evidence"].get("reason")
    out.print(
        f"{code}: {kind} #{got['id']} recorded ({_describe(kind, got)}); "
        f"{cond['key']} is now {cond['status']}" + (f" ({reason})" if reason else ""),
        highlight=False,
    )
    for ch in got["status_changes"]:
        out.print(f"  {ch['condition']}: {ch['old'] or 'none'} → {ch['new']}", highlight=False)
    for n in got["notes"]:
        out.print(f"  note: {n}", highlight=False)


def _describe(kind: str, r: dict[str, Any]) -> str:
    if kind == "survey":
        lev = "leveled" if r["leveled"] else "not leveled"
        return f"{r['surveyed_on']}, {lev}, {r['earthwork_outstanding_m3']:g} m³ outstanding"
    return (
        f"{r['recorded_on']}, {r['ownership']}, requisition "
        f"{'done' if r['requisition_done'] else 'open'}, compensation "
        f"{'settled' if r['compensation_settled'] else 'open'}, {r['open_disputes']} dispute(s)"
    )


def _file(path: Path, kind: str | None, dry_run: bool) -> None:
    from geo_service.commands import err, friendly_errors, load_settings, open_engine, out
    from geo_service.db.engine import transaction
    from geo_service.errors import InvalidInput
    from geo_service.readiness import records_upload

    settings = load_settings()
    with friendly_errors():
        if not path.exists():
            raise InvalidInput(f"{path}: no such file")
        with transaction(open_engine(settings)) as s:
            result = records_upload.import_file(
                s,
                path=path,
                display=path.name,
                actor=_actor(),
                settings=settings,
                kind=kind,
                dry_run=dry_run,
            )
    for line in result.lines():
        out.print(line, highlight=False)
    if not result.written.created and not dry_run:
        err.print("nothing new: every record in the file is on file already", highlight=False)


def register(app: typer.Typer) -> None:
    record_app = typer.Typer(
        no_args_is_help=True,
        help="Site surveys (场地平整) and title records (权属) behind two net-land conditions.",
    )
    app.add_typer(record_app, name="record")

    @record_app.command("survey")
    def survey(
        parcel: ParcelOpt = None,
        date: DateOpt = None,
        leveled: Annotated[
            bool | None,
            typer.Option("--leveled/--not-leveled", help="whether the site is leveled"),
        ] = None,
        earthwork: Annotated[
            float | None,
            typer.Option("--earthwork", help="earthwork outstanding, m³ (default 0)"),
        ] = None,
        surveyor: Annotated[str | None, typer.Option("--surveyor", help="who surveyed")] = None,
        doc: DocOpt = None,
        file: FileOpt = None,
        dry_run: DryOpt = False,
    ) -> None:
        """Record a site survey of one parcel, or many with --file."""
        if file is not None:
            _file(file, "survey", dry_run)
            return
        _one(
            "survey",
            parcel,
            {
                "surveyed_on": date,
                "leveled": leveled,
                "earthwork_outstanding_m3": earthwork,
                "surveyor": surveyor,
                "document_ref": doc,
            },
        )

    @record_app.command("title")
    def title(
        parcel: ParcelOpt = None,
        date: DateOpt = None,
        ownership: Annotated[
            str | None, typer.Option("--ownership", help="state (国有) or collective (集体)")
        ] = None,
        requisition_done: Annotated[
            bool | None,
            typer.Option("--requisition-done/--requisition-open", help="requisition (征收)"),
        ] = None,
        compensation_settled: Annotated[
            bool | None,
            typer.Option("--compensation-settled/--compensation-open", help="compensation (补偿)"),
        ] = None,
        disputes: Annotated[
            int | None, typer.Option("--disputes", help="open disputes (default 0)")
        ] = None,
        doc: DocOpt = None,
        file: FileOpt = None,
        dry_run: DryOpt = False,
    ) -> None:
        """Record the title situation of one parcel, or many with --file."""
        if file is not None:
            _file(file, "title", dry_run)
            return
        from geo_service.readiness.records_sheet import OWNERSHIP_WORDS

        _one(
            "title",
            parcel,
            {
                "recorded_on": date,
                "ownership": OWNERSHIP_WORDS.get(ownership or "", ownership),
                "requisition_done": requisition_done,
                "compensation_settled": compensation_settled,
                "open_disputes": disputes,
                "document_ref": doc,
            },
        )

    @record_app.command("import")
    def import_(
        file: Annotated[Path, typer.Argument(help="the readiness report XLSX, filled in")],
        dry_run: DryOpt = False,
    ) -> None:
        """Read the sheets 场地平整记录 surveys and 权属记录 titles back (all or nothing)."""
        _file(file, None, dry_run)
