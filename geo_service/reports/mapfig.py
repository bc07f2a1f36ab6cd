"""The map figure of the weekly report: flagged projects over the counties' outlines, no tiles.

A local equirectangular projection (x scaled by cos(latitude)); labels that would overlap are
left off, and ``dense_area`` picks the crowded area that gets an enlarged figure of its own.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from geo_service.reports.svg import GREY, RED, YELLOW, legend, svg


def _rings(geom: dict[str, Any]) -> list[list[list[float]]]:
    if geom["type"] == "Polygon":
        return list(geom["coordinates"])
    if geom["type"] == "MultiPolygon":
        return [ring for poly in geom["coordinates"] for ring in poly]
    return []


def geometry_rings(geoms: Sequence[dict[str, Any]]) -> list[list[list[float]]]:
    """The rings (lon/lat) of GeoJSON polygons (the counties' outlines)."""
    return [ring for g in geoms for ring in _rings(g)]


def point_label(code: str) -> str:
    """A project's label on the figure: its number, with the county's letters when its code has
    any before ``XM`` (``XM2026-018`` → ``018``, ``DCXM2026-001`` → ``DC001``)."""
    m = re.match(r"^([A-Z]*)XM\d{4}-(\w+)$", code)
    return f"{m[1]}{m[2]}" if m else code.rsplit("-", 1)[-1]


def boundary_rings(path: Path) -> list[list[list[float]]]:
    """The district outline's rings (lon/lat) from a GeoJSON file; empty when unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    feats = data.get("features") if data.get("type") == "FeatureCollection" else [data]
    out = []
    for f in feats or []:
        g = f.get("geometry") if f.get("type") == "Feature" else f
        if g:
            out.extend(_rings(g))
    return out


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def dense_area(
    points: Sequence[dict[str, Any]],
    *,
    rings: Sequence[Sequence[Sequence[float]]] = (),
    radius_deg: float = 0.03,
    min_points: int = 10,
) -> list[dict[str, Any]]:
    """The points that get an enlarged figure of their own: those within ``radius_deg`` of the
    median point when there are enough of them to crowd the map, or all of them when they sit in
    a corner of an outline more than eight times their extent (a county's one zone)."""
    if len(points) < min_points:
        if len(points) < 2 or not rings:
            return []
        extent = [max(v) - min(v) for v in zip(*(c for r in rings for c in r), strict=False)][:2]
        spread = [max(p[k] for p in points) - min(p[k] for p in points) for k in ("lon", "lat")]
        small = all(s * 8 < e for s, e in zip(spread, extent, strict=False))
        return list(points) if len(extent) == 2 and small else []
    lons = sorted(p["lon"] for p in points)
    lats = sorted(p["lat"] for p in points)
    mx, my = lons[len(lons) // 2], lats[len(lats) // 2]
    near = [
        p for p in points if abs(p["lon"] - mx) <= radius_deg and abs(p["lat"] - my) <= radius_deg
    ]
    return near if len(near) >= min_points else []


#: kilometres per degree of latitude (and per degree of longitude × cos(latitude))
KM_PER_DEGREE = 111.32


#: the lengths a scale bar may have (km)
_BAR_KM = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)


def _scale_bar(
    items: list[dict[str, Any]], *, px_per_km: float, x: float, y: float, w: int
) -> None:
    """A scale bar of a round length, at most about a fifth of the figure, and a north arrow."""
    target = w / 5 / px_per_km
    length = max((n for n in _BAR_KM if n <= target), default=_BAR_KM[0])
    bar = length * px_per_km
    for x1, x2, y1, y2 in ((x, x + bar, y, y), (x, x, y - 4, y), (x + bar, x + bar, y - 4, y)):
        items.append({"k": "line", "x1": x1, "y1": y1, "x2": x2, "y2": y2, "color": "#333"})
    label = f"{length:g} 公里"
    items.append({"k": "text", "x": x + bar + 6, "y": y + 3, "size": 9, "text": label})
    items.append({"k": "text", "x": w - 24, "y": 46, "size": 13, "text": "N", "anchor": "middle"})
    items.append({"k": "line", "x1": w - 24, "y1": 66, "x2": w - 24, "y2": 50, "color": "#333",
                  "width": 2})  # fmt: skip


def map_figure(
    rings: Sequence[Sequence[Sequence[float]]],
    points: Sequence[dict[str, Any]],
    *,
    title: str,
    w: int = 720,
    h: int = 520,
    label: bool = True,
) -> str:
    """The flagged projects (``{"code", "rag", "lon", "lat"}``) over the district outline, in a
    local equirectangular projection (x scaled by cos(latitude)); no tiles."""
    lons = [c[0] for r in rings for c in r] + [p["lon"] for p in points]
    lats = [c[1] for r in rings for c in r] + [p["lat"] for p in points]
    items: list[dict[str, Any]] = []
    placed: list[tuple[float, float, float, float]] = []
    if lons:
        lat0 = (min(lats) + max(lats)) / 2
        k = math.cos(math.radians(lat0))
        x0, x1 = min(lons) * k, max(lons) * k
        y0, y1 = min(lats), max(lats)
        pad, top = 20.0, 36.0
        span = max(x1 - x0, y1 - y0, 1e-6)
        room = 40.0  # on the right, for the labels of the easternmost points
        scale = min(
            (w - 2 * pad - room) / max(x1 - x0, span * 0.05),
            (h - top - pad - 24) / max(y1 - y0, span * 0.05),
        )
        ox = (w - room - (x1 - x0) * scale) / 2
        oy = top + ((h - top - pad - 24) - (y1 - y0) * scale) / 2

        def xy(lon: float, lat: float) -> tuple[float, float]:
            return round(ox + (lon * k - x0) * scale, 1), round(oy + (y1 - lat) * scale, 1)

        _scale_bar(items, px_per_km=scale / KM_PER_DEGREE, x=pad, y=h - 30, w=w)

        for r in rings:
            d = "M" + " L".join("{},{}".format(*xy(c[0], c[1])) for c in r) + " Z"
            items.append(
                {"k": "path", "d": d, "fill": "#f4f1e8", "stroke": "#7a6a4f", "width": 1.5}
            )
        for p in sorted(points, key=lambda p: p["rag"] == "red"):
            cx, cy = xy(p["lon"], p["lat"])
            color = RED if p["rag"] == "red" else YELLOW
            items.append(
                {
                    "k": "pt",
                    "series": p["rag"],
                    "x_label": p["code"],
                    "value": p["code"],
                    "cx": cx,
                    "cy": cy,
                    "r": 4.5,
                    "color": color,
                    "tip": f"{p['code']} {p.get('name', '')}",
                }
            )
            text = point_label(str(p["code"]))
            box = (cx + 5, cy - 12, cx + 7 + 5 * len(text), cy - 2)
            # a label that would overlap one already placed is left off (the point stays)
            if label and p["rag"] == "red" and not any(_overlap(box, b) for b in placed):
                placed.append(box)
                items.append(
                    {
                        "k": "text",
                        "x": cx + 5,
                        "y": cy - 4,
                        "size": 8,
                        "text": text,
                        "color": "#7f0000",
                    }
                )
    items.append(
        {
            "k": "text",
            "x": 20,
            "y": h - 10,
            "size": 10,
            "color": GREY,
            "text": "红点：红灯项目（标注项目编号末段）；黄点：黄灯项目。示意图，非测绘成果。",
        }
    )
    legend(items, [("红灯", RED), ("黄灯", YELLOW)], x=w - 170, y=h - 10)
    return svg("map", title, w, h, items)
