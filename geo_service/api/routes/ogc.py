"""Routes: OGC API – Features (Parts 1–3) and OGC API – Tiles under /ogc, for GIS clients.

Thin: the collections, queries, CRS handling, CQL2 and the OpenAPI 3.0.3 document live in
``geo_service/ogc``. Each role sees the collections, fields and records it sees in /api/v1
(``auth.policy``); query parameters are parsed strictly (anything unknown or malformed is 400).
These routes are left out of /openapi.json: their own document is /ogc/api (OpenAPI 3.0.3).
The routes are split by job: this module the landing page, conformance, the API document and the
collections' metadata; ogc_items.py the features; ogc_tiles.py the tiles; ogc_common.py the router
and the helpers they share; ogc_writes.py the OGC API Part 4 writes.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from geo_service.api.deps import PrincipalDep, SessionDep, SettingsDep, open_route
from geo_service.api.routes.ogc_common import (
    CONFORMANCE,
    OGC_READ,
    CollectionCall,
    allowed_crs,
    json_response,
    link_header,
    no_params,
    request_base,
    router,
    visible_collections,
)
from geo_service.auth import policy
from geo_service.auth.tokens import Principal
from geo_service.ogc import crs as ogc_crs
from geo_service.ogc import features, openapi
from geo_service.ogc import tiles as ogc_tiles
from geo_service.ogc.collections import Collection, Field
from geo_service.ogc.links import (
    GEOJSON,
    HTML,
    JSON,
    OAS30,
    REL_QUERYABLES,
    REL_TILESETS_VECTOR,
    REL_TMS,
    SCHEMA_JSON,
    link,
)
from geo_service.settings import Settings


@router.get("", dependencies=[OGC_READ])
@router.get("/", dependencies=[OGC_READ])
def landing(request: Request, principal: PrincipalDep) -> JSONResponse:
    """The landing page: links to the API definition, conformance and the collections."""
    no_params(request)
    b = request_base(request)
    return json_response(
        {
            "title": "geo_service — 标准地与重点项目 OGC API",
            "description": "OGC API – Features and Tiles over the register of standard-land "
            "parcels, zones, networks, regional assessments, protected land and key projects.",
            "links": [
                link(b, "self", JSON, "this document"),
                link(f"{b}/api", "service-desc", OAS30, "the API definition (OpenAPI 3.0)"),
                link(f"{b}/api.html", "service-doc", HTML, "the API documentation"),
                link(f"{b}/conformance", "conformance", JSON, "conformance classes"),
                link(f"{b}/collections", "data", JSON, "the collections"),
                link(f"{b}/tileMatrixSets", REL_TMS, JSON, "tile matrix sets"),
            ],
        }
    )


@router.get("/conformance", dependencies=[OGC_READ])
def conformance(request: Request, principal: PrincipalDep) -> JSONResponse:
    """The conformance classes this service implements."""
    no_params(request)
    return json_response({"conformsTo": CONFORMANCE})


@router.get("/api", dependencies=[OGC_READ])
def api_document(request: Request, principal: PrincipalDep, settings: SettingsDep) -> JSONResponse:
    """The OpenAPI 3.0.3 document of /ogc, as the caller may use it."""
    no_params(request)
    visible = [(c, c.visible(principal, settings)) for c in visible_collections(principal)]
    writable = [
        c.id for c, _ in visible if c.write_action and policy.can(principal, c.write_action)
    ]
    doc = openapi.document(
        request_base(request),
        visible,
        default_limit=settings.default_page_size,
        max_limit=settings.max_page_size,
        writable=writable,
    )
    return json_response(doc, OAS30)


@router.get("/api.html", dependencies=[open_route()])
def api_html(request: Request) -> HTMLResponse:
    """Swagger UI over /ogc/api, with the service's own assets (intranets: no CDN)."""
    return get_swagger_ui_html(
        openapi_url=f"{request.scope.get('root_path', '')}/ogc/api",
        title="geo_service — OGC API",
        swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
    )


# ------------------------------------------------------------------ collections


def _describe(
    b: str,
    coll: Collection,
    session: Any,
    principal: Principal,
    settings: Settings,
) -> dict[str, Any]:
    fields = coll.visible(principal, settings)
    bbox, temporal = features.extent(
        session,
        coll,
        fields=fields,
        published_only=policy.published_only(principal),
        settings=settings,
    )
    crs = allowed_crs(session, coll, principal, settings)
    url = f"{b}/collections/{coll.id}"
    extent: dict[str, Any] = {
        "spatial": {"bbox": [bbox or [-180.0, -90.0, 180.0, 90.0]], "crs": ogc_crs.CRS84}
    }
    if temporal is not None:
        extent["temporal"] = {
            "interval": [temporal],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return {
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "keywords": list(coll.keywords),
        "itemType": "feature",
        "extent": extent,
        "crs": crs,
        "storageCrs": ogc_crs.EPSG_URI.format(4490),
        "links": [
            link(url, "self", JSON, coll.title),
            link(f"{url}/items", "items", GEOJSON, f"{coll.id} as GeoJSON"),
            link(f"{url}/items?f=json", "items", JSON, f"{coll.id} as JSON"),
            link(f"{url}/queryables", REL_QUERYABLES, SCHEMA_JSON, "queryables"),
            link(f"{url}/schema", "describedby", SCHEMA_JSON, "the feature schema"),
            link(f"{b}/collections", "collection", JSON, "all collections"),
            *(
                [link(f"{url}/tiles", REL_TILESETS_VECTOR, JSON, "vector tilesets")]
                if coll.id in ogc_tiles.TILED
                else []
            ),
        ],
    }


@router.get("/collections", dependencies=[OGC_READ])
def collections(
    request: Request, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> JSONResponse:
    """The collections the caller may read."""
    no_params(request)
    b = request_base(request)
    return json_response(
        {
            "links": [link(f"{b}/collections", "self", JSON, "the collections")],
            "collections": [
                _describe(b, c, session, principal, settings)
                for c in visible_collections(principal)
            ],
        }
    )


@router.get("/collections/{collectionId}", dependencies=[OGC_READ])
def collection(call: CollectionCall) -> JSONResponse:
    """One collection's metadata (the same values as in /collections)."""
    request, session, principal, settings, coll = call
    no_params(request)
    meta = _describe(request_base(request), coll, session, principal, settings)
    return json_response(meta, Link=link_header(meta["links"], (REL_QUERYABLES, "self", "items")))


def _schema(
    request: Request, coll: Collection, fields: tuple[Field, ...], *, queryable: bool, name: str
) -> JSONResponse:
    props: dict[str, Any] = {
        "geometry": {
            "title": "geometry",
            "format": f"geometry-{coll.geometry_type.lower()}",
            "x-ogc-role": "primary-geometry",
        }
    }
    for f in fields:
        if queryable and f.column is None:
            continue
        props[f.name] = f.schema()
    return json_response(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{request_base(request)}/collections/{coll.id}/{name}",
            "type": "object",
            "title": coll.title,
            "properties": props,
            "additionalProperties": not queryable,
        },
        SCHEMA_JSON,
    )


@router.get("/collections/{collectionId}/queryables", dependencies=[OGC_READ])
def queryables(call: CollectionCall) -> JSONResponse:
    """The fields the CALLER may filter on (JSON Schema): the public gets the public fields."""
    request, _, principal, settings, coll = call
    no_params(request)
    return _schema(
        request, coll, coll.visible(principal, settings), queryable=True, name="queryables"
    )


@router.get("/collections/{collectionId}/schema", dependencies=[OGC_READ])
def schema(call: CollectionCall) -> JSONResponse:
    """Every property a feature carries for the caller (JSON Schema)."""
    request, _, principal, settings, coll = call
    no_params(request)
    return _schema(request, coll, coll.visible(principal, settings), queryable=False, name="schema")


# ------------------------------------------------------------------ items


# the features and tiles routes join the same router, after these (the order they are listed)
from geo_service.api.routes import ogc_items as _items  # noqa: E402, F401
from geo_service.api.routes import ogc_tiles as _tiles  # noqa: E402, F401
