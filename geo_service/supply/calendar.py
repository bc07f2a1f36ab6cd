"""Counting periods the way 民法典 art. 200–204 counts them, with China's official holidays.

Working days, statutory holidays and make-up working days (调休) come from the PyPI package
``chinesecalendar`` (import ``chinese_calendar``). It knows the years from 2004 to the year after
its release; a date outside them is counted Monday–Friday without holidays and the result is
**provisional** (``Due.why`` says so).

Traps of the package avoided here: ``is_holiday`` is true on plain weekends (we ask
``get_holiday_detail`` for a statutory holiday's name); ``find_workday(n, d)`` takes ``d`` itself
as day 0 when it is a working day, and the next working day when it is not (one day late from a
holiday): we count day by day instead.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

#: safety bound: no period this service counts is longer than this many days
_MAX_SPAN_DAYS = 20 * 366


@lru_cache(maxsize=1)
def covered_years() -> tuple[int, int]:
    """First and last year whose official holidays the installed chinesecalendar knows."""
    years = {d.year for d in chinese_calendar.holidays} | {
        d.year for d in chinese_calendar.workdays
    }
    return min(years), max(years)


def covers(d: date) -> bool:
    lo, hi = covered_years()
    return lo <= d.year <= hi


def _uncovered_why(years: set[int]) -> str:
    lo, hi = covered_years()
    ys = ", ".join(str(y) for y in sorted(years))
    return (
        f"the official holidays of {ys} are not in the calendar (chinesecalendar "
        f"{getattr(chinese_calendar, '__version__', '?')} knows {lo}–{hi}): counted Monday–Friday "
        "without holidays, so the date may move once the State Council publishes them; "
        "upgrade chinesecalendar then"
    )


def is_working_day(d: date) -> tuple[bool, bool]:
    """(working day?, known from the official calendar?)."""
    if covers(d):
        return chinese_calendar.is_workday(d), True
    return d.weekday() < 5, False


def is_statutory_holiday(d: date, *, weekend: bool) -> tuple[bool, bool]:
    """(a day off a deadline rolls over?, known?): an official holiday (春节, 国庆 …), or, when
    ``weekend`` is set, a plain weekend day that is not a make-up working day."""
    if covers(d):
        off, name = chinese_calendar.get_holiday_detail(d)
        return bool(off and (name is not None or weekend)), True
    return (weekend and d.weekday() >= 5), False


@dataclass(frozen=True)
class Due:
    """A computed day and whether it is certain."""

    on: date
    provisional: bool = False
    why: str | None = None


def add_months(d: date, months: int) -> date:
    """The matching day ``months`` later; the month's last day when it has no such day
    (民法典 art. 202)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


def add_period(
    start: date,
    length: int,
    unit: str,
    *,
    first_day_excluded: bool = True,
    roll_over_holiday: bool = True,
    roll_over_weekend: bool = True,
) -> Due:
    """The last day of a period of ``length`` ``unit`` starting on ``start``.

    ``first_day_excluded``: the day of the anchor event does not count (民法典 art. 201).
    ``roll_over_holiday``: when the last day is a statutory holiday the period ends on the first
    day after it (art. 203); ``roll_over_weekend`` makes plain weekends count for that too.
    """
    unknown: set[int] = set()
    if unit == "working_days":
        d = start if first_day_excluded else start - timedelta(days=1)
        n = 0
        while n < length:
            d += timedelta(days=1)
            if (d - start).days > _MAX_SPAN_DAYS:
                raise ValueError("period too long")
            work, known = is_working_day(d)
            if not known:
                unknown.add(d.year)
            if work:
                n += 1
        if length == 0:
            d = start
        # the last day is a working day by construction: no roll-over needed
        return Due(d, bool(unknown), _uncovered_why(unknown) if unknown else None)
    if unit == "calendar_days":
        d = start + timedelta(days=length if first_day_excluded else max(length - 1, 0))
    elif unit == "months":
        d = add_months(start, length)
    elif unit == "years":
        d = add_months(start, 12 * length)
    else:
        raise ValueError(f"unknown unit {unit!r}")
    if roll_over_holiday:
        while True:
            off, known = is_statutory_holiday(d, weekend=roll_over_weekend)
            if not known:
                unknown.add(d.year)
            if not off:
                break
            d += timedelta(days=1)
    return Due(d, bool(unknown), _uncovered_why(unknown) if unknown else None)
