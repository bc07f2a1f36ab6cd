"""Readiness results, attestations/overrides, history and runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo_service.db.base import Base, IdMixin

CONDITION_STATUSES = ("met", "unmet", "unknown")
METHODS = ("spatial", "record", "override")
_CONDS = "condition IN ('water', 'power', 'road', 'leveling', 'title')"
_STATUS = "status IN ('met', 'unmet', 'unknown')"


class ParcelCondition(Base):
    """The current result of one condition for one parcel."""

    __tablename__ = "parcel_conditions"
    __table_args__ = (
        CheckConstraint(_CONDS, name="condition"),
        CheckConstraint(_STATUS, name="status"),
        CheckConstraint("method IN ('spatial', 'record', 'override')", name="method"),
    )

    #: a parcel's id; checked per statement, not per row, and deleted with the parcel
    #: (migration 0010_readiness: triggers instead of a foreign key)
    parcel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    condition: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    #: when the underlying evidence was last verified (survey date, attestation, check time)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    run_id: Mapped[int | None] = mapped_column(BigInteger)
    #: a network row's decision as a short key, compared by covering runs instead of the
    #: evidence (migration 0013_condition_decision; NULL for record and override rows)
    decision: Mapped[str | None] = mapped_column(Text)


class ParcelMark(Base):
    """A parcel a write marked for re-checking (moved, a record changed, a network feature or
    protected area changed nearby); a readiness run deletes the marks of the parcels it checked.
    A parcel never checked needs none (migration 0014_parcel_marks: no foreign key, deleted with
    the parcel by the same trigger as its conditions)."""

    __tablename__ = "parcel_marks"

    parcel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class ConditionOverride(IdMixin, Base):
    """An attestation or override by the land bureau; it expires and can be revoked."""

    __tablename__ = "condition_overrides"
    __table_args__ = (
        CheckConstraint(_CONDS, name="condition"),
        CheckConstraint(_STATUS, name="status"),
        CheckConstraint("length(btrim(reason)) > 0", name="reason"),
        Index("ix_condition_overrides_parcel_condition", "parcel_id", "condition"),
    )

    parcel_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("parcels.id", ondelete="CASCADE"))
    condition: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    document_ref: Mapped[str | None] = mapped_column(String(200))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    verified_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConditionHistory(IdMixin, Base):
    """Every change of a condition's status: who or what, when, old → new, why."""

    __tablename__ = "condition_history"
    __table_args__ = (Index("ix_condition_history_parcel", "parcel_id", "changed_at"),)

    #: as ``ParcelCondition.parcel_id``: referenced through triggers (migration 0010_readiness)
    parcel_id: Mapped[int] = mapped_column(BigInteger)
    condition: Mapped[str] = mapped_column(String(16))
    old_status: Mapped[str | None] = mapped_column(String(8))
    new_status: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    run_id: Mapped[int | None] = mapped_column(BigInteger)


class ReadinessRun(IdMixin, Base):
    __tablename__ = "readiness_runs"
    __table_args__ = (Index("ix_readiness_runs_covers", "covers", "status", "started_at"),)

    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), server_default="running")
    parcels_checked: Mapped[int] = mapped_column(Integer, server_default="0")
    net_land: Mapped[int] = mapped_column(Integer, server_default="0")
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    #: the parcels the run checked: "all", a county code, or None (partial: only its own rows)
    covers: Mapped[str | None] = mapped_column(String(8))
