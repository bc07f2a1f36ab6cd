"""Land: zones, parcels and their records, assessment and protected areas, networks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo_service.counties.models import county_column
from geo_service.db.base import Base, IdMixin, Versioned, one_of

SUPPLY_STAGES = ("plan", "notice", "sale", "contract", "handed_over")
INFRA_KINDS = ("water", "power", "road", "gas", "heat", "telecom", "sewer")
INFRA_STATUSES = ("existing", "planned")
PROTECTED_KINDS = ("basic_farmland", "ecological_redline")
OWNERSHIPS = ("state", "collective")


class Zone(IdMixin, Versioned, Base):
    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("county", "code"),)

    county: Mapped[str] = county_column()
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4490, spatial_index=True)
    )


class Parcel(IdMixin, Versioned, Base):
    """An industrial standard-land parcel. Its area is computed by PostGIS, never typed in."""

    __tablename__ = "parcels"
    __table_args__ = (
        CheckConstraint(one_of("supply_stage", SUPPLY_STAGES), name="supply_stage"),
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        UniqueConstraint("county", "code"),
    )

    #: a county's code; checked once per statement by triggers, not per row by a foreign key
    #: (migration 0012_parcel_county: the key checked every imported row one by one)
    county: Mapped[str] = county_column(foreign_key=False)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    zone_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("zones.id", ondelete="SET NULL"), index=True
    )
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4490, spatial_index=True)
    )
    # geodesic area on the CGCS2000 ellipsoid, in m²
    area_m2: Mapped[float] = mapped_column(
        Double, Computed("ST_Area(geom::geography, true)", persisted=True)
    )
    published: Mapped[bool] = mapped_column(Boolean, server_default="false")
    supply_stage: Mapped[str] = mapped_column(String(20), server_default="plan")
    land_use: Mapped[str] = mapped_column(String(64), server_default="industrial")
    industry: Mapped[str | None] = mapped_column(String(100))
    #: list of {"key", "min", "max", "value", "unit"}: control indicators vary by industry
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    contact: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)


class LevelingSurvey(IdMixin, Base):
    """A site survey (场地平整); the latest one per parcel counts."""

    __tablename__ = "leveling_surveys"

    parcel_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("parcels.id", ondelete="CASCADE"), index=True
    )
    surveyed_on: Mapped[date] = mapped_column(Date)
    leveled: Mapped[bool] = mapped_column(Boolean)
    earthwork_outstanding_m3: Mapped[Decimal] = mapped_column(Numeric(14, 2), server_default="0")
    surveyor: Mapped[str | None] = mapped_column(String(200))
    document_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TitleRecord(IdMixin, Base):
    """The title situation (权属) as recorded; the latest one per parcel counts."""

    __tablename__ = "title_records"
    __table_args__ = (CheckConstraint(one_of("ownership", OWNERSHIPS), name="ownership"),)

    parcel_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("parcels.id", ondelete="CASCADE"), index=True
    )
    recorded_on: Mapped[date] = mapped_column(Date)
    ownership: Mapped[str] = mapped_column(String(20))
    requisition_done: Mapped[bool] = mapped_column(Boolean)
    compensation_settled: Mapped[bool] = mapped_column(Boolean)
    open_disputes: Mapped[int] = mapped_column(Integer, server_default="0")
    document_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AssessmentArea(IdMixin, Versioned, Base):
    """A regional assessment (区域评估) covering an area, valid for a period."""

    __tablename__ = "assessment_areas"
    __table_args__ = (UniqueConstraint("county", "code"),)

    county: Mapped[str] = county_column()
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4490, spatial_index=True)
    )
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    document_ref: Mapped[str | None] = mapped_column(String(200))


class ProtectedArea(IdMixin, Versioned, Base):
    """Basic farmland (基本农田) or ecological red line (生态红线)."""

    __tablename__ = "protected_areas"
    __table_args__ = (
        CheckConstraint(one_of("kind", PROTECTED_KINDS), name="kind"),
        UniqueConstraint("county", "code"),
    )

    county: Mapped[str] = county_column()
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(200))
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4490, spatial_index=True)
    )


class InfrastructureFeature(IdMixin, Versioned, Base):
    """A network feature used by the readiness checks (main, line, substation, road)."""

    __tablename__ = "infrastructure"
    __table_args__ = (
        CheckConstraint(one_of("kind", INFRA_KINDS), name="kind"),
        CheckConstraint(one_of("status", INFRA_STATUSES), name="status"),
        Index("ix_infrastructure_kind_status", "kind", "status"),
        UniqueConstraint("county", "code"),
    )

    county: Mapped[str] = county_column()
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), server_default="existing")
    diameter_mm: Mapped[float | None] = mapped_column(Double)
    voltage_kv: Mapped[float | None] = mapped_column(Double)
    road_class: Mapped[str | None] = mapped_column(String(32))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    geom: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=4490, spatial_index=True))
