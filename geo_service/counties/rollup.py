"""City roll-ups: the same figures once for the whole city and once per county."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.counties import scope


def per_county(session: Session, figures: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``figures()`` computed inside each county's wall (a savepoint each; nothing is kept)."""
    rows = session.execute(
        text("SELECT code, name_zh, name_en FROM counties ORDER BY home DESC, code")
    ).all()
    out: dict[str, Any] = {}
    for code, name_zh, name_en in rows:
        nested = session.begin_nested()
        try:
            scope.apply(session, code)
            out[code] = {"name_zh": name_zh, "name_en": name_en, **figures()}
        finally:
            nested.rollback()  # the scope (SET LOCAL) goes with the savepoint
    return out


def with_roll_up(session: Session, figures: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``figures()``; for an unscoped (city) request also ``by_county`` and ``county: None``."""
    county = scope.current()
    out = figures()
    out["county"] = county
    if county is None:
        out["by_county"] = per_county(session, figures)
    return out
