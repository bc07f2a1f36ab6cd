"""The supply event table: append-only; a correction is a new row pointing at the old one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo_service.db.base import Base, IdMixin, one_of
from geo_service.supply.events import EVENTS


class SupplyEvent(IdMixin, Base):
    """One dated event of a parcel's supply and performance (never updated, never deleted)."""

    __tablename__ = "supply_events"
    __table_args__ = (
        CheckConstraint(one_of("event", EVENTS), name="event"),
        Index("ix_supply_events_parcel_on", "parcel_id", "occurred_on"),
    )

    parcel_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("parcels.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date)
    document_ref: Mapped[str] = mapped_column(String(200))
    file_ref: Mapped[str | None] = mapped_column(String(500))
    #: event-specific fields: start_by, complete_by, price_wan, reason, rules, measured, …
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    #: the earlier event this one corrects (it then no longer counts)
    corrects_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("supply_events.id", ondelete="RESTRICT"), unique=True
    )
    note: Mapped[str | None] = mapped_column(String(1000))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
