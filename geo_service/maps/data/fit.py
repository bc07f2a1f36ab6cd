"""THE fit rule of the investor map: an investor's project (investment, land, tax) against a
plot's area and indicator minimums, as one SQL expression the embedded map, the tile mode's list
and the popups share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geo_service.maps.data.common import (
    AREA_MU,
)


@dataclass(frozen=True)
class FitQuery:
    """An investor's project: investment (万元), land needed (亩), expected tax (万元/亩/年).

    ``tax_per_mu`` None means "not given": the tax minimums are then not checked (never 0).
    """

    investment_wan: float
    area_mu: float
    tax_per_mu: float | None = None


NUMBER_RE = r"'^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'"
#: a plot's indicators (``ind``), each with its numeric minimum (``b.lo``; NULL: it sets none)
_BOUNDS = f"""jsonb_array_elements(CASE WHEN jsonb_typeof(p.indicators) = 'array'
                                  THEN p.indicators ELSE '[]'::jsonb END) ind
        CROSS JOIN LATERAL (SELECT CASE WHEN ind->>'min' ~ {NUMBER_RE}
                            THEN CAST(ind->>'min' AS float8) END AS lo) b"""


def fit_sql(q: FitQuery, fit_def: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """THE fit rule over ``p``: a jsonb array of the reasons a plot does not fit (empty = fits).

    A plot fits when its area (亩, 2 decimals) is within ±``area_tolerance_pct`` of the area
    needed, the investment per 亩 of the plot is at least each investment-intensity minimum and,
    when a tax is given, the expected tax per 亩 at least each tax minimum (indicator keys from
    ``fit_def``; an indicator without a numeric ``min`` sets no bound). Each reason names the
    rule, the plot's value and the bound, so the map can say why. The embedded map, the tile
    mode's list and the popups all use this one expression.
    """
    area = f"CAST({AREA_MU} AS float8)"
    lo = "CAST(:fit_area AS float8) * (1 - CAST(:fit_tol AS float8))"
    hi = "CAST(:fit_area AS float8) * (1 + CAST(:fit_tol AS float8))"
    tax_keys = "CAST(:fit_tax_keys AS text[])"
    sql = f"""(SELECT coalesce(jsonb_agg(r.j ORDER BY r.o), '[]'::jsonb) FROM (
        SELECT 0 AS o, jsonb_build_object('rule', 'area', 'value', {area},
                 'min', round(CAST({lo} AS numeric), 2),
                 'max', round(CAST({hi} AS numeric), 2)) AS j
        WHERE NOT ({area} > 0 AND {area} BETWEEN {lo} AND {hi})
        UNION ALL
        SELECT 1, jsonb_build_object('rule', CASE WHEN ind->>'key' = ANY({tax_keys})
                 THEN 'tax' ELSE 'intensity' END, 'key', ind->>'key',
                 'value', round(CAST(CASE WHEN ind->>'key' = ANY({tax_keys})
                   THEN CAST(:fit_tax AS float8)
                   ELSE CAST(:fit_investment AS float8) / NULLIF({area}, 0) END AS numeric), 1),
                 'min', b.lo)
        FROM {_BOUNDS}
        WHERE (ind->>'key' = ANY(CAST(:fit_intensity_keys AS text[]))
               AND CAST(:fit_investment AS float8) / NULLIF({area}, 0) < b.lo)
           OR (ind->>'key' = ANY(CAST(:fit_tax_keys AS text[]))
               AND CAST(:fit_tax AS float8) IS NOT NULL AND CAST(:fit_tax AS float8) < b.lo)
      ) r)"""  # noqa: S608 -- fixed fragments only; values bound
    params = {
        "fit_area": float(q.area_mu),
        "fit_tol": float(fit_def.get("area_tolerance_pct", 10)) / 100,
        "fit_investment": float(q.investment_wan),
        "fit_tax": None if q.tax_per_mu is None else float(q.tax_per_mu),
        "fit_intensity_keys": [str(k) for k in fit_def.get("investment_intensity_keys", [])],
        "fit_tax_keys": [str(k) for k in fit_def.get("tax_keys", [])],
    }
    return sql, params


#: the fit rules a plot's indicators bind (``intensity``, ``tax``: an indicator of their keys
#: with a numeric minimum), as a jsonb array — what a plot that fits was checked against; bind
#: :func:`fit_sql`'s parameters
BOUND_SQL = f"""(SELECT coalesce(jsonb_agg(DISTINCT CASE
                   WHEN ind->>'key' = ANY(CAST(:fit_tax_keys AS text[])) THEN 'tax'
                   ELSE 'intensity' END), '[]'::jsonb)
        FROM {_BOUNDS}
        WHERE b.lo IS NOT NULL
          AND (ind->>'key' = ANY(CAST(:fit_intensity_keys AS text[]))
               OR ind->>'key' = ANY(CAST(:fit_tax_keys AS text[]))))"""  # noqa: S608 -- fixed fragments only; values bound
