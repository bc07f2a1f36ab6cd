"""Routes: Mapbox vector tiles of parcels and projects, built by PostGIS (ST_AsMVT).

Role-filtered like the API: the public gets published parcels with public fields only and
simplified geometry; the bureau and officials see every parcel with its readiness; project tiles
need an official or bureau token.
"""

# ruff: noqa: S608  -- only fixed SQL fragments from geo_service.maps.data are interpolated

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from sqlalchemy import text

from geo_service.api.deps import PrincipalDep, SessionDep, require
from geo_service.api.params import ConditionKey, ordered
from geo_service.errors import NotFound
from geo_service.maps import data

router = APIRouter(prefix="/tiles", tags=["tiles"])

MVT = "application/vnd.mapbox-vector-tile"
TILE: dict[int | str, dict[str, Any]] = {200: {"content": {MVT: {}}}}
Z = Annotated[int, Path(ge=0, le=24)]
XY = Annotated[int, Path(ge=0)]


def _check(z: int, x: int, y: int) -> dict[str, float]:
    """Validate the tile; its lon/lat bounds with a 2 % margin, for the GiST index filter.

    Computed here (inverse Web Mercator) so the query transforms no envelope.
    """
    n = 2**z
    if x >= n or y >= n:  # no such tile in the matrix (OGC API - Tiles: 404)
        raise NotFound(f"no tile {z}/{x}/{y}: x and y must be below 2^z = {n} at zoom {z}")
    m = 0.02

    def lat(t: float) -> float:
        t = min(max(t, 0.0), float(n))
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * t / n))))

    return {
        "w": max(-180.0, (x - m) / n * 360 - 180),
        "e": min(180.0, (x + 1 + m) / n * 360 - 180),
        "s": lat(y + 1 + m),
        "n": lat(y - m),
    }


def _envelope_sql(inner: str, layer: str) -> str:
    return f"""WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS e),
      q AS ({inner})
      SELECT ST_AsMVT(q, '{layer}', 4096, 'geom') FROM q WHERE q.geom IS NOT NULL"""


def _tile(body: bytes | None, *, public: bool) -> Response:
    return Response(
        bytes(body or b""),
        media_type=MVT,
        headers={"Cache-Control": "public, max-age=60" if public else "private, max-age=30"},
    )


@router.get(
    "/parcels/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses=TILE,
    dependencies=[require("parcels.read")],
)
def parcel_tile(
    z: Z,
    x: XY,
    y: XY,
    session: SessionDep,
    principal: PrincipalDep,
    available: Annotated[bool, Query(description="only plots on offer (the investor map)")] = False,
    zone: Annotated[str | None, Query(max_length=64)] = None,
    industry: Annotated[str | None, Query(max_length=100)] = None,
    min_area_mu: Annotated[float | None, Query(ge=0, le=1e7)] = None,
    max_area_mu: Annotated[float | None, Query(ge=0, le=1e7)] = None,
    status: Annotated[
        Literal["net_land", "not_net_land", "needs_record", "unknown"] | None, Query()
    ] = None,
    fails: Annotated[ConditionKey | None, Query()] = None,
) -> Response:
    """Parcels in one XYZ tile (layer ``parcels``), filtered by role and the map's filters.

    A tile outside the zoom level's matrix (x or y ≥ 2^z) is 404; an area range given the
    wrong way round is read as the range between the two values.
    """
    min_area_mu, max_area_mu = ordered(min_area_mu, max_area_mu)
    params: dict[str, object] = {"z": z, "x": x, "y": y, **_check(z, x, y)}
    investor = data.InvestorFilter(
        zone=zone, industry=industry, min_area_mu=min_area_mu, max_area_mu=max_area_mu
    )
    if principal.is_public:
        if available:
            where, p = data.investor_where(investor)
        else:
            where, p = "p.published", {}
            if zone is not None:
                where += " AND z.code = :zone"
                p["zone"] = zone
        geom = data.PUBLIC_GEOM
        props = f"""p.code, p.name, z.code AS zone, {data.AREA_MU} AS area_mu, p.land_use,
            p.industry, p.supply_stage, coalesce(c.met, 0) AS met"""
    else:
        if available:
            where, p = data.investor_where(investor)
        else:
            where, p = data.readiness_where(
                data.ReadinessFilter(zone=zone, status=status, fails=fails).validate()
            )
        geom = "p.geom"
        props = f"""p.code, p.name, z.code AS zone, {data.AREA_MU} AS area_mu, p.supply_stage,
            p.land_use, p.industry, coalesce(c.met, 0) AS met,
            coalesce(c.unmet, 0) AS unmet, coalesce(c.met, 0) || '/5' AS met_text,
            {data.CATEGORY} AS cat"""
    params.update(p)
    inner = f"""SELECT ST_AsMVTGeom(ST_Transform({geom}, 3857), env.e, 4096, 64, true) AS geom,
            {props}
        FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {data.CONDS}, env
        WHERE p.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4490) AND {where}"""
    body = session.execute(text(_envelope_sql(inner, "parcels")), params).scalar()
    return _tile(body, public=principal.is_public)


@router.get(
    "/projects/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses=TILE,
    dependencies=[require("maps.projects")],
)
def project_tile(z: Z, x: XY, y: XY, session: SessionDep) -> Response:
    """Located projects in one XYZ tile (layer ``projects``), for officials and the bureau."""
    bbox = _check(z, x, y)
    inner = """SELECT ST_AsMVTGeom(ST_Transform(ST_PointOnSurface(pr.geom), 3857), env.e,
                 4096, 64, true) AS geom,
               pr.code, pr.name, pr.status, pr.domain, pr.leader,
               pr.total_investment_wan::float8 AS total_investment_wan
        FROM projects pr, env
        WHERE pr.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4490)"""
    body = session.execute(
        text(_envelope_sql(inner, "projects")), {"z": z, "x": x, "y": y, **bbox}
    ).scalar()
    return _tile(body, public=False)
