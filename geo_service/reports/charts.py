"""Server-rendered SVG charts (no script, no CDN): lines, grouped bars, stacked bars, a map.

Geometry is worked out here; ``templates/chart.svg.j2`` writes it with Jinja2 autoescaping, so
every label (a leader's name, a unit, a project code) is escaped. Each data point carries
``data-series``, ``data-x`` and ``data-value`` so tests and scripts can read the values back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from geo_service.reports import series as S
from geo_service.settings import Settings

RED, YELLOW, GREEN = "#d7191c", "#f29e2e", "#1a9641"
BLUE, GREY, DARK = "#2b6cb0", "#8c8c8c", "#444444"

CHART_NAMES = (
    "start-rate",
    "investment",
    "problems",
    "by-domain",
    "by-leader",
    "by-unit",
    "reserve",
)
#: which charts a report puts in, in order
WEEKLY_CHARTS = ("start-rate", "investment", "problems", "by-domain")


@lru_cache(maxsize=1)
def env() -> Environment:
    return Environment(
        loader=PackageLoader("geo_service.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _svg(name: str, title: str, w: int, h: int, items: list[dict[str, Any]]) -> str:
    return env().get_template("chart.svg.j2").render(name=name, title=title, w=w, h=h, items=items)


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= v:
            return float(m * exp)
    return float(10 * exp)


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def _axes(
    items: list[dict[str, Any]],
    *,
    left: float,
    top: float,
    pw: float,
    ph: float,
    y_max: float,
    unit: str,
    labels: Sequence[str],
    xs: Sequence[float],
) -> None:
    for i in range(6):
        v = y_max * i / 5
        y = top + ph - ph * i / 5
        items.append(
            {"k": "line", "x1": left, "y1": y, "x2": left + pw, "y2": y, "color": "#e3e3e3"}
        )
        items.append({"k": "text", "x": left - 6, "y": y + 4, "text": _fmt(v), "anchor": "end"})
    items.append(
        {"k": "line", "x1": left, "y1": top + ph, "x2": left + pw, "y2": top + ph, "color": DARK}
    )
    items.append({"k": "text", "x": left - 6, "y": top - 8, "text": unit, "anchor": "end"})
    step = max(1, math.ceil(len(labels) / 14))
    for i, (lab, x) in enumerate(zip(labels, xs, strict=True)):
        if i % step == 0 or i == len(labels) - 1:
            items.append({"k": "text", "x": x, "y": top + ph + 16, "text": lab, "anchor": "middle"})


def _legend(
    items: list[dict[str, Any]], entries: Sequence[tuple[str, str]], *, x: float, y: float
) -> None:
    for name, color in entries:
        items.append(
            {
                "k": "line",
                "x1": x,
                "y1": y - 4,
                "x2": x + 18,
                "y2": y - 4,
                "color": color,
                "width": 4,
            }
        )
        items.append({"k": "text", "x": x + 22, "y": y, "text": name})
        x += 30 + 13 * len(name)


def line_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[dict[str, Any]],
    *,
    unit: str,
    refs: Sequence[dict[str, Any]] = (),
    y_max: float | None = None,
    w: int = 720,
    h: int = 300,
) -> str:
    """Lines over categories. ``series``: ``{"key", "name", "color", "values": [float|None]}``;
    ``refs``: horizontal target lines ``{"value", "label", "color"}``."""
    left, top, right, bottom = 56.0, 46.0, 20.0, 40.0
    pw, ph = w - left - right, h - top - bottom
    values = [v for s in series for v in s["values"] if v is not None]
    top_v = max(values + [r["value"] for r in refs] + [0.0])
    y_max = y_max or _nice_max(top_v * 1.05)
    n = max(1, len(labels))
    xs = [left + pw * (i + 0.5) / n for i in range(len(labels))]
    items: list[dict[str, Any]] = []
    _axes(items, left=left, top=top, pw=pw, ph=ph, y_max=y_max, unit=unit, labels=labels, xs=xs)

    def y_of(v: float) -> float:
        return round(top + ph - ph * min(v, y_max) / y_max, 1)

    for r in refs:
        y = y_of(r["value"])
        items.append(
            {
                "k": "line",
                "x1": left,
                "y1": y,
                "x2": left + pw,
                "y2": y,
                "color": r.get("color", RED),
                "dash": "6 4",
                "width": 1.5,
            }
        )
        items.append(
            {
                "k": "text",
                "x": left + 6,
                "y": y - 4,
                "text": r["label"],
                "color": r.get("color", RED),
            }
        )
    for s in series:
        pts = [(x, v) for x, v in zip(xs, s["values"], strict=True) if v is not None]
        if len(pts) > 1:
            items.append(
                {
                    "k": "poly",
                    "series": s["key"],
                    "color": s["color"],
                    "points": " ".join(f"{round(x, 1)},{y_of(v)}" for x, v in pts),
                }
            )
        for (x, v), lab in zip(
            ((x, v) for x, v in zip(xs, s["values"], strict=True)), labels, strict=True
        ):
            if v is None:
                continue
            items.append(
                {
                    "k": "pt",
                    "series": s["key"],
                    "x_label": lab,
                    "value": v,
                    "cx": round(x, 1),
                    "cy": y_of(v),
                    "color": s["color"],
                    "tip": f"{s['name']} {lab}: {_fmt(v)}{unit}",
                }
            )
    _legend(items, [(s["name"], s["color"]) for s in series], x=left, y=38)
    return _svg(name, title, w, h, items)


def bar_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[dict[str, Any]],
    *,
    unit: str,
    w: int = 720,
    h: int = 300,
) -> str:
    """Grouped vertical bars, one group per label, one bar per series."""
    left, top, right, bottom = 56.0, 46.0, 20.0, 40.0
    pw, ph = w - left - right, h - top - bottom
    values = [v for s in series for v in s["values"]]
    if all(isinstance(v, int) for v in values):  # counts: whole-number ticks
        y_max = float(max(5, 5 * math.ceil(max(values + [0]) / 5)))
    else:
        y_max = _nice_max(max(values + [0.0]) * 1.05)
    n = max(1, len(labels))
    slot = pw / n
    xs = [left + slot * (i + 0.5) for i in range(len(labels))]
    items: list[dict[str, Any]] = []
    _axes(items, left=left, top=top, pw=pw, ph=ph, y_max=y_max, unit=unit, labels=labels, xs=xs)
    bw = slot * 0.8 / max(1, len(series))
    for j, s in enumerate(series):
        for i, (lab, v) in enumerate(zip(labels, s["values"], strict=True)):
            bh = ph * v / y_max
            items.append(
                {
                    "k": "bar",
                    "series": s["key"],
                    "x_label": lab,
                    "value": v,
                    "x": round(left + slot * i + slot * 0.1 + bw * j, 1),
                    "y": round(top + ph - bh, 1),
                    "bw": round(bw, 1),
                    "bh": round(bh, 1),
                    "color": s["color"],
                    "tip": f"{s['name']} {lab}: {_fmt(v)}{unit}",
                }
            )
    _legend(items, [(s["name"], s["color"]) for s in series], x=left, y=38)
    return _svg(name, title, w, h, items)


def stacked_hbar_chart(
    name: str,
    title: str,
    rows: Sequence[dict[str, Any]],
    segments: Sequence[tuple[str, str, str]],
    *,
    unit: str,
    w: int = 720,
) -> str:
    """One horizontal bar per row (``{"label", key: value…}``), stacked by ``segments``
    (key, name, colour)."""
    label_w = 16 + 12 * max([len(str(r["label"])) for r in rows] + [4])
    left, top, right, row_h = min(float(label_w), 300.0), 50.0, 40.0, 22.0
    h = int(top + row_h * max(1, len(rows)) + 20)
    pw = w - left - right
    total_max = _nice_max(max([sum(r[k] for k, _, _ in segments) for r in rows] + [1]))
    items: list[dict[str, Any]] = []
    for i, r in enumerate(rows):
        y = top + row_h * i
        items.append({"k": "text", "x": left - 6, "y": y + 14, "text": r["label"], "anchor": "end"})
        x = left
        for key, seg_name, color in segments:
            v = r[key]
            bw = pw * v / total_max
            if v:
                items.append(
                    {
                        "k": "bar",
                        "series": key,
                        "x_label": r["label"],
                        "value": v,
                        "x": round(x, 1),
                        "y": y + 3,
                        "bw": round(bw, 1),
                        "bh": row_h - 6,
                        "color": color,
                        "tip": f"{r['label']} {seg_name}: {v}{unit}",
                    }
                )
            x += bw
        items.append(
            {
                "k": "text",
                "x": round(x + 4, 1),
                "y": y + 14,
                "text": str(sum(r[k] for k, _, _ in segments)),
            }
        )
    _legend(items, [(n, c) for _, n, c in segments], x=left, y=40)
    return _svg(name, title, w, h, items)


def _rings(geom: dict[str, Any]) -> list[list[list[float]]]:
    if geom["type"] == "Polygon":
        return list(geom["coordinates"])
    if geom["type"] == "MultiPolygon":
        return [ring for poly in geom["coordinates"] for ring in poly]
    return []


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
    points: Sequence[dict[str, Any]], *, radius_deg: float = 0.03, min_points: int = 10
) -> list[dict[str, Any]]:
    """The points within ``radius_deg`` of the median point, when there are enough of them to
    crowd the district map (they get an enlarged figure of their own)."""
    if len(points) < min_points:
        return []
    lons = sorted(p["lon"] for p in points)
    lats = sorted(p["lat"] for p in points)
    mx, my = lons[len(lons) // 2], lats[len(lats) // 2]
    near = [
        p for p in points if abs(p["lon"] - mx) <= radius_deg and abs(p["lat"] - my) <= radius_deg
    ]
    return near if len(near) >= min_points else []


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
        scale = min(
            (w - 2 * pad) / max(x1 - x0, span * 0.05),
            (h - top - pad - 24) / max(y1 - y0, span * 0.05),
        )
        ox = (w - (x1 - x0) * scale) / 2
        oy = top + ((h - top - pad - 24) - (y1 - y0) * scale) / 2

        def xy(lon: float, lat: float) -> tuple[float, float]:
            return round(ox + (lon * k - x0) * scale, 1), round(oy + (y1 - lat) * scale, 1)

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
            text = str(p["code"]).rsplit("-", 1)[-1]
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
    _legend(items, [("红灯", RED), ("黄灯", YELLOW)], x=w - 170, y=h - 10)
    return _svg("map", title, w, h, items)


# ------------------------------------------------------------------ the named charts


def start_rate_chart(monthly: dict[str, Any]) -> str:
    pts = monthly["points"]
    refs = [
        {
            "value": t["target_pct"],
            "label": f"目标 {t['target_pct']:.0f}%（{t['by'][5:7].lstrip('0')}月底）",
            "color": RED if i == 0 else "#8e44ad",
        }
        for i, t in enumerate(monthly["targets"])
    ]
    return line_chart(
        "start-rate",
        f"{monthly['year'] or ''}年开工率走势与目标",
        [p["label"] for p in pts],
        [
            {
                "key": "start_rate",
                "name": "开工率",
                "color": BLUE,
                "values": [p["start_rate_pct"] for p in pts],
            }
        ],
        unit="%",
        refs=refs,
        y_max=100,
    )


def investment_chart(monthly: dict[str, Any]) -> str:
    pts = monthly["points"]
    return line_chart(
        "investment",
        f"{monthly['year'] or ''}年计划与完成投资（累计）",
        [p["label"] for p in pts],
        [
            {
                "key": "plan",
                "name": "计划（序时进度）",
                "color": GREY,
                "values": [p["plan_yi"] for p in pts],
            },
            {
                "key": "completed",
                "name": "实际完成",
                "color": BLUE,
                "values": [p["completed_yi"] for p in pts],
            },
        ],
        unit="亿元",
    )


def problems_chart(weeks: list[dict[str, Any]]) -> str:
    return bar_chart(
        "problems",
        "每周发现与解决问题数",
        [w["label"] for w in weeks],
        [
            {"key": "opened", "name": "发现", "color": RED, "values": [w["opened"] for w in weeks]},
            {
                "key": "closed",
                "name": "解决",
                "color": GREEN,
                "values": [w["closed"] for w in weeks],
            },
        ],
        unit="个",
    )


RAG_SEGMENTS = (("red", "红灯", RED), ("yellow", "黄灯", YELLOW), ("green", "绿灯", GREEN))
_SPLIT_TITLES = {"domain": "按领域", "leader": "按分包领导", "unit": "按责任单位"}


def split_chart(stats: dict[str, Any], dim: str) -> str:
    return stacked_hbar_chart(
        f"by-{dim}",
        f"重点项目{_SPLIT_TITLES[dim]}分布（红黄绿灯）",
        S.splits(stats, dim),
        RAG_SEGMENTS,
        unit="个",
    )


def reserve_chart(hist: dict[str, Any]) -> str:
    runs = hist["runs"]
    labels = [r["label"] for r in runs] + ["当前储备"]
    return line_chart(
        "reserve",
        "净地面积（每次核查）与当前净地储备",
        labels,
        [
            {
                "key": "net_land",
                "name": "净地面积",
                "color": BLUE,
                "values": [r["net_land_mu"] for r in runs] + [None],
            },
            {
                "key": "reserve",
                "name": "净地储备（未出让）",
                "color": GREEN,
                "values": [None] * len(runs) + [hist["reserve_mu"]],
            },
        ],
        unit="亩",
        refs=[{"value": hist["target_mu"], "label": f"储备目标 {hist['target_mu']:.0f}亩"}],
    )


def render_chart(
    name: str, session: Session, settings: Settings, *, as_of: Any, year: int | None = None
) -> str:
    """One named chart (see ``CHART_NAMES``) as SVG, as of the date."""
    from geo_service.reports.figures import ReportOptions, headline

    if name in ("start-rate", "investment"):
        m = S.monthly_figures(session, settings, as_of=as_of, year=year)
        return start_rate_chart(m) if name == "start-rate" else investment_chart(m)
    if name == "problems":
        stats = headline(session, settings, ReportOptions(as_of=as_of, year=year))
        return problems_chart(S.problem_weeks(session, as_of=as_of, year=stats.get("year")))
    if name.startswith("by-"):
        stats = headline(session, settings, ReportOptions(as_of=as_of, year=year))
        return split_chart(stats, name.removeprefix("by-"))
    if name == "reserve":
        return reserve_chart(S.reserve_history(session, settings))
    raise ValueError(f"unknown chart {name!r}")
