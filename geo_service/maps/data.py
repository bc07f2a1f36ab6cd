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
from geo_service.projects.models import DOMAINS, Project
from geo_service.projects.models import STATUSES as PROJECT_STATUSES
from geo_service.settings import CONDITIONS

MU = "(10000.0 / 15)"
#: ~1 m in degrees: public geometry is simplified and snapped to this grid in PostGIS
PUBLIC_GRID_DEG = 0.00001
READINESS_STATUSES = ("net_land", "not_net_land", "unknown")
AVAILABLE_STAGES = ("plan", "notice", "sale")

_CONDS = """LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE pc.status = 'met') AS met,
           count(*) FILTER (WHERE pc.status = 'unmet') AS unmet,
           count(*) AS checked,
           json_object_agg(pc.condition, json_build_object(
               'status', pc.status, 'method', pc.method, 'evidence', pc.evidence,
               'verified_at', to_char(pc.verified_at, 'YYYY-MM-DD'))) AS conds,
           array_agg(pc.condition) FILTER (WHERE pc.status = 'unmet') AS fails
    FROM parcel_conditions pc WHERE pc.parcel_id = p.id) c ON true"""


def _collection(session: Session, sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run a SELECT of one json Feature per row (column ``f``) and fold it into a collection."""
    agg = f"SELECT coalesce(json_agg(q.f), '[]'::json)::text FROM ({sql}) q"
    features = json.loads(session.execute(text(agg), params).scalar_one())
    return {"type": "FeatureCollection", "features": features}


def _count(session: Session, sql: str, params: dict[str, Any]) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM ({sql}) q"), params).scalar_one())


# ------------------------------------------------------------------ readiness (land bureau)


@dataclass(frozen=True)
class ReadinessFilter:
    zone: str | None = None
    status: str | None = None
    fails: str | None = None

    def validate(self) -> ReadinessFilter:
        if self.status is not None and self.status not in READINESS_STATUSES:
            raise InvalidInput(
                f"status must be one of {', '.join(READINESS_STATUSES)}; got {self.status!r}"
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
        conds.append("coalesce(c.met, 0) = 5")
    elif f.status == "not_net_land":
        conds.append("coalesce(c.met, 0) < 5")
    elif f.status == "unknown":
        conds.append("coalesce(c.met, 0) = 0 AND coalesce(c.unmet, 0) = 0")
    if f.fails is not None:
        conds.append(":fails = ANY(c.fails)")
        params["fails"] = f.fails
    return " AND ".join(conds), params


def _readiness_sql(where: str) -> str:
    return f"""SELECT json_build_object('type', 'Feature', 'id', p.code,
          'geometry', ST_AsGeoJSON(p.geom, 6, 0)::json,
          'properties', json_build_object(
            'code', p.code, 'name', p.name, 'zone', z.code, 'zone_name', z.name,
            'area_mu', round((p.area_m2 / {MU})::numeric, 2), 'supply_stage', p.supply_stage,
            'published', p.published, 'met', coalesce(c.met, 0),
            'unmet', coalesce(c.unmet, 0), 'checked', coalesce(c.checked, 0),
            'fails', coalesce(to_json(c.fails), '[]'::json),
            'conditions', coalesce(c.conds, '{{}}'::json))) AS f
        FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {_CONDS}
        WHERE {where} ORDER BY p.code"""


def count_readiness_parcels(session: Session, f: ReadinessFilter) -> int:
    where, params = readiness_where(f.validate())
    return _count(
        session,
        f"SELECT 1 FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {_CONDS} WHERE {where}",
        params,
    )


def readiness_parcels(session: Session, f: ReadinessFilter) -> dict[str, Any]:
    where, params = readiness_where(f.validate())
    return _collection(session, _readiness_sql(where), params)


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
AVAILABLE_WHERE = (
    "p.published AND p.supply_stage IN ('plan', 'notice', 'sale') AND coalesce(c.met, 0) = 5"
)
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


#: a plot's area in 亩 as shown to people (2 decimals); the fit check compares this value
AREA_MU = f"round((p.area_m2 / {MU})::numeric, 2)"


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
        FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {_CONDS}
        WHERE {where} ORDER BY p.code"""


@dataclass(frozen=True)
class FitQuery:
    """An investor's project: investment (万元), land needed (亩), expected tax (万元/亩/年)."""

    investment_wan: float
    area_mu: float
    tax_per_mu: float


_NUMBER = r"'^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'"


def fit_sql(q: FitQuery, fit_def: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """THE fit rule, as one SQL boolean over ``p``; the embedded and the tile mode both use it.

    A plot fits when its area (亩, 2 decimals) is within ±``area_tolerance_pct`` of the area
    needed, the investment per 亩 of the plot is at least each investment-intensity minimum and
    the expected tax per 亩 at least each tax minimum (indicator keys from ``fit_def``; an
    indicator without a numeric ``min`` sets no bound).
    """
    area = f"CAST({AREA_MU} AS float8)"
    sql = f"""({area} > 0
        AND {area} BETWEEN CAST(:fit_area AS float8) * (1 - CAST(:fit_tol AS float8))
                       AND CAST(:fit_area AS float8) * (1 + CAST(:fit_tol AS float8))
        AND NOT EXISTS (
          SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.indicators) = 'array'
                                             THEN p.indicators ELSE '[]'::jsonb END) ind
          CROSS JOIN LATERAL (SELECT CASE WHEN ind->>'min' ~ {_NUMBER}
                                     THEN CAST(ind->>'min' AS float8) END AS lo) b
          WHERE (ind->>'key' = ANY(CAST(:fit_intensity_keys AS text[]))
                 AND CAST(:fit_investment AS float8) / NULLIF({area}, 0) < b.lo)
             OR (ind->>'key' = ANY(CAST(:fit_tax_keys AS text[]))
                 AND CAST(:fit_tax AS float8) < b.lo)))"""
    params = {
        "fit_area": float(q.area_mu),
        "fit_tol": float(fit_def.get("area_tolerance_pct", 10)) / 100,
        "fit_investment": float(q.investment_wan),
        "fit_tax": float(q.tax_per_mu),
        "fit_intensity_keys": [str(k) for k in fit_def.get("investment_intensity_keys", [])],
        "fit_tax_keys": [str(k) for k in fit_def.get("tax_keys", [])],
    }
    return sql, params


def count_investor_parcels(session: Session, f: InvestorFilter) -> int:
    where, params = investor_where(f.validate())
    return _count(
        session,
        f"SELECT 1 FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {_CONDS} WHERE {where}",
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
        extra = f", 'fit', {rule}"
        params.update(fit_params)
    return _collection(session, _investor_sql(where, extra), params)


def fitting_plots(
    session: Session, f: InvestorFilter, fit: FitQuery, fit_def: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Code, name and area of the available plots that fit (tile mode: no geometry, one query)."""
    where, params = investor_where(f.validate())
    rule, fit_params = fit_sql(fit, fit_def)
    params.update(fit_params)
    rows = session.execute(
        text(
            f"""SELECT p.code, p.name, {AREA_MU} AS area_mu
            FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {_CONDS}
            WHERE {where} AND {rule} ORDER BY p.code"""
        ),
        params,
    ).all()
    return [{"code": r[0], "name": r[1], "area_mu": r[2]} for r in rows]


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
            FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {_CONDS}
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
            FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {_CONDS}
            WHERE {AVAILABLE_WHERE}"""
        )
    ).all()
    zones = sorted({(r[0], r[1] or r[0]) for r in rows if r[0]})
    industries = sorted({(r[2], r[2]) for r in rows if r[2]})
    return {"zones": zones, "industries": industries}


def plot_sheet(session: Session, code: str) -> dict[str, Any] | None:
    """One available plot with its covering assessments and condition statuses (public)."""
    where, params = investor_where(InvestorFilter())
    params["code"] = code
    fc = _collection(session, _investor_sql(f"{where} AND p.code = :code"), params)
    if not fc["features"]:
        return None
    feature = fc["features"][0]
    assessments = session.execute(
        text(
            """SELECT a.kind, a.name, a.valid_until FROM assessment_areas a, parcels p
            WHERE p.code = :code AND ST_Covers(a.geom, p.geom)
              AND (a.valid_until IS NULL OR a.valid_until >= current_date)
              AND (a.valid_from IS NULL OR a.valid_from <= current_date)
            ORDER BY a.kind"""
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
    return {
        "feature": feature,
        "assessments": [
            {"kind": k, "name": n, "valid_until": v.isoformat() if v else None}
            for k, n, v in assessments
        ],
        "conditions": [{"condition": c, "status": s, "verified_at": v} for c, s, v in conditions],
    }


# ------------------------------------------------------------------ projects (officials)


@dataclass(frozen=True)
class ProjectMapFilter:
    status: str | None = None
    domain: str | None = None
    leader: str | None = None
    unit: str | None = None
    round: int | None = None
    rag: str | None = None
    year: int | None = None

    def validate(self) -> ProjectMapFilter:
        if self.status is not None and self.status not in PROJECT_STATUSES:
            raise InvalidInput(
                f"status must be one of {', '.join(PROJECT_STATUSES)}; got {self.status!r}"
            )
        if self.domain is not None and self.domain not in DOMAINS:
            raise InvalidInput(f"domain must be one of {', '.join(DOMAINS)}; got {self.domain!r}")
        if self.rag is not None and self.rag not in ("red", "yellow", "green"):
            raise InvalidInput(f"rag must be red, yellow or green; got {self.rag!r}")
        return self


_DERIVED_RAG = "CASE WHEN o.overdue THEN 'red' WHEN o.slow THEN 'yellow' ELSE 'green' END"


def _rag_sql() -> str:
    """The ledger's RAG column when it exists, else red = overdue, yellow = slow, green."""
    if "rag" in Project.__table__.c:
        return f"coalesce(pr.rag, {_DERIVED_RAG})"
    return _DERIVED_RAG


def projects(
    session: Session, f: ProjectMapFilter, *, as_of: date, slow_gap_pct: float
) -> dict[str, Any]:
    """Located projects as point features with progress, milestone, problems and RAG."""
    f = f.validate()
    conds, params = ["pr.geom IS NOT NULL"], {"as_of": as_of, "gap": slow_gap_pct / 100}
    for col, key in (
        ("pr.status", "status"),
        ("pr.domain", "domain"),
        ("pr.leader", "leader"),
        ("pr.responsible_unit", "unit"),
        ("pr.year", "year"),
    ):
        value = getattr(f, key)
        if value is not None:
            conds.append(f"{col} = :{key}")
            params[key] = value
    if f.year is None:
        conds.append("pr.year = (SELECT max(year) FROM projects)")
    if f.round is not None:
        conds.append(
            "EXISTS (SELECT 1 FROM project_rounds r WHERE r.project_id = pr.id "
            "AND r.round_no = :round)"
        )
        params["round"] = f.round
    rag = _rag_sql()
    if f.rag is not None:
        conds.append(f"{rag} = :rag")
        params["rag"] = f.rag
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
            'overdue', o.overdue, 'slow', o.slow, 'rag', {rag},
            'next_milestone', m.name, 'next_milestone_due', m.due_on,
            'open_problems', coalesce(pb.n, 0), 'problems', coalesce(pb.items, '[]'::json),
            'rounds', coalesce(rd.nos, '[]'::json))) AS f
        FROM projects pr
        CROSS JOIN LATERAL (SELECT
            (pr.planned_start < :as_of AND pr.actual_start IS NULL)
            OR (pr.planned_completion < :as_of AND pr.actual_completion IS NULL)
            OR EXISTS (SELECT 1 FROM problems x WHERE x.project_id = pr.id
                       AND x.status <> 'resolved' AND x.deadline < :as_of) AS overdue,
            (pr.planned_investment_wan > 0 AND pr.completed_wan / pr.planned_investment_wan
               < extract(doy FROM CAST(:as_of AS date)) / 365.0 - :gap) AS slow) o
        LEFT JOIN LATERAL (SELECT name, due_on FROM milestones ms
            WHERE ms.project_id = pr.id AND ms.done_on IS NULL
            ORDER BY ms.due_on, ms.seq LIMIT 1) m ON true
        LEFT JOIN LATERAL (SELECT count(*) AS n,
            json_agg(json_build_object('description', x.description, 'deadline', x.deadline)
                     ORDER BY x.deadline NULLS LAST) AS items
            FROM problems x WHERE x.project_id = pr.id AND x.status <> 'resolved') pb ON true
        LEFT JOIN LATERAL (SELECT json_agg(DISTINCT r.round_no) AS nos FROM project_rounds r
            WHERE r.project_id = pr.id) rd ON true
        WHERE {" AND ".join(conds)} ORDER BY pr.code"""
    return _collection(session, sql, params)


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
