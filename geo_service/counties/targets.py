"""The targets of the view a request sees: one county's, or the whole city's.

A county's stored target (``counties.targets``) is its own; a county without one takes the
service's setting (``GEO_SERVICE_NET_LAND_RESERVE_TARGET_MU``). The whole city's target is the
sum of its counties'. Every figure that states a target reads it here: the stats, the maps'
headline, the reserve chart and the reports."""

from __future__ import annotations

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
