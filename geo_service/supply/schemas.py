"""The body of a supply event (POST /api/v1/parcels/{code}/supply/events)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from geo_service.supply.events import EVENTS


class SupplyEventIn(BaseModel):
    """One dated event; the fields after ``note`` belong to particular events."""

    model_config = ConfigDict(extra="forbid")

    event: str = Field(description="one of: " + ", ".join(EVENTS), max_length=32)
    on: date = Field(description="the day it happened (YYYY-MM-DD)")
    document_ref: str = Field(
        min_length=1,
        max_length=200,
        description="document number (文号), e.g. 淮自然资告〔2026〕12号",
    )
    file_ref: str | None = Field(default=None, max_length=500, description="scan or file reference")
    corrects: int | None = Field(
        default=None, ge=1, description="id of the event this one corrects (same kind)"
    )
    note: str | None = Field(default=None, max_length=1000)
    # contract_signed
    start_by: date | None = Field(default=None, description="contract_signed: start (开工) by")
    complete_by: date | None = Field(default=None, description="contract_signed: completed by")
    price_wan: Decimal | None = Field(
        default=None, ge=0, le=10**9, allow_inf_nan=False, description="the price, 万元"
    )
    investment_total_wan: Decimal | None = Field(
        default=None,
        ge=0,
        le=10**9,
        allow_inf_nan=False,
        description="total investment to make (land price and taxes excluded)",
    )
    commitments: list[dict[str, Any]] | None = Field(
        default=None, description="contract_signed: promised indicators (default: the parcel's)"
    )
    # sale_closed
    contract_by: date | None = Field(
        default=None, description="sale_closed: contract date set in the confirmation"
    )
    # suspension_started
    reason: str | None = Field(default=None, max_length=1000, description="government cause")
    rules: list[str] | None = Field(
        default=None, description="suspension_started: the clocks it pauses (default: all)"
    )
    # construction_stopped
    developed_share: float | None = Field(default=None, ge=0, le=1)
    invested_wan: Decimal | None = Field(default=None, ge=0, le=10**9, allow_inf_nan=False)
    # completed / performance_checked
    measured: dict[str, Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]] | None = (
        None
    )
    passed: bool | None = None
    # idle_decided
    outcome: str | None = Field(
        default=None, description="not_idle, government_cause, extension, fee, recovery"
    )
    new_start_by: date | None = None
    fee_wan: Decimal | None = Field(default=None, ge=0, le=10**9, allow_inf_nan=False)

    # annual_figures (亩均: yearly tax and value added of the enterprise on the parcel)
    year: int | None = Field(default=None, ge=1990, le=2100)
    tax_wan: Decimal | None = Field(default=None, ge=0, le=10**9, allow_inf_nan=False)
    value_added_wan: Decimal | None = Field(default=None, ge=0, le=10**9, allow_inf_nan=False)

    @field_validator("on", "start_by", "complete_by", "contract_by", "new_start_by")
    @classmethod
    def _plausible(cls, v: date | None) -> date | None:
        if v is not None and not (date(1990, 1, 1) <= v <= date(2100, 12, 31)):
            raise ValueError("a supply date must lie between 1990-01-01 and 2100-12-31")
        return v

    @field_validator("event")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in EVENTS:
            raise ValueError(f"unknown event {v!r}; use one of: {', '.join(EVENTS)}")
        return v
