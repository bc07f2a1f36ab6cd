"""The OGC API routes' shared parts: the one ``/ogc`` router (ogc.py, ogc_items.py and
ogc_tiles.py add their routes to it), the conformance list, and the helpers every OGC route uses:
the request's base URL, who may read a collection (``admit``, from ``auth.policy``), strict query
parameters, the CRS a caller may ask for and the collection's visible records."""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Depends, Request
from fastapi import Path as FPath
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from geo_service.api.deps import PrincipalDep, SessionDep, SettingsDep, require
from geo_service.auth import policy
from geo_service.auth.tokens import Principal
from geo_service.errors import Forbidden, NotFound, Unauthorized
from geo_service.ogc import crs as ogc_crs
from geo_service.ogc import features, params
from geo_service.ogc.collections import COLLECTIONS, Collection
from geo_service.ogc.crs import BadParameter
from geo_service.ogc.links import (
    GEOJSON,
    JSON,
    REL_QUERYABLES,
    base_url,
)
from geo_service.settings import Settings

router = APIRouter(prefix="/ogc", tags=["ogc"], include_in_schema=False)
OGC_READ = require("ogc.read")

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-common-5/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-common-5/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-common-5/1.0/conf/optimistic-locking-etags",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]


class GeoJSON(JSONResponse):
    media_type = GEOJSON


def request_base(request: Request) -> str:
    return base_url(
        scheme=request.url.scheme,
        host=request.headers.get("host") or request.url.netloc,
        root_path=request.scope.get("root_path", ""),
        headers=request.headers,
    )


def json_response(body: dict[str, Any], media: str = JSON, **headers: str) -> JSONResponse:
    return JSONResponse(body, media_type=media, headers=headers or None)


def admit(principal: Principal, action: str) -> None:
    roles = policy.roles_for(action)
    if principal.role is None:
        raise Unauthorized(
            f"this collection needs a bearer token of role {' or '.join(sorted(roles))}: send "
            "'Authorization: Bearer <token>'"
        )
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role!r} may not read this collection")


def collection_for(cid: str, principal: Principal) -> Collection:
    coll = COLLECTIONS.get(cid)
    if coll is None:
        raise NotFound(
            f"no collection {cid[:64]!r}; the collections are listed at /ogc/collections"
        )
    if coll.read_action is not None:
        admit(principal, coll.read_action)
    return coll


def visible_collections(principal: Principal) -> list[Collection]:
    return [c for c in COLLECTIONS.values() if c.may_read(principal)]


def no_params(request: Request, allowed: frozenset[str] = frozenset({"f"})) -> None:
    params.check_known(query_of(request), allowed)
    f = params.single(query_of(request), "f")
    if f is not None and f != "json":
        raise BadParameter(f"f must be json here; got {f[:20]!r}")


def query_of(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        out.setdefault(k, []).append(v)
    return out


# ------------------------------------------------------------------ landing, conformance, api


def media_of(q: dict[str, list[str]]) -> str:
    f = params.single(q, "f")
    if f not in (None, "json", "geojson"):
        raise BadParameter(f"f must be geojson or json; got {f[:20]!r}")
    return JSON if f == "json" else GEOJSON


def output_crs(q: dict[str, list[str]], allowed: list[str]) -> ogc_crs.ServedCrs:
    return ogc_crs.pick(params.single(q, "crs"), allowed, param="crs")


def allowed_crs(
    session: Any, coll: Collection, principal: Principal, settings: Settings
) -> list[str]:
    return ogc_crs.crs_list(features.center_lon(visible_where(session, coll, principal, settings)))


def visible_where(session: Any, coll: Collection, principal: Principal, settings: Settings) -> Any:
    return features.service_bbox(
        session, coll, published_only=policy.published_only(principal), settings=settings
    )


def link_header(links: list[dict[str, Any]], rels: tuple[str, ...] | None = None) -> str:
    """Links as an HTTP Link header too (OGC /rec/core/link-header)."""
    rels = rels or ("self", "alternate", "next", "prev", REL_QUERYABLES)
    return ", ".join(
        f'<{lk["href"]}>; rel="{lk["rel"]}"; type="{lk["type"]}"'
        for lk in links
        if lk["rel"] in rels
    )


class OgcCall(NamedTuple):
    """One call of a route under ``/collections/{collectionId}``: the request, its session, the
    caller, the settings and the collection, already checked (404 for an unknown id, 401/403
    when the caller may not read it). Routes unpack it: ``request, session, … , coll = call``."""

    request: Request
    session: Session
    principal: Principal
    settings: Settings
    coll: Collection


def collection_call(
    collectionId: Annotated[str, FPath(description="the collection, e.g. parcels")],  # noqa: N803
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> OgcCall:
    return OgcCall(request, session, principal, settings, collection_for(collectionId, principal))


CollectionCall = Annotated[OgcCall, Depends(collection_call)]
