"""What the maps show, read from PostGIS in one set-based statement per layer.

Render code never touches the database: routes and the export command call these functions and
pass the plain dicts to :mod:`geo_service.maps.render`. Strings come back raw; the renderer escapes
every one of them.
"""

# ruff: noqa: S608  -- only fixed SQL fragments chosen in this module are interpolated

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.errors import InvalidInput
from geo_service.projects import rag
from geo_service.readiness.rules import category_sql, net_land_sql
from geo_service.settings import CONDITIONS, ProjectRules
from geo_service.spatial import SQM_PER_MU

#: 亩 in SQL, from the one constant (``spatial.SQM_PER_MU``)
MU = f"CAST({SQM_PER_MU!r} AS float8)"
#: ~1 m in degrees: public geometry is simplified and snapped to this grid in PostGIS
PUBLIC_GRID_DEG = 0.00001
#: the readiness map's status filter; ``unknown`` is the older name of ``needs_record``
READINESS_STATUSES = ("net_land", "not_net_land", "needs_record", "unknown")
AVAILABLE_STAGES = ("plan", "notice", "sale")
_ALL_CONDITIONS = "ARRAY[" + ", ".join(f"'{c}'" for c in CONDITIONS) + "]::text[]"

#: per parcel: counts of met / unmet / checked conditions, their evidence, and the conditions
#: not met (unmet, unknown or never checked: "not met, needs a record" counts as failing)
CONDS = f"""LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE pc.status = 'met') AS met,
           count(*) FILTER (WHERE pc.status = 'unmet') AS unmet,
           count(*) AS checked,
           json_object_agg(pc.condition, json_build_object(
               'status', pc.status, 'method', pc.method, 'evidence', pc.evidence,
               'verified_at', to_char(pc.verified_at, 'YYYY-MM-DD'))) AS conds,
           ARRAY(SELECT x FROM unnest({_ALL_CONDITIONS}) x
                 WHERE NOT x = ANY(coalesce(array_agg(pc.condition)
                                   FILTER (WHERE pc.status = 'met'), '{{}}'))) AS fails
    FROM parcel_conditions pc WHERE pc.parcel_id = p.id) c ON true"""
#: the map category of ``p`` (after :data:`CONDS`): the one rule in ``readiness/rules.py``
CATEGORY = category_sql("c.met", "c.unmet", "c.checked")
NET_LAND = net_land_sql("c.met")
#: a plot's area in 亩 as shown to people (2 decimals); the fit check compares this value
AREA_MU = f"round(CAST(p.area_m2 / {MU} AS numeric), 2)"


def _collection(session: Session, sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run a SELECT of one json Feature per row (column ``f``) and fold it into a collection."""
    agg = f"SELECT coalesce(json_agg(q.f), '[]'::json)::text FROM ({sql}) q"
    features = json.loads(session.execute(text(agg), params).scalar_one())
    return {"type": "FeatureCollection", "features": features}


def _count(session: Session, sql: str, params: dict[str, Any]) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM ({sql}) q"), params).scalar_one())


def _known_zone(session: Session, zone: str | None) -> None:
    if zone is None:
        return
    if session.execute(text("SELECT 1 FROM zones WHERE code = :z"), {"z": zone}).first() is None:
        known = session.execute(text("SELECT string_agg(code, ', ' ORDER BY code) FROM zones"))
        raise InvalidInput(
            f"zone {zone!r} is not a zone code; the zones are: {known.scalar() or 'none yet'}"
        )


# ------------------------------------------------------------------ readiness (land bureau)


@dataclass(frozen=True)
class ReadinessFilter:
    zone: str | None = None
    status: str | None = None
    fails: str | None = None

    def validate(self) -> ReadinessFilter:
        if self.status is not None and self.status not in READINESS_STATUSES:
            raise InvalidInput(
                f"status must be one of {', '.join(READINESS_STATUSES[:3])}; got {self.status!r}"
            )
        if self.fails is not None and self.fails not in CONDITIONS:
            raise InvalidInput(f"fails must be one of {', '.join(CONDITIONS)}; got {self.fails!r}")
        return self


def readiness_where(f: ReadinessFilter) -> tuple[str, dict[str, Any]]:
    """WHERE clause (over ``p``, ``z``, ``c``) and parameters for the readiness filters."""
    conds: list[str] = ["true"]
    params: dict[str, Any] = {}
    if f.zone is not None:
        conds.append("z.code = :zone")
        params["zone"] = f.zone
    if f.status == "net_land":
        conds.append(NET_LAND)
    elif f.status == "not_net_land":
        conds.append(f"NOT {NET_LAND}")
    elif f.status in ("needs_record", "unknown"):
        conds.append(f"{CATEGORY} IN ('needs_record', 'not_checked')")
    if f.fails is not None:
        conds.append(":fails = ANY(c.fails)")
        params["fails"] = f.fails
    return " AND ".join(conds), params


def _readiness_sql(where: str, limit: str = "") -> str:
    return f"""SELECT json_build_object('type', 'Feature', 'id', p.code,
          'geometry', ST_AsGeoJSON(p.geom, 6, 0)::json,
          'properties', json_build_object(
            'code', p.code, 'name', p.name, 'zone', z.code, 'zone_name', z.name,
            'area_mu', {AREA_MU}, 'supply_stage', p.supply_stage,
            'published', p.published, 'met', coalesce(c.met, 0),
            'unmet', coalesce(c.unmet, 0), 'checked', coalesce(c.checked, 0),
            'cat', {CATEGORY}, 'fails', to_json(c.fails),
            'conditions', coalesce(c.conds, '{{}}'::json))) AS f
        FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {CONDS}
        WHERE {where} ORDER BY p.code {limit}"""


def count_readiness_parcels(session: Session, f: ReadinessFilter) -> int:
    _known_zone(session, f.validate().zone)
    where, params = readiness_where(f)
    return _count(
        session,
        f"SELECT 1 FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {CONDS} WHERE {where}",
        params,
    )


def readiness_parcels(session: Session, f: ReadinessFilter) -> dict[str, Any]:
    where, params = readiness_where(f.validate())
    return _collection(session, _readiness_sql(where), params)


def readiness_parcel(session: Session, code: str) -> dict[str, Any] | None:
    """One parcel as on the readiness map (its popup in vector-tile mode)."""
    fc = _collection(session, _readiness_sql("p.code = :code"), {"code": code})
    return fc["features"][0] if fc["features"] else None


def readiness_list(session: Session, f: ReadinessFilter, *, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` parcels the filter selects: code, name, zone, 亩, category."""
    where, params = readiness_where(f.validate())
    rows = session.execute(
        text(
            f"""SELECT p.code, p.name, coalesce(z.name, z.code), {AREA_MU}, {CATEGORY},
                   to_json(c.fails)::text
            FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {CONDS}
            WHERE {where} ORDER BY p.code LIMIT :lim"""
        ),
        {**params, "lim": limit},
    ).all()
    return [
        {
            "code": r[0],
            "name": r[1],
            "zone": r[2],
            "area_mu": r[3],
            "cat": r[4],
            "fails": json.loads(r[5]),
        }  # fmt: skip
        for r in rows
    ]


def context_layers(session: Session) -> dict[str, dict[str, Any]]:
    """Networks, zones, assessment and protected areas for the bureau's map."""
    return {
        "infrastructure": _collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(geom, 6, 0)::json,
                 'properties', json_build_object('code', code, 'kind', kind, 'name', name,
                   'status', status, 'diameter_mm', diameter_mm, 'voltage_kv', voltage_kv,
                   'road_class', road_class)) AS f
               FROM infrastructure WHERE kind IN ('water', 'power', 'road') ORDER BY code""",
            {},
        ),
        "zones": _collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(geom, 6, 0)::json,
                 'properties', json_build_object('code', code, 'name', name)) AS f
               FROM zones ORDER BY code""",
            {},
        ),
        "assessments": _collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(geom, 6, 0)::json,
                 'properties', json_build_object('code', code, 'kind', kind, 'name', name,
                   'valid_until', valid_until)) AS f
               FROM assessment_areas ORDER BY code""",
            {},
        ),
        "protected": _collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(geom, 6, 0)::json,
                 'properties', json_build_object('code', code, 'kind', kind, 'name', name)) AS f
               FROM protected_areas ORDER BY code""",
            {},
        ),
    }


# ------------------------------------------------------------------ investors (public)


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
            raise InvalidInput("min_area_mu must not exceed max_area_mu")
        return self


#: the investor map's visibility rule, shared with the public vector tiles
AVAILABLE_WHERE = "p.published AND p.supply_stage IN ('plan', 'notice', 'sale') AND " + NET_LAND
#: simplified, ~1 m-snapped public geometry (never the surveyed vertices)
PUBLIC_GEOM = (
    f"ST_ReducePrecision(ST_SimplifyPreserveTopology(p.geom, {PUBLIC_GRID_DEG}), {PUBLIC_GRID_DEG})"
)


def investor_where(f: InvestorFilter) -> tuple[str, dict[str, Any]]:
    conds: list[str] = [AVAILABLE_WHERE]
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
        WHERE {where} ORDER BY p.code"""


@dataclass(frozen=True)
class FitQuery:
    """An investor's project: investment (万元), land needed (亩), expected tax (万元/亩/年).

    ``tax_per_mu`` None means "not given": the tax minimums are then not checked (never 0).
    """

    investment_wan: float
    area_mu: float
    tax_per_mu: float | None = None


_NUMBER = r"'^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'"


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
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.indicators) = 'array'
                                  THEN p.indicators ELSE '[]'::jsonb END) ind
        CROSS JOIN LATERAL (SELECT CASE WHEN ind->>'min' ~ {_NUMBER}
                            THEN CAST(ind->>'min' AS float8) END AS lo) b
        WHERE (ind->>'key' = ANY(CAST(:fit_intensity_keys AS text[]))
               AND CAST(:fit_investment AS float8) / NULLIF({area}, 0) < b.lo)
           OR (ind->>'key' = ANY(CAST(:fit_tax_keys AS text[]))
               AND CAST(:fit_tax AS float8) IS NOT NULL AND CAST(:fit_tax AS float8) < b.lo)
      ) r)"""
    params = {
        "fit_area": float(q.area_mu),
        "fit_tol": float(fit_def.get("area_tolerance_pct", 10)) / 100,
        "fit_investment": float(q.investment_wan),
        "fit_tax": None if q.tax_per_mu is None else float(q.tax_per_mu),
        "fit_intensity_keys": [str(k) for k in fit_def.get("investment_intensity_keys", [])],
        "fit_tax_keys": [str(k) for k in fit_def.get("tax_keys", [])],
    }
    return sql, params


def count_investor_parcels(session: Session, f: InvestorFilter) -> int:
    where, params = investor_where(f.validate())
    return _count(
        session,
        f"SELECT 1 FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {CONDS} WHERE {where}",
        params,
    )


def investor_parcels(
    session: Session,
    f: InvestorFilter,
    fit: FitQuery | None = None,
    fit_def: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Available plots as features; with ``fit``, each carries ``fit`` (see :func:`fit_sql`)."""
    where, params = investor_where(f.validate())
    extra = ""
    if fit is not None:
        rule, fit_params = fit_sql(fit, fit_def or {})
        extra = f", 'misfit', {rule}"
        params.update(fit_params)
    return _collection(session, _investor_sql(where, extra), params)


def investor_list(
    session: Session,
    f: InvestorFilter,
    *,
    limit: int,
    fit: FitQuery | None = None,
    fit_def: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The first ``limit`` available plots (fitting ones first with ``fit``): code, name, zone,
    亩 and, with ``fit``, the reasons a plot does not fit (:func:`fit_sql`; empty = it fits)."""
    where, params = investor_where(f.validate())
    misfit, order = "NULL::jsonb", "p.code"
    if fit is not None:
        rule, fit_params = fit_sql(fit, fit_def or {})
        params.update(fit_params)
        misfit, order = rule, "jsonb_array_length(m.misfit) > 0, p.code"
    rows = session.execute(
        text(
            f"""SELECT p.code, p.name, coalesce(z.name, z.code), {AREA_MU}, m.misfit::text
            FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {CONDS}
            CROSS JOIN LATERAL (SELECT {misfit} AS misfit) m
            WHERE {where} ORDER BY {order} LIMIT :lim"""
        ),
        {**params, "lim": limit},
    ).all()
    return [
        {
            "code": r[0],
            "name": r[1],
            "zone": r[2],
            "area_mu": r[3],
            "misfit": None if r[4] is None else json.loads(r[4]),
        }  # fmt: skip
        for r in rows
    ]


def fitting_codes(
    session: Session, f: InvestorFilter, fit: FitQuery, fit_def: Mapping[str, Any]
) -> list[str]:
    """The codes of every available plot that fits (tile mode highlights them; no geometry)."""
    where, params = investor_where(f.validate())
    rule, fit_params = fit_sql(fit, fit_def)
    params.update(fit_params)
    return list(
        session.execute(
            text(
                f"""SELECT p.code FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {CONDS}
                WHERE {where} AND jsonb_array_length({rule}) = 0 ORDER BY p.code"""
            ),
            params,
        ).scalars()
    )


def locate_plot(session: Session, code: str) -> dict[str, Any] | None:
    """One available plot's public fields, bbox ``[w, s, e, n]`` and a point inside it."""
    where, params = investor_where(InvestorFilter())
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
            WHERE {where} AND p.code = :code"""
        ),
        params,
    ).scalar()
    return None if row is None else dict(json.loads(row))


def investor_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """Zones and industries that have available plots (for the filter lists)."""
    rows = session.execute(
        text(
            f"""SELECT DISTINCT z.code, z.name, p.industry
            FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {CONDS}
            WHERE {AVAILABLE_WHERE}"""
        )
    ).all()
    zones = sorted({(r[0], r[1] or r[0]) for r in rows if r[0]})
    industries = sorted({(r[2], r[2]) for r in rows if r[2]})
    return {"zones": zones, "industries": industries}


def plot_sheet(session: Session, code: str) -> dict[str, Any] | None:
    """One available plot with the assessments covering it (expired ones marked, never dropped),
    its condition statuses and the roads near it (public)."""
    where, params = investor_where(InvestorFilter())
    params["code"] = code
    fc = _collection(session, _investor_sql(f"{where} AND p.code = :code"), params)
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
            """SELECT pc.condition, pc.status, to_char(pc.verified_at, 'YYYY-MM-DD')
            FROM parcel_conditions pc JOIN parcels p ON p.id = pc.parcel_id
            WHERE p.code = :code ORDER BY pc.condition"""
        ),
        {"code": code},
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
    return _collection(
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
        "zones": _collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.00005), 5, 0)::json,
                 'properties', json_build_object('code', code, 'name', name)) AS f
               FROM zones ORDER BY code""",
            {},
        ),
        "roads": _collection(
            session,
            """SELECT json_build_object('type', 'Feature', 'id', code,
                 'geometry', ST_AsGeoJSON(geom, 5, 0)::json,
                 'properties', json_build_object('code', code, 'name', name)) AS f
               FROM infrastructure WHERE kind = 'road' AND status = 'existing' ORDER BY code""",
            {},
        ),
    }


def _like(q: str) -> str:
    """A LIKE pattern for text anywhere in a value (``%`` and ``_`` taken literally)."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_parcels(
    session: Session, q: str, *, available_only: bool, limit: int = 20
) -> list[dict[str, Any]]:
    """Parcels whose code or name contains ``q`` (any case): code, name, bbox, a point inside.

    ``available_only``: the investor map's plots on offer, with their public geometry.
    """
    where = AVAILABLE_WHERE if available_only else "true"
    geom = PUBLIC_GEOM if available_only else "p.geom"
    rows = session.execute(
        text(
            f"""SELECT p.code, p.name, ST_XMin(g.g), ST_YMin(g.g), ST_XMax(g.g), ST_YMax(g.g),
                   ST_X(ST_PointOnSurface(g.g)), ST_Y(ST_PointOnSurface(g.g))
            FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {CONDS}
            CROSS JOIN LATERAL (SELECT {geom} AS g) g
            WHERE {where} AND (p.code ILIKE :q OR p.name ILIKE :q)
            ORDER BY (p.code ILIKE :start) DESC, p.code LIMIT :lim"""
        ),
        {"q": _like(q), "start": _like(q)[1:], "lim": limit},
    ).all()
    return [
        {
            "code": r[0],
            "name": r[1],
            "bbox": [round(float(v), 6) for v in r[2:6]],
            "point": [round(float(r[6]), 6), round(float(r[7]), 6)],
        }  # fmt: skip
        for r in rows
    ]


def search_projects(session: Session, q: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Located projects of the latest year whose code or name, or one of whose problems' codes,
    contains ``q``: code, name, the matching problem, a point."""
    rows = session.execute(
        text(
            """SELECT pr.code, pr.name, pb.code,
                   ST_X(ST_PointOnSurface(pr.geom)), ST_Y(ST_PointOnSurface(pr.geom))
            FROM projects pr
            LEFT JOIN LATERAL (SELECT x.code FROM problems x WHERE x.project_id = pr.id
                               AND x.code ILIKE :q ORDER BY x.code LIMIT 1) pb ON true
            WHERE pr.geom IS NOT NULL AND pr.year = (SELECT max(year) FROM projects)
              AND (pr.code ILIKE :q OR pr.name ILIKE :q OR pb.code IS NOT NULL)
            ORDER BY (pr.code ILIKE :start) DESC, pr.code LIMIT :lim"""
        ),
        {"q": _like(q), "start": _like(q)[1:], "lim": limit},
    ).all()
    return [
        {
            "code": r[0],
            "name": r[1],
            "problem": r[2],
            "point": [round(float(r[3]), 6), round(float(r[4]), 6)],
        }  # fmt: skip
        for r in rows
    ]


# ------------------------------------------------------------------ projects (officials)


def projects(
    session: Session, ids: list[int], *, as_of: date, rules: ProjectRules
) -> dict[str, Any]:
    """The chosen projects (``ids``, from ``projects.repository.project_ids``), located ones as
    point features, with progress, next milestone, open problems, 三个一批 rounds and the
    ledger's RAG with its reasons (``projects/rag.py``: the rule the API and stats use)."""
    sql = f"""SELECT json_build_object('type', 'Feature', 'id', pr.code,
          'geometry', ST_AsGeoJSON(ST_PointOnSurface(pr.geom), 6, 0)::json,
          'properties', json_build_object(
            'code', pr.code, 'name', pr.name, 'status', pr.status, 'domain', pr.domain,
            'leader', pr.leader, 'unit', pr.responsible_unit,
            'total_investment_wan', pr.total_investment_wan,
            'planned_investment_wan', pr.planned_investment_wan,
            'completed_wan', pr.completed_wan,
            'progress_pct', CASE WHEN pr.planned_investment_wan > 0
                THEN round(100 * pr.completed_wan / pr.planned_investment_wan, 1) END,
            'overdue', rg.overdue, 'rag', rg.rag, 'reasons', rg.reasons,
            'next_milestone', m.name, 'next_milestone_due', m.due_on,
            'open_problems', coalesce(pb.n, 0), 'problems', coalesce(pb.items, '[]'::json),
            'rounds', coalesce(rd.items, '[]'::json))) AS f
        FROM projects pr
        JOIN ({rag.SQL}) rg ON rg.project_id = pr.id
        LEFT JOIN LATERAL (SELECT name, due_on FROM milestones ms
            WHERE ms.project_id = pr.id AND ms.done_on IS NULL
            ORDER BY ms.due_on, ms.seq LIMIT 1) m ON true
        LEFT JOIN LATERAL (SELECT count(*) AS n,
            json_agg(json_build_object('code', x.code, 'description', x.description,
                     'deadline', x.deadline) ORDER BY x.deadline NULLS LAST) AS items
            FROM problems x WHERE x.project_id = pr.id AND x.status <> 'resolved') pb ON true
        LEFT JOIN LATERAL (SELECT json_agg(json_build_object('round', r.round_no, 'list', r.list,
                     'date', r.round_date) ORDER BY r.round_no, r.list) AS items
            FROM project_rounds r WHERE r.project_id = pr.id) rd ON true
        WHERE pr.geom IS NOT NULL AND pr.id = ANY(CAST(:ids AS bigint[])) ORDER BY pr.code"""
    return _collection(session, sql, {**rag.params(as_of, rules), "ids": list(ids)})


def project_choices(session: Session) -> dict[str, list[Any]]:
    """Leaders, units and rounds present in the latest ledger year (for the filter lists)."""
    rows = session.execute(
        text(
            """SELECT array_agg(DISTINCT leader) FILTER (WHERE leader IS NOT NULL),
                      array_agg(DISTINCT responsible_unit)
                        FILTER (WHERE responsible_unit IS NOT NULL)
               FROM projects WHERE year = (SELECT max(year) FROM projects)"""
        )
    ).one()
    rounds = session.execute(
        text("SELECT DISTINCT round_no FROM project_rounds ORDER BY 1")
    ).scalars()
    return {
        "leaders": sorted(rows[0] or []),
        "units": sorted(rows[1] or []),
        "rounds": list(rounds),
    }
