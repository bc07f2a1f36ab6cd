"""Response classes: GeoJSON with its own media type."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import HTMLResponse, JSONResponse


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


def feature_collection(features: list[dict[str, Any]], total: int, page: Any) -> GeoJSONResponse:
    """One page of features, with OGC API-style counts and the paging that produced it."""
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": total,
            "numberReturned": len(features),
            "limit": page.limit,
            "offset": page.offset,
        }
    )


GEOJSON = "application/geo+json"

#: a GeoJSON Feature as the service writes it: ``id`` is the record's code
FEATURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "id", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "id": {"type": "string", "description": "the record's code"},
        "geometry": {
            "description": "GeoJSON geometry in lon/lat (EPSG:4490); null when not located",
            "type": ["object", "null"],
        },
        "properties": {"type": "object"},
    },
}
#: one page of features with OGC API-style counts
COLLECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "features", "numberMatched", "numberReturned"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": FEATURE_SCHEMA},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
    },
}


def geojson(status: int, schema: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route answering GeoJSON (``FEATURE_SCHEMA`` / ``COLLECTION_SCHEMA``)."""
    return {status: {"content": {GEOJSON: {"schema": schema}}}}


#: the ``lang`` query parameter of every map page
Lang = Annotated[Literal["zh", "en"], Query(description="label language")]
#: the OpenAPI ``responses`` of a route that answers an HTML page
HTML: dict[int | str, dict[str, Any]] = {200: {"content": {"text/html": {}}}}


def html_page(page: Any, *, public: bool = False) -> HTMLResponse:
    """A map page (``maps.page.Page``) with its own CSP; cached only when ``public``."""
    return HTMLResponse(
        page.html,
        headers={
            "Content-Security-Policy": page.csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "public, max-age=60" if public else "private, no-store",
        },
    )
