"""Build the three maps (and the plot sheet) as HTML pages from data passed in.

No database access here. Every string that came from the database is HTML-escaped
(:func:`escape_tree`) before it enters a popup, tooltip, legend, panel or the plot sheet; labels
from the map definitions are escaped too. Pages reference only ``/static/...`` assets; a
Content-Security-Policy with the hashes of the page's own inline scripts comes with each page.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import folium
import pyogrio
from folium import plugins

from geo_service.errors import ConfigurationError
from geo_service.maps.data import FitQuery
from geo_service.maps.definitions import MapDefinition
from geo_service.maps.layers import (
    STATIC,
    Assets,
    DataVar,
    GsCall,
    GsGeoJson,
    VectorPopups,
    html_block,
    js_literal,
)
from geo_service.readiness.rules import map_category
from geo_service.settings import CONDITIONS, Settings

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


def esc(value: Any) -> str:
    """Escape one value for HTML (None → empty)."""
    return "" if value is None else html.escape(str(value), quote=True)


def escape_tree(obj: Any) -> Any:
    """Every string in a JSON-like tree HTML-escaped (numbers, booleans and None unchanged)."""
    if isinstance(obj, str):
        return html.escape(obj, quote=True)
    if isinstance(obj, Mapping):
        return {k: escape_tree(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [escape_tree(v) for v in obj]
    return obj


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
    m = folium.Map(tiles=None, control_scale=True, location=None)
    m.options["max_zoom"] = 20
    m.default_js = [("leaflet", LOCAL_ASSETS["leaflet.js"])]
    m.default_css = [("leaflet_css", LOCAL_ASSETS["leaflet.css"])]
    fig: Any = m.get_root()
    fig.title = esc(defn.title)
    fig.header.add_child(html_block('<link rel="icon" href="data:,">'), name="gs_icon")
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

    page = _LINK.sub(local, page)
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


def inline_assets(page: str) -> str:
    """A self-contained file: /static scripts and stylesheets inlined, CSS images as data URIs."""

    def read(url: str) -> Path:
        rel = url[len(STATIC) + 1 :]
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


def _lang_link(defn: MapDefinition, path: str, query: Mapping[str, Any]) -> str:
    other = "en" if defn.lang == "zh" else "zh"
    q = {k: v for k, v in query.items() if v not in (None, "") and k != "lang"}
    if other != "zh":
        q["lang"] = other
    return f"{path}?{urlencode(q)}" if q else path


def _title_panel(defn: MapDefinition, path: str, query: Mapping[str, Any], extra: str = "") -> str:
    return (
        f'<div class="gs-panel gs-title">{esc(defn.title)}'
        f'<a href="{esc(_lang_link(defn, path, query))}">{esc(defn.label("language"))}</a>'
        f'<button type="button" class="gs-noprint" data-gs-print>{esc(defn.label("print"))}'
        f"</button>{extra}</div>"
    )


def _select(
    name: str, label: str, options: Iterable[tuple[Any, str]], current: Any, all_: str
) -> str:
    opts = [f'<option value="">{esc(all_)}</option>']
    for value, text in options:
        sel = " selected" if current is not None and str(value) == str(current) else ""
        opts.append(f'<option value="{esc(value)}"{sel}>{esc(text)}</option>')
    return f'<label>{esc(label)} <select name="{esc(name)}">{"".join(opts)}</select></label>'


def _number(name: str, label: str, current: Any) -> str:
    v = "" if current is None else esc(current)
    return (
        f'<label>{esc(label)} <input type="number" step="any" min="0" name="{esc(name)}" '
        f'value="{v}"></label>'
    )


def _form(defn: MapDefinition, path: str, fields: list[str], cls: str = "gs-filters") -> str:
    lang = '<input type="hidden" name="lang" value="en">' if defn.lang == "en" else ""
    return (
        f'<form class="gs-panel {cls}" method="get" action="{esc(path)}">'
        f"<b>{esc(defn.label('filters'))}</b>{''.join(fields)}{lang}"
        f'<button type="submit">{esc(defn.label("apply"))}</button></form>'
    )


def _legend(defn: MapDefinition, rows: Iterable[tuple[str, str]]) -> str:
    items = "".join(
        f'<div><i style="background:{esc(color)}"></i>{esc(text)}</div>' for color, text in rows
    )
    return f'<div class="gs-panel gs-legend"><b>{esc(defn.label("legend"))}</b>{items}</div>'


def _controls(
    m: Any,
    defn: MapDefinition,
    search_url: str | None,
    popup: dict[str, Any] | None = None,
    search_suffix: str = "",
) -> None:
    """Full screen, measuring and search; a code not on the page is asked of
    ``search_url + code + search_suffix`` (its JSON's ``bbox`` is zoomed to, and with ``popup``
    its escaped ``properties`` shown)."""
    plugins.Fullscreen(position="topleft").add_to(m)
    GsCall("addMeasure", {"label": esc(defn.label("measure"))}).add_to(m)
    GsCall(
        "addSearch",
        {
            "placeholder": esc(defn.label("search")),
            "notFound": esc(defn.label("not_found")),
            "url": search_url,
            "suffix": search_suffix,
            "popup": popup,
        },
    ).add_to(m)


def _vector_layer(m: Any, url: str, spec: dict[str, Any], name: str, layer: str) -> Any:
    vg = plugins.VectorGridProtobuf(
        url, name=name, options=f"GS.vectorOptions({js_literal(spec)}, {js_literal(layer)})"
    )
    vg.add_to(m)
    VectorPopups(vg, spec).add_to(m)
    return vg


def indicator_text(defn: MapDefinition, ind: Mapping[str, Any]) -> str:
    names = defn.data.get("indicator_names", {})
    key = str(ind.get("key", ""))
    name = defn.text(names.get(key), str(ind.get("name") or key))
    unit = str(ind.get("unit") or "")
    parts = []
    if ind.get("min") is not None and ind.get("max") is not None:
        parts.append(f"{ind['min']}–{ind['max']}")
    elif ind.get("min") is not None:
        parts.append(f"≥ {ind['min']}")
    elif ind.get("max") is not None:
        parts.append(f"≤ {ind['max']}")
    if ind.get("value") is not None:
        parts.append(str(ind["value"]))
    return f"{name} {' '.join(parts)} {unit}".strip()


# ------------------------------------------------------------------ readiness (land bureau)


def category(props: Mapping[str, Any]) -> str:
    met, unmet = int(props.get("met") or 0), int(props.get("unmet") or 0)
    return map_category(met, unmet, len(CONDITIONS) - met - unmet)


def evidence_text(ev: Any) -> str:
    """The nearest feature and its distance when the evidence names them, else its short form."""
    if not isinstance(ev, Mapping) or not ev:
        return ""
    near = next(
        (ev[k] for k in ("nearest", "nearest_feature", "feature", "feature_code") if ev.get(k)),
        None,
    )
    if isinstance(near, Mapping):
        near = near.get("code") or near.get("name")
    dist = ev.get("distance_m")
    if near is not None or dist is not None:
        d = f"{float(dist):.0f} m" if isinstance(dist, int | float) else ""
        return ", ".join(x for x in (str(near) if near is not None else "", d) if x)
    items = [f"{k}: {v}" for k, v in ev.items() if not isinstance(v, dict | list)]
    return "; ".join(items)[:200]


def readiness_props(defn: MapDefinition, p: Mapping[str, Any]) -> dict[str, Any]:
    conds = p.get("conditions") or {}
    rows = []
    for key in CONDITIONS:
        c = conds.get(key) or {}
        status = c.get("status") or "unknown"
        rows.append(
            [
                defn.vocab("conditions", key),
                status,
                defn.vocab("condition_status", status),
                defn.vocab("methods", c.get("method")),
                evidence_text(c.get("evidence")),
                c.get("verified_at") or "",
            ]
        )
    return {
        "code": p.get("code"),
        "name": p.get("name"),
        "zone": p.get("zone_name") or p.get("zone"),
        "area_mu": mu(p.get("area_mu")),
        "supply_stage": defn.vocab("supply_stages", p.get("supply_stage")),
        "met_text": f"{p.get('met', 0)}/{len(CONDITIONS)}",
        "cat": category(p),
        "fails": list(p.get("fails") or []),
        "conditions": rows,
    }


def _readiness_popup(defn: MapDefinition) -> dict[str, Any]:
    return {
        "title": "name",
        "rows": [
            ["code", esc(defn.label("code"))],
            ["zone", esc(defn.label("zone"))],
            ["area_mu", esc(defn.label("area_mu"))],
            ["supply_stage", esc(defn.label("supply_stage"))],
            ["met_text", esc(defn.label("readiness"))],
            ["conditions", esc(defn.label("conditions")), "conditions"],
        ],
    }


def render_readiness(
    defn: MapDefinition,
    settings: Settings,
    *,
    parcels: Mapping[str, Any] | None,
    context: Mapping[str, Mapping[str, Any]],
    query: Mapping[str, Any],
    tiles_url: str | None = None,
    extent: list[list[float]] | None = None,
    path: str = "/maps/readiness",
) -> Page:
    """The land bureau's map. ``parcels`` embedded, or None with ``tiles_url`` (vector tiles)."""
    cats = defn.section("categories")
    style = {
        "base": defn.data.get("parcel_style", {}),
        "by": "cat",
        "values": {k: {"fillColor": v["color"]} for k, v in cats.items()},
        "className": "gs-parcel",
    }
    popup = _readiness_popup(defn)
    layers = defn.section("layers")
    safe_ctx = {k: escape_tree(v) for k, v in context.items()}
    bounds = extent
    if parcels is not None:
        bounds = bounds_of([parcels]) or bounds_of(safe_ctx.values())
    m = new_map(defn, settings, bounds)

    # context first, so parcels draw on top
    for key in ("zones", "assessments", "protected"):
        fc = safe_ctx.get(key, {"features": []})
        dv = DataVar(fc).add_to(m)
        GsGeoJson(
            dv,
            {
                "style": {"base": defn.data.get(f"{key[:-1]}_style", {}), "className": f"gs-{key}"},
                "tooltip": "name",
            },
            name=esc(defn.text(layers[key])),
            show=key != "assessments",
        ).add_to(m)
    net = DataVar(safe_ctx.get("infrastructure", {"features": []})).add_to(m)
    statuses = defn.section("network_status")
    for kind, ks in defn.section("network_kinds").items():
        GsGeoJson(
            net,
            {
                "filter": {"prop": "kind", "value": kind},
                "style": {
                    "base": {"color": ks["color"], "weight": ks.get("weight", 2)},
                    "by": "status",
                    "values": {s: {"dashArray": v.get("dashArray")} for s, v in statuses.items()},
                    "className": "gs-network",
                },
                "tooltip": "name",
            },
            name=esc(defn.text(layers["network"]) + defn.text(ks)),
        ).add_to(m)

    fail_style = {"base": defn.data.get("failure_style", {}), "className": "gs-fail"}
    if parcels is not None:
        props: dict[str, Any] = {"type": "FeatureCollection", "features": []}
        for f in parcels.get("features", []):
            props["features"].append(
                {
                    "type": "Feature",
                    "geometry": f["geometry"],
                    "properties": escape_tree(readiness_props(defn, f["properties"])),
                }
            )
        dv = DataVar(props).add_to(m)
        GsGeoJson(
            dv,
            {"style": style, "popup": popup, "tooltip": "code", "searchable": True},
            name=esc(defn.text(layers["parcels"])),
        ).add_to(m)
        for cond in CONDITIONS:
            GsGeoJson(
                dv,
                {"filter": {"prop": "fails", "value": cond}, "style": fail_style, "popup": popup},
                name=esc(defn.text(layers["fails"]) + defn.vocab("conditions", cond)),
                show=False,
            ).add_to(m)
    elif tiles_url is not None:
        tile_style = dict(style, by="cat")
        _vector_layer(
            m,
            tiles_url,
            {"style": tile_style, "popup": popup},
            esc(defn.text(layers["parcels"])),
            "parcels",
        )
        sep = "&" if "?" in tiles_url else "?"
        for cond in CONDITIONS:
            vg = plugins.VectorGridProtobuf(
                f"{tiles_url}{sep}fails={cond}",
                name=esc(defn.text(layers["fails"]) + defn.vocab("conditions", cond)),
                options=f"GS.vectorOptions({js_literal({'style': fail_style})}, 'parcels')",
                show=False,
            )
            vg.add_to(m)
    _controls(m, defn, "/api/v1/parcels/")

    zones = [
        (f["properties"]["code"], f["properties"].get("name") or f["properties"]["code"])
        for f in context.get("zones", {}).get("features", [])
    ]
    filters = _form(
        defn,
        path,
        [
            _select("zone", defn.label("zone"), zones, query.get("zone"), defn.label("all")),
            _select(
                "status",
                defn.label("status"),
                [(k, defn.text(v)) for k, v in defn.section("status_filter").items()],
                query.get("status"),
                defn.label("all"),
            ),
            _select(
                "fails",
                defn.text(layers["fails"]),
                [(c, defn.vocab("conditions", c)) for c in CONDITIONS],
                query.get("fails"),
                defn.label("all"),
            ),
        ],
    )
    legend = _legend(
        defn,
        [(v["color"], defn.text(v)) for v in cats.values()]
        + [(v["color"], defn.text(v)) for v in defn.section("network_kinds").values()],
    )
    count = "" if parcels is None else f" · {len(parcels.get('features', []))}"
    fig = m.get_root()
    fig.html.add_child(html_block(_title_panel(defn, path, query, esc(count))))
    fig.html.add_child(html_block(filters))
    fig.html.add_child(html_block(legend))
    folium.LayerControl(collapsed=True).add_to(m)
    return finish(m, settings)


# ------------------------------------------------------------------ investors (public)


def mu(value: Any) -> str:
    """亩 as shown to people: always 2 decimals."""
    return "" if value is None else f"{float(value):.2f}"


def readiness_summary(defn: MapDefinition, met: int) -> str:
    names = "、" if defn.lang == "zh" else ", "
    conds = names.join(defn.vocab("conditions", c) for c in CONDITIONS)
    head = defn.vocab("readiness_words", "net_land") if met == len(CONDITIONS) else f"{met}/5"
    return f"{head}: {conds}" if met == len(CONDITIONS) else head


def investor_props(
    defn: MapDefinition, p: Mapping[str, Any], fit: FitQuery | None
) -> dict[str, Any]:
    out = {
        "code": p.get("code"),
        "name": p.get("name"),
        "zone": p.get("zone_name") or p.get("zone"),
        "area_mu": mu(p.get("area_mu")),
        "land_use": defn.vocab("land_uses", p.get("land_use")),
        "industry": p.get("industry"),
        "supply_stage": defn.vocab("supply_stages", p.get("supply_stage")),
        "readiness": readiness_summary(defn, int(p.get("met") or 0)),
        "indicators": [indicator_text(defn, i) for i in p.get("indicators") or []],
        "contact": p.get("contact"),
        "sheet": quote(str(p.get("code")), safe=""),
    }
    if fit is not None:
        out["fit"] = bool(p.get("fit"))  # decided in PostGIS by data.fit_sql
    return out


def _investor_popup(defn: MapDefinition) -> dict[str, Any]:
    rows = [
        [k, esc(defn.label(k)), "list" if k == "indicators" else "text"]
        for k in defn.section("popup")
    ]
    rows.insert(len(rows) - 1, ["indicators", esc(defn.label("indicators")), "list"])
    suffix = "?lang=en" if defn.lang == "en" else ""
    return {
        "title": "name",
        "rows": rows,
        "link": {
            "key": "sheet",
            "base": "/maps/investors/parcels/",
            "label": esc(defn.label("sheet")),
            "suffix": suffix,
        },
    }


def render_investors(
    defn: MapDefinition,
    settings: Settings,
    *,
    parcels: Mapping[str, Any] | None,
    choices: Mapping[str, list[tuple[str, str]]],
    query: Mapping[str, Any],
    fit: FitQuery | None = None,
    tiles_url: str | None = None,
    extent: list[list[float]] | None = None,
    fitting_plots: Iterable[Mapping[str, Any]] | None = None,
    path: str = "/maps/investors",
) -> Page:
    """The public map: available net-land plots, public fields only, simplified geometry.

    Embedded mode (``parcels``): each feature carries ``fit``. Tile mode (``tiles_url``): the
    page carries only the fitting plots' codes (``fitting_plots``, from ``data.fitting_plots``)
    and the tiles' style function highlights them; the search box asks
    ``/maps/investors/find`` for a plot's place and popup.
    """
    style = {
        "base": defn.data.get("parcel_style", {}),
        "flags": [
            {"prop": "fit", "equals": True, "style": defn.data.get("fit_style", {})},
            {"prop": "fit", "equals": False, "style": defn.data.get("nofit_style", {})},
        ],
        "className": "gs-parcel",
    }
    popup = _investor_popup(defn)
    layers = defn.section("layers")
    m = new_map(defn, settings, bounds_of([parcels]) if parcels is not None else extent)
    fitting: list[dict[str, Any]] = []
    if parcels is not None:
        fc: dict[str, Any] = {"type": "FeatureCollection", "features": []}
        for f in parcels.get("features", []):
            props = escape_tree(investor_props(defn, f["properties"], fit))
            if props.get("fit"):
                fitting.append(props)
            fc["features"].append(
                {"type": "Feature", "geometry": f["geometry"], "properties": props}
            )
        dv = DataVar(fc).add_to(m)
        GsGeoJson(
            dv,
            {"style": style, "popup": popup, "tooltip": "code", "searchable": True},
            name=esc(defn.text(layers["parcels"])),
        ).add_to(m)
    elif tiles_url is not None:
        vector_spec: dict[str, Any] = {"style": style, "popup": popup}
        if fit is not None:
            for p in fitting_plots or []:
                fitting.append(
                    escape_tree(
                        {
                            "code": p.get("code"),
                            "name": p.get("name"),
                            "area_mu": mu(p.get("area_mu")),
                            "sheet": quote(str(p.get("code")), safe=""),
                        }
                    )
                )
            # escaped like the search index; the browser escapes a tile's code to compare
            vector_spec["fitCodes"] = [p["code"] for p in fitting]
        _vector_layer(m, tiles_url, vector_spec, esc(defn.text(layers["parcels"])), "parcels")
    if parcels is None:
        _controls(m, defn, "/maps/investors/find/", popup, "?lang=en" if defn.lang == "en" else "")
    else:
        _controls(m, defn, None)

    fl = defn.section("filter_labels")
    filters = _form(
        defn,
        path,
        [
            _select(
                "zone",
                defn.label("zone"),
                choices.get("zones", []),
                query.get("zone"),
                defn.label("all"),
            ),
            _select(
                "industry",
                defn.text(fl["industry"]),
                choices.get("industries", []),
                query.get("industry"),
                defn.label("all"),
            ),
            _number("min_area_mu", defn.text(fl["min_area_mu"]), query.get("min_area_mu")),
            _number("max_area_mu", defn.text(fl["max_area_mu"]), query.get("max_area_mu")),
            f"<hr><b>{esc(defn.text(defn.section('fit')['title']))}</b>",
            _number(
                "investment_wan",
                defn.text(defn.section("fit")["investment_wan"]),
                query.get("investment_wan"),
            ),
            _number("area_mu", defn.text(defn.section("fit")["area_mu"]), query.get("area_mu")),
            _number(
                "tax_per_mu", defn.text(defn.section("fit")["tax_per_mu"]), query.get("tax_per_mu")
            ),
        ],
    )
    fig = m.get_root()
    fig.html.add_child(html_block(_title_panel(defn, path, query)))
    fig.html.add_child(html_block(filters))
    leg = defn.section("legend")
    rows = [(leg["available"]["color"], defn.text(leg["available"]))]
    if fit is not None:
        rows += [(leg[k]["color"], defn.text(leg[k])) for k in ("fits", "no_fit")]
    fig.html.add_child(html_block(_legend(defn, rows)))
    if fit is not None:
        suffix = "?lang=en" if defn.lang == "en" else ""
        items = (
            "".join(
                f'<li><a href="/maps/investors/parcels/{p["sheet"]}{suffix}">'
                f"{p['code']} {p['name']}</a>"
                f" ({p['area_mu']} {esc('亩' if defn.lang == 'zh' else 'mu')})</li>"
                for p in fitting[:FIT_LIST_MAX]
            )
            + ("<li>…</li>" if len(fitting) > FIT_LIST_MAX else "")
            or f"<li>{esc(defn.text(defn.section('fit')['none']))}</li>"
        )
        fig.html.add_child(
            html_block(
                '<div class="gs-panel gs-fitlist" id="gs-fit">'
                f"<b>{esc(defn.text(defn.section('fit')['result']))}"
                f" ({len(fitting)})</b><ul>{items}</ul></div>"
            )
        )
    if settings.map_review_number:
        fig.html.add_child(
            html_block(
                f'<div class="gs-panel gs-review">{esc(defn.label("review_number"))}：'
                f"{esc(settings.map_review_number)}</div>"
            )
        )
    folium.LayerControl(collapsed=True).add_to(m)
    return finish(m, settings)


def render_plot_sheet(defn: MapDefinition, settings: Settings, *, sheet: Mapping[str, Any]) -> Page:
    """A printable page for one plot: inset map, indicators, assessments, conditions, contact."""
    f = sheet["feature"]
    raw = f["properties"]
    p = escape_tree(investor_props(defn, raw, None))
    m = new_map(defn, settings, bounds_of([{"features": [f]}]))
    m.get_root().title = esc(f"{raw.get('code')} {raw.get('name')}")
    GsGeoJson(
        DataVar(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": f["geometry"], "properties": p}],
            }
        ).add_to(m),
        {
            "style": {"base": defn.data.get("parcel_style", {}), "className": "gs-parcel"},
            "tooltip": "code",
        },
        name=esc(defn.text(defn.section("layers")["parcels"])),
    ).add_to(m)
    s = defn.section("sheet")
    kinds = defn.data.get("assessment_kinds", {})

    def row(k: str, v: Any) -> str:
        return f"<tr><th>{esc(k)}</th><td>{v}</td></tr>"

    facts = "".join(
        [
            row(defn.label("code"), p["code"]),
            row(defn.label("zone"), p["zone"] or ""),
            row(defn.label("area_mu"), p["area_mu"]),
            row(defn.label("land_use"), p["land_use"] or ""),
            row(defn.label("industry"), p["industry"] or ""),
            row(defn.label("supply_stage"), p["supply_stage"]),
            row(defn.label("readiness"), p["readiness"]),
            row(defn.label("contact"), p["contact"] or ""),
        ]
    )
    inds = "".join(f"<li>{i}</li>" for i in p["indicators"]) or "<li>—</li>"
    assessments = "".join(
        f"<tr><td>{esc(defn.text(kinds.get(a['kind']), a['kind']))}</td>"
        f"<td>{esc(a.get('name'))}</td>"
        f"<td>{esc(a.get('valid_until') or '—')}</td></tr>"
        for a in sheet.get("assessments", [])
    )
    conds = "".join(
        f'<tr class="gs-st-{esc(c["status"])}">'
        f"<td>{esc(defn.vocab('conditions', c['condition']))}</td>"
        f"<td><b>{esc(defn.vocab('condition_status', c['status']))}</b></td>"
        f"<td>{esc(c.get('verified_at') or '')}</td></tr>"
        for c in sheet.get("conditions", [])
    )
    back = "/maps/investors?lang=en" if defn.lang == "en" else "/maps/investors"
    review = (
        f"<p>{esc(defn.label('review_number'))}：{esc(settings.map_review_number)}</p>"
        if settings.map_review_number
        else ""
    )
    body = (
        f'<div class="gs-sheet"><h1>{p["name"]}</h1>'
        f'<p class="gs-noprint"><a href="{esc(back)}">{esc(defn.text(s["back"]))}</a> '
        f'<button type="button" data-gs-print>{esc(defn.label("print"))}</button></p>'
        f"<table>{facts}</table><h2>{esc(defn.label('indicators'))}</h2><ul>{inds}</ul>"
        f"<h2>{esc(defn.text(s['assessments']))}</h2><table>{assessments}</table>"
        f"<h2>{esc(defn.label('conditions'))}</h2><table>"
        f"<tr><th>{esc(defn.label('conditions'))}</th><th>{esc(defn.label('status'))}</th>"
        f"<th>{esc(defn.label('verified_at'))}</th></tr>{conds}</table>{review}</div>"
    )
    m.get_root().html.add_child(html_block(body))
    m.get_root().header.add_child(
        html_block(
            "<style>.folium-map{height:320px!important;position:relative!important}"
            "html,body{height:auto!important;overflow:auto!important}</style>"
        )
    )
    return finish(m, settings)


# ------------------------------------------------------------------ projects (officials)


def project_props(defn: MapDefinition, p: Mapping[str, Any]) -> dict[str, Any]:
    problems = [
        f"{x.get('description')}" + (f" ({x['deadline']})" if x.get("deadline") else "")
        for x in p.get("problems") or []
    ]
    total = p.get("total_investment_wan")
    milestone = p.get("next_milestone")
    return {
        "code": p.get("code"),
        "name": p.get("name"),
        "status": p.get("status"),
        "status_text": defn.vocab("statuses", p.get("status")),
        "domain": defn.vocab("domains", p.get("domain")),
        "leader": p.get("leader"),
        "unit": p.get("unit"),
        "rag": p.get("rag"),
        "rag_text": defn.vocab("rag", p.get("rag")),
        "total_investment_wan": float(total or 0),
        "total_investment_yi": round(float(total or 0) / 10_000, 2),
        "planned_investment_wan": p.get("planned_investment_wan"),
        "completed_wan": p.get("completed_wan"),
        "progress_pct": None if p.get("progress_pct") is None else f"{p['progress_pct']} %",
        "next_milestone": f"{milestone} ({p.get('next_milestone_due')})" if milestone else None,
        "open_problems": problems,
        "overdue": bool(p.get("overdue")),
    }


def render_projects(
    defn: MapDefinition,
    settings: Settings,
    *,
    projects: Mapping[str, Any],
    stats: Mapping[str, Any],
    choices: Mapping[str, list[Any]],
    query: Mapping[str, Any],
    path: str = "/maps/projects",
) -> Page:
    """The officials' map: projects by status, RAG highlighted, headline figures, wall print."""
    labels = defn.section("labels")
    statuses, rag = defn.section("statuses"), defn.section("rag")
    hl = defn.data.get("highlight", {})
    mk = defn.section("marker")
    feats = []
    top = 1.0
    for f in projects.get("features", []):
        props = escape_tree(project_props(defn, f["properties"]))
        top = max(top, float(props["total_investment_wan"]))
        feats.append({"type": "Feature", "geometry": f["geometry"], "properties": props})
    spec = {
        "style": {
            "base": {"color": "#333333", "weight": mk["weight"], "fillOpacity": mk["fillOpacity"]},
            "by": "status",
            "values": {k: {"fillColor": v["color"]} for k, v in statuses.items()},
            "flags": [{"prop": "rag", "equals": k, "style": v} for k, v in hl.items()],
            "className": "gs-project",
        },
        "radius": {
            "prop": "total_investment_wan",
            "min": mk["min_radius"],
            "max": mk["max_radius"],
            "top": top,
        },
        "tooltip": "name",
        "searchable": True,
        "popup": {
            "title": "name",
            "rows": [
                ["code", esc(defn.label("code"))],
                ["status_text", esc(defn.text(labels["status"]))],
                ["domain", esc(defn.text(labels["domain"]))],
                ["leader", esc(defn.text(labels["leader"]))],
                ["unit", esc(defn.text(labels["unit"]))],
                ["total_investment_yi", esc(defn.text(labels["total_investment_yi"]))],
                ["planned_investment_wan", esc(defn.text(labels["planned_investment_wan"]))],
                ["completed_wan", esc(defn.text(labels["completed_wan"]))],
                ["progress_pct", esc(defn.text(labels["progress_pct"]))],
                ["next_milestone", esc(defn.text(labels["next_milestone"]))],
                ["open_problems", esc(defn.text(labels["open_problems"])), "list"],
                ["rag_text", esc(defn.text(labels["rag"]))],
            ],
        },
    }
    fc = {"type": "FeatureCollection", "features": feats}
    m = new_map(defn, settings, bounds_of([fc]))
    dv = DataVar(fc).add_to(m)
    name = esc(defn.text(defn.section("layers")["projects"]))
    if len(feats) > int(defn.data.get("cluster_above", 30)):
        cluster = plugins.MarkerCluster(name=name, options=defn.data.get("cluster_options", {}))
        cluster.add_to(m)
        layer = GsGeoJson(dv, spec, name=name)
        layer.control = False
        layer.add_to(cluster)
    else:
        GsGeoJson(dv, spec, name=name).add_to(m)
    _controls(m, defn, None)

    def fig_cell(label_key: str, value: Any) -> str:
        shown = esc(value if value is not None else "—")
        return f"<div><b>{shown}</b>{esc(defn.text(labels[label_key]))}</div>"

    pr, inv, pb = stats.get("projects", {}), stats.get("investment", {}), stats.get("problems", {})
    n_overdue = sum(1 for f in feats if f["properties"]["overdue"])
    figures = (
        '<div class="gs-panel gs-figures">'
        + fig_cell("headline_count", pr.get("count"))
        + fig_cell("headline_total", inv.get("total_yi"))
        + fig_cell("headline_planned", inv.get("planned_this_year_yi"))
        + fig_cell(
            "headline_start_rate",
            None if pr.get("start_rate_pct") is None else f"{pr['start_rate_pct']} %",
        )
        + fig_cell("headline_problems", f"{pb.get('resolved', 0)}/{pb.get('found', 0)}")
        + fig_cell("headline_overdue", n_overdue)
        + "</div>"
    )
    all_ = defn.label("all")
    filters = _form(
        defn,
        path,
        [
            _select(
                "status",
                defn.text(labels["status"]),
                [(k, defn.text(v)) for k, v in statuses.items()],
                query.get("status"),
                all_,
            ),
            _select(
                "domain",
                defn.text(labels["domain"]),
                [(k, defn.text(v)) for k, v in defn.section("domains").items()],
                query.get("domain"),
                all_,
            ),
            _select(
                "leader",
                defn.text(labels["leader"]),
                [(x, x) for x in choices.get("leaders", [])],
                query.get("leader"),
                all_,
            ),
            _select(
                "unit",
                defn.text(labels["unit"]),
                [(x, x) for x in choices.get("units", [])],
                query.get("unit"),
                all_,
            ),
            _select(
                "round",
                defn.text(labels["round"]),
                [(x, str(x)) for x in choices.get("rounds", [])],
                query.get("round"),
                all_,
            ),
            _select(
                "rag",
                defn.text(labels["rag"]),
                [(k, defn.text(v)) for k, v in rag.items()],
                query.get("rag"),
                all_,
            ),
        ],
    )
    wall_q = dict(query, layout="wall")
    wall_href = path + "?" + urlencode({k: v for k, v in wall_q.items() if v not in (None, "")})
    wall = f' <a class="gs-noprint" href="{esc(wall_href)}">{esc(defn.text(labels["wall"]))}</a>'
    fig = m.get_root()
    fig.html.add_child(html_block(_title_panel(defn, path, query, wall)))
    fig.html.add_child(html_block(figures))
    if query.get("layout") != "wall":
        fig.html.add_child(html_block(filters))
    else:
        fig.html.add_child(html_block("<div data-gs-wall hidden></div>"))
    fig.html.add_child(
        html_block(
            _legend(
                defn,
                [(v["color"], defn.text(v)) for v in statuses.values()]
                + [(v["color"], defn.text(v)) for v in rag.values()],
            )
        )
    )
    folium.LayerControl(collapsed=True).add_to(m)
    return finish(m, settings)
