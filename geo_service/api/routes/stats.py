"""Headline figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from geo_service.api.deps import PrincipalDep, SessionDep, SettingsDep, require
from geo_service.api.params import IsoDate
from geo_service.auth import policy
from geo_service.counties.rollup import with_roll_up
from geo_service.projects.headline import headline
from geo_service.reports import span

router = APIRouter(prefix="/api/v1", tags=["stats"])


@router.get("/stats", dependencies=[require("stats.read")])
def stats(
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    as_of: Annotated[IsoDate | None, Query(description="figures as of this date")] = None,
) -> dict[str, Any]:
    """Project and land headline figures (the public sees the land reserve only).

    ``as_of`` must lie in the ledger's span, as a report's day must (``reports.span``).
    ``county=``: one county's figures; without it the whole city's, with ``by_county``: the same
    figures for each county (the city roll-up).
    """

    if as_of is not None:  # the same span as the reports': no red flags for days to come
        span.check_day(session, as_of)

    def figures() -> dict[str, Any]:
        internal = policy.can(principal, "stats.internal")
        return headline(session, settings, internal=internal, year=year, as_of=as_of)

    return with_roll_up(session, figures)
