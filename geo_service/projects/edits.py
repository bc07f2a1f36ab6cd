"""Creating and editing projects, their rounds, funding, investment reports and milestones.

Keyword-only functions on the caller's Session (one transaction per request); every change is
audited. Status changes go through :mod:`geo_service.projects.lifecycle`.
The progress records (funding, rounds, reports, milestones) are in ``progress.py``, re-exported
here; fetching and snapshots in ``current.py``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo_service import audit
from geo_service.errors import InvalidGeometry, InvalidInput, check_version
from geo_service.parcels.models import Parcel
from geo_service.projects import lifecycle
from geo_service.projects.current import SNAPSHOT_FIELDS, get_by_code, json_value, snapshot
from geo_service.projects.models import (
    Project,
)
from geo_service.projects.progress import (
    add_round,
    funding,
    mark_milestone,
    milestones,
    plan_milestones,
    progress,
    put_investment_report,
    replace_funding,
    rounds,
)
from geo_service.projects.schemas import (
    ProjectCreate,
    ProjectUpdate,
)

__all__ = [
    "SNAPSHOT_FIELDS",
    "add_round",
    "create_project",
    "funding",
    "get_by_code",
    "json_value",
    "mark_milestone",
    "milestones",
    "plan_milestones",
    "progress",
    "put_investment_report",
    "replace_funding",
    "rounds",
    "snapshot",
    "update_project",
]


def _geometry(geojson: dict[str, Any]) -> Any:
    try:
        g = shape(geojson)
    except Exception:  # noqa: BLE001 -- shapely raises many types for bad GeoJSON
        raise InvalidGeometry(
            "geometry is not valid GeoJSON; send a Point or Polygon with lon/lat coordinates"
        ) from None
    if g.geom_type not in ("Point", "Polygon", "MultiPolygon", "LineString", "MultiLineString"):
        raise InvalidGeometry(f"geometry type {g.geom_type} is not accepted; send a Point/Polygon")
    if g.is_empty or not g.is_valid:
        raise InvalidGeometry(
            f"geometry is invalid ({shapely.is_valid_reason(g)}); fix the ring and send it again"
        )
    minx, miny, maxx, maxy = g.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidGeometry(
            "geometry coordinates are not lon/lat degrees; send EPSG:4490 longitude, latitude"
        )
    return func.ST_SetSRID(func.ST_GeomFromWKB(g.wkb), 4490)


def _parcel_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    pid = session.execute(select(Parcel.id).where(Parcel.code == code)).scalar()
    if pid is None:
        raise InvalidInput(f"parcel: no parcel with code {code!r}; check GET /api/v1/parcels")
    return int(pid)


def _check_money(values: dict[str, Any]) -> None:
    total, planned = values.get("total_investment_wan"), values.get("planned_investment_wan")
    if total is not None and planned is not None and planned > total:
        raise InvalidInput(
            f"planned_investment_wan ({planned}) exceeds total_investment_wan ({total}); "
            "this year's plan is part of the total"
        )


def create_project(session: Session, *, body: ProjectCreate, actor: str) -> Project:
    data = body.model_dump(exclude={"parcel", "geometry"}, exclude_none=True)
    if session.execute(select(Project.id).where(Project.code == body.code)).first():
        raise InvalidInput(
            f"a project with code {body.code!r} exists; PATCH /api/v1/projects/{body.code} "
            "to change it"
        )
    data.setdefault("status", "planned")
    lifecycle.check_transition(None, data)
    _check_money(data)
    p = Project(**data)
    p.parcel_id = _parcel_id(session, body.parcel)
    if body.geometry is not None:
        p.geom = _geometry(body.geometry)
    session.add(p)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="project.create",
        entity_type="project",
        entity_code=p.code,
        after=snapshot(p),
    )
    return p


def update_project(
    session: Session, *, code: str, body: ProjectUpdate, actor: str, if_match: Collection[int]
) -> Project:
    """Change the fields sent, if the project is still at a version the caller read."""
    p = get_by_code(session, code, for_update=True)
    check_version(p.version, if_match, what=f"project {code}")
    changes = body.model_dump(exclude_unset=True, exclude={"parcel", "geometry"})
    for required in ("name", "year", "domain", "total_investment_wan", "status"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be cleared; send a value")
    before = snapshot(p)
    after = {f: getattr(p, f) for f in SNAPSHOT_FIELDS} | changes
    lifecycle.check_transition(p.status, after)
    _check_money(after)
    for k, v in changes.items():
        setattr(p, k, v)
    if "parcel" in body.model_fields_set:
        p.parcel_id = _parcel_id(session, body.parcel)
    if "geometry" in body.model_fields_set:
        p.geom = None if body.geometry is None else _geometry(body.geometry)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="project.update",
        entity_type="project",
        entity_code=code,
        before=before,
        after=snapshot(p),
    )
    return p
