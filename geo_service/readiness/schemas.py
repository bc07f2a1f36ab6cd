"""Readiness in and out of the API: attestations, per-parcel results, history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from geo_service.wire import JsonBody

Status = Literal["met", "unmet", "unknown"]


class AttestationIn(JsonBody):
    """The land bureau records a condition's status with evidence (an override of the check)."""

    status: Status
    reason: str = Field(min_length=1, max_length=2000, description="why; required")
    document_ref: str | None = Field(default=None, max_length=200, description="文号 / file ref")
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="when the attestation stops counting: an ISO 8601 time with zone, or a "
        "plain date YYYY-MM-DD meaning the end of that day (23:59:59) in Asia/Shanghai",
    )
    evidence: dict[str, Any] = Field(default_factory=dict, description="internal notes")

    @field_validator("expires_at", mode="before")
    @classmethod
    def _plain_date(cls, v: Any) -> Any:
        """A plain date (``2026-12-31``) is the end of that day, local time Asia/Shanghai."""
        if isinstance(v, str) and len(v.strip()) == 10:
            try:
                v = date.fromisoformat(v.strip())
            except ValueError:
                return v  # pydantic says what is wrong with it
        if isinstance(v, date) and not isinstance(v, datetime):
            from geo_service.readiness.records import end_of_local_day

            return end_of_local_day(v)
        return v

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("reason must not be blank: say why the status is what it is")
        return v.strip()


class OverrideOut(BaseModel):
    status: Status
    reason: str | None = None
    document_ref: str | None = None
    expires_at: datetime | None = None
    by: str | None = None
    verified_at: datetime | None = None


class ConditionOut(BaseModel):
    status: Status
    method: Literal["spatial", "record", "override"] | None
    evidence: dict[str, Any]
    verified_at: datetime | None
    age_days: int | None
    override: OverrideOut | None = None


class SupplyOut(BaseModel):
    """Why a parcel is (not) ready for supply beyond net land."""

    indicators_set: bool
    missing_assessments: list[str]


class ReadinessOut(BaseModel):
    parcel: str
    net_land: bool
    ready_for_supply: bool
    labels: list[str]
    conditions: dict[str, ConditionOut]
    supply: SupplyOut | None = None
    checked_at: datetime | None = None


class HistoryItem(BaseModel):
    condition: str
    old_status: str | None
    new_status: str
    method: str
    actor: str
    reason: str | None
    changed_at: datetime
    run_id: int | None


class HistoryOut(BaseModel):
    parcel: str
    items: list[HistoryItem]
    total: int


class RunOut(BaseModel):
    run_id: int | None
    as_of: datetime
    parcels_checked: int
    parcels_total: int
    net_land: int
    net_land_mu: float
    missing: dict[str, int]
    status_changes: int
    #: condition rows written (new or changed); the others were checked and left as they were
    conditions_written: int = 0
    seconds: float
    summary: str
