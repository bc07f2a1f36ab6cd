"""OGC API – Tiles: the tile matrix sets and tileset metadata (the tiles come from ``/tiles``).

WebMercatorQuad is the one tiling scheme whose tiles are served (the service's MVT code renders
Web Mercator XYZ tiles; OGC's row is XYZ's y, column is x). ``CGCS2000Quad`` (EPSG:4490, two
tiles at level 0, like WorldCRS84Quad) is published as a definition for clients that want one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import morecantile
from pyproj import CRS

from geo_service.errors import NotFound

WEB_MERCATOR = "WebMercatorQuad"
CGCS2000 = "CGCS2000Quad"
#: zoom levels offered (the /tiles routes accept up to 24)
MAX_ZOOM = 22
#: collections with vector tiles: collection id -> MVT layer name
TILED = {"parcels": "parcels", "projects": "projects"}


@lru_cache(maxsize=4)
def matrix_set(tms_id: str) -> morecantile.TileMatrixSet:
    if tms_id == WEB_MERCATOR:
        return morecantile.tms.get(WEB_MERCATOR)
    if tms_id == CGCS2000:
        return morecantile.TileMatrixSet.custom(
            [-180.0, -90.0, 180.0, 90.0],
            CRS.from_epsg(4490),
            id=CGCS2000,
            title="CGCS2000 geographic quad (EPSG:4490), 2×1 tiles at level 0",
            matrix_scale=[2, 1],
            minzoom=0,
            maxzoom=MAX_ZOOM,
        )
    raise NotFound(f"no tile matrix set {tms_id[:64]!r}; see /ogc/tileMatrixSets")


def matrix_set_document(tms_id: str) -> dict[str, Any]:
    return matrix_set(tms_id).model_dump(mode="json", exclude_none=True)  # type: ignore[no-any-return]


def limits(bbox: list[float] | None, *, maxzoom: int = MAX_ZOOM) -> list[dict[str, Any]]:
    """Web Mercator tile rows/columns covering ``bbox`` (CRS84) at every level."""
    tms = matrix_set(WEB_MERCATOR)
    w, s, e, n = bbox or [-180.0, -85.0, 180.0, 85.0]
    out = []
    for z in range(maxzoom + 1):
        ul = tms.tile(w, n, z)
        lr = tms.tile(e, s, z)
        out.append(
            {
                "tileMatrix": str(z),
                "minTileRow": ul.y,
                "maxTileRow": lr.y,
                "minTileCol": ul.x,
                "maxTileCol": lr.x,
            }
        )
    return out


def inside(lims: list[dict[str, Any]], z: int, row: int, col: int) -> bool:
    if not 0 <= z < len(lims):
        return False
    lim = lims[z]
    return bool(
        lim["minTileRow"] <= row <= lim["maxTileRow"]
        and lim["minTileCol"] <= col <= lim["maxTileCol"]
    )
