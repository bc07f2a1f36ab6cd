"""The supply clocks in force in each county (issue 14): the rules of ``supply.config`` with the
overrides of the settings (``GEO_SERVICE_SUPPLY__OVERRIDES``, keyed by division code prefix:
``41`` Henan, ``4116`` Zhoukou, ``411603`` 淮阳区) and then each county's stored
``supply_overrides`` (``counties.supply_overrides``: rule key → fields, for that county only).

A parcel's clocks run by its own county's rules: its ``county`` is its division code, so an
override written for ``411625`` applies to 郸城县's parcels and not to 淮阳区's.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.errors import ConfigurationError
from geo_service.settings import Settings
from geo_service.supply.config import Rule, SupplyConfig


def config(session: Session, settings: Settings) -> SupplyConfig:
    """``settings.supply`` with each county's stored overrides added under its division code."""
    rows = session.execute(
        text("SELECT code, supply_overrides FROM counties WHERE supply_overrides <> '{}'")
    ).all()
    if not rows:
        return settings.supply
    overrides: dict[str, dict[str, dict[str, Any]]] = {
        prefix: {k: dict(v) for k, v in rules.items()}
        for prefix, rules in settings.supply.overrides.items()
    }
    for code, own in rows:
        mine = overrides.setdefault(code, {})
        for key, fields in (own or {}).items():
            if not isinstance(fields, dict):
                raise ConfigurationError(
                    f"county {code}: supply override {key!r} must be an object of rule fields"
                )
            mine[key] = {**mine.get(key, {}), **fields}
    try:
        return SupplyConfig.model_validate({**settings.supply.model_dump(), "overrides": overrides})
    except ValidationError as e:
        msg = e.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigurationError(f"a county's stored supply overrides: {msg}") from None


def rules_in(session: Session, settings: Settings, county: str | None) -> list[Rule]:
    """The rules in force in ``county`` (None: the service's ``supply.division``)."""
    return config(session, settings).rules_for(county)


def rules_by_county(session: Session, settings: Settings) -> dict[str, list[Rule]]:
    """Every county's rules (for checks over many parcels: one read of the overrides)."""
    cfg = config(session, settings)
    codes = session.execute(text("SELECT code FROM counties ORDER BY code")).scalars()
    return {c: cfg.rules_for(c) for c in codes}
