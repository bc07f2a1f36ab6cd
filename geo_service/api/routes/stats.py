"""Headline figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from geo_service.api.deps import PrincipalDep, SessionDep, SettingsDep
from geo_service.parcels.stats import land_stats
from geo_service.projects.stats import project_stats

router = APIRouter(prefix="/api/v1", tags=["stats"])


@router.get("/stats")
def stats(
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    as_of: Annotated[date | None, Query(description="figures as of this date")] = None,
) -> dict[str, Any]:
    """Project and land headline figures (the public sees the land reserve only)."""
    land = land_stats(session, reserve_target_mu=settings.net_land_reserve_target_mu)
    if principal.is_public:
        return {"land": {k: land[k] for k in ("net_land_reserve_mu", "net_land_reserve_target_mu")}}
    out = project_stats(
        session, year=year or settings.ledger_year, as_of=as_of, rules=settings.projects
    )
    out["land"] = land
    return out
