"""The ``counties`` table and the ``county`` column every register table carries.

A county is keyed by its administrative division code (淮阳区 411603). Rows inserted without a
county get the database's ``gs_current_county()``: the county the request is scoped to
(``geo_service.county``, set by ``counties.scope``), else the home county (``home``: the county
the register held before counties existed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from geo_service.db.base import Base

#: a division code: 2 digits province, 2 city, 2 county
CODE_PATTERN = r"^[0-9]{6}$"
#: the home county made by migration 0006 (the register's county before counties existed)
HOME = ("411603", "淮阳区", "Huaiyang District")
HOME_COUNTY_SQL = (
    "INSERT INTO counties (code, name_zh, name_en, home) "
    "VALUES ('411603', '淮阳区', 'Huaiyang District', true) ON CONFLICT (code) DO NOTHING"
)


class County(Base):
    """A county or district of the city: its boundary, ledger year, targets and rule overrides."""

    __tablename__ = "counties"
    __table_args__ = (CheckConstraint(f"code ~ '{CODE_PATTERN}'", name="code_digits"),)

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    boundary: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4490, spatial_index=True), nullable=True
    )
    #: the year of this county's project ledger (None: the latest year it holds)
    ledger_year: Mapped[int | None] = mapped_column(Integer)
    #: e.g. {"net_land_reserve_target_mu": 500}
    targets: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    #: readiness thresholds that differ here (fields of settings.ReadinessRules)
    readiness: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    #: supply clock overrides (rule key -> fields), as settings.supply.overrides for one county
    supply_overrides: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    #: the county rows without a county belong to (one; the register's county before 0006)
    home: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def county_column(*, primary_key: bool = False, foreign_key: bool = True) -> MappedColumn[Any]:
    """The ``county`` column of a register table (NOT NULL, defaults to the scoped county).

    ``foreign_key=False``: the reference is kept by triggers instead, checked once per statement
    (``parcels``, migration 0012_parcel_county: a per-row key check slowed imports).
    """
    refs = (ForeignKey("counties.code", onupdate="CASCADE"),) if foreign_key else ()
    return mapped_column(
        String(6),
        *refs,
        server_default=text("gs_current_county()"),
        index=not primary_key,
        primary_key=primary_key,
    )
