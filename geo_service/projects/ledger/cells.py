"""Cell parsers: money, Chinese dates, yes/no, domain and status words, integers, text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl.utils.datetime import from_excel

from geo_service.projects import lifecycle
from geo_service.projects.ledger.columns import DOMAIN_ZH, PROBLEM_ZH, ZH_DOMAIN, ZH_PROBLEM
from geo_service.projects.models import (
    DOMAINS,
    PROBLEM_STATUSES,
    STATUSES,
)
from geo_service.text import csv_text_in

# ---------------------------------------------------------------- parsing cells


def _money(v: Any) -> Decimal:
    if isinstance(v, bool):
        raise ValueError
    if isinstance(v, float):
        d = Decimal(repr(v))
    else:
        d = Decimal(str(v).replace(",", "").replace("，", "").strip())
    if not d.is_finite() or d < 0:
        raise ValueError
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


_ZH_DATE = re.compile(r"^(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$")


def _date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        d = from_excel(v)  # an Excel serial day number in a cell without a date format
        return d.date() if isinstance(d, datetime) else d  # type: ignore[return-value]
    s = str(v).strip()
    m = _ZH_DATE.match(s[:10] if re.match(r"^\d{4}-\d{2}-\d{2}[ T]", s) else s)
    if not m:
        raise ValueError
    return date(int(m[1]), int(m[2]), int(m[3]))


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("是", "y", "yes", "true", "1", "√"):
        return True
    if s in ("否", "n", "no", "false", "0", ""):
        return False
    raise ValueError


def _domain(v: Any) -> str:
    s = str(v).strip()
    out = ZH_DOMAIN.get(s, s)
    if out not in DOMAINS:
        raise ValueError
    return out


def _status(v: Any) -> str:
    s = str(v).strip()
    out = lifecycle.ZH_STATUS.get(s, s)
    if out not in STATUSES:
        raise ValueError
    return out


def _int(v: Any) -> int:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return int(str(v).strip())


def cell_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return csv_text_in(str(v).strip())  # '=… from our own CSV export is =… again


def _problem_status(v: Any) -> str:
    s = str(v).strip()
    out = ZH_PROBLEM.get(s, s)
    if out not in PROBLEM_STATUSES:
        raise ValueError
    return out


PARSERS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "text": (cell_text, "text"),
    "int": (_int, "a whole number such as 2026"),
    "float": (lambda v: float(str(v).strip()), "a number in degrees"),
    "money": (_money, "an amount in 万元 such as 12500.00"),
    "date": (_date, "a date such as 2026-03-01"),
    "bool": (_bool, "是 or 否"),
    "domain": (_domain, "one of " + "、".join(DOMAIN_ZH.values())),
    "status": (_status, "one of " + "、".join(lifecycle.LABEL_ZH.values())),
    "problem_status": (_problem_status, "one of " + "、".join(PROBLEM_ZH.values())),
}
