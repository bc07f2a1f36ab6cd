"""THE headline figures of one county or the whole city: the land register and the net-land
reserve, and for staff the project ledger's figures. ``GET /api/v1/stats`` answers them (and
``by_county``: the same figures inside each county's wall, ``counties.rollup``); the maps' city
overview reads the same ``by_county``, so the two never disagree."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from geo_service.counties.targets import reserve_target_mu
from geo_service.parcels.stats import land_stats
from geo_service.projects.stats import project_stats
from geo_service.settings import Settings

#: what the public sees of the land figures
PUBLIC_LAND = ("net_land_reserve_mu", "net_land_reserve_target_mu")


def headline(
    session: Session,
    settings: Settings,
    *,
    internal: bool,
    year: int | None = None,
    as_of: date | None = None,
) -> dict[str, Any]:
    """The figures in the transaction's view (one county when scoped); ``internal``: staff's."""
    land = land_stats(session, reserve_target_mu=reserve_target_mu(session, settings))
    if not internal:
        return {"land": {k: land[k] for k in PUBLIC_LAND}}
    out = project_stats(
        session, year=year or settings.ledger_year, as_of=as_of, rules=settings.projects
    )
    out["land"] = land
    return out
