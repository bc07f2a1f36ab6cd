"""Request bodies of the project ledger (pydantic; no HTTP here)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from geo_service.wire import JsonBody

Domain = Literal[
    "innovation", "infrastructure", "industrial_transformation", "green_low_carbon", "livelihood"
]
Status = Literal["planned", "signed", "started", "under_construction", "completed", "in_production"]
Wan = Annotated[Decimal, Field(ge=0, le=Decimal("99999999999999"), decimal_places=2)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s/?#]+$")]


class _Body(JsonBody):
    """Unknown fields refused; values of the JSON types the schema names (geo_service.wire)."""


class ProjectFields(_Body):
    name: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    year: Annotated[int, Field(ge=1990, le=2100)] | None = None
    domain: Domain | None = None
    industry: Annotated[str, Field(max_length=100)] | None = None
    description: str | None = None
    status: Status | None = None
    total_investment_wan: Wan | None = None
    planned_investment_wan: Wan | None = None
    leader: Annotated[str, Field(max_length=100)] | None = None
    responsible_unit: Annotated[str, Field(max_length=200)] | None = None
    planned_start: date | None = None
    actual_start: date | None = None
    planned_completion: date | None = None
    actual_completion: date | None = None
    signed_on: date | None = None
    in_production_on: date | None = None
    attracted_this_year: bool | None = None
    source_region: Annotated[str, Field(max_length=50)] | None = None
    parcel: Annotated[str, Field(max_length=64)] | None = None
    geometry: dict[str, Any] | None = Field(
        default=None, description="GeoJSON Point or Polygon, lon/lat (EPSG:4490)"
    )


class ProjectCreate(ProjectFields):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=300)]
    year: Annotated[int, Field(ge=1990, le=2100)]
    domain: Domain
    total_investment_wan: Wan


class ProjectUpdate(ProjectFields):
    """Only the fields sent are changed; send null to clear an optional field."""


class FundingItem(_Body):
    source: Literal["special_bond", "central_budget", "enterprise_upgrade", "ppp", "self_funded"]
    amount_wan: Wan


class RoundEntry(_Body):
    round_no: Annotated[int, Field(ge=1, le=1000)]
    round_date: date
    list: Literal["signed", "started", "in_production"]
    follows_round_no: Annotated[int, Field(ge=1, le=1000)] | None = Field(
        default=None,
        description="for an in_production entry: the round whose started list it follows "
        "(default: the project's latest earlier started round)",
    )


class InvestmentReportIn(_Body):
    completed_wan: Wan


class MilestoneStep(_Body):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    duration_days: Annotated[int, Field(ge=0, le=3650)]


class MilestonePlan(_Body):
    """倒排工期: steps in order; the last is due on the target date, each earlier one is due
    the duration of the step after it before that step's due date."""

    target_date: date
    steps: Annotated[list[MilestoneStep], Field(min_length=1, max_length=100)]


class MilestoneDone(_Body):
    done_on: date | None


class ProblemIn(_Body):
    description: Annotated[str, Field(min_length=1, max_length=5000)]
    found_on: date | None = None
    assignee_unit: Annotated[str, Field(min_length=1, max_length=200)]
    assignee_leader: Annotated[str, Field(min_length=1, max_length=100)]
    deadline: date
    code: Code | None = None


class ProblemCreate(ProblemIn):
    project: Code
    found_on: date


class ProblemUpdate(_Body):
    status: Literal["open", "in_progress", "resolved"] | None = None
    resolution: Annotated[str, Field(min_length=1, max_length=5000)] | None = None
    resolved_on: date | None = None
    deadline: date | None = None
    assignee_unit: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    assignee_leader: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    escalated: bool | None = None


class VisitCreate(_Body):
    leader: Annotated[str, Field(min_length=1, max_length=100)]
    visited_on: date
    notes: Annotated[str, Field(max_length=10000)] | None = None
    problems: Annotated[list[ProblemIn], Field(max_length=100)] = []
    code: Code | None = None
