"""SVG drawing primitives (no script, no CDN): lines, grouped bars, stacked horizontal bars.

Geometry is worked out here; ``templates/chart.svg.j2`` writes it with Jinja2 autoescaping, so
every label (a leader's name, a unit, a project code) is escaped. Each data point carries
``data-series``, ``data-x`` and ``data-value`` so tests and scripts can read the values back.
What each named chart shows is in ``charts.py``; the district map figure in ``mapfig.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

RED, YELLOW, GREEN = "#d7191c", "#f29e2e", "#1a9641"
BLUE, GREY, DARK = "#2b6cb0", "#8c8c8c", "#444444"


@lru_cache(maxsize=1)
def env() -> Environment:
    return Environment(
        loader=PackageLoader("geo_service.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def svg(name: str, title: str, w: int, h: int, items: list[dict[str, Any]]) -> str:
    return env().get_template("chart.svg.j2").render(name=name, title=title, w=w, h=h, items=items)


def nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= v:
            return float(m * exp)
    return float(10 * exp)


def text_width(text: str, size: float = 11) -> float:
    """About how wide ``text`` is set at ``size`` px: a CJK character is one em, Latin ~0.55."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.55 for ch in text)


def fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def axes(
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
        items.append({"k": "text", "x": left - 6, "y": y + 4, "text": fmt(v), "anchor": "end"})
    items.append(
        {"k": "line", "x1": left, "y1": top + ph, "x2": left + pw, "y2": top + ph, "color": DARK}
    )
    items.append({"k": "text", "x": left - 6, "y": top - 8, "text": unit, "anchor": "end"})
    step = max(1, math.ceil(len(labels) / 14))
    for i, (lab, x) in enumerate(zip(labels, xs, strict=True)):
        if i % step == 0 or i == len(labels) - 1:
            items.append({"k": "text", "x": x, "y": top + ph + 16, "text": lab, "anchor": "middle"})


def legend(
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
        x += 30 + text_width(name, 12)


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
    note: str = "",
) -> str:
    """Lines over categories. ``series``: ``{"key", "name", "color", "values": [float|None]}``;
    ``refs``: horizontal target lines ``{"value", "label", "color"}``; ``note``: lines (split
    on newlines) under the plot saying what the figures are built from."""
    left, top, right, bottom = 56.0, 46.0, 20.0, 40.0
    notes = note.split("\n") if note else []
    h += 4 + 14 * len(notes) if notes else 0
    bottom += 4 + 14 * len(notes) if notes else 0
    pw, ph = w - left - right, h - top - bottom
    values = [v for s in series for v in s["values"] if v is not None]
    top_v = max(values + [r["value"] for r in refs] + [0.0])
    y_max = y_max or nice_max(top_v * 1.05)
    n = max(1, len(labels))
    xs = [left + pw * (i + 0.5) / n for i in range(len(labels))]
    items: list[dict[str, Any]] = []
    axes(items, left=left, top=top, pw=pw, ph=ph, y_max=y_max, unit=unit, labels=labels, xs=xs)

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
                    "tip": f"{s['name']} {lab}: {fmt(v)}{unit}",
                }
            )
    legend(items, [(s["name"], s["color"]) for s in series], x=left, y=38)
    for i, line in enumerate(notes):
        y = h - 6 - 14 * (len(notes) - 1 - i)
        items.append({"k": "text", "x": left, "y": y, "size": 10, "color": GREY, "text": line})
    return svg(name, title, w, h, items)


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
        y_max = nice_max(max(values + [0.0]) * 1.05)
    n = max(1, len(labels))
    slot = pw / n
    xs = [left + slot * (i + 0.5) for i in range(len(labels))]
    items: list[dict[str, Any]] = []
    axes(items, left=left, top=top, pw=pw, ph=ph, y_max=y_max, unit=unit, labels=labels, xs=xs)
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
                    "tip": f"{s['name']} {lab}: {fmt(v)}{unit}",
                }
            )
    legend(items, [(s["name"], s["color"]) for s in series], x=left, y=38)
    return svg(name, title, w, h, items)


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
    label_w = 16 + max([text_width(str(r["label"])) for r in rows] + [48.0])
    left, top, right, row_h = min(float(label_w), 300.0), 50.0, 40.0, 22.0
    h = int(top + row_h * max(1, len(rows)) + 20)
    pw = w - left - right
    total_max = nice_max(max([sum(r[k] for k, _, _ in segments) for r in rows] + [1]))
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
    legend(items, [(n, c) for _, n, c in segments], x=left, y=40)
    return svg(name, title, w, h, items)
