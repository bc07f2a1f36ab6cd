"""The maps' search boxes: parcels by code or name (the investor map's only among the plots on
offer, with their public shape) and located projects by code, name or problem code."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.maps.data.common import (
    CONDS,
    like,
)
from geo_service.maps.data.investors import AVAILABLE_WHERE, PUBLIC_GEOM, available_params
from geo_service.settings import ReadinessRules


def search_parcels(
    session: Session,
    q: str,
    *,
    available_only: bool,
    readiness: ReadinessRules,
    limit: int = 20,
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
            ORDER BY (p.code ILIKE :start) DESC, p.code LIMIT :lim"""  # noqa: S608 -- fixed fragments only; values bound
        ),
        {"q": like(q), "start": like(q)[1:], "lim": limit, **available_params(readiness)},
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
        {"q": like(q), "start": like(q)[1:], "lim": limit},
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
