"""The OpenAPI 3.0.3 document of /ogc (FastAPI's own is 3.1, which OGC clients cannot read).

Written by hand after the OGC's ``ogcapi-features-1.yaml``: ``limit`` an integer with minimum,
maximum and default, ``bbox`` an array of 4 or 6 numbers, ``style: form``, ``explode: false``. The
per-collection ``items`` paths declare the property parameters the CALLER may use, which is what
GDAL pushes its ``-where`` down to; nothing the caller may not see is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geo_service.ogc.collections import Collection, Field
from geo_service.ogc.links import GEOJSON, JSON, MVT, PROBLEM, SCHEMA_JSON

_FORM = {"style": "form", "explode": False}


def _param(name: str, description: str, schema: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **_FORM,
        **kw,
    }


def _components(default_limit: int, max_limit: int) -> dict[str, Any]:
    crs = {"type": "string", "format": "uri"}
    return {
        "parameters": {
            "limit": _param(
                "limit",
                f"at most this many features per page (default {default_limit}, larger values "
                f"are cut to {max_limit}); follow the `next` link for more",
                {"type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit},
            ),
            "offset": _param(
                "offset", "skip this many features", {"type": "integer", "minimum": 0, "default": 0}
            ),
            "bbox": _param(
                "bbox",
                "only features intersecting the box minx,miny,maxx,maxy (or 6 numbers with "
                "heights) in `bbox-crs` (CRS84 lon/lat by default)",
                {
                    "type": "array",
                    "minItems": 4,
                    "maxItems": 6,
                    "items": {"type": "number"},
                },
            ),
            "bbox-crs": _param(
                "bbox-crs", "the CRS of `bbox` (a URI of the collection's crs)", crs
            ),
            "crs": _param("crs", "the CRS of the returned geometries (default CRS84)", crs),
            "datetime": _param(
                "datetime",
                "an RFC 3339 date-time or an interval a/b ('..' for an open end)",
                {"type": "string"},
            ),
            "filter": _param("filter", "a CQL2 filter (see filter-lang)", {"type": "string"}),
            "filter-lang": _param(
                "filter-lang",
                "the language of `filter`",
                {"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"},
            ),
            "filter-crs": _param(
                "filter-crs", "the CRS of geometries in `filter` (default CRS84)", crs
            ),
            "f": _param(
                "f",
                "the format: geojson (default) or json (same content, application/json)",
                {"type": "string", "enum": ["geojson", "json"]},
            ),
            "collectionId": {
                "name": "collectionId",
                "in": "path",
                "required": True,
                "description": "the collection",
                "schema": {"type": "string"},
            },
            "featureId": {
                "name": "featureId",
                "in": "path",
                "required": True,
                "description": "the record's code",
                "schema": {"type": "string"},
            },
        },
        "schemas": {
            "Problem": {
                "type": "object",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                },
            },
            "FeatureCollection": {
                "type": "object",
                "required": ["type", "features"],
                "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Feature"},
                    },
                    "links": {"type": "array", "items": {"type": "object"}},
                    "timeStamp": {"type": "string", "format": "date-time"},
                    "numberMatched": {"type": "integer", "minimum": 0},
                    "numberReturned": {"type": "integer", "minimum": 0},
                },
            },
            "Feature": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "string"},
                    "geometry": {"type": "object", "nullable": True},
                    "properties": {"type": "object", "nullable": True},
                },
            },
        },
        "responses": {
            "Problem": {
                "description": "refused: RFC 9457 problem details (`detail` says how to fix it)",
                "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
        },
    }


def _json_op(summary: str, op_id: str, tag: str, params: list[Any] | None = None) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "operationId": op_id,
            "tags": [tag],
            "parameters": params or [],
            "responses": {
                "200": {"description": summary, "content": {JSON: {"schema": {"type": "object"}}}},
                "400": {"$ref": "#/components/responses/Problem"},
                "404": {"$ref": "#/components/responses/Problem"},
            },
        }
    }


def _items_op(summary: str, op_id: str, params: list[Any], schema_ref: str) -> dict[str, Any]:
    ok = {"schema": {"$ref": schema_ref}}
    return {
        "summary": summary,
        "operationId": op_id,
        "tags": ["Data"],
        "parameters": params,
        "responses": {
            "200": {"description": summary, "content": {GEOJSON: ok, JSON: ok}},
            "400": {"$ref": "#/components/responses/Problem"},
            "401": {"$ref": "#/components/responses/Problem"},
            "404": {"$ref": "#/components/responses/Problem"},
        },
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


_ITEMS = ["limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "filter", "filter-lang"]
_ITEMS += ["filter-crs", "f"]


def _property_params(fields: Sequence[Field]) -> list[dict[str, Any]]:
    out = []
    for f in fields:
        if f.column is None:
            continue
        schema = f.schema()
        schema.pop("title", None)
        out.append(_param(f.name, f"only features whose {f.name} equals this value", schema))
    return out


def document(
    base: str,
    visible: Sequence[tuple[Collection, Sequence[Field]]],
    *,
    default_limit: int,
    max_limit: int,
    writable: Sequence[str] = (),
) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of the OGC API as the caller may use it."""
    paths: dict[str, Any] = {
        "/": _json_op("landing page", "getLandingPage", "Capabilities"),
        "/conformance": _json_op("conformance classes", "getConformance", "Capabilities"),
        "/api": _json_op("this document", "getApi", "Capabilities"),
        "/collections": _json_op("the collections", "getCollections", "Capabilities"),
        "/collections/{collectionId}": _json_op(
            "one collection", "describeCollection", "Capabilities", [_ref("collectionId")]
        ),
        "/collections/{collectionId}/queryables": _json_op(
            "the queryables (JSON Schema)", "getQueryables", "Capabilities", [_ref("collectionId")]
        ),
        "/collections/{collectionId}/items": {
            "get": _items_op(
                "features of a collection",
                "getFeatures",
                [_ref("collectionId"), *(_ref(p) for p in _ITEMS)],
                "#/components/schemas/FeatureCollection",
            )
        },
        "/collections/{collectionId}/items/{featureId}": {
            "get": _items_op(
                "one feature",
                "getFeature",
                [_ref("collectionId"), _ref("featureId"), _ref("crs"), _ref("f")],
                "#/components/schemas/Feature",
            )
        },
        "/tileMatrixSets": _json_op("tile matrix sets", "getTileMatrixSets", "Tiles"),
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": {
            "get": {
                "summary": "one vector tile (Mapbox Vector Tile); row before column",
                "operationId": "getCollectionTile",
                "tags": ["Tiles"],
                "parameters": [
                    _ref("collectionId"),
                    *(
                        {"name": n, "in": "path", "required": True, "schema": {"type": t}}
                        for n, t in (
                            ("tileMatrixSetId", "string"),
                            ("tileMatrix", "string"),
                            ("tileRow", "integer"),
                            ("tileCol", "integer"),
                        )
                    ),
                ],
                "responses": {
                    "200": {"description": "the tile", "content": {MVT: {}}},
                    "204": {"description": "an empty tile"},
                    "404": {"$ref": "#/components/responses/Problem"},
                },
            }
        },
    }
    for coll, fields in visible:
        items = f"/collections/{coll.id}/items"
        paths[items] = {
            "get": _items_op(
                f"features of {coll.id}",
                f"get_{coll.id}_features",
                [*(_ref(p) for p in _ITEMS), *_property_params(fields)],
                "#/components/schemas/FeatureCollection",
            )
        }
        paths[items + "/{featureId}"] = {
            "get": _items_op(
                f"one feature of {coll.id}",
                f"get_{coll.id}_feature",
                [_ref("featureId"), _ref("crs"), _ref("f")],
                "#/components/schemas/Feature",
            )
        }
        if coll.id in writable:
            _add_writes(paths, coll.id)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "geo_service OGC API – Features and Tiles",
            "version": "1.0.0",
            "description": "Standard-land parcels, zones, networks, assessments, protected land "
            "and key projects. No token: the public view. Send `Authorization: Bearer <token>` "
            "for more.",
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            **_components(default_limit, max_limit),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _add_writes(paths: dict[str, Any], cid: str) -> None:
    body = {
        "required": True,
        "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/Feature"}}},
    }
    problem = {"$ref": "#/components/responses/Problem"}
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "description": "the ETag of your last GET of the feature",
        "schema": {"type": "string"},
    }
    items = f"/collections/{cid}/items"
    paths[items]["post"] = {
        "summary": f"add a feature to {cid}",
        "operationId": f"create_{cid}",
        "tags": ["Transactions"],
        "requestBody": body,
        "security": [{"bearer": []}],
        "responses": {"201": {"description": "created; Location names it"}, "4XX": problem},
    }
    one = paths[items + "/{featureId}"]
    for method, summary, extra in (
        ("put", "replace", {"requestBody": body}),
        (
            "patch",
            "update some properties (JSON merge patch)",
            {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/merge-patch+json": {"schema": {"type": "object"}},
                        JSON: {"schema": {"type": "object"}},
                    },
                }
            },
        ),
        ("delete", "delete", {}),
    ):
        one[method] = {
            "summary": f"{summary} a feature of {cid}",
            "operationId": f"{method}_{cid}",
            "tags": ["Transactions"],
            "parameters": [_ref("featureId"), if_match],
            "security": [{"bearer": []}],
            "responses": {"200": {"description": "done"}, "204": {"description": "done"}},
            **extra,
        }
        one[method]["responses"]["4XX"] = problem
    _ = SCHEMA_JSON
