"""The investor map: which plots are on offer (the visibility rule), their public fields and
simplified geometry, the list beside the map, the plot sheet and the public context layers.
The fit rule is in ``fit.py``, the search boxes of every map in ``search.py``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.errors import InvalidInput
from geo_service.maps.data.common import (
    AREA_MU,
    CONDS,
    MU,
    SUMMARY_FROM,
    check_zone,
    collection,
    count,
)
from geo_service.maps.data.fit import BOUND_SQL, FitQuery, fit_sql
from geo_service.readiness.rules import ready_for_supply_sql, supply_params, verified_at_sql
from geo_service.settings import CONDITIONS, ReadinessRules

PUBLIC_GRID_DEG = 0.00001
AVAILABLE_STAGES = ("plan", "notice", "sale")


@dataclass(frozen=True)
class InvestorFilter:
    zone: str | None = None
    industry: str | None = None
    min_area_mu: float | None = None
    max_area_mu: float | None = None

    def validate(self) -> InvestorFilter:
        if (
            self.min_area_mu is not None
            and self.max_area_mu is not None
            and self.min_area_mu > self.max_area_mu
        ):
            raise InvalidInput(
                "min_area_mu must not exceed max_area_mu",
                zh="最小面积不能大于最大面积，请改小最小面积或改大最大面积",
            )
        return self


def available_where(parcel_id: str = "p.id") -> str:
    """THE investor map's visibility rule, shared with the public vector tiles: published, at a
    stage still on offer, and ready for supply (``readiness/rules.py``: net land, indicators
    set, every required assessment valid today). Bind :func:`available_params` with it."""
    stages = ", ".join(f"'{s}'" for s in AVAILABLE_STAGES)
    ready = ready_for_supply_sql("c.met", parcel_id)
    return f"p.published AND p.supply_stage IN ({stages}) AND {ready}"


def available_params(readiness: ReadinessRules) -> dict[str, Any]:
    """The bound values of :func:`available_where` (the configured required assessments)."""
    return supply_params(readiness)


#: :func:`available_where` over ``parcels p`` (with :data:`CONDS`)
AVAILABLE_WHERE = available_where()
#: simplified, ~1 m-snapped public geometry (never the surveyed vertices)
PUBLIC_GEOM = (
    f"ST_ReducePrecision(ST_SimplifyPreserveTopology(p.geom, {PUBLIC_GRID_DEG}), {PUBLIC_GRID_DEG})"
)


def investor_where(
    f: InvestorFilter, *, readiness: ReadinessRules, parcel_id: str = "p.id"
) -> tuple[str, dict[str, Any]]:
    """The visibility rule and the filter's conditions over ``p``, with their bound values."""
    chosen, params = filter_where(f)
    return f"{available_where(parcel_id)} AND {chosen}", {**available_params(readiness), **params}


def filter_where(f: InvestorFilter) -> tuple[str, dict[str, Any]]:
    """The filter's own conditions over ``p`` and ``z`` (zone, industry, area), visibility aside."""
    conds: list[str] = ["true"]
    params: dict[str, Any] = {}
    if f.zone is not None:
        conds.append("z.code = :zone")
        params["zone"] = f.zone
    if f.industry is not None:
        conds.append("p.industry = :industry")
        params["industry"] = f.industry
    if f.min_area_mu is not None:
        conds.append(f"p.area_m2 >= :min_area_mu * {MU}")
        params["min_area_mu"] = f.min_area_mu
    if f.max_area_mu is not None:
        conds.append(f"p.area_m2 <= :max_area_mu * {MU}")
        params["max_area_mu"] = f.max_area_mu
    return " AND ".join(conds), params


def _investor_props_sql(extra: str = "") -> str:
    """The public fields of an available plot (``extra``: more ``, 'key', value`` pairs)."""
    return f"""json_build_object(
            'code', p.code, 'name', p.name, 'zone', z.code, 'zone_name', z.name,
            'area_mu', {AREA_MU}, 'land_use', p.land_use,
            'industry', p.industry, 'supply_stage', p.supply_stage,
            'indicators', p.indicators, 'contact', p.contact, 'met', coalesce(c.met, 0){extra})"""


def _investor_sql(where: str, extra: str = "") -> str:
    return f"""SELECT json_build_object('type', 'Feature', 'id', p.code,
          'geometry', ST_AsGeoJSON({PUBLIC_GEOM}, 5, 0)::json,
          'properties', {_investor_props_sql(extra)}) AS f
        FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {CONDS}
        WHERE {where} ORDER BY p.code"""  # noqa: S608 -- fixed fragments only; values bound


def count_investor_parcels(
    session: Session, f: InvestorFilter, *, readiness: ReadinessRules
) -> int:
    check_zone(session, f.validate().zone)
    # over the stored summary (one row a parcel): its id is p.parcel_id
    where, params = investor_where(f, readiness=readiness, parcel_id="p.parcel_id")
    return count(
        session,
        f"SELECT 1 {SUMMARY_FROM} WHERE {where}",  # noqa: S608 -- fixed fragments only; values bound
        params,
    )


def on_offer(session: Session, *, readiness: ReadinessRules) -> dict[str, Any]:
    """How many plots are on offer and their 亩, in the transaction's view (one county when
    scoped): the figures of the investor map's own list, under its one visibility rule."""
    where, params = investor_where(InvestorFilter(), readiness=readiness, parcel_id="p.parcel_id")
    n, mu = session.execute(
        text(f"SELECT count(*), coalesce(sum({AREA_MU}), 0) {SUMMARY_FROM} WHERE {where}"),  # noqa: S608 -- fixed fragments only; values bound
        params,
    ).one()
    return {"parcels": int(n), "area_mu": round(float(mu), 2)}


def investor_parcels(
    session: Session,
    f: InvestorFilter,
    fit: FitQuery | None = None,
    fit_def: Mapping[str, Any] | None = None,
    *,
    readiness: ReadinessRules,
) -> dict[str, Any]:
    """Available plots as features; with ``fit``, each carries ``fit`` (see :func:`fit_sql`)."""
    where, params = investor_where(f.validate(), readiness=readiness)
    extra = _fit_fields(fit, fit_def, params)
    return collection(session, _investor_sql(where, extra), params)


def _fit_fields(
    fit: FitQuery | None, fit_def: Mapping[str, Any] | None, params: dict[str, Any]
) -> str:
    """The fit result's fields of a plot (``misfit``, ``bound``) for :func:`_investor_sql`, their
    parameters added to ``params``; nothing without a fit check."""
    if fit is None:
        return ""
    rule, fit_params = fit_sql(fit, fit_def or {})
    params.update(fit_params)
    return f", 'misfit', {rule}, 'bound', {BOUND_SQL}"


def locate_plot(session: Session, code: str, *, readiness: ReadinessRules) -> dict[str, Any] | None:
    """One available plot's public fields, bbox ``[w, s, e, n]`` and a point inside it."""
    where, params = investor_where(InvestorFilter(), readiness=readiness)
    params["code"] = code
    row = session.execute(
        text(
            f"""SELECT json_build_object('properties', {_investor_props_sql()},
                 'bbox', json_build_array(round(ST_XMin(g.g)::numeric, 5),
                   round(ST_YMin(g.g)::numeric, 5), round(ST_XMax(g.g)::numeric, 5),
                   round(ST_YMax(g.g)::numeric, 5)),
                 'point', json_build_array(round(ST_X(ST_PointOnSurface(g.g))::numeric, 5),
                   round(ST_Y(ST_PointOnSurface(g.g))::numeric, 5)))::text
            FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {CONDS}
            CROSS JOIN LATERAL (SELECT {PUBLIC_GEOM} AS g) g
            WHERE {where} AND p.code = :code"""  # noqa: S608 -- fixed fragments only; values bound
        ),
        params,
    ).scalar()
    return None if row is None else dict(json.loads(row))


def investor_choices(
    session: Session, *, readiness: ReadinessRules
) -> dict[str, list[tuple[str, str]]]:
    """Zones and industries that have available plots (for the filter lists)."""
    rows = session.execute(
        text(
            f"""SELECT DISTINCT z.code, z.name, p.industry {SUMMARY_FROM}
            WHERE {available_where("p.parcel_id")}"""  # noqa: S608 -- fixed fragments only; values bound
        ),
        available_params(readiness),
    ).all()
    zones = sorted({(r[0], r[1] or r[0]) for r in rows if r[0]})
    industries = sorted({(r[2], r[2]) for r in rows if r[2]})
    return {"zones": zones, "industries": industries}


def plot_sheet(
    session: Session,
    code: str,
    *,
    readiness: ReadinessRules,
    fit: FitQuery | None = None,
    fit_def: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """One available plot with the assessments covering it (expired ones marked, never dropped),
    its condition statuses and the roads near it (public); with ``fit``, the plot carries the
    map's fit result (``misfit``, ``bound``: the one rule, :func:`fit_sql`)."""
    where, params = investor_where(InvestorFilter(), readiness=readiness)
    params["code"] = code
    extra = _fit_fields(fit, fit_def, params)
    fc = collection(session, _investor_sql(f"{where} AND p.code = :code", extra), params)
    if not fc["features"]:
        return None
    feature = fc["features"][0]
    assessments = session.execute(
        text(
            """SELECT a.kind, a.name, a.valid_until,
                      (a.valid_until IS NOT NULL AND a.valid_until < current_date)
                      OR (a.valid_from IS NOT NULL AND a.valid_from > current_date) AS lapsed
            FROM assessment_areas a, parcels p
            WHERE p.code = :code AND ST_Covers(a.geom, p.geom)
            ORDER BY lapsed, a.kind"""
        ),
        {"code": code},
    ).all()
    conditions = session.execute(
        text(
            f"""SELECT pc.condition, pc.status, to_char({verified_at_sql("pc")}, 'YYYY-MM-DD')
            FROM parcel_conditions pc JOIN parcels p ON p.id = pc.parcel_id
            WHERE p.code = :code
            ORDER BY array_position(CAST(:order AS text[]), pc.condition::text), pc.condition"""  # noqa: S608 -- fixed fragments only; values bound
        ),
        {"code": code, "order": list(CONDITIONS)},
    ).all()
    valid = {k for k, _, _, lapsed in assessments if not lapsed}
    return {
        "feature": feature,
        # a lapsed assessment is shown (to be renewed) unless a valid one of its kind covers it
        "assessments": [
            {"kind": k, "name": n, "valid_until": v.isoformat() if v else None, "lapsed": bool(x)}
            for k, n, v, x in assessments
            if not (x and k in valid)
        ],
        "conditions": [{"condition": c, "status": s, "verified_at": v} for c, s, v in conditions],
        "roads": roads_near(session, code, within_m=800),
    }


def roads_near(session: Session, code: str, *, within_m: float) -> dict[str, Any]:
    """Existing roads within ``within_m`` metres of a parcel (the plot sheet's location map)."""
    return collection(
        session,
        """SELECT json_build_object('type', 'Feature', 'id', i.code,
             'geometry', ST_AsGeoJSON(i.geom, 6, 0)::json,
             'properties', json_build_object('code', i.code, 'name', i.name)) AS f
           FROM infrastructure i, parcels p
           WHERE p.code = :code AND i.kind = 'road' AND i.status = 'existing'
             AND ST_DWithin(i.geom::geography, p.geom::geography, :d)
           ORDER BY i.code""",
        {"code": code, "d": float(within_m)},
    )


def public_context(session: Session) -> dict[str, dict[str, Any]]:
    """Zones and existing roads: what an investor needs to place the plots without base tiles."""
    return {
        "zones": collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.00005), 5, 0)::json,
                 'properties', json_build_object('code', code, 'name', name)) AS f
               FROM zones ORDER BY code""",
            {},
        ),
        "roads": collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(geom, 5, 0)::json,
                 'properties', json_build_object('code', code, 'name', name)) AS f
               FROM infrastructure WHERE kind = 'road' AND status = 'existing' ORDER BY code""",
            {},
        ),
    }
