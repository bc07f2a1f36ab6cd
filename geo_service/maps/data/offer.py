"""What the investor map's page reads about the plots on offer, in ONE statement.

The page needs the number of plots the filter selects, the zones and industries that have plots
on offer (the filter lists), the first plots for the list beside the map and, with a fit check,
the codes of the plots that fit. Each used to be its own statement, and each decided the
visibility rule (:func:`geo_service.maps.data.investors.available_where`) over every parcel
again: at 100 000 parcels that rule is the cost, so it is decided here once per page, into a
materialised set the four answers read. Same rule, same filter, same fit rule (``fit.py``) as
the tiles and the single-purpose functions in ``investors.py``; tests compare them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.maps.data.common import AREA_MU, check_zone
from geo_service.maps.data.fit import BOUND_SQL, FitQuery, fit_sql
from geo_service.maps.data.investors import InvestorFilter, available_params, available_where
from geo_service.maps.data.investors import filter_where as investor_filter_where
from geo_service.settings import ReadinessRules


@dataclass(frozen=True)
class Offer:
    """The investor page's figures: ``count`` of selected plots, ``choices`` (zones and
    industries on offer), ``results`` (the list), ``fit_codes`` (None without a fit check)."""

    count: int
    choices: dict[str, list[tuple[str, str]]]
    results: list[dict[str, Any]] = field(default_factory=list)
    fit_codes: list[str] | None = None


def investor_offer(
    session: Session,
    f: InvestorFilter,
    *,
    limit: int,
    fit: FitQuery | None = None,
    fit_def: Mapping[str, Any] | None = None,
    readiness: ReadinessRules,
) -> Offer:
    """Count, filter choices, the first ``limit`` plots (fitting ones first with ``fit``) and the
    fitting codes, from one pass of the visibility rule over the parcels."""
    check_zone(session, f.validate().zone)
    chosen, params = investor_filter_where(f)
    params.update(available_params(readiness))
    misfit, bound, order = "NULL::jsonb", "NULL::jsonb", "v.code"
    if fit is not None:
        rule, fit_params = fit_sql(fit, fit_def or {})
        params.update(fit_params)
        misfit = f"CASE WHEN {chosen} THEN {rule} END"
        bound = f"CASE WHEN {chosen} THEN {BOUND_SQL} END"
        order = "jsonb_array_length(v.misfit) > 0, v.code"
    sql = f"""WITH v AS MATERIALIZED (
        SELECT p.code, p.name, z.code AS zone, z.name AS zone_name, p.industry,
               {AREA_MU} AS area_mu, ({chosen}) AS chosen, {misfit} AS misfit,
               {bound} AS bound
        FROM parcels p JOIN parcel_summary s ON s.parcel_id = p.id
        CROSS JOIN LATERAL (SELECT s.met) c
        LEFT JOIN zones z ON z.id = p.zone_id
        WHERE {available_where("p.id")})
    SELECT (SELECT count(*) FROM v WHERE v.chosen),
           (SELECT coalesce(json_agg(json_build_array(d.zone, d.zone_name, d.industry)), '[]')
            FROM (SELECT DISTINCT v.zone, v.zone_name, v.industry FROM v) d)::text,
           (SELECT coalesce(json_agg(json_build_object('code', l.code, 'name', l.name,
                     'zone', coalesce(l.zone_name, l.zone), 'area_mu', l.area_mu,
                     'misfit', l.misfit, 'bound', l.bound) ORDER BY l.o), '[]')
            FROM (SELECT v.*, row_number() OVER (ORDER BY {order}) AS o
                  FROM v WHERE v.chosen ORDER BY {order} LIMIT :lim) l)::text,
           (SELECT coalesce(json_agg(v.code ORDER BY v.code), '[]') FROM v
            WHERE v.chosen AND jsonb_array_length(v.misfit) = 0)::text"""  # noqa: S608 -- fixed fragments only; values bound
    n, choices, results, fitting = session.execute(text(sql), {**params, "lim": limit}).one()
    rows = json.loads(choices)
    return Offer(
        count=int(n),
        choices={
            "zones": sorted({(r[0], r[1] or r[0]) for r in rows if r[0]}),
            "industries": sorted({(r[2], r[2]) for r in rows if r[2]}),
        },
        results=json.loads(results),
        fit_codes=None if fit is None else json.loads(fitting),
    )
