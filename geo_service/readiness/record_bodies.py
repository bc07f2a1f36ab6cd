"""What a site survey (场地平整) or a title record (权属) is: the request bodies with their checks
(no future dates, Asia/Shanghai "today"), the kinds' tables and fields, and ``parse`` with errors
that name the field. ``records.py`` writes and lists them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field, ValidationError, field_validator

from geo_service.errors import InvalidInput
from geo_service.wire import JsonBody

#: the local time of the land bureau: "today" for record dates, and the end of a plain-date expiry
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

KINDS = ("survey", "title")
#: the condition each kind of record decides
CONDITION = {"survey": "leveling", "title": "title"}
OWNERSHIP_ZH = {"state": "国有", "collective": "集体"}


def local_today() -> date:
    """Today in the bureau's local time (Asia/Shanghai)."""
    return datetime.now(LOCAL_TZ).date()


def end_of_local_day(d: date) -> datetime:
    """A plain date as a moment: the end of that day (23:59:59), local time Asia/Shanghai."""
    return datetime.combine(d, time(23, 59, 59), tzinfo=LOCAL_TZ)


def _not_future(v: date, name: str, what: str) -> date:
    today = local_today()
    if v > today:
        raise ValueError(
            f"{name} {v.isoformat()} is after today ({today.isoformat()}, Asia/Shanghai): "
            f"{what} can be recorded once it has happened"
        )
    if v.year < 1950:
        raise ValueError(f"{name} {v.isoformat()} is before 1950; check the year")
    return v


def _text(v: Any) -> Any:
    if isinstance(v, str):
        return v.strip() or None
    return v


class SurveyIn(JsonBody):
    """A site survey (场地平整) of one parcel."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "surveyed_on": "2026-11-30",
                    "leveled": False,
                    "earthwork_outstanding_m3": 18500,
                    "surveyor": "周口测绘院",
                    "document_ref": "HYCL-2026-118",
                }
            ]
        },
    )

    surveyed_on: date = Field(
        description="day of the survey (YYYY-MM-DD, not in the future): the evidence date"
    )
    leveled: bool = Field(description="the site is leveled (场地已平整)")
    earthwork_outstanding_m3: float = Field(
        default=0.0, ge=0, le=1e11, description="earthwork still to move, m³ (0 when none)"
    )
    surveyor: str | None = Field(default=None, max_length=200, description="who surveyed")
    document_ref: str | None = Field(
        default=None, max_length=200, description="report number / 文号"
    )

    _strip = field_validator("surveyor", "document_ref", mode="before")(_text)

    @field_validator("surveyed_on")
    @classmethod
    def _date(cls, v: date) -> date:
        return _not_future(v, "surveyed_on", "a survey")


class TitleIn(JsonBody):
    """The title situation (权属) of one parcel as recorded."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "recorded_on": "2026-11-28",
                    "ownership": "state",
                    "requisition_done": True,
                    "compensation_settled": True,
                    "open_disputes": 0,
                    "document_ref": "淮自然资〔2026〕156号",
                }
            ]
        },
    )

    recorded_on: date = Field(
        description="day of the record (YYYY-MM-DD, not in the future): the evidence date"
    )
    ownership: Literal["state", "collective"] = Field(
        description="state (国有) or collective (集体); only state-owned land is net land"
    )
    requisition_done: bool = Field(description="land requisition (征收) complete")
    compensation_settled: bool = Field(description="compensation (补偿) settled")
    open_disputes: int = Field(default=0, ge=0, le=100_000, description="open title disputes")
    document_ref: str | None = Field(default=None, max_length=200, description="certificate / 文号")

    _strip = field_validator("document_ref", mode="before")(_text)

    @field_validator("recorded_on")
    @classmethod
    def _date(cls, v: date) -> date:
        return _not_future(v, "recorded_on", "a title record")


MODELS: dict[str, type[SurveyIn] | type[TitleIn]] = {"survey": SurveyIn, "title": TitleIn}
TABLE = {"survey": "leveling_surveys", "title": "title_records"}
DATE_FIELD = {"survey": "surveyed_on", "title": "recorded_on"}
FIELDS: dict[str, tuple[str, ...]] = {k: tuple(m.model_fields) for k, m in MODELS.items()}
ACTION = {"survey": "record.survey", "title": "record.title"}
SQL_TYPE = {
    "surveyed_on": "date",
    "leveled": "boolean",
    "earthwork_outstanding_m3": "numeric",
    "surveyor": "text",
    "document_ref": "text",
    "recorded_on": "date",
    "ownership": "text",
    "requisition_done": "boolean",
    "compensation_settled": "boolean",
    "open_disputes": "integer",
}


def describe_errors(kind: str, e: ValidationError) -> list[tuple[str, str]]:
    """(field, message) of each problem pydantic found, in plain words."""
    out = []
    for err in e.errors():
        name = ".".join(str(p) for p in err.get("loc", ())) or "record"
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = f"unknown field; a {kind} record has {', '.join(FIELDS[kind])}"
        elif err.get("type") == "missing":
            msg = "required; give a value"
        out.append((name, msg))
    return out


def parse(kind: str, data: Mapping[str, Any]) -> SurveyIn | TitleIn:
    """Validate one record; InvalidInput naming every bad field."""
    try:
        return MODELS[kind].model_validate(dict(data))
    except ValidationError as e:
        problems = describe_errors(kind, e)
        raise InvalidInput(
            "; ".join(f"{f}: {m}" for f, m in problems) + "; nothing was written",
            extra={"errors": [{"where": f, "message": m} for f, m in problems]},
        ) from None
