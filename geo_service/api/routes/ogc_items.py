"""Routes: OGC API – Features items under /ogc: pages of features (bbox, datetime, CRS, CQL2
filters, property filters) and single features, each role seeing what it sees in /api/v1."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.responses import JSONResponse, Response

from geo_service.api.routes.ogc_common import (
    OGC_READ,
    CollectionCall,
    allowed_crs,
    json_response,
    link_header,
    media_of,
    output_crs,
    query_of,
    request_base,
    router,
)
from geo_service.auth import policy
from geo_service.ogc import cql, features, params
from geo_service.ogc import crs as ogc_crs
from geo_service.ogc.collections import Collection, Field
from geo_service.ogc.crs import BadParameter
from geo_service.ogc.links import (
    GEOJSON,
    JSON,
    REL_QUERYABLES,
    SCHEMA_JSON,
    link,
    with_query,
)


@router.get("/collections/{collectionId}/items", dependencies=[OGC_READ])
def items(call: CollectionCall) -> JSONResponse:
    """One page of features with ``next``/``prev`` links, numberMatched and numberReturned."""
    request, session, principal, settings, coll = call
    fields = coll.visible(principal, settings)
    by_name = {f.name: f for f in fields if f.column is not None}
    q = query_of(request)
    params.check_known(q, params.ITEMS_PARAMS | set(by_name))
    media = media_of(q)
    allowed = allowed_crs(session, coll, principal, settings)
    out_crs = output_crs(q, allowed)
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
    url = f"{request_base(request)}/collections/{coll.id}/items"
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
        link(f"{request_base(request)}/collections/{coll.id}", "collection", JSON, coll.title),
        link(
            f"{request_base(request)}/collections/{coll.id}/queryables",
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
    return json_response(
        body,
        media,
        **{"Content-Crs": ogc_crs.content_crs_header(out_crs), "Link": link_header(links)},
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
    call: CollectionCall,
    featureId: str,  # noqa: N803
) -> Response:
    """One feature by its code, with a strong ETag."""
    request, session, principal, settings, coll = call
    q = query_of(request)
    params.check_known(q, params.FEATURE_PARAMS)
    media = media_of(q)
    out_crs = output_crs(q, allowed_crs(session, coll, principal, settings))
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
    b = request_base(request)
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
    return json_response(
        feature, media, ETag=tag, **{"Content-Crs": ogc_crs.content_crs_header(out_crs)}
    )


# ------------------------------------------------------------------ tiles (OGC API – Tiles)
