"""Query parameter types whose declared schema is exactly what the code accepts.

The OpenAPI document is generated from these types, so a rule lives in ONE place:

* ``BBoxQ``: four numbers ``lon,lat,lon,lat`` (a regular expression that bounds longitudes to
  -180..180 and latitudes to -90..90); the two corners may come in either order;
* ``DateQ`` / ``DateTimeQ``: RFC 3339 ``full-date`` (``2026-11-27``) / ``date-time`` with an
  offset (``2026-11-27T08:00:00+08:00``); nothing else (no bare numbers, no naive times);
* ``ordered`` reads a range given the wrong way round (``min_area_mu`` > ``max_area_mu``) as the
  range between the two values;
* :class:`EmptyQueryIsAbsent`: on GET, an optional parameter sent empty (``?zone=``, as HTML
  forms do) counts as not sent. api/openapi.py says so on every such parameter.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError
from starlette.types import ASGIApp, Receive, Scope, Send

from geo_service.errors import InvalidInput
from geo_service.projects.models import DOMAINS, PROBLEM_STATUSES, STATUSES
from geo_service.settings import CONDITIONS
from geo_service.spatial import BBox

_LON = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[0-9]{1,2})(?:\.[0-9]+)?)"
_LAT = r"-?(?:90(?:\.0+)?|[0-8]?[0-9](?:\.[0-9]+)?)"
#: ``minlon,minlat,maxlon,maxlat`` in EPSG:4490 degrees (corners in either order)
BBOX_PATTERN = f"^{_LON},{_LAT},{_LON},{_LAT}$"
_BBOX = re.compile(BBOX_PATTERN)

BBoxQ = Annotated[
    str | None,
    Query(
        description="minlon,minlat,maxlon,maxlat in degrees (EPSG:4490, lon/lat order; "
        "longitudes -180..180, latitudes -90..90; the two corners may come in either order)",
        max_length=200,
        json_schema_extra={"pattern": BBOX_PATTERN, "examples": ["114.80,33.65,115.05,33.85"]},
    ),
]


def bbox(value: str | None, *, param: str = "bbox") -> BBox | None:
    """The box spanned by the two corners in ``value`` (InvalidInput naming ``param``)."""
    if value is None:
        return None
    if not _BBOX.fullmatch(value):
        raise InvalidInput(
            f"{param} must be four numbers minlon,minlat,maxlon,maxlat (longitudes within "
            f"-180..180, latitudes within -90..90, lon/lat order, no spaces); got {value[:60]!r}"
        )
    x1, y1, x2, y2 = (float(v) for v in value.split(","))
    return BBox(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def ordered(low: float | None, high: float | None) -> tuple[float | None, float | None]:
    """A range given the wrong way round is read as the range between the two values."""
    if low is not None and high is not None and low > high:
        return high, low
    return low, high


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _full_date(value: Any) -> Any:
    if isinstance(value, str) and not _DATE.fullmatch(value):
        raise ValueError("must be a date YYYY-MM-DD, e.g. 2026-11-27")
    return value


def _date_time(value: Any) -> Any:
    if isinstance(value, str):
        if not _DATETIME.fullmatch(value):
            raise ValueError(
                "must be an RFC 3339 date-time with its offset, e.g. 2026-11-27T08:00:00+08:00"
            )
        return value.upper()
    return value


#: a date, exactly ``YYYY-MM-DD`` (the OpenAPI's ``format: date``)
IsoDate = Annotated[date, BeforeValidator(_full_date)]
#: an RFC 3339 date-time with offset (the OpenAPI's ``format: date-time``)
IsoDateTime = Annotated[datetime, BeforeValidator(_date_time)]


class EmptyQueryIsAbsent:
    """On GET/HEAD, drop query parameters sent with an empty value (``?zone=&status=``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            qs: bytes = scope.get("query_string", b"")
            if qs:
                parts = qs.split(b"&")
                kept = [p for p in parts if p.partition(b"=")[2]]
                if len(kept) != len(parts):
                    scope = {**scope, "query_string": b"&".join(kept)}
        await self.app(scope, receive, send)


# ------------------------------------------------------------------ vocabularies (one source)


def _member_of(values: tuple[str, ...]) -> Any:
    def check(value: str) -> str:
        if value not in values:  # a type of its own, so a map page can say it in its language
            raise PydanticCustomError(
                "not_one_of",
                "must be one of {choices}; got {got}",
                {"choices": ", ".join(values), "got": repr(value[:40])},
            )
        return value

    return AfterValidator(check)


def _enum(values: tuple[str, ...]) -> Any:
    return WithJsonSchema({"type": "string", "enum": list(values)})


#: a net-land condition key (settings.CONDITIONS)
ConditionKey = Annotated[str, _member_of(CONDITIONS), _enum(CONDITIONS)]
#: a project's status (projects.models.STATUSES, in lifecycle order)
ProjectStatus = Annotated[str, _member_of(STATUSES), _enum(STATUSES)]
#: a project's domain (projects.models.DOMAINS)
ProjectDomain = Annotated[str, _member_of(DOMAINS), _enum(DOMAINS)]
#: a problem's status (projects.models.PROBLEM_STATUSES)
ProblemStatus = Annotated[str, _member_of(PROBLEM_STATUSES), _enum(PROBLEM_STATUSES)]
