"""Response classes: GeoJSON with its own media type."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


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
