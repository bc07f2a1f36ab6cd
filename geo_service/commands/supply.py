"""``geo-service supply check|rules``: the daily check of supply clocks and idle land."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer


def _date(v: str | None) -> date | None:
    from geo_service.errors import InvalidInput

    try:
        return date.fromisoformat(v) if v else None
    except ValueError:
        raise InvalidInput(f"--as-of {v!r} is not a date: use YYYY-MM-DD") from None


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:g}"


def _finding(f: dict[str, Any]) -> str:
    """One finding of the daily check in words (supply.findings)."""
    if f["key"] == "shortfall":
        pen = f.get("penalty_wan")
        penalty = f", penalty {pen:.2f} 万元" if pen else ""
        return f"breach: {f['shortfalls']} shortfalls{penalty}"
    if f["key"] == "idle_but_building":
        return f"conflict: idle, but project {f['project']} is under construction"
    if f["key"] == "suspended_but_compensated":
        return "conflict: suspended for compensation, but the title record says it is settled"
    return str(f["key"])


def register(app: typer.Typer) -> None:
    supply_app = typer.Typer(no_args_is_help=True, help="Land supply: clocks and idle land.")
    app.add_typer(supply_app, name="supply")

    @supply_app.command("check")
    def check(
        as_of: Annotated[
            str | None,
            typer.Option("--as-of", help="judge as of this day (YYYY-MM-DD); default today"),
        ] = None,
    ) -> None:
        """Deadlines, idle land (闲置土地), warnings and proposed fees of every sold parcel."""
        from rich.table import Table

        from geo_service.commands import friendly_errors, load_settings, open_engine, out
        from geo_service.db.engine import transaction
        from geo_service.supply.service import check_all

        settings = load_settings()
        with friendly_errors():
            when = _date(as_of)
            with transaction(open_engine(settings)) as s:
                result = check_all(s, settings=settings, as_of=when)
        table = Table(title=f"supply check as of {result['as_of']:%Y-%m-%d}")
        # codes never cut (a cron mail or an 80-column terminal): the other columns fold
        longest = max((len(p["parcel"]) for p in result["parcels"]), default=6)
        table.add_column("parcel", no_wrap=True, min_width=longest)
        for col in ("stage", "next deadline", "missed / findings", "idle", "proposal"):
            table.add_column(col, overflow="fold")
        rows: list[tuple[str, ...]] = []
        for p in result["parcels"]:
            nxt = p["next"]
            nxt_s = (
                f"{nxt['rule']} {nxt['due']:%Y-%m-%d} ({nxt['days_left']} d)"
                + (" provisional" if nxt["provisional"] else "")
                if nxt
                else "–"
            )
            missed = (
                ", ".join(
                    [f"{d['rule']} +{d['days_late']} d" for d in p["missed"]]
                    + [f"{d['rule']} {d['days_early']} d too early" for d in p.get("defects") or []]
                    + [_finding(f) for f in p.get("findings") or [] if f["kind"] != "defect"]
                )
                or "–"
            )
            idle = p["idle"]
            idle_s = idle["status"]
            if idle.get("since"):
                idle_s += f" since {idle['since']:%Y-%m-%d}"
            if idle.get("warning"):
                w = idle["warning"]
                idle_s += f"; {w['mark']} in {w['days_left']} d"
            if idle.get("suspended_days"):
                idle_s += f"; paused {idle['suspended_days']} d"
            prop = idle.get("proposal")
            prop_s = "–"
            if prop:
                prop_s = f"{prop['action']} (fee {prop['fee_wan']:.2f} 万元); bureau decides"
            rows.append((p["parcel"], p["stage"], nxt_s, missed, idle_s, prop_s))
        if out.is_terminal:
            for row in rows:
                table.add_row(*row)
            out.print(table)
        else:  # piped, cron or mail: one tab-separated line a parcel, nothing cut
            print("\t".join(str(c.header) for c in table.columns))
            for row in rows:
                print("\t".join(row))
        s = result["summary"]
        i = s["idle"]
        out.print(
            f"parcels {s['parcels']}, with missed deadlines or steps too early "
            f"{s['parcels_with_missed']} "
            f"({s['missed_deadlines']} missed), idle warnings {i['warning']}, idle ≥1 year "
            f"{i['idle_1y']}, idle ≥2 years {i['idle_2y']}, proposed fees "
            f"{s['proposed_fees_wan']:.2f} 万元, "
            f"commitment shortfalls {s['commitment_shortfalls']}, breaches "
            f"{s['parcels_with_breach']}, records contradicting {s['parcels_with_conflicts']}",
            highlight=False,
            soft_wrap=True,
        )

        md = s["median_days"]
        out.print(
            "district medians, days: contract → permit "
            f"{_fmt(md['contract_to_permit'])}, handover → certificate "
            f"{_fmt(md['handover_to_certificate'])}, handover → start "
            f"{_fmt(md['handover_to_start'])}",
            highlight=False,
            soft_wrap=True,
        )

    @supply_app.command("grades")
    def grades_cmd(
        year: Annotated[int, typer.Option("--year", min=1990, max=2100, help="the year graded")],
    ) -> None:
        """亩均 figures (tax and value added per 亩) and A/B/C/D grades of one year."""
        from rich.table import Table

        from geo_service.commands import friendly_errors, load_settings, open_engine, out
        from geo_service.db.engine import transaction
        from geo_service.supply.service import grades

        settings = load_settings()
        with friendly_errors(), transaction(open_engine(settings)) as s:
            result = grades(s, settings=settings, year=year)
        table = Table(title=f"亩均 grades {year} ({result['mode']})")
        for col in ("parcel", "亩", "税收/亩 万元", "增加值/亩 万元", "score", "grade"):
            table.add_column(col)
        for r in result["parcels"]:
            table.add_row(
                r["parcel"],
                f"{r['area_mu']:.2f}",
                _fmt(r["tax_per_mu"]),
                _fmt(r["value_added_per_mu"]),
                _fmt(r["score"]),
                r["grade"],
            )
        out.print(table)
        sm = result["summary"]
        out.print(
            f"A {sm['A']}, B {sm['B']}, C {sm['C']}, D {sm['D']}, building {sm['building']}",
            highlight=False,
        )

    @supply_app.command("export")
    def export_cmd(
        out_path: Annotated[Path, typer.Option("--out", help="the .xlsx file to write")],
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="judge as of this day (YYYY-MM-DD)")
        ] = None,
    ) -> None:
        """Write the supply ledger (出让台账 + 供地事件) as XLSX."""
        from geo_service.commands import friendly_errors, load_settings, open_engine, out
        from geo_service.db.engine import transaction
        from geo_service.exports.service import check_out_path
        from geo_service.maps.supply_text import finding_describer
        from geo_service.supply.ledger_xlsx import export_ledger

        settings = load_settings()
        with friendly_errors():
            check_out_path(out_path)
            when = _date(as_of)
            with transaction(open_engine(settings)) as s:
                describe = finding_describer(settings.maps_dir)
                data = export_ledger(s, settings=settings, as_of=when, describe=describe)
            out_path.write_bytes(data)
        out.print(f"wrote {out_path}", highlight=False)

    @supply_app.command("import")
    def import_cmd(
        path: Annotated[Path, typer.Argument(help="an edited supply ledger (.xlsx)")],
        dry_run: Annotated[bool, typer.Option("--dry-run", help="check only")] = False,
    ) -> None:
        """Record the new rows of the 供地事件 sheet as events (all or nothing)."""
        from geo_service.commands import friendly_errors, load_settings, open_engine, out
        from geo_service.db.engine import transaction
        from geo_service.errors import InvalidInput
        from geo_service.supply.ledger_xlsx import import_ledger

        settings = load_settings()
        with friendly_errors():
            if not path.is_file():
                raise InvalidInput(f"{path}: no such file")
            with transaction(open_engine(settings)) as s:
                r = import_ledger(
                    s, data=path.read_bytes(), actor="cli", settings=settings, dry_run=dry_run
                )
        out.print(
            f"{'would record' if dry_run else 'recorded'} {r['recorded']} events, "
            f"{r['skipped_existing']} rows already recorded",
            highlight=False,
        )

    @supply_app.command("rules")
    def rules() -> None:
        """The clocks in force, with their source and whether the article is verified."""
        from rich.table import Table

        from geo_service.commands import load_settings, out

        settings = load_settings()
        table = Table(title=f"supply rules (division {settings.supply.division})")
        for col in ("rule", "from → to", "length", "source", "verified", "origin"):
            table.add_column(col)
        for r in settings.supply.rules_for():
            length = f"{r.length} {r.unit}" if r.length is not None else f"contract {r.due_field}"
            table.add_row(
                r.key,
                f"{r.anchor} → {r.target or '–'}",
                ("≥ " if r.kind == "minimum" else "≤ ") + length,
                f"{r.source} {r.article or ''}",
                "yes" if r.verified else "no",
                r.origin,
            )
        out.print(table)
