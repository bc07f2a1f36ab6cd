"""Strict parsing of the OGC query parameters: anything unknown or malformed is a 400.

FastAPI would answer 422 and ignore unknown names; OGC clients and the conformance suite expect
400 for both (``limit=unlimited``, ``unknown=1``, a bad ``crs``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from geo_service.ogc.collections import Field
from geo_service.ogc.crs import BadParameter

#: the parameters of /items besides the per-collection property parameters
ITEMS_PARAMS = frozenset(
    {"limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "filter", "filter-lang"}
    | {"filter-crs", "f"}
)
FEATURE_PARAMS = frozenset({"crs", "f"})
#: QGIS sends these for "no bound"
_OPEN_YEARS = (0, 9999)


def single(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    """The one value of ``name`` (BadParameter when it is repeated)."""
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadParameter(f"{name} may be given once; it was given {len(values)} times")
    return values[0]


def check_known(query: Mapping[str, Sequence[str]], known: frozenset[str] | set[str]) -> None:
    unknown = sorted(set(query) - set(known))
    if unknown:
        raise BadParameter(
            f"unknown query parameter(s) {', '.join(repr(u[:40]) for u in unknown)}; this "
            f"resource takes {', '.join(sorted(known))} (see /ogc/api)"
        )


def integer(value: str | None, name: str, *, default: int, lo: int, hi: int | None) -> int:
    if value is None:
        return default
    try:
        n = int(value.strip())
    except ValueError:
        raise BadParameter(f"{name} must be a whole number; got {value[:40]!r}") from None
    if n < lo:
        raise BadParameter(f"{name} must be at least {lo}; got {n}")
    return n if hi is None else min(n, hi)


def numbers(value: str, name: str, *, counts: tuple[int, ...]) -> list[float]:
    parts = [p.strip() for p in value.split(",")]
    if len(parts) not in counts:
        raise BadParameter(
            f"{name} must be {' or '.join(str(c) for c in counts)} comma-separated numbers; "
            f"got {len(parts)} value(s)"
        )
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        raise BadParameter(f"{name} must be numbers; {value[:80]!r} is not") from None
    if not all(math.isfinite(v) for v in vals):
        raise BadParameter(f"{name} values must be finite numbers")
    return vals


def _instant(text: str, name: str, *, end: bool) -> datetime | None:
    text = text.strip()
    if text in ("", ".."):
        return None
    if text[:4].isdigit() and int(text[:4]) in _OPEN_YEARS:
        return None
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            t = datetime(d.year, d.month, d.day, tzinfo=UTC)
            return t.replace(hour=23, minute=59, second=59) if end else t
        t = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(
            f"{name}: {text[:40]!r} is not an RFC 3339 date-time (e.g. 2026-11-27T00:00:00Z), "
            "a date, or an interval a/b with '..' for an open end"
        ) from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Interval:
    start: datetime | None
    end: datetime | None


def interval(value: str | None, name: str = "datetime") -> Interval | None:
    """An RFC 3339 instant or interval; open bounds as ``..``, empty, or QGIS's 0000/9999 years."""
    if value is None:
        return None
    if "/" in value:
        a, _, b = value.partition("/")
        out = Interval(_instant(a, name, end=False), _instant(b, name, end=True))
        if out.start and out.end and out.start > out.end:
            raise BadParameter(f"{name}: the interval's start is after its end")
        return out
    if value.strip() in ("", ".."):
        raise BadParameter(f"{name} must be a date-time or an interval a/b; got {value!r}")
    start = _instant(value, name, end=False)
    end = _instant(value, name, end=True) if len(value.strip()) == 10 else start
    return Interval(start, end)


def typed_value(f: Field, value: str) -> Any:
    """A ``property=value`` parameter's value as the field's type (BadParameter otherwise)."""
    try:
        if f.type == "number":
            v = float(value)
            if not math.isfinite(v):
                raise ValueError
            return v
        if f.type == "integer":
            return int(value)
        if f.type == "boolean":  # GDAL sends its boolean fields as 1/0
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return value.lower() in ("true", "1")
        if f.type == "date":
            return date.fromisoformat(value)
        if f.type == "date-time":
            t = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return t if t.tzinfo else t.replace(tzinfo=UTC)
    except ValueError:
        raise BadParameter(f"{f.name} must be a {f.type}; got {value[:40]!r}") from None
    if f.enum and value not in f.enum:
        raise BadParameter(f"{f.name} must be one of {', '.join(f.enum)}; got {value[:40]!r}")
    return value
