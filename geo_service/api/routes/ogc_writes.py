"""Routes: OGC API – Features Part 4 (create, replace, update, delete) on parcels and projects.

Every write goes through the service's own write paths — the /api/v1 request models (validation),
``parcels.edits`` / ``projects.edits`` (district boundary, lifecycle, audit, one transaction) and
the If-Match check (428 without, 412 when stale) — so /ogc cannot write what /api/v1 would refuse.
Roles come from the collection's policy action (``parcels.write``: bureau; ``projects.write``:
official). Left out of /openapi.json like the other /ogc routes; /ogc/api documents them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from geo_service.api.deps import IfMatch, PrincipalDep, SessionDep, SettingsDep, require_by
from geo_service.api.routes import parcels as parcel_routes
from geo_service.api.routes import projects as project_routes
from geo_service.api.routes.ogc_common import admit, collection_for, request_base
from geo_service.auth.tokens import Principal
from geo_service.errors import GeoServiceError, InvalidInput
from geo_service.ogc.collections import Collection
from geo_service.ogc.links import GEOJSON
from geo_service.parcels import edits as parcel_edits
from geo_service.projects.schemas import ProjectCreate, ProjectUpdate

router = APIRouter(prefix="/ogc", tags=["ogc"], include_in_schema=False)
#: who may write: the bureau parcels, officials projects (other collections are read only)
WRITE = require_by("collectionId", {"parcels": "parcels.write", "projects": "projects.write"})

FeatureBody = Annotated[dict[str, Any], Body()]

#: computed or bookkeeping properties a client sends back from a GET; never written
READ_ONLY = {
    "parcels": {"code", "county", "zone_name", "area_m2", "area_mu", "net_land", "needs_check"}
    | {"version"}
    | {"updated_at"},
    "projects": {"code", "county", "total_investment_yi", "overdue", "rag", "reasons", "version"},
}
#: what a PUT (replace) of a parcel resets when the body leaves it out
PARCEL_DEFAULTS: dict[str, Any] = {
    "zone": None,
    "published": False,
    "supply_stage": "plan",
    "land_use": "industrial",
    "industry": None,
    "indicators": [],
    "contact": None,
    "notes": None,
}


class MethodNotAllowed(GeoServiceError):
    status = 405
    title = "Method not allowed"


def _writable(
    collectionId: str,  # noqa: N803
    request: Request,
    principal: PrincipalDep,
) -> Collection:
    """The collection, once the caller may write it (a dependency: checked before the body)."""
    coll = collection_for(collectionId, principal)
    if coll.write_action is None:
        raise MethodNotAllowed(
            f"collection {coll.id!r} is read-only here; parcels and projects take {request.method}"
        )
    admit(principal, coll.write_action)
    return coll


WritableDep = Annotated[Collection, Depends(_writable)]


def _model(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """The /api/v1 request model of the body; InvalidInput naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in e.errors()
        )
        raise InvalidInput(f"the feature is not valid: {detail}") from None


def _parts(coll: Collection, body: dict[str, Any], *, code: str | None) -> dict[str, Any]:
    """A Feature's properties (read-only ones dropped) plus its geometry when it has one."""
    props = body.get("properties")
    if body.get("type") not in (None, "Feature") or not isinstance(props, dict | None):
        raise InvalidInput("send a GeoJSON Feature: {type: Feature, geometry, properties}")
    props = dict(props or {})
    sent = props.get("code", body.get("id"))
    if code is not None and sent is not None and sent != code:
        raise InvalidInput(f"the feature's code {sent!r} differs from the URL's {code!r}")
    out = {k: v for k, v in props.items() if k not in READ_ONLY[coll.id]}
    if "geometry" in body:
        out["geometry"] = body["geometry"]
    return out


def _etag_of(r: Response) -> str:
    return r.headers.get("etag") or ""


def _answer(request: Request, coll: Collection, r: JSONResponse, status: int) -> Response:
    code = _code_of(r)
    url = f"{request_base(request)}/collections/{coll.id}/items/{code}"
    headers = {"Location": url} if status == 201 else {}
    etag = _etag_of(r)
    if etag:
        headers["ETag"] = etag
    return Response(r.body, status_code=status, media_type=GEOJSON, headers=headers)


def _code_of(r: JSONResponse) -> str:
    import json

    return str(json.loads(bytes(r.body))["id"])


@router.post("/collections/{collectionId}/items", status_code=201, dependencies=[WRITE])
def create_item(
    coll: WritableDep,
    body: FeatureBody,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> Response:
    """Add a feature (201 with Location and ETag)."""
    if coll.id == "parcels":
        new = _model(parcel_routes.NewParcel, body)
        r = parcel_routes.create_parcel(new, session, settings, principal)
    else:
        values = _parts(coll, body, code=None) | {"code": body.get("properties", {}).get("code")}
        created = _model(ProjectCreate, values)
        r = project_routes.create_project(created, session, settings, principal)
    return _answer(request, coll, r, 201)


def _parcel_update(
    request: Request,
    code: str,
    changes: dict[str, Any],
    session: Any,
    settings: Any,
    principal: Principal,
) -> JSONResponse:
    patch = _model(parcel_routes.ParcelPatch, changes)
    if_match = IfMatch(request.headers.get("if-match"))
    r: JSONResponse = parcel_routes.update_parcel(
        code, patch, if_match, session, settings, principal
    )
    return r


@router.put("/collections/{collectionId}/items/{featureId}", dependencies=[WRITE])
def replace_item(
    coll: WritableDep,
    featureId: str,  # noqa: N803
    body: FeatureBody,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> Response:
    """Replace a parcel (If-Match required): properties left out take their defaults."""
    if coll.id != "parcels":
        raise MethodNotAllowed(
            "projects cannot be replaced whole (their lifecycle moves step by step); PATCH "
            "the fields that change"
        )
    parts = _parts(coll, body, code=featureId)
    if "geometry" not in parts or "name" not in parts:
        raise InvalidInput("a replacement needs the geometry and properties.name")
    changes = {**PARCEL_DEFAULTS, **parts}
    r = _parcel_update(request, featureId, changes, session, settings, principal)
    return _answer(request, coll, r, 200)


@router.patch("/collections/{collectionId}/items/{featureId}", dependencies=[WRITE])
def update_item(
    coll: WritableDep,
    featureId: str,  # noqa: N803
    body: FeatureBody,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> Response:
    """Change the properties sent (JSON merge patch of the Feature; If-Match required)."""
    changes = _parts(coll, body, code=featureId)
    if coll.id == "parcels":
        r = _parcel_update(request, featureId, changes, session, settings, principal)
    else:
        update = _model(ProjectUpdate, changes)
        if_match = IfMatch(request.headers.get("if-match"))
        r = project_routes.update_project(featureId, update, session, settings, principal, if_match)
    return _answer(request, coll, r, 200)


@router.delete(
    "/collections/{collectionId}/items/{featureId}", status_code=204, dependencies=[WRITE]
)
def delete_item(
    coll: WritableDep,
    featureId: str,  # noqa: N803
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
) -> Response:
    """Delete an unpublished parcel still at the plan stage (If-Match required); audited."""
    if coll.id != "parcels":
        raise MethodNotAllowed("projects are not deleted; set their status instead")
    if_match = IfMatch(request.headers.get("if-match"))
    if_match.check(parcel_edits.lock_parcel(session, featureId))
    parcel_edits.delete_parcel(session, code=featureId, actor=principal.actor)
    return Response(status_code=204)
