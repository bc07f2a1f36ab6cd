"""``geo-service supply check|rules``: the daily check of supply clocks and idle land."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer


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

        from geo_service.cli import _engine, _settings, friendly_errors, out
        from geo_service.db.engine import transaction
        from geo_service.errors import InvalidInput
        from geo_service.supply.service import check_all

        settings = _settings()
        with friendly_errors():
            try:
                when = date.fromisoformat(as_of) if as_of else None
            except ValueError:
                raise InvalidInput(f"--as-of {as_of!r} is not a date: use YYYY-MM-DD") from None
            with transaction(_engine(settings)) as s:
                result = check_all(s, settings=settings, as_of=when)
        table = Table(title=f"supply check as of {result['as_of']:%Y-%m-%d}")
        for col in ("parcel", "stage", "next deadline", "missed", "idle", "proposal"):
            table.add_column(col)
        for p in result["parcels"]:
            nxt = p["next"]
            nxt_s = (
                f"{nxt['rule']} {nxt['due']:%Y-%m-%d} ({nxt['days_left']} d)"
                + (" provisional" if nxt["provisional"] else "")
                if nxt
                else "–"
            )
            missed = ", ".join(f"{d['rule']} +{d['days_late']} d" for d in p["missed"]) or "–"
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
            table.add_row(p["parcel"], p["stage"], nxt_s, missed, idle_s, prop_s)
        out.print(table)
        s = result["summary"]
        i = s["idle"]
        out.print(
            f"parcels {s['parcels']}, with missed deadlines {s['parcels_with_missed']} "
            f"({s['missed_deadlines']} missed), idle warnings {i['warning']}, idle ≥1 year "
            f"{i['idle_1y']}, idle ≥2 years {i['idle_2y']}, proposed fees "
            f"{s['proposed_fees_wan']:.2f} 万元, "
            f"commitment shortfalls {s['commitment_shortfalls']}",
            highlight=False,
        )

    @supply_app.command("rules")
    def rules() -> None:
        """The clocks in force, with their source and whether the article is verified."""
        from rich.table import Table

        from geo_service.cli import _settings, out

        settings = _settings()
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
