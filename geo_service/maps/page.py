"""The page around every map: base tiles, local assets, the finished HTML and its CSP.

No database access. Values reach the page only through :mod:`geo_service.maps.layers` (JSON
for the browser, escaped there) and :mod:`geo_service.maps.panels` (autoescaped templates).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import folium
import pyogrio
from folium import plugins

from geo_service.counties import scope as county_scope
from geo_service.errors import ConfigurationError
from geo_service.maps.definitions import MapDefinition
from geo_service.maps.layers import (
    STATIC,
    Assets,
    GsCall,
    MetricScale,
    VectorPopups,
    esc,
    escape_tree,
    html_block,
    js_literal,
)
from geo_service.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"

#: folium's CDN links and the local copies that replace them
LOCAL_ASSETS: dict[str, str] = {
    "leaflet.js": f"{STATIC}/leaflet/leaflet.js",
    "leaflet.css": f"{STATIC}/leaflet/leaflet.css",
    "Control.FullScreen.min.js": f"{STATIC}/leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.js": f"{STATIC}/leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": f"{STATIC}/leaflet.fullscreen/Control.FullScreen.css",
    "leaflet.markercluster.js": f"{STATIC}/leaflet.markercluster/leaflet.markercluster.js",
    "MarkerCluster.css": f"{STATIC}/leaflet.markercluster/MarkerCluster.css",
    "MarkerCluster.Default.css": f"{STATIC}/leaflet.markercluster/MarkerCluster.Default.css",
    "Leaflet.VectorGrid.bundled.js": (
        f"{STATIC}/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"
    ),
}
_LINK = re.compile(r'(<script[^>]*\bsrc=|<link[^>]*\bhref=)"([^"]+)"')
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)

#: at most this many fitting plots are listed in the panel (all are highlighted on the map)
FIT_LIST_MAX = 300

TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk={key}"
)


@dataclass(frozen=True)
class Page:
    """A rendered page and the Content-Security-Policy it needs."""

    html: str
    csp: str


# ------------------------------------------------------------------ base map and page finishing


@dataclass(frozen=True)
class Basemap:
    url: str
    attribution: str
    subdomains: str = "abc"


def basemaps(settings: Settings) -> list[Basemap]:
    """Configured base tiles: a URL template (default OSM), ``tianditu`` (needs a key) or none."""
    url = (settings.tile_url or "").strip()
    if url.lower() in ("", "none", "blank"):
        return []
    if url.lower() == "tianditu":
        if not settings.tianditu_key:
            raise ConfigurationError(
                "GEO_SERVICE_TILE_URL=tianditu needs GEO_SERVICE_TIANDITU_KEY (a Tianditu tk)"
            )
        key = quote(settings.tianditu_key, safe="")
        attr = settings.tile_attribution or "天地图"
        return [
            Basemap(TIANDITU.replace("{layer}", lay).replace("{key}", key), attr, "01234567")
            for lay in ("vec", "cva")
        ]
    if not url.startswith(("http://", "https://", "/")):
        raise ConfigurationError(
            "GEO_SERVICE_TILE_URL must be an http(s) URL template with {z}/{x}/{y}, "
            "'tianditu' or 'none'"
        )
    return [Basemap(url, settings.tile_attribution)]


def tile_hosts(settings: Settings) -> list[str]:
    """CSP sources of the configured tile host(s)."""
    hosts = []
    for b in basemaps(settings):
        if b.url.startswith("/"):
            continue
        parts = urlsplit(b.url.replace("{s}", "SUB"))
        host = parts.netloc
        if "SUB" in host:
            host = "*." + host.split(".", 1)[1] if host.startswith("SUB") else host
            host = host.replace("SUB", "*")
        hosts.append(f"{parts.scheme}://{host}")
    return sorted(set(hosts))


def new_map(defn: MapDefinition, settings: Settings, bounds: list[list[float]] | None) -> Any:
    # max_zoom on the map itself: without a tile layer Leaflet has none, and clustering needs one
    m = folium.Map(tiles=None, control_scale=False, location=None)
    m.options["max_zoom"] = 20
    m.default_js = [("leaflet", LOCAL_ASSETS["leaflet.js"])]
    m.default_css = [("leaflet_css", LOCAL_ASSETS["leaflet.css"])]
    fig: Any = m.get_root()
    fig.title = esc(defn.title)
    fig.header.add_child(html_block('<link rel="icon" href="data:,">'), name="gs_icon")
    set_paper(m, "A4 landscape", margin_mm=8)
    for b in basemaps(settings):
        folium.TileLayer(
            tiles=b.url,
            attr=esc(b.attribution),
            name=esc(defn.label("basemap")),
            subdomains=b.subdomains,
            max_zoom=20,
            overlay=False,
            control=False,
        ).add_to(m)
    Assets().add_to(m)
    MetricScale().add_to(m)
    bounds = bounds or district_bounds(settings.district_boundary)
    if bounds:
        m.fit_bounds(bounds, max_zoom=17)
    return m


@functools.lru_cache(maxsize=4)
def district_bounds(path: Path) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the configured district: the view of an empty map."""
    if not path.exists():
        return None
    minx, miny, maxx, maxy = pyogrio.read_info(path)["total_bounds"]
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


@functools.lru_cache(maxsize=4)
def district_outline(path: Path) -> dict[str, Any]:
    """The configured district's outline as GeoJSON (read with pyogrio), empty when missing."""
    if not path.exists():
        return {"type": "FeatureCollection", "features": []}
    import json

    gdf = pyogrio.read_dataframe(path).to_crs(4326)
    return dict(json.loads(gdf[["geometry"]].to_json(drop_id=True)))


def finish(m: Any, settings: Settings) -> Page:
    """Render, point every asset at /static, refuse any other external asset, build the CSP."""
    page = m.get_root().render()

    def local(match: re.Match[str]) -> str:
        url = match.group(2)
        if url.startswith((f"{STATIC}/", "data:")):
            return match.group(0)
        name = url.rsplit("/", 1)[-1]
        if name not in LOCAL_ASSETS:
            raise ConfigurationError(
                f"a map asset would load from {url}; add a local copy to geo_service/maps/static "
                "and to LOCAL_ASSETS"
            )
        return f'{match.group(1)}"{LOCAL_ASSETS[name]}"'

    page = _STATIC_LINK.sub(versioned, _LINK.sub(local, page))
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(page)
    )
    tiles = " ".join(tile_hosts(settings))
    csp = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: {tiles}".rstrip()
        + "; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'self'"
    )
    return Page(html=page, csp=csp)


_STATIC_LINK = re.compile(r'(<script[^>]*\bsrc=|<link[^>]*\bhref=)"(/static/[^"?]+)"')


def asset_version(rel: str) -> str | None:
    """A digest of the /static file ``rel`` (None when there is none): the ``v`` of its URL, so
    a changed file gets a new URL and an unchanged one can be cached for good."""
    path = (STATIC_DIR / rel).resolve()
    if STATIC_DIR not in path.parents or not path.is_file():
        return None
    st = path.stat()
    return _digest(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=256)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def versioned(match: re.Match[str]) -> str:
    """``/static/x.js`` → ``/static/x.js?v=<digest>`` (served with ``Cache-Control: immutable``)."""
    url = match.group(2)
    v = asset_version(url[len(STATIC) + 1 :])
    return match.group(0) if v is None else f'{match.group(1)}"{url}?v={v}"'


def inline_assets(page: str) -> str:
    """A self-contained file: /static scripts and stylesheets inlined, CSS images as data URIs."""

    def read(url: str) -> Path:
        rel = url[len(STATIC) + 1 :].split("?", 1)[0]
        path = (STATIC_DIR / rel).resolve()
        if STATIC_DIR not in path.parents or not path.is_file():
            raise ConfigurationError(f"missing map asset {url} in geo_service/maps/static")
        return path

    def css_with_images(path: Path) -> str:
        css = path.read_text(encoding="utf-8")

        def data_uri(m: re.Match[str]) -> str:
            ref = m.group(1).strip("'\"")
            if ref.startswith(("data:", "#")):
                return m.group(0)
            img = (path.parent / ref).resolve()
            if STATIC_DIR not in img.parents or not img.is_file():
                return m.group(0)
            mime = "image/svg+xml" if img.suffix == ".svg" else "image/png"
            return f"url(data:{mime};base64,{base64.b64encode(img.read_bytes()).decode()})"

        return re.sub(r"url\(([^)]+)\)", data_uri, css)

    def repl_script(m: re.Match[str]) -> str:
        js = read(m.group(1)).read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{js}</script>"

    def repl_css(m: re.Match[str]) -> str:
        return f"<style>{css_with_images(read(m.group(1)))}</style>"

    page = re.sub(r'<script[^>]*\bsrc="(/static/[^"]+)"[^>]*></script>', repl_script, page)
    return re.sub(r'<link[^>]*\bhref="(/static/[^"]+)"[^>]*/?>', repl_css, page)


# ------------------------------------------------------------------ shared helpers


def bounds_of(collections: Iterable[Mapping[str, Any]]) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the features (folium wants lat/lon)."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: Any) -> None:
        if isinstance(c, list | tuple) and c and isinstance(c[0], int | float):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        elif isinstance(c, list | tuple):
            for x in c:
                walk(x)

    for fc in collections:
        for f in fc.get("features", []):
            g = f.get("geometry") or {}
            walk(g.get("coordinates"))
    if not xs:
        return None
    return [[min(ys), min(xs)], [max(ys), max(xs)]]


def set_paper(m: Any, size: str, *, margin_mm: int) -> None:
    """The paper the page prints on, as CSS ``@page`` ``size`` (``A4 landscape``, ``841mm 594mm``);
    the last call wins: the plot sheet and the wall layout set their own."""
    m.get_root().header.add_child(
        html_block(f"<style>@page {{ size: {size}; margin: {margin_mm}mm; }}</style>"),
        name="gs_paper",
    )


def lang_link(defn: MapDefinition, path: str, query: Mapping[str, Any]) -> str:
    """The same page in the other language."""
    other = "en" if defn.lang == "zh" else "zh"
    q = {k: v for k, v in query.items() if v not in (None, "") and k != "lang"}
    county = county_scope.current()  # the county the page is walled to stays chosen
    if county is not None:
        q.setdefault("county", county)
    if other != "zh":
        q["lang"] = other
    return f"{path}?{urlencode(q)}" if q else path


def controls(
    m: Any,
    defn: MapDefinition,
    search: Mapping[str, Any] | None = None,
) -> None:
    """Full screen, measuring and the search box (``search``: see ``GS.addSearch``)."""
    plugins.Fullscreen(position="topleft").add_to(m)
    GsCall("addMeasure", {"label": defn.label("measure")}).add_to(m)
    GsCall(
        "addSearch",
        {
            "placeholder": defn.label("search"),
            "notFound": defn.label("not_found"),
            **(search or {}),
        },
    ).add_to(m)


def vector_layer(
    m: Any,
    url: str,
    spec: dict[str, Any],
    name: str,
    layer: str,
    *,
    show: bool = True,
    bounds: list[list[float]] | None = None,
) -> Any:
    """A vector-tile layer styled by ``GS.vectorOptions``; with a popup spec, clickable.
    ``bounds`` ([[south, west], [north, east]] of every parcel the page may show): tiles wholly
    outside are never asked (they hold no parcel; at the first view most of the screen is)."""
    if bounds is not None:
        spec = {**spec, "bounds": bounds}
    vg = plugins.VectorGridProtobuf(
        url,
        name=name,
        options=f"GS.vectorOptions({js_literal(escape_tree(spec))}, {js_literal(layer)})",
        show=show,
    )
    vg.add_to(m)
    if spec.get("popup"):
        VectorPopups(vg, spec).add_to(m)
    return vg


def add_html(m: Any, *blocks: str) -> None:
    """Panels (from :func:`geo_service.maps.panels.panel`) over the map."""
    fig = m.get_root()
    for b in blocks:
        if b:
            fig.html.add_child(html_block(b))
