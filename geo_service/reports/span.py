"""Which days and years a report (or chart, or the dashboard) can be about.

A report is a record of the ledger, so its day must lie in the span the ledger covers: from
1 January of the ledger's first year to today + ``FUTURE_MARGIN_DAYS`` (a report may be prepared a
few days ahead, e.g. for Friday's issue on a Wednesday; further ahead the red flags would be made
up for days that have not come). An empty ledger only bounds the future. A ``year`` must be a
ledger year. Out of range is ``InvalidInput`` (422 on a route, an error on the command line) that
names the parameter and says the range.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo_service.errors import InvalidInput
from geo_service.projects.models import Project

#: how far past today a report's day may be
FUTURE_MARGIN_DAYS = 7


def ledger_years(session: Session) -> list[int]:
    """The years the ledger has projects for, oldest first."""
    return list(session.execute(select(Project.year).distinct().order_by(Project.year)).scalars())


def check_day(
    session: Session, day: date, *, param: str = "as_of", today: date | None = None
) -> date:
    """``day`` if a report can be about it, else ``InvalidInput`` naming ``param``."""
    today = today or date.today()
    last = today + timedelta(days=FUTURE_MARGIN_DAYS)
    years = ledger_years(session)
    first = date(years[0], 1, 1) if years else None
    if day > last or (first is not None and day < first):
        since = f"{first.isoformat()} (the ledger starts in {years[0]})" if first else "any day"
        raise InvalidInput(
            f"{param} {day.isoformat()} is outside the ledger's span: give a date from {since} "
            f"to {last.isoformat()} (today + {FUTURE_MARGIN_DAYS} days)"
        )
    return day


def check_year(session: Session, year: int | None, *, param: str = "year") -> int | None:
    """``year`` if the ledger has it (or None: the latest), else ``InvalidInput``."""
    if year is None:
        return None
    years = ledger_years(session)
    if year not in years:
        have = ", ".join(str(y) for y in years) or "none yet"
        raise InvalidInput(f"{param} {year} has no ledger: the ledger's years are {have}")
    return year
