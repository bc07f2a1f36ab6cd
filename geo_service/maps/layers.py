"""Folium building blocks: embedded data once, layers drawn by ``gs-maps.js``, local assets.

Folium's own ``Popup``/``Tooltip`` are not used: they paste HTML into JavaScript template literals
(``${...}`` inside a name would run). Popups here are built in the browser from properties that
these classes HTML-escape themselves (:func:`escape_tree`) on their way into the page, so callers
pass raw values and safety never depends on an earlier call. Panels around the map are Jinja2
templates with autoescape (:mod:`geo_service.maps.panels`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

STATIC = "/static"


def js_literal(obj: Any) -> str:
    """JSON safe to place inside a <script> block (no ``</script>``, no U+2028 surprises)."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)
    return (
        s.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


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


class Assets(JSCSSMixin, MacroElement):
    """Our own script and stylesheet (served from /static)."""

    default_js = [("gs_maps_js", f"{STATIC}/gs-maps.js")]
    default_css = [("gs_maps_css", f"{STATIC}/gs-maps.css")]
    _template = Template("")


class DataVar(MacroElement):
    """``var NAME = <json>;`` once, so several layers can draw from the same features."""

    _template = Template(
        "{% macro script(this, kwargs) %}var {{ this.get_name() }} = {{ this.js }};{% endmacro %}"
    )

    def __init__(self, data: Any) -> None:
        super().__init__()
        self._name = "gs_data"
        self.js = js_literal(escape_tree(data))


class GsGeoJson(folium.map.Layer):
    """A GeoJSON layer styled, filtered and given popups by ``GS.geojson`` from a spec."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = GS.geojson({{ this.data_var }}, {{ this.spec }});"
        "{% endmacro %}"
    )

    def __init__(self, data: Any, spec: dict[str, Any], *, name: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "gs_layer"
        self.data_var = data.get_name()
        self.spec = js_literal(escape_tree(spec))


class GsCall(MacroElement):
    """``GS.<fn>(<parent>, <json>)`` after the parent exists (search, measuring, …)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "GS.{{ this.fn }}({{ this._parent.get_name() }}, {{ this.arg }});"
        "{% endmacro %}"
    )

    def __init__(self, fn: str, arg: Any) -> None:
        super().__init__()
        self.fn = fn
        self.arg = js_literal(escape_tree(arg))


class MetricScale(MacroElement):
    """The scale bar in metres and kilometres only (Leaflet's default adds a line in feet)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


class VectorPopups(MacroElement):
    """Popups for a VectorGridProtobuf layer (its properties come raw and are escaped in JS)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "GS.bindVectorPopups({{ this.layer }}, {{ this.spec }});"
        "{% endmacro %}"
    )

    def __init__(self, layer: folium.map.Layer, spec: dict[str, Any]) -> None:
        super().__init__()
        self.layer = layer.get_name()
        self.spec = js_literal(escape_tree(spec))


def html_block(markup: str) -> Element:
    """A piece of page HTML from :func:`geo_service.maps.panels.panel` (autoescaped)."""
    return Element(markup)
