"""Routes: OGC API – Tiles under /ogc: tile matrix sets, tilesets and the vector tiles (the
same tiles as /tiles, through geo_service.tiles)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi import Path as FPath
from fastapi.responses import JSONResponse, Response

from geo_service.api.deps import PrincipalDep
from geo_service.api.routes import tiles as mvt
from geo_service.api.routes.ogc_common import (
    OGC_READ,
    CollectionCall,
    OgcCall,
    json_response,
    no_params,
    request_base,
    router,
    visible_where,
)
from geo_service.auth.tokens import Principal
from geo_service.errors import NotFound
from geo_service.ogc import crs as ogc_crs
from geo_service.ogc import tiles as ogc_tiles
from geo_service.ogc.collections import Collection
from geo_service.ogc.crs import BadParameter
from geo_service.ogc.links import (
    JSON,
    MVT,
    REL_TILING_SCHEME,
    link,
)
from geo_service.settings import Settings


@router.get("/tileMatrixSets", dependencies=[OGC_READ])
def tile_matrix_sets(request: Request, principal: PrincipalDep) -> JSONResponse:
    """The tiling schemes: WebMercatorQuad (served) and CGCS2000Quad (definition)."""
    no_params(request)
    b = request_base(request)
    return json_response(
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
    no_params(request)
    return json_response(ogc_tiles.matrix_set_document(tileMatrixSetId))


def tiled_call(call: CollectionCall) -> OgcCall:
    """The call of a route under a collection's tiles: 404 for a collection without tiles."""
    if call.coll.id not in ogc_tiles.TILED:
        raise NotFound(f"collection {call.coll.id!r} has no vector tiles; parcels and projects do")
    return call


TiledCall = Annotated[OgcCall, Depends(tiled_call)]


def served_call(
    call: TiledCall,
    tileMatrixSetId: Annotated[str, FPath(description="WebMercatorQuad")],  # noqa: N803
) -> OgcCall:
    """The call of a route under one tileset: 404 unless the tile matrix set is one we serve."""
    if tileMatrixSetId != ogc_tiles.WEB_MERCATOR:
        ogc_tiles.matrix_set(tileMatrixSetId)  # 404 for an unknown id
        raise NotFound(
            f"tiles are served in {ogc_tiles.WEB_MERCATOR} only; {tileMatrixSetId!r} is a "
            "definition"
        )
    return call


ServedCall = Annotated[OgcCall, Depends(served_call)]


def _tileset(
    b: str, coll: Collection, session: Any, principal: Principal, settings: Settings
) -> dict[str, Any]:
    bbox = visible_where(session, coll, principal, settings)
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
def tilesets(call: TiledCall) -> JSONResponse:
    """The collection's vector tilesets (WebMercatorQuad)."""
    request, session, principal, settings, coll = call
    no_params(request)
    ts = _tileset(request_base(request), coll, session, principal, settings)
    return json_response({"links": [ts["links"][0]], "tilesets": [ts]})


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}", dependencies=[OGC_READ])
def tileset(call: ServedCall) -> JSONResponse:
    """Tileset metadata: limits, the templated tile link, the tiling scheme."""
    request, session, principal, settings, coll = call
    no_params(request)
    return json_response(_tileset(request_base(request), coll, session, principal, settings))


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/tilejson.json", dependencies=[OGC_READ]
)
def tilejson(call: ServedCall) -> JSONResponse:
    """TileJSON 3.0 for MapLibre / Mapbox GL."""
    request, session, principal, settings, coll = call
    no_params(request)
    bbox = visible_where(session, coll, principal, settings)
    url = f"{request_base(request)}/collections/{coll.id}/tiles/{ogc_tiles.WEB_MERCATOR}"
    return json_response(
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
    call: ServedCall,
    tileMatrix: str,  # noqa: N803
    tileRow: str,  # noqa: N803
    tileCol: str,  # noqa: N803
) -> Response:
    """One vector tile, row before column; built by the /tiles code with the same role filter
    and cache headers. 204 when empty, 404 outside the tileset's limits."""
    request, session, principal, settings, coll = call
    no_params(request, frozenset())
    try:
        z, row, col = int(tileMatrix), int(tileRow), int(tileCol)
    except ValueError:
        raise BadParameter("tileMatrix, tileRow and tileCol must be whole numbers") from None
    bbox = visible_where(session, coll, principal, settings)
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
