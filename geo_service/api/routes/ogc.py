"""Routes: OGC API – Features (Parts 1–3) and OGC API – Tiles under /ogc, for GIS clients.

Thin: the collections, queries, CRS handling, CQL2 and the OpenAPI 3.0.3 document live in
``geo_service/ogc``. Each role sees the collections, fields and records it sees in /api/v1
(``auth.policy``); query parameters are parsed strictly (anything unknown or malformed is 400).
These routes are left out of /openapi.json: their own document is /ogc/api (OpenAPI 3.0.3).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response

from geo_service.api.deps import PrincipalDep, SessionDep, SettingsDep, open_route, require
from geo_service.api.routes import tiles as mvt
from geo_service.auth import policy
from geo_service.auth.tokens import Principal
from geo_service.errors import Forbidden, NotFound, Unauthorized
from geo_service.ogc import cql, features, openapi, params
from geo_service.ogc import crs as ogc_crs
from geo_service.ogc import tiles as ogc_tiles
from geo_service.ogc.collections import COLLECTIONS, Collection, Field
from geo_service.ogc.crs import BadParameter
from geo_service.ogc.links import (
    GEOJSON,
    HTML,
    JSON,
    MVT,
    OAS30,
    REL_QUERYABLES,
    REL_TILESETS_VECTOR,
    REL_TILING_SCHEME,
    REL_TMS,
    SCHEMA_JSON,
    base_url,
    link,
    with_query,
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


def _base(request: Request) -> str:
    return base_url(
        scheme=request.url.scheme,
        host=request.headers.get("host") or request.url.netloc,
        root_path=request.scope.get("root_path", ""),
        headers=request.headers,
    )


def _json(body: dict[str, Any], media: str = JSON, **headers: str) -> JSONResponse:
    return JSONResponse(body, media_type=media, headers=headers or None)


def _admit(principal: Principal, action: str) -> None:
    roles = policy.roles_for(action)
    if principal.role is None:
        raise Unauthorized(
            f"this collection needs a bearer token of role {' or '.join(sorted(roles))}: send "
            "'Authorization: Bearer <token>'"
        )
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role!r} may not read this collection")


def _collection(cid: str, principal: Principal) -> Collection:
    coll = COLLECTIONS.get(cid)
    if coll is None:
        raise NotFound(
            f"no collection {cid[:64]!r}; the collections are listed at /ogc/collections"
        )
    if coll.read_action is not None:
        _admit(principal, coll.read_action)
    return coll


def _visible(principal: Principal) -> list[Collection]:
    return [c for c in COLLECTIONS.values() if c.may_read(principal)]


def _no_params(request: Request, allowed: frozenset[str] = frozenset({"f"})) -> None:
    params.check_known(_query(request), allowed)
    f = params.single(_query(request), "f")
    if f is not None and f != "json":
        raise BadParameter(f"f must be json here; got {f[:20]!r}")


def _query(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        out.setdefault(k, []).append(v)
    return out


# ------------------------------------------------------------------ landing, conformance, api


@router.get("", dependencies=[OGC_READ])
@router.get("/", dependencies=[OGC_READ])
def landing(request: Request, principal: PrincipalDep) -> JSONResponse:
    """The landing page: links to the API definition, conformance and the collections."""
    _no_params(request)
    b = _base(request)
    return _json(
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
    _no_params(request)
    return _json({"conformsTo": CONFORMANCE})


@router.get("/api", dependencies=[OGC_READ])
def api_document(request: Request, principal: PrincipalDep, settings: SettingsDep) -> JSONResponse:
    """The OpenAPI 3.0.3 document of /ogc, as the caller may use it."""
    _no_params(request)
    visible = [(c, c.visible(principal, settings)) for c in _visible(principal)]
    writable = [
        c.id for c, _ in visible if c.write_action and policy.can(principal, c.write_action)
    ]
    doc = openapi.document(
        _base(request),
        visible,
        default_limit=settings.default_page_size,
        max_limit=settings.max_page_size,
        writable=writable,
    )
    return _json(doc, OAS30)


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
    crs = _allowed_crs(session, coll, principal, settings)
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
    _no_params(request)
    b = _base(request)
    return _json(
        {
            "links": [link(f"{b}/collections", "self", JSON, "the collections")],
            "collections": [
                _describe(b, c, session, principal, settings) for c in _visible(principal)
            ],
        }
    )


@router.get("/collections/{collectionId}", dependencies=[OGC_READ])
def collection(
    collectionId: str,  # noqa: N803 -- the OGC name, shown in the route
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> JSONResponse:
    """One collection's metadata (the same values as in /collections)."""
    coll = _collection(collectionId, principal)
    _no_params(request)
    meta = _describe(_base(request), coll, session, principal, settings)
    return _json(meta, Link=_link_header(meta["links"], (REL_QUERYABLES, "self", "items")))


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
    return _json(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{_base(request)}/collections/{coll.id}/{name}",
            "type": "object",
            "title": coll.title,
            "properties": props,
            "additionalProperties": not queryable,
        },
        SCHEMA_JSON,
    )


@router.get("/collections/{collectionId}/queryables", dependencies=[OGC_READ])
def queryables(
    collectionId: str,  # noqa: N803
    request: Request,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> JSONResponse:
    """The fields the CALLER may filter on (JSON Schema): the public gets the public fields."""
    coll = _collection(collectionId, principal)
    _no_params(request)
    return _schema(
        request, coll, coll.visible(principal, settings), queryable=True, name="queryables"
    )


@router.get("/collections/{collectionId}/schema", dependencies=[OGC_READ])
def schema(
    collectionId: str,  # noqa: N803
    request: Request,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Every property a feature carries for the caller (JSON Schema)."""
    coll = _collection(collectionId, principal)
    _no_params(request)
    return _schema(request, coll, coll.visible(principal, settings), queryable=False, name="schema")


# ------------------------------------------------------------------ items


def _format(q: dict[str, list[str]]) -> str:
    f = params.single(q, "f")
    if f not in (None, "json", "geojson"):
        raise BadParameter(f"f must be geojson or json; got {f[:20]!r}")
    return JSON if f == "json" else GEOJSON


def _out_crs(q: dict[str, list[str]], allowed: list[str]) -> ogc_crs.ServedCrs:
    return ogc_crs.pick(params.single(q, "crs"), allowed, param="crs")


def _allowed_crs(
    session: Any, coll: Collection, principal: Principal, settings: Settings
) -> list[str]:
    return ogc_crs.crs_list(features.center_lon(_where(session, coll, principal, settings)))


def _where(session: Any, coll: Collection, principal: Principal, settings: Settings) -> Any:
    return features.service_bbox(
        session, coll, published_only=policy.published_only(principal), settings=settings
    )


@router.get("/collections/{collectionId}/items", dependencies=[OGC_READ])
def items(
    collectionId: str,  # noqa: N803
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> JSONResponse:
    """One page of features with ``next``/``prev`` links, numberMatched and numberReturned."""
    coll = _collection(collectionId, principal)
    fields = coll.visible(principal, settings)
    by_name = {f.name: f for f in fields if f.column is not None}
    q = _query(request)
    params.check_known(q, params.ITEMS_PARAMS | set(by_name))
    media = _format(q)
    allowed = _allowed_crs(session, coll, principal, settings)
    out_crs = _out_crs(q, allowed)
    limit = params.integer(
        params.single(q, "limit"),
        "limit",
        default=settings.default_page_size,
        lo=1,
        hi=settings.max_page_size,
    )
    offset = params.integer(params.single(q, "offset"), "offset", default=0, lo=0, hi=None)
    query = features.ItemQuery(limit=limit, offset=offset, out_crs=out_crs)
    if (bbox := params.single(q, "bbox")) is not None:
        bbox_crs = ogc_crs.pick(params.single(q, "bbox-crs"), allowed, param="bbox-crs")
        values = params.numbers(bbox, "bbox", counts=(4, 6))
        query.where.append(features.bbox_condition(coll, values, bbox_crs))
    elif params.single(q, "bbox-crs") is not None:
        ogc_crs.pick(params.single(q, "bbox-crs"), allowed, param="bbox-crs")
    if (when := params.interval(params.single(q, "datetime"))) is not None:
        cond = features.datetime_condition(coll, fields, when)
        if cond is not None:
            query.where.append(cond)
    for name, f in by_name.items():
        value = params.single(q, name)
        if value is not None and f.column is not None:
            query.where.append(f.column == params.typed_value(f, value))
    _add_filter(q, coll, fields, allowed, query)
    page, matched = features.list_items(
        session,
        coll,
        fields=fields,
        published_only=policy.published_only(principal),
        settings=settings,
        q=query,
    )
    url = f"{_base(request)}/collections/{coll.id}/items"
    keep = [(k, v) for k, vs in q.items() if k not in ("offset", "f") for v in vs]
    fmt = [("f", "json")] if media == JSON else []

    def at(off: int, extra: list[tuple[str, str]]) -> str:
        return with_query(url, keep + ([("offset", str(off))] if off else []) + extra)

    links = [
        link(at(offset, fmt), "self", media, "this page"),
        link(
            at(offset, [] if media == JSON else [("f", "json")]),
            "alternate",
            GEOJSON if media == JSON else JSON,
            "this page as " + ("GeoJSON" if media == JSON else "JSON"),
        ),
        link(f"{_base(request)}/collections/{coll.id}", "collection", JSON, coll.title),
        link(
            f"{_base(request)}/collections/{coll.id}/queryables",
            REL_QUERYABLES,
            SCHEMA_JSON,
            "what you may filter on",
        ),
    ]
    if offset + len(page) < matched and page:
        links.append(link(at(offset + limit, fmt), "next", media, "next page"))
    if offset > 0:
        links.append(link(at(max(0, offset - limit), fmt), "prev", media, "previous page"))
    body = {
        "type": "FeatureCollection",
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numberMatched": matched,
        "numberReturned": len(page),
        "features": page,
        "links": links,
    }
    return _json(
        body,
        media,
        **{"Content-Crs": ogc_crs.content_crs_header(out_crs), "Link": _link_header(links)},
    )


def _link_header(links: list[dict[str, Any]], rels: tuple[str, ...] | None = None) -> str:
    """Links as an HTTP Link header too (OGC /rec/core/link-header)."""
    rels = rels or ("self", "alternate", "next", "prev", REL_QUERYABLES)
    return ", ".join(
        f'<{lk["href"]}>; rel="{lk["rel"]}"; type="{lk["type"]}"'
        for lk in links
        if lk["rel"] in rels
    )


def _add_filter(
    q: dict[str, list[str]],
    coll: Collection,
    fields: tuple[Field, ...],
    allowed: list[str],
    query: features.ItemQuery,
) -> None:
    """Part 3: a CQL2 filter over the caller's queryables (a hidden field is a 400)."""
    text = params.single(q, "filter")
    lang = params.single(q, "filter-lang")
    fcrs = params.single(q, "filter-crs")
    if text is None:
        if lang is not None or fcrs is not None:
            raise BadParameter("filter-lang and filter-crs need a filter")
        return
    crs = ogc_crs.pick(fcrs, allowed, param="filter-crs")
    by_name = {f.name: f for f in fields}
    query.where.append(cql.to_condition(text, lang, by_name, coll.geom, crs))


@router.get("/collections/{collectionId}/items/{featureId}", dependencies=[OGC_READ])
def item(
    collectionId: str,  # noqa: N803
    featureId: str,  # noqa: N803
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> Response:
    """One feature by its code, with a strong ETag."""
    coll = _collection(collectionId, principal)
    q = _query(request)
    params.check_known(q, params.FEATURE_PARAMS)
    media = _format(q)
    out_crs = _out_crs(q, _allowed_crs(session, coll, principal, settings))
    fields = coll.visible(principal, settings)
    feature = features.get_item(
        session,
        coll,
        featureId,
        fields=fields,
        published_only=policy.published_only(principal),
        settings=settings,
        out_crs=out_crs,
    )
    b = _base(request)
    url = f"{b}/collections/{coll.id}/items/{featureId}"
    other = JSON if media == GEOJSON else GEOJSON
    feature["links"] = [
        link(url + ("?f=json" if media == JSON else ""), "self", media, "this feature"),
        link(url + ("?f=json" if other == JSON else ""), "alternate", other, "this feature"),
        link(f"{b}/collections/{coll.id}", "collection", JSON, coll.title),
    ]
    version = feature["properties"].get("version") if "version" in feature["properties"] else None
    tag = features.strong_etag(feature, version)
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    return _json(feature, media, ETag=tag, **{"Content-Crs": ogc_crs.content_crs_header(out_crs)})


# ------------------------------------------------------------------ tiles (OGC API – Tiles)


@router.get("/tileMatrixSets", dependencies=[OGC_READ])
def tile_matrix_sets(request: Request, principal: PrincipalDep) -> JSONResponse:
    """The tiling schemes: WebMercatorQuad (served) and CGCS2000Quad (definition)."""
    _no_params(request)
    b = _base(request)
    return _json(
        {
            "tileMatrixSets": [
                {
                    "id": tid,
                    "title": ogc_tiles.matrix_set(tid).title,
                    "uri": ogc_tiles.matrix_set(tid).uri,
                    "links": [link(f"{b}/tileMatrixSets/{tid}", "self", JSON, tid)],
                }
                for tid in (ogc_tiles.WEB_MERCATOR, ogc_tiles.CGCS2000)
            ]
        }
    )


@router.get("/tileMatrixSets/{tileMatrixSetId}", dependencies=[OGC_READ])
def tile_matrix_set(
    tileMatrixSetId: str,  # noqa: N803
    request: Request,
    principal: PrincipalDep,
) -> JSONResponse:
    """One tile matrix set (OGC TileMatrixSet 2.0 JSON)."""
    _no_params(request)
    return _json(ogc_tiles.matrix_set_document(tileMatrixSetId))


def _tiled(cid: str, principal: Principal) -> Collection:
    coll = _collection(cid, principal)
    if coll.id not in ogc_tiles.TILED:
        raise NotFound(f"collection {coll.id!r} has no vector tiles; parcels and projects do")
    return coll


def _tileset(
    b: str, coll: Collection, session: Any, principal: Principal, settings: Settings
) -> dict[str, Any]:
    bbox = _where(session, coll, principal, settings)
    tms = ogc_tiles.matrix_set(ogc_tiles.WEB_MERCATOR)
    url = f"{b}/collections/{coll.id}/tiles/{ogc_tiles.WEB_MERCATOR}"
    return {
        "title": f"{coll.title} (vector tiles)",
        "dataType": "vector",
        "crs": ogc_crs.EPSG_URI.format(3857),
        "tileMatrixSetURI": tms.uri,
        "tileMatrixSetLimits": ogc_tiles.limits(bbox),
        "layers": [{"id": ogc_tiles.TILED[coll.id], "dataType": "vector"}],
        "boundingBox": {
            "lowerLeft": (bbox or [-180, -85])[:2],
            "upperRight": (bbox or [0, 0, 180, 85])[2:],
            "crs": ogc_crs.CRS84,
        },
        "links": [
            link(url, "self", JSON, "this tileset"),
            link(
                f"{b}/tileMatrixSets/{ogc_tiles.WEB_MERCATOR}",
                REL_TILING_SCHEME,
                JSON,
                "the tiling scheme",
            ),
            link(
                url + "/{tileMatrix}/{tileRow}/{tileCol}",
                "item",
                MVT,
                "a tile (Mapbox Vector Tile)",
                templated=True,
            ),
            link(url + "/tilejson.json", "describedby", JSON, "TileJSON 3.0 (MapLibre)"),
            link(f"{b}/collections/{coll.id}", "collection", JSON, coll.title),
        ],
    }


@router.get("/collections/{collectionId}/tiles", dependencies=[OGC_READ])
def tilesets(
    collectionId: str,  # noqa: N803
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> JSONResponse:
    """The collection's vector tilesets (WebMercatorQuad)."""
    coll = _tiled(collectionId, principal)
    _no_params(request)
    ts = _tileset(_base(request), coll, session, principal, settings)
    return _json({"links": [ts["links"][0]], "tilesets": [ts]})


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}", dependencies=[OGC_READ])
def tileset(
    collectionId: str,  # noqa: N803
    tileMatrixSetId: str,  # noqa: N803
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Tileset metadata: limits, the templated tile link, the tiling scheme."""
    coll = _tiled(collectionId, principal)
    _no_params(request)
    _served_tms(tileMatrixSetId)
    return _json(_tileset(_base(request), coll, session, principal, settings))


def _served_tms(tms_id: str) -> None:
    if tms_id != ogc_tiles.WEB_MERCATOR:
        ogc_tiles.matrix_set(tms_id)  # 404 for an unknown id
        raise NotFound(
            f"tiles are served in {ogc_tiles.WEB_MERCATOR} only; {tms_id!r} is a definition"
        )


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/tilejson.json", dependencies=[OGC_READ]
)
def tilejson(
    collectionId: str,  # noqa: N803
    tileMatrixSetId: str,  # noqa: N803
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> JSONResponse:
    """TileJSON 3.0 for MapLibre / Mapbox GL."""
    coll = _tiled(collectionId, principal)
    _no_params(request)
    _served_tms(tileMatrixSetId)
    bbox = _where(session, coll, principal, settings)
    url = f"{_base(request)}/collections/{coll.id}/tiles/{ogc_tiles.WEB_MERCATOR}"
    return _json(
        {
            "tilejson": "3.0.0",
            "name": coll.id,
            "tiles": [url + "/{z}/{y}/{x}"],
            "minzoom": 0,
            "maxzoom": ogc_tiles.MAX_ZOOM,
            "bounds": bbox or [-180, -85, 180, 85],
            "vector_layers": [{"id": ogc_tiles.TILED[coll.id], "fields": {}}],
        }
    )


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    dependencies=[OGC_READ],
)
def tile(
    collectionId: str,  # noqa: N803
    tileMatrixSetId: str,  # noqa: N803
    tileMatrix: str,  # noqa: N803
    tileRow: str,  # noqa: N803
    tileCol: str,  # noqa: N803
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> Response:
    """One vector tile, row before column; built by the /tiles code with the same role filter
    and cache headers. 204 when empty, 404 outside the tileset's limits."""
    coll = _tiled(collectionId, principal)
    _no_params(request, frozenset())
    _served_tms(tileMatrixSetId)
    try:
        z, row, col = int(tileMatrix), int(tileRow), int(tileCol)
    except ValueError:
        raise BadParameter("tileMatrix, tileRow and tileCol must be whole numbers") from None
    bbox = _where(session, coll, principal, settings)
    if not ogc_tiles.inside(ogc_tiles.limits(bbox), z, row, col):
        raise NotFound(
            f"tile {z}/{row}/{col} is outside the tileset's limits; see "
            f"/ogc/collections/{coll.id}/tiles/{ogc_tiles.WEB_MERCATOR}"
        )
    if coll.id == "parcels":
        r = mvt.parcel_tile(
            request=request, z=z, x=col, y=row, session=session, settings=settings,
            principal=principal,
        )  # fmt: skip
    else:
        r = mvt.project_tile(
            request=request, z=z, x=col, y=row, session=session, principal=principal
        )
    if not r.body:
        return Response(status_code=204, headers={"Cache-Control": r.headers["cache-control"]})
    return r
