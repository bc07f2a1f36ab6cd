"""Key projects (重点项目): the list and ledger, rounds, funding, progress, problems, visits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo_service.counties.models import county_column
from geo_service.db.base import Base, IdMixin, Versioned, one_of

DOMAINS = (
    "innovation",
    "infrastructure",
    "industrial_transformation",
    "green_low_carbon",
    "livelihood",
)
STATUSES = ("planned", "signed", "started", "under_construction", "completed", "in_production")
ROUND_LISTS = ("signed", "started", "in_production")
FUNDING_SOURCES = ("special_bond", "central_budget", "enterprise_upgrade", "ppp", "self_funded")
PROBLEM_STATUSES = ("open", "in_progress", "resolved")

Money = Numeric(16, 2)  # 万元, exact


class Project(IdMixin, Versioned, Base):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(one_of("domain", DOMAINS), name="domain"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint("total_investment_wan >= 0", name="total_nonneg"),
        Index("ix_projects_year_status", "year", "status"),
        UniqueConstraint("county", "code"),
    )

    county: Mapped[str] = county_column()
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    year: Mapped[int] = mapped_column(Integer)
    domain: Mapped[str] = mapped_column(String(32))
    industry: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), server_default="planned")
    total_investment_wan: Mapped[Decimal] = mapped_column(Money)
    planned_investment_wan: Mapped[Decimal] = mapped_column(Money, server_default="0")
    completed_wan: Mapped[Decimal] = mapped_column(Money, server_default="0")
    leader: Mapped[str | None] = mapped_column(String(100), index=True)
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("GEOMETRY", srid=4490, spatial_index=True), nullable=True
    )
    parcel_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("parcels.id", ondelete="SET NULL")
    )
    planned_start: Mapped[date | None] = mapped_column(Date)
    actual_start: Mapped[date | None] = mapped_column(Date)
    planned_completion: Mapped[date | None] = mapped_column(Date)
    actual_completion: Mapped[date | None] = mapped_column(Date)
    signed_on: Mapped[date | None] = mapped_column(Date)
    in_production_on: Mapped[date | None] = mapped_column(Date)
    attracted_this_year: Mapped[bool] = mapped_column(Boolean, server_default="false")
    source_region: Mapped[str | None] = mapped_column(String(50))


class ProjectRound(IdMixin, Base):
    """A 三个一批 round entry: the project is on the signed / started / in-production list."""

    __tablename__ = "project_rounds"
    __table_args__ = (
        CheckConstraint(one_of("list", ROUND_LISTS), name="list"),
        UniqueConstraint("project_id", "round_no", "list", name="uq_project_rounds_entry"),
    )

    project_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    round_no: Mapped[int] = mapped_column(Integer)
    round_date: Mapped[date] = mapped_column(Date)
    list: Mapped[str] = mapped_column(String(16))
    #: the earlier round this one follows (a "started" round feeding an "in production" one)
    follows_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("project_rounds.id", ondelete="SET NULL")
    )


class FundingSource(IdMixin, Base):
    __tablename__ = "project_funding"
    __table_args__ = (CheckConstraint(one_of("source", FUNDING_SOURCES), name="source"),)

    project_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(32))
    amount_wan: Mapped[Decimal] = mapped_column(Money)


class InvestmentReport(IdMixin, Base):
    """Investment completed in one month (万元)."""

    __tablename__ = "investment_reports"
    __table_args__ = (UniqueConstraint("project_id", "month", name="uq_investment_reports_month"),)

    project_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("projects.id", ondelete="CASCADE")
    )
    month: Mapped[date] = mapped_column(Date)
    completed_wan: Mapped[Decimal] = mapped_column(Money)


class Milestone(IdMixin, Versioned, Base):
    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("project_id", "seq", name="uq_milestones_seq"),)

    project_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("projects.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)


class Visit(IdMixin, Versioned, Base):
    """A supervision visit by a project's leader."""

    __tablename__ = "visits"
    __table_args__ = (UniqueConstraint("county", "code"),)

    county: Mapped[str] = county_column()
    code: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    leader: Mapped[str] = mapped_column(String(100))
    visited_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)


class Problem(IdMixin, Versioned, Base):
    """A problem (问题) found on a visit, assigned on the spot with a deadline."""

    __tablename__ = "problems"
    __table_args__ = (
        CheckConstraint(one_of("status", PROBLEM_STATUSES), name="status"),
        CheckConstraint(
            "status <> 'resolved' OR (resolved_on IS NOT NULL AND resolution IS NOT NULL)",
            name="resolved_has_resolution",
        ),
        UniqueConstraint("county", "code"),
    )

    county: Mapped[str] = county_column()
    code: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    visit_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("visits.id", ondelete="SET NULL")
    )
    description: Mapped[str] = mapped_column(Text)
    found_on: Mapped[date] = mapped_column(Date)
    assignee_unit: Mapped[str | None] = mapped_column(String(200))
    assignee_leader: Mapped[str | None] = mapped_column(String(100))
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    resolved_on: Mapped[date | None] = mapped_column(Date)
    resolution: Mapped[str | None] = mapped_column(Text)
    escalated: Mapped[bool] = mapped_column(Boolean, server_default="false")


class LedgerBaseline(Base):
    """Figures of earlier years, for year-on-year growth."""

    __tablename__ = "ledger_baselines"

    county: Mapped[str] = county_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_count: Mapped[int] = mapped_column(Integer)
    total_investment_wan: Mapped[Decimal] = mapped_column(Money)
    planned_investment_wan: Mapped[Decimal] = mapped_column(Money)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
