"""The targets of the view a request sees: one county's, or the whole city's.

A county's stored target (``counties.targets``) is its own; a county without one takes the
service's setting (``GEO_SERVICE_NET_LAND_RESERVE_TARGET_MU``, and for investment attraction
``GEO_SERVICE_PROJECTS__ATTRACTION_TARGETS``). The whole city's target is the sum of its
counties'. Every figure that states a target reads it here: the stats, the maps' headline, the
reserve chart and the reports."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.counties import scope
from geo_service.settings import Settings

#: each county's stored target, and the county the transaction is walled to (the wall's own
#: setting, so a roll-up's savepoint per county reads that county's)
_TARGETS = text(
    "SELECT code, (targets ->> 'net_land_reserve_target_mu')::float8 AS reserve, "
    "nullif(current_setting('geo_service.county', true), '') AS walled FROM counties"
)


def reserve_target_mu(session: Session, settings: Settings) -> float:
    """The net-land reserve target (亩) of the county in view, or of the whole city."""
    default = float(settings.net_land_reserve_target_mu)
    rows = session.execute(_TARGETS).all()
    per = {r.code: default if r.reserve is None else float(r.reserve) for r in rows}
    county = (rows[0].walled if rows else None) or scope.current()
    if county:
        return per.get(county, default)
    return sum(per.values()) if per else default


_ATTRACTION = text(
    "SELECT code, targets -> 'attraction_targets' AS own, "
    "nullif(current_setting('geo_service.county', true), '') AS walled FROM counties"
)


def attraction_targets(session: Session, default: Mapping[int, int]) -> dict[int, int]:
    """Projects to attract this year per minimum total investment (万元), of the county in view
    (its ``targets.attraction_targets``, else ``default``) or of the whole city (the sum)."""
    rows = session.execute(_ATTRACTION).all()
    per = {
        r.code: {int(k): int(v) for k, v in r.own.items()} if r.own else dict(default) for r in rows
    }
    county = (rows[0].walled if rows else None) or scope.current()
    if county:
        return per.get(county, dict(default))
    if not per:
        return dict(default)
    return {
        t: sum(p.get(t, 0) for p in per.values())
        for t in sorted({*default, *(k for p in per.values() for k in p)})
    }
