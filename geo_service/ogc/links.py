"""Absolute links (GDAL before 3.9.2 and QGIS break on relative ones) and media types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

JSON = "application/json"
GEOJSON = "application/geo+json"
OAS30 = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON = "application/schema+json"
HTML = "text/html"
MVT = "application/vnd.mapbox-vector-tile"
PROBLEM = "application/problem+json"

REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
REL_CONFORMANCE = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
REL_DATA = "http://www.opengis.net/def/rel/ogc/1.0/data"
REL_TMS = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"


def base_url(
    *, scheme: str, host: str, root_path: str = "", headers: Mapping[str, str] | None = None
) -> str:
    """``scheme://host/root/ogc``, honouring ``X-Forwarded-Proto``/``X-Forwarded-Host`` set by a
    reverse proxy (the first value of each; a value with characters a host cannot have is
    ignored)."""
    headers = headers or {}
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if proto in ("http", "https"):
        scheme = proto
    fwd = headers.get("x-forwarded-host", "").split(",")[0].strip()
    if fwd and all(c.isalnum() or c in ".-:[]_" for c in fwd):
        host = fwd
    return f"{scheme}://{host}{root_path.rstrip('/')}/ogc"


def link(href: str, rel: str, type_: str, title: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    out.update(extra)
    return out


def with_query(url: str, params: Sequence[tuple[str, str]]) -> str:
    return url + ("?" + urlencode(list(params)) if params else "")
