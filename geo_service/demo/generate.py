"""Generate the demo district (data/demo/): fully deterministic, no clock, no network.

Run ``python -m geo_service.demo.generate --out data/demo``; two runs give byte-identical files.
Everything is invented around a development zone near 114.90°E, 33.72°N in Huaiyang District;
nothing has to match the real place. Geometry is laid out in EPSG:4547 (CGCS2000 3-degree
Gauss-Krüger, CM 114°E) and written as lon/lat EPSG:4490 rounded to 7 decimals.

Layout: a street grid of 8 x 6 blocks (经一路…经九路 west to east, 纬一路…纬七路 south to north,
streets 30 m wide), three zones (HY-Z01 先进制造 west, HY-Z02 塑料产业园 south-east, HY-Z03
食品与新材料 north-east) and 60 parcels HY-2026-001…060, numbered block by block from the
south-west corner (south row first, west to east). Water mains run 6 m, power lines 9 m off the
street centrelines.

Designed readiness with the default rules (water: existing main >= 100 mm within 200 m; power:
existing line/substation >= 10 kV within 500 m; road: existing road within 50 m; leveling: the
latest survey says leveled with 0 m³ outstanding; title: state, requisition done, compensation
settled, no open dispute, no overlap with protected land or another parcel). Every parcel not
listed meets all five conditions; each listed parcel fails (or lacks evidence for) only the one
condition named:

- water unmet: HY-2026-018, HY-2026-050 (east part of the easternmost blocks: only DN80 mains
  and a planned DN300 main on 经九路; the nearest qualifying main, on 经八路, is ~234 m away);
- power unmet: HY-2026-040, HY-2026-051 (north-west corner: only 0.4 kV lines, a planned
  10 kV line and a planned 110 kV substation; nearest existing >= 10 kV line 650-710 m away);
- road unmet: HY-2026-055, HY-2026-056 (set back 85 m from 经四路/经五路/经六路; only the
  planned section of 纬七路 runs along their north side);
- leveling unmet: HY-2026-022 (not leveled, 18500 m³ outstanding), HY-2026-039 (an older survey
  said leveled, the latest says not: 3200 m³), HY-2026-042 (leveled but 650 m³ outstanding);
- title unmet: HY-2026-001 (overlaps basic farmland BF-001 by ~375 m²), HY-2026-021 (one open
  dispute), HY-2026-058 (compensation not settled), HY-2026-012 (collective land, requisition
  not done);
- leveling unknown (no survey): HY-2026-030, HY-2026-053;
- title unknown (no title record): HY-2026-026, HY-2026-048.

The other 43 parcels are net land: 1447.88 亩 (measured in EPSG:4547), of which 1095.67 亩 are
not yet contracted (stage plan/notice/sale). Every parcel is 20-300 亩; HY-2026-033 is a
MultiPolygon; the water/power/road distances of the net-land parcels are at most ~35 m, and
HY-2026-030 (leveling unknown) is ~350 m from power.

Parcels with two leveling surveys (older unleveled, latest leveled, so met): HY-2026-004,
HY-2026-005, HY-2026-009, HY-2026-014, HY-2026-019, HY-2026-027, HY-2026-032, HY-2026-036; two
title records (older unsettled, latest settled): HY-2026-013, HY-2026-046. Supply stages:
handed_over HY-2026-007, HY-2026-024, HY-2026-059; contract HY-2026-016, HY-2026-034 (these five
are linked to projects); sale HY-2026-045; notice HY-2026-006, HY-2026-028, HY-2026-031; all
others plan. Unpublished: HY-2026-003, HY-2026-022, HY-2026-026, HY-2026-030, HY-2026-043,
HY-2026-051, HY-2026-060. No indicators: HY-2026-003, HY-2026-030, HY-2026-043.

Assessments: all ten kinds cover the zones, except that flood_impact over HY-Z02/HY-Z03 expired
on 2026-05-31 (QY-008) and one of the two climate areas expired on 2025-02-28 (QY-010, renewed by
QY-011).

Projects ("today" is 2026-11-27): 247 for 2026 summing to exactly 933.8 亿元 total and 430.5 亿元
planned this year; 136 (55.1 %) started or later; 14 are late (planned_start before 2026-10-01
and not started: XM2026-002, -019, -032, -037, -038, -042, -044, -129, -137, -169, -213, -221,
-230, -236), the other unstarted ones plan to start 2026-11-30…12-20; all planned dates fall in
2026. 26 attracted this year (19 >= 1 亿元, 3 >= 10 亿元). 45 projects have weekly visits
(Sep-Nov); 12 of them none since 2026-11-19 (XM2026-004, -018, -023, -025, -044, -051, -073,
-085, -113, -119, -144, -191). 36 problems: 33 resolved, 3 in progress (WT-027 past its
deadline 2026-11-12; WT-030 and WT-036 due in December). Baseline 2025 gives +51.5 %, +86.0 %,
+74.0 %. The generator prints a summary and asserts the hard constraints and the parcel design.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

SEED = 20261127
TODAY = dt.date(2026, 11, 27)
YEAR = 2026
MU_M2 = 10000 / 15
LOCAL_CRS = "EPSG:4547"
OUTPUT_CRS = "EPSG:4490"
CENTER_LONLAT = (114.90, 33.72)
COL_WIDTHS = (420, 380, 450, 400, 500, 360, 420, 560)
ROW_HEIGHTS = (380, 420, 350, 450, 400, 380)
STREET_W = 30.0
HALF = STREET_W / 2
WATER_OFFSET = 6.0
POWER_OFFSET = -9.0
CENT = Decimal("0.01")
TOTAL_INVESTMENT = Decimal("9338000.00")
PLANNED_INVESTMENT = Decimal("4305000.00")
BASELINE = (2025, 163, Decimal("5020400.00"), Decimal("2474100.00"))

# A conservative outline 1.5 km inside the district boundary (lon/lat), for sampling points.
INNER_DISTRICT = (
    (114.6591, 33.7442), (114.7098, 33.7512), (114.7225, 33.7615), (114.7223, 33.7989),
    (114.7295, 33.8185), (114.7231, 33.833), (114.7254, 33.8538), (114.7114, 33.8808),
    (114.7219, 33.9006), (114.7851, 33.8919), (114.8507, 33.9032), (114.8738, 33.8987),
    (114.9123, 33.9027), (114.9471, 33.9002), (114.9831, 33.8892), (115.0248, 33.9147),
    (115.0349, 33.9141), (115.0411, 33.9032), (115.0367, 33.8873), (115.0461, 33.8781),
    (115.0629, 33.8024), (115.0458, 33.782), (115.042, 33.7647), (115.0224, 33.7529),
    (115.0208, 33.7301), (114.9994, 33.7113), (114.9974, 33.6929), (114.9831, 33.6699),
    (114.9957, 33.6281), (115.0365, 33.5987), (115.0256, 33.5627), (115.0406, 33.4905),
    (115.0274, 33.4782), (115.025, 33.466), (115.0036, 33.4573), (115.0, 33.4339),
    (114.9805, 33.4325), (114.9646, 33.4587), (114.95, 33.4701), (114.9066, 33.4665),
    (114.9143, 33.4853), (114.9109, 33.4972), (114.8749, 33.5197), (114.8718, 33.5367),
    (114.8271, 33.577), (114.8417, 33.5969), (114.8572, 33.6052), (114.8624, 33.6196),
    (114.8532, 33.6349), (114.8305, 33.649), (114.8309, 33.6712), (114.8161, 33.692),
    (114.7842, 33.7079), (114.7699, 33.7056), (114.7563, 33.6941), (114.7444, 33.7123),
    (114.7081, 33.7285), (114.665, 33.7176),
)  # fmt: skip

TO_GEO = Transformer.from_crs(LOCAL_CRS, OUTPUT_CRS, always_xy=True)
TO_LOCAL = Transformer.from_crs(OUTPUT_CRS, LOCAL_CRS, always_xy=True)

CN_NUM = "一二三四五六七八九十"
V_NAMES = tuple(f"经{CN_NUM[i]}路" for i in range(9))
H_NAMES = tuple(f"纬{CN_NUM[j]}路" for j in range(7))

# ---------------------------------------------------------------- parcel design
# (column, row) -> anchors of the parcels in that block; columns west->east, rows south->north.
LAYOUT: dict[tuple[int, int], tuple[str, ...]] = {
    (0, 0): ("sw", "ne"), (1, 0): ("se",), (2, 0): ("nw",), (3, 0): ("sw",), (4, 0): (),
    (5, 0): ("ne",), (6, 0): ("sw", "se"), (7, 0): ("nw",),
    (0, 1): ("ne",), (1, 1): (), (2, 1): ("sw", "se"), (3, 1): ("nw",), (4, 1): ("se",),
    (5, 1): ("sw", "ne"), (6, 1): (), (7, 1): ("nw", "east_s"),
    (0, 2): ("se",), (1, 2): ("nw", "se"), (2, 2): (), (3, 2): ("sw", "ne"), (4, 2): ("sw",),
    (5, 2): ("sw", "se"), (6, 2): ("nw",), (7, 2): ("nw",),
    (0, 3): ("sw", "ne"), (1, 3): ("se",), (2, 3): ("nw",), (3, 3): ("pair",), (4, 3): ("sw", "se"),
    (5, 3): ("nw",), (6, 3): ("ne",), (7, 3): ("sw", "nw"),
    (0, 4): ("nw",), (1, 4): (), (2, 4): ("sw", "ne"), (3, 4): ("se",), (4, 4): ("nw", "sw"),
    (5, 4): ("ne",), (6, 4): ("sw", "nw"), (7, 4): ("sw", "east_n"),
    (0, 5): ("nw",), (1, 5): ("ne",), (2, 5): ("nw", "se"), (3, 5): ("north",),
    (4, 5): ("north",), (5, 5): ("sw", "ne"), (6, 5): ("full",), (7, 5): ("sw",),
}  # fmt: skip
ANCHOR_ORDER = ("sw", "se", "nw", "ne", "full", "pair", "north", "east_s", "east_n")
# (column, row, anchor) -> designed failure
TAGS: dict[tuple[int, int, str], str] = {
    (0, 5, "nw"): "power", (0, 4, "nw"): "power",
    (3, 5, "north"): "road", (4, 5, "north"): "road",
    (7, 1, "east_s"): "water", (7, 4, "east_n"): "water",
    (3, 2, "sw"): "L_unleveled", (7, 3, "nw"): "L_redisturbed", (2, 4, "ne"): "L_earthwork",
    (0, 0, "sw"): "T_farmland", (1, 2, "nw"): "T_dispute", (5, 5, "ne"): "T_compensation",
    (2, 1, "se"): "T_collective",
    (0, 3, "ne"): "U_leveling", (2, 5, "se"): "U_leveling",
    (5, 2, "se"): "U_title", (6, 4, "nw"): "U_title",
}  # fmt: skip
STAGES: dict[tuple[int, int, str], str] = {
    (4, 2, "sw"): "handed_over", (6, 5, "full"): "handed_over", (6, 0, "sw"): "handed_over",
    (5, 1, "ne"): "contract", (4, 3, "sw"): "contract", (4, 4, "nw"): "sale",
    (5, 0, "ne"): "notice", (7, 2, "nw"): "notice", (1, 3, "se"): "notice",
}  # fmt: skip
UNPUBLISHED = {(0, 5, "nw"), (0, 3, "ne"), (5, 2, "se"), (3, 2, "sw"), (1, 0, "se"), (3, 4, "se"),
               (7, 5, "sw")}  # fmt: skip
NO_INDICATORS = {(1, 0, "se"), (3, 4, "se"), (0, 3, "ne")}
TWO_SURVEYS = {(0, 2, "se"), (2, 0, "nw"), (3, 0, "sw"), (5, 3, "nw"), (6, 2, "nw"), (4, 1, "se"),
               (7, 0, "nw"), (2, 3, "nw")}  # fmt: skip
TWO_TITLES = {(3, 1, "nw"), (5, 4, "ne")}
WAREHOUSE = {(3, 3, "pair"), (7, 0, "nw")}
# the expected outcome by code; checked against the computed readiness on every run
EXPECTED: dict[str, dict[str, str]] = {
    "HY-2026-018": {"water": "unmet"}, "HY-2026-050": {"water": "unmet"},
    "HY-2026-040": {"power": "unmet"}, "HY-2026-051": {"power": "unmet"},
    "HY-2026-055": {"road": "unmet"}, "HY-2026-056": {"road": "unmet"},
    "HY-2026-022": {"leveling": "unmet"}, "HY-2026-039": {"leveling": "unmet"},
    "HY-2026-042": {"leveling": "unmet"},
    "HY-2026-001": {"title": "unmet"}, "HY-2026-021": {"title": "unmet"},
    "HY-2026-058": {"title": "unmet"}, "HY-2026-012": {"title": "unmet"},
    "HY-2026-030": {"leveling": "unknown"}, "HY-2026-053": {"leveling": "unknown"},
    "HY-2026-026": {"title": "unknown"}, "HY-2026-048": {"title": "unknown"},
}  # fmt: skip

ZONES = (
    ("HY-Z01", "淮阳经济技术开发区先进制造产业园", (0, 5), (0, 6)),
    ("HY-Z02", "淮阳经济技术开发区塑料产业园", (5, 8), (0, 3)),
    ("HY-Z03", "淮阳经济技术开发区食品与新材料产业园", (5, 8), (3, 6)),
)
ZONE_INDUSTRIES: dict[str, tuple[tuple[str, int], ...]] = {
    "HY-Z01": (("装备制造", 5), ("电子信息", 2), ("新材料", 2)),
    "HY-Z02": (("塑料制品", 6), ("新材料", 2)),
    "HY-Z03": (("食品加工", 5), ("新材料", 2), ("塑料制品", 1)),
}
# industry -> (investment intensity min, FAR min, FAR max, coverage min, green max, tax min)
INDICATOR_TABLE: dict[str, tuple[int, float, float, int, int, int]] = {
    "装备制造": (300, 1.0, 2.0, 30, 20, 15),
    "电子信息": (350, 1.2, 2.5, 30, 15, 20),
    "新材料": (320, 1.0, 2.0, 30, 20, 18),
    "塑料制品": (280, 1.0, 2.0, 35, 20, 15),
    "食品加工": (260, 1.0, 2.5, 30, 20, 12),
    "仓储物流": (200, 1.0, 1.5, 40, 15, 10),
}
CONTACTS = {
    "HY-Z01": "淮阳区自然资源局 0394-4321806",
    "HY-Z02": "淮阳经开区管委会招商服务中心 0394-4329518",
    "HY-Z03": "淮阳区自然资源局 0394-4321806",
}


@dataclass
class Grid:
    """Street centreline positions in EPSG:4547 metres."""

    xs: list[float]
    ys: list[float]

    def block(self, c: int, r: int) -> tuple[float, float, float, float]:
        """The block between the street edges: (minx, miny, maxx, maxy)."""
        return (self.xs[c] + HALF, self.ys[r] + HALF, self.xs[c + 1] - HALF, self.ys[r + 1] - HALF)


@dataclass
class Parcel:
    """One designed parcel, geometry in EPSG:4547."""

    key: tuple[int, int, str]
    geom: BaseGeometry
    code: str = ""
    name: str = ""
    zone: str = ""
    industry: str = ""
    land_use: str = "industrial"
    stage: str = "plan"
    published: bool = True
    indicators: str | None = None
    notes: str | None = None
    tag: str | None = None
    props: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- helpers


def money(value: float | Decimal) -> Decimal:
    """A Decimal in 万元 rounded to the cent."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_money(value: Decimal) -> str:
    """A plain decimal with two places."""
    return f"{value.quantize(CENT):f}"


def rand_date(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    """A uniformly drawn date in [lo, hi]."""
    if hi <= lo:
        return lo
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


def clamp_date(d: dt.date, lo: dt.date, hi: dt.date) -> dt.date:
    """d limited to [lo, hi]."""
    return max(lo, min(hi, d))


def iso(d: dt.date | None) -> str:
    """ISO date or empty string."""
    return d.isoformat() if d else ""


def weighted(rng: random.Random, items: Sequence[tuple[str, int]]) -> str:
    """Pick one item by integer weight."""
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


def split_decimal(rng: random.Random, total: Decimal, weights: Sequence[float]) -> list[Decimal]:
    """Split total into parts proportional to weights; the last part takes the remainder."""
    s = sum(weights)
    parts = [
        (total * Decimal(str(w / s))).quantize(CENT, rounding=ROUND_DOWN) for w in weights[:-1]
    ]
    parts.append(total - sum(parts, Decimal(0)))
    return parts


def to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """Project a local geometry to lon/lat and round to 7 decimals."""

    def fn(a: np.ndarray) -> np.ndarray:
        lon, lat = TO_GEO.transform(a[:, 0], a[:, 1])
        return np.round(np.column_stack([lon, lat]), 7)

    return shapely.transform(geom, fn)


def to_local(geom: BaseGeometry) -> BaseGeometry:
    """Project a lon/lat geometry to EPSG:4547."""

    def fn(a: np.ndarray) -> np.ndarray:
        x, y = TO_LOCAL.transform(a[:, 0], a[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def oriented(geom: BaseGeometry) -> BaseGeometry:
    """Exterior rings counter-clockwise (RFC 7946)."""
    if isinstance(geom, Polygon):
        return orient(geom, 1.0)
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([orient(p, 1.0) for p in geom.geoms])
    return geom


# ---------------------------------------------------------------- geometry


def build_grid() -> Grid:
    """Street centrelines centred on the zone centre."""
    cx, cy = TO_LOCAL.transform(*CENTER_LONLAT)
    width = sum(COL_WIDTHS) + STREET_W * len(COL_WIDTHS)
    height = sum(ROW_HEIGHTS) + STREET_W * len(ROW_HEIGHTS)
    x0, y0 = round(cx - width / 2), round(cy - height / 2)
    xs, ys = [float(x0)], [float(y0)]
    for w in COL_WIDTHS:
        xs.append(xs[-1] + w + STREET_W)
    for h in ROW_HEIGHTS:
        ys.append(ys[-1] + h + STREET_W)
    return Grid(xs, ys)


def zone_of(c: int, r: int) -> str:
    """The zone code of a block."""
    for code, _name, (c0, c1), (r0, r1) in ZONES:
        if c0 <= c < c1 and r0 <= r < r1:
            return code
    raise AssertionError((c, r))


def corner_parcel(
    rng: random.Random, blk: tuple[float, float, float, float], anchor: str
) -> Polygon:
    """A rectangle in one corner of a block, maybe with a chamfer at the street corner."""
    minx, miny, maxx, maxy = blk
    s = rng.randint(6, 20) / 2  # setback 3-10 m
    iw, ih = maxx - minx - 2 * s, maxy - miny - 2 * s
    while True:
        w = rng.randint(110, int(min(185, 0.46 * iw)))
        d = rng.randint(100, int(min(155, 0.46 * ih)))
        if w * d >= 20.5 * MU_M2:
            break
    x0 = minx + s if anchor in ("sw", "nw") else maxx - s - w
    y0 = miny + s if anchor in ("sw", "se") else maxy - s - d
    x1, y1 = x0 + w, y0 + d
    pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    k = {"sw": 0, "se": 1, "ne": 2, "nw": 3}[anchor]
    if rng.random() < 0.5:
        cut = float(rng.randint(8, 12))
        (px, py), (ax, ay), (bx, by) = pts[k], pts[k - 1], pts[(k + 1) % 4]

        def toward(qx: float, qy: float) -> tuple[float, float]:
            length = ((qx - px) ** 2 + (qy - py) ** 2) ** 0.5
            return (px + cut * (qx - px) / length, py + cut * (qy - py) / length)

        pts[k : k + 1] = [toward(ax, ay), toward(bx, by)]
    return Polygon(pts)


def build_parcels(grid: Grid) -> list[Parcel]:
    """The 60 designed parcels, coded from the south-west."""
    rng = random.Random(f"{SEED}:parcels")
    parcels: list[Parcel] = []
    for r in range(len(ROW_HEIGHTS)):
        for c in range(len(COL_WIDTHS)):
            anchors = sorted(LAYOUT[(c, r)], key=ANCHOR_ORDER.index)
            blk = grid.block(c, r)
            minx, miny, maxx, maxy = blk
            for anchor in anchors:
                geom: BaseGeometry
                if anchor in ("sw", "se", "nw", "ne"):
                    geom = corner_parcel(rng, blk, anchor)
                elif anchor == "full":
                    s = rng.randint(6, 16) / 2
                    geom = box(minx + s, miny + s, maxx - s, maxy - s)
                elif anchor == "pair":
                    s = 5.0
                    geom = MultiPolygon(
                        [
                            box(minx + s, miny + s, minx + s + 150, miny + s + 110),
                            box(minx + s, miny + s + 125, minx + s + 150, miny + s + 235),
                        ]
                    )
                elif anchor == "north":
                    depth = 170 if c == 3 else 150
                    geom = box(minx + 70, maxy - 5 - depth, maxx - 70, maxy - 5)
                elif anchor == "east_s":
                    geom = box(minx + 225, miny + 5, maxx - 5, miny + 155)
                elif anchor == "east_n":
                    geom = box(minx + 225, maxy - 155, maxx - 5, maxy - 5)
                else:
                    raise AssertionError(anchor)
                key = (c, r, anchor)
                p = Parcel(key=key, geom=geom, zone=zone_of(c, r), tag=TAGS.get(key))
                parcels.append(p)
    for i, p in enumerate(parcels, start=1):
        p.code = f"HY-{YEAR}-{i:03d}"
    name_parcels(parcels)
    fill_parcel_attributes(parcels, rng)
    return parcels


def name_parcels(parcels: list[Parcel]) -> None:
    """Chinese names after the streets a parcel fronts, unique."""
    seen: dict[str, int] = {}
    for p in parcels:
        c, r, anchor = p.key
        south, north = H_NAMES[r], H_NAMES[r + 1]
        west, east = V_NAMES[c], V_NAMES[c + 1]
        if anchor in ("sw", "se", "nw", "ne"):
            h = f"{south}北" if anchor[0] == "s" else f"{north}南"
            v = f"{west}东" if anchor[1] == "w" else f"{east}西"
            name = f"经开区{h}、{v}地块"
        elif anchor in ("full", "pair"):
            name = f"经开区{west}东、{south}北地块"
        elif anchor == "north" or anchor == "east_n":
            name = f"经开区{north}南地块" if anchor == "north" else f"经开区{east}西、{north}南地块"
        else:
            name = f"经开区{east}西、{south}北地块"
        n = seen.get(name, 0)
        seen[name] = n + 1
        p.name = name if n == 0 else f"{name}({CN_NUM[n]})"
    assert len({p.name for p in parcels}) == len(parcels)


def indicator_json(industry: str) -> str:
    """The control indicators of an industry as a JSON string."""
    inv, far_min, far_max, cov, green, tax = INDICATOR_TABLE[industry]
    items = [
        {"key": "investment_intensity", "min": inv, "max": None, "value": None, "unit": "万元/亩"},
        {"key": "far", "min": far_min, "max": far_max, "value": None, "unit": None},
        {"key": "building_coverage", "min": cov, "max": None, "value": None, "unit": "%"},
        {"key": "green_ratio", "min": None, "max": green, "value": None, "unit": "%"},
        {"key": "admin_ratio", "min": None, "max": 7, "value": None, "unit": "%"},
        {"key": "tax_per_mu", "min": tax, "max": None, "value": None, "unit": "万元/亩/年"},
    ]
    return json.dumps(items, ensure_ascii=False)


TAG_NOTES = {
    "power": "北片区仅有0.4kV低压线路,10kV线路及经开区北110kV变电站尚在规划,暂不具备通电条件。",
    "road": "纬七路经四路至经六路段为规划道路,尚未实施,地块暂无现状道路连通。",
    "water": "经九路DN300给水管为规划管线,现状仅有DN80支管,不满足工业用水。",
    "L_unleveled": "原砖瓦窑场取土坑待回填,场地尚未平整。",
    "L_redisturbed": "平整后被临时堆土占用,需二次清运。",
    "L_earthwork": "平整验收时尚余少量土方未清运。",
    "T_farmland": "西侧边界与基本农田保护图斑局部重叠,待核实调整。",
    "T_dispute": "一户村民对附着物补偿有异议,正在协调。",
    "T_compensation": "征地补偿款尚未全部拨付到位。",
    "T_collective": "仍为集体土地,征收报批中。",
    "U_leveling": "尚未开展场地平整勘测。",
    "U_title": "权属调查资料待补充。",
}
GENERIC_NOTES = (
    "原村集体建设用地,2025年完成收储。",
    "地块内有一处10kV杆线需迁改,已列入计划。",
    "意向企业已对接,待挂牌。",
    "周边企业已投产,配套完善。",
    "地块南侧规划有雨水管线。",
)


def fill_parcel_attributes(parcels: list[Parcel], rng: random.Random) -> None:
    """Industry, stage, publication, indicators and notes."""
    for p in parcels:
        if p.key in WAREHOUSE:
            p.land_use, p.industry = "warehouse", "仓储物流"
        else:
            p.industry = weighted(rng, ZONE_INDUSTRIES[p.zone])
        p.stage = STAGES.get(p.key, "plan")
        p.published = p.key not in UNPUBLISHED
        p.indicators = None if p.key in NO_INDICATORS else indicator_json(p.industry)
        if p.tag:
            p.notes = TAG_NOTES[p.tag]
        elif rng.random() < 0.4:
            p.notes = rng.choice(GENERIC_NOTES)


def street_segments(grid: Grid) -> list[tuple[str, str, int, int, LineString]]:
    """Every street segment between two intersections: (axis, street, index, seg, line)."""
    out = []
    for i, x in enumerate(grid.xs):
        for j in range(len(grid.ys) - 1):
            out.append(("v", V_NAMES[i], i, j, LineString([(x, grid.ys[j]), (x, grid.ys[j + 1])])))
    for j, y in enumerate(grid.ys):
        for i in range(len(grid.xs) - 1):
            out.append(("h", H_NAMES[j], j, i, LineString([(grid.xs[i], y), (grid.xs[i + 1], y)])))
    return out


def road_class(axis: str, idx: int) -> str:
    """Street hierarchy: arterial / secondary / branch."""
    if (axis == "v" and idx == 4) or (axis == "h" and idx in (0, 3)):
        return "arterial"
    if (axis == "v" and idx in (0, 2, 6, 8)) or (axis == "h" and idx == 6):
        return "secondary"
    return "branch"


def road_attrs(axis: str, idx: int, seg: int) -> tuple[str, str]:
    """(status, class) of a road segment."""
    status = "planned" if axis == "h" and idx == 6 and seg in (3, 4) else "existing"
    return status, road_class(axis, idx)


def water_attrs(axis: str, idx: int, seg: int) -> tuple[str, int]:
    """(status, diameter_mm) of the main along a segment."""
    if axis == "v":
        return {
            0: ("existing", 300), 1: ("existing", 100), 2: ("existing", 300),
            3: ("existing", 150), 4: ("existing", 600), 5: ("existing", 150),
            6: ("existing", 300), 7: ("existing", 150), 8: ("planned", 300),
        }[idx]  # fmt: skip
    if seg == 7:
        return ("existing", 80) if idx <= 3 else ("planned", 150)
    if idx == 6 and seg in (3, 4):
        return "planned", 150
    if idx == 3:
        return "existing", 600
    if idx == 0:
        return "existing", 300
    return ("existing", 150) if seg % 2 == 0 else ("existing", 100)


def power_attrs(axis: str, idx: int, seg: int) -> tuple[str, float]:
    """(status, voltage_kv) of the line along a segment."""
    if axis == "v" and idx in (0, 1) and seg >= 3:
        return "existing", 0.4
    if axis == "h" and idx >= 4 and seg in (0, 1):
        return "existing", 0.4
    if axis == "h" and idx == 6 and seg in (3, 4):
        return "planned", 10.0
    return "existing", 10.0


def shift(line: LineString, axis: str, offset: float) -> LineString:
    """Move a street line sideways (x for north-south streets, y for east-west ones)."""
    dx, dy = (offset, 0.0) if axis == "v" else (0.0, offset)
    return LineString([(x + dx, y + dy) for x, y in line.coords])


def merge_runs(
    segments: list[tuple[str, str, int, int, LineString]],
    attrs: Callable[[str, int, int], tuple[Any, Any]],
) -> list[tuple[str, str, int, tuple[int, int], tuple[Any, Any], LineString]]:
    """Join consecutive segments of a street that share attributes into one line."""
    runs: list[tuple[str, str, int, tuple[int, int], tuple[Any, Any], LineString]] = []
    for axis, street, idx, seg, line in segments:
        a = attrs(axis, idx, seg)
        if runs and runs[-1][0] == axis and runs[-1][2] == idx and runs[-1][4] == a:
            prev = runs[-1]
            merged = LineString(list(prev[5].coords) + list(line.coords)[1:])
            runs[-1] = (axis, street, idx, (prev[3][0], seg), a, merged)
        else:
            runs.append((axis, street, idx, (seg, seg), a, line))
    return runs


def run_label(axis: str, street: str, idx: int, span: tuple[int, int]) -> str:
    """A street name with its section, e.g. 纬七路(经四路—经六路)."""
    n = len(COL_WIDTHS) if axis == "h" else len(ROW_HEIGHTS)
    if span == (0, n - 1):
        return street
    names = V_NAMES if axis == "h" else H_NAMES
    return f"{street}({names[span[0]]}—{names[span[1] + 1]})"


def build_infrastructure(grid: Grid) -> tuple[list[dict[str, Any]], dict[str, Point]]:
    """Roads, water mains, power lines and substations (local geometry)."""
    segs = street_segments(grid)
    xs, ys = grid.xs, grid.ys
    rows: list[dict[str, Any]] = []

    def add(kind: str, name: str, status: str, geom: BaseGeometry, **attrs: Any) -> None:
        rows.append(
            {
                "kind": kind,
                "name": name,
                "status": status,
                "diameter_mm": attrs.get("diameter_mm"),
                "voltage_kv": attrs.get("voltage_kv"),
                "road_class": attrs.get("road_class"),
                "geometry": geom,
            }
        )

    for axis, street, idx, span, (status, cls), line in merge_runs(segs, road_attrs):
        label = run_label(axis, street, idx, span)
        add("road", label + ("(规划)" if status == "planned" else ""), status, line, road_class=cls)
    add(
        "road",
        "经五路北延(规划)",
        "planned",
        LineString([(xs[4], ys[6]), (xs[4], ys[6] + 800)]),
        road_class="arterial",
    )
    add(
        "road",
        "纬四路西延",
        "existing",
        LineString([(xs[0] - 1500, ys[3]), (xs[0], ys[3])]),
        road_class="arterial",
    )
    for axis, street, idx, span, (status, dn), line in merge_runs(segs, water_attrs):
        label = run_label(axis, street, idx, span)
        suffix = "(规划)" if status == "planned" else ""
        add(
            "water",
            f"{label}DN{dn}给水管{suffix}",
            status,
            shift(line, axis, WATER_OFFSET),
            diameter_mm=dn,
        )
    add(
        "water",
        "第二水厂至经开区DN600输水干管",
        "existing",
        LineString([(xs[0] - 1500, ys[3] + WATER_OFFSET), (xs[0], ys[3] + WATER_OFFSET)]),
        diameter_mm=600,
    )
    for axis, street, idx, span, (status, kv), line in merge_runs(segs, power_attrs):
        label = run_label(axis, street, idx, span)
        kv_txt = "0.4kV" if kv < 1 else f"{kv:g}kV"
        suffix = "(规划)" if status == "planned" else ""
        name = f"{kv_txt}{label}{'低压线路' if kv < 1 else '线'}{suffix}"
        add("power", name, status, shift(line, axis, POWER_OFFSET), voltage_kv=kv)
    # a planned 10 kV feeder for the north-west corner, along 纬六路
    add(
        "power",
        "10kV经开北线(规划)",
        "planned",
        LineString([(xs[0], ys[5] + 9), (xs[2], ys[5] + 9)]),
        voltage_kv=10.0,
    )
    subs = {
        "S1": Point(xs[4] + HALF + 60, ys[0] + HALF + 60),
        "S2": Point(xs[6] + HALF + 60, ys[3] + HALF + 60),
        "S3": Point((xs[1] + xs[2]) / 2, (ys[4] + ys[5]) / 2),
    }
    s1, s2 = subs["S1"], subs["S2"]
    add(
        "power",
        "淮阳220kV站—经开区110kV线路",
        "existing",
        LineString([(xs[4] - 9, ys[0] - 2000), (xs[4] - 9, ys[0] - 9), (s1.x, ys[0] - 9), s1]),
        voltage_kv=110.0,
    )
    add(
        "power",
        "35kV经开—塑料园线",
        "existing",
        LineString(
            [s1, (xs[5] - 9, s1.y), (xs[5] - 9, ys[3] - 9), (s2.x, ys[3] - 9), (s2.x, s2.y)]
        ),
        voltage_kv=35.0,
    )
    add("power", "经开区110kV变电站", "existing", s1, voltage_kv=110.0)
    add("power", "塑料产业园35kV变电站", "existing", s2, voltage_kv=35.0)
    add("power", "经开区北110kV变电站(规划)", "planned", subs["S3"], voltage_kv=110.0)
    prefix = {"road": "RD", "water": "WS", "power": "DL"}
    counters: dict[str, int] = {}
    for row in rows:
        n = counters.get(row["kind"], 0) + 1
        counters[row["kind"]] = n
        row["code"] = f"{prefix[row['kind']]}-{n:03d}"
    return rows, subs


def build_zones(grid: Grid) -> list[dict[str, Any]]:
    """Zone polygons along the street centrelines."""
    return [
        {
            "code": code,
            "name": name,
            "geometry": box(grid.xs[c0], grid.ys[r0], grid.xs[c1], grid.ys[r1]),
        }
        for code, name, (c0, c1), (r0, r1) in ZONES
    ]


def build_protected(grid: Grid, farmland_parcel: Parcel) -> list[dict[str, Any]]:
    """Protected areas outside the zone; BF-001 reaches ~15 m into one parcel by design."""
    xs, ys = grid.xs, grid.ys
    px0 = farmland_parcel.geom.bounds[0]
    py0 = farmland_parcel.geom.bounds[1]
    tooth_y0, tooth_y1 = py0 + 80, py0 + 105
    bf1 = Polygon(
        [
            (xs[0] - 900, ys[0] - 300), (xs[0] - 60, ys[0] - 260), (xs[0] - 40, tooth_y0),
            (px0 + 15, tooth_y0), (px0 + 15, tooth_y1), (xs[0] - 40, tooth_y1),
            (xs[0] - 70, ys[0] + 700), (xs[0] - 880, ys[0] + 650),
        ]
    )  # fmt: skip
    bf2 = Polygon(
        [
            (xs[6], ys[0] - 900), (xs[8] + 600, ys[0] - 950), (xs[8] + 650, ys[0] - 260),
            (xs[6] + 80, ys[0] - 250),
        ]
    )  # fmt: skip
    bf3 = Polygon(
        [
            (xs[1], ys[6] + 300), (xs[3] - 40, ys[6] + 280), (xs[3], ys[6] + 1000),
            (xs[1] + 60, ys[6] + 1050),
        ]
    )  # fmt: skip
    er1 = Polygon(
        [
            (xs[8] + 400, ys[0] - 500), (xs[8] + 520, ys[0] - 500), (xs[8] + 600, ys[3]),
            (xs[8] + 540, ys[6] + 500), (xs[8] + 420, ys[6] + 500), (xs[8] + 470, ys[3]),
        ]
    )  # fmt: skip
    return [
        {
            "code": "BF-001",
            "kind": "basic_farmland",
            "name": "大朱庄基本农田保护片",
            "geometry": bf1,
        },
        {
            "code": "BF-002",
            "kind": "basic_farmland",
            "name": "小王庄基本农田保护片",
            "geometry": bf2,
        },
        {
            "code": "BF-003",
            "kind": "basic_farmland",
            "name": "后李营基本农田保护片",
            "geometry": bf3,
        },
        {
            "code": "ER-001",
            "kind": "ecological_redline",
            "name": "东蔡河生态保护红线",
            "geometry": er1,
        },
    ]


ASSESSMENT_NAMES = {
    "land_survey": "土地勘测",
    "mineral_overlay": "压覆矿产资源评估",
    "geological_hazard": "地质灾害危险性评估",
    "energy_saving": "节能评价",
    "soil_water": "水土保持方案",
    "cultural_relics": "文物保护评估",
    "flood_impact": "洪水影响评价",
    "seismic_safety": "地震安全性评价",
    "climate": "气候可行性论证",
    "environmental_impact": "规划环境影响评价",
}


def build_assessments(grid: Grid) -> list[dict[str, Any]]:
    """Regional assessment areas with validity dates (two expired)."""
    xs, ys = grid.xs, grid.ys
    m = 25.0
    whole = box(xs[0] - m, ys[0] - m, xs[8] + m, ys[6] + m)
    west = box(xs[0] - m, ys[0] - m, xs[5] + m, ys[6] + m)
    east = box(xs[5] - m, ys[0] - m, xs[8] + m, ys[6] + m)
    z2 = box(xs[5] - m, ys[0] - m, xs[8] + m, ys[3] + m)
    z3 = box(xs[5] - m, ys[3] - m, xs[8] + m, ys[6] + m)
    spec = [
        ("land_survey", "经开区", whole, "2024-03-15", "2029-03-14"),
        ("mineral_overlay", "经开区", whole, "2024-04-20", "2029-04-19"),
        ("geological_hazard", "经开区", whole, "2024-05-10", "2027-05-09"),
        ("energy_saving", "经开区", whole, "2024-06-01", "2027-05-31"),
        ("soil_water", "经开区", whole, "2024-06-18", "2027-06-17"),
        ("cultural_relics", "经开区", whole, "2024-07-01", "2029-06-30"),
        ("flood_impact", "先进制造产业园", west, "2023-09-01", "2028-08-31"),
        ("flood_impact", "东片区", east, "2021-06-01", "2026-05-31"),
        ("seismic_safety", "经开区", whole, "2024-08-15", "2029-08-14"),
        ("climate", "经开区", whole, "2020-03-01", "2025-02-28"),
        ("climate", "经开区", whole, "2025-04-01", "2030-03-31"),
        ("environmental_impact", "先进制造产业园", west, "2024-09-01", "2029-08-31"),
        ("environmental_impact", "塑料产业园", z2, "2024-10-15", "2029-10-14"),
        ("environmental_impact", "食品与新材料产业园", z3, "2025-01-10", "2030-01-09"),
    ]
    rows = []
    for i, (kind, area, geom, start, end) in enumerate(spec, start=1):
        rows.append(
            {
                "code": f"QY-{i:03d}",
                "kind": kind,
                "name": f"淮阳经开区{area}区域{ASSESSMENT_NAMES[kind]}",
                "valid_from": start,
                "valid_until": end,
                "document_ref": f"淮经开评〔{start[:4]}〕{i + 2}号",
                "geometry": geom,
            }
        )
    return rows


# ---------------------------------------------------------------- land records

SURVEYORS = ("周口华测地理信息有限公司", "淮阳区测绘队", "河南豫东勘测设计院")


def build_leveling(parcels: list[Parcel]) -> list[dict[str, str]]:
    """Site surveys; the latest survey of a parcel counts."""
    rng = random.Random(f"{SEED}:leveling")
    rows: list[dict[str, Any]] = []
    lo, hi = dt.date(YEAR, 8, 1), dt.date(YEAR, 11, 20)
    for p in parcels:
        if p.tag == "U_leveling":
            continue
        surveys: list[tuple[dt.date, bool, int]] = []
        if p.key in TWO_SURVEYS or p.tag == "L_redisturbed":
            first = rand_date(rng, lo, dt.date(YEAR, 9, 15))
            second = rand_date(rng, first + dt.timedelta(days=30), hi)
            if p.tag == "L_redisturbed":
                surveys = [(first, True, 0), (second, False, 3200)]
            else:
                surveys = [(first, False, rng.randint(20, 160) * 100), (second, True, 0)]
        elif p.tag == "L_unleveled":
            surveys = [(rand_date(rng, lo, hi), False, 18500)]
        elif p.tag == "L_earthwork":
            surveys = [(rand_date(rng, lo, hi), True, 650)]
        else:
            surveys = [(rand_date(rng, lo, hi), True, 0)]
        for d, leveled, earth in surveys:
            rows.append(
                {
                    "parcel_code": p.code,
                    "surveyed_on": d,
                    "leveled": "true" if leveled else "false",
                    "earthwork_outstanding_m3": str(earth),
                    "surveyor": rng.choice(SURVEYORS),
                }
            )
    rows.sort(key=lambda r: (r["surveyed_on"], r["parcel_code"]))
    for i, row in enumerate(rows, start=1):
        row["document_ref"] = f"HYCL-{YEAR}-{i:03d}"
        row["surveyed_on"] = row["surveyed_on"].isoformat()
    rows.sort(key=lambda r: (r["parcel_code"], r["surveyed_on"]))
    return rows


def build_titles(parcels: list[Parcel]) -> list[dict[str, str]]:
    """Title records (ownership, requisition, compensation, disputes)."""
    rng = random.Random(f"{SEED}:titles")
    rows: list[dict[str, Any]] = []
    lo, hi = dt.date(YEAR, 6, 15), dt.date(YEAR, 11, 20)
    for p in parcels:
        if p.tag == "U_title":
            continue
        ok = ("state", True, True, 0)
        recs: list[tuple[dt.date, tuple[str, bool, bool, int]]]
        if p.key in TWO_TITLES:
            first = rand_date(rng, lo, dt.date(YEAR, 8, 31))
            second = rand_date(rng, first + dt.timedelta(days=30), hi)
            recs = [(first, ("state", True, False, 0)), (second, ok)]
        else:
            rec = {
                "T_dispute": ("state", True, True, 1),
                "T_compensation": ("state", True, False, 0),
                "T_collective": ("collective", False, False, 0),
            }.get(p.tag or "", ok)
            recs = [(rand_date(rng, lo, hi), rec)]
        for d, (own, req, comp, disputes) in recs:
            rows.append(
                {
                    "parcel_code": p.code,
                    "recorded_on": d,
                    "ownership": own,
                    "requisition_done": "true" if req else "false",
                    "compensation_settled": "true" if comp else "false",
                    "open_disputes": str(disputes),
                }
            )
    rows.sort(key=lambda r: (r["recorded_on"], r["parcel_code"]))
    for i, row in enumerate(rows, start=1):
        row["document_ref"] = f"淮自然资〔{YEAR}〕{100 + i}号"
        row["recorded_on"] = row["recorded_on"].isoformat()
    rows.sort(key=lambda r: (r["parcel_code"], r["recorded_on"]))
    return rows


# ---------------------------------------------------------------- readiness self-check


@dataclass
class Readiness:
    """Planned readiness of one parcel, from the written (rounded) data."""

    code: str
    area_mu: float
    water_m: float
    power_m: float
    road_m: float
    leveling: str
    title: str
    overlap_m2: float
    status: dict[str, str]


def check_readiness(
    parcels_ll: gpd.GeoDataFrame,
    infra_ll: gpd.GeoDataFrame,
    protected_ll: gpd.GeoDataFrame,
    leveling: list[dict[str, str]],
    titles: list[dict[str, str]],
) -> list[Readiness]:
    """Apply the default rules with shapely in EPSG:4547, with margins around the thresholds."""
    infra = infra_ll.to_crs(LOCAL_CRS)
    water = infra[
        (infra.kind == "water") & (infra.status == "existing") & (infra.diameter_mm >= 100)
    ]
    power = infra[(infra.kind == "power") & (infra.status == "existing") & (infra.voltage_kv >= 10)]
    road = infra[(infra.kind == "road") & (infra.status == "existing")]
    prot = protected_ll.to_crs(LOCAL_CRS)
    parcels = parcels_ll.to_crs(LOCAL_CRS)
    latest_lev: dict[str, dict[str, str]] = {}
    for row in sorted(leveling, key=lambda r: r["surveyed_on"]):
        latest_lev[row["parcel_code"]] = row
    latest_title: dict[str, dict[str, str]] = {}
    for row in sorted(titles, key=lambda r: r["recorded_on"]):
        latest_title[row["parcel_code"]] = row
    out = []

    def spatial(dist: float, limit: float) -> str:
        if dist <= limit - 10:
            return "met"
        if dist >= limit + 20:
            return "unmet"
        raise AssertionError(f"distance {dist:.1f} m too close to the {limit} m threshold")

    for code, geom in zip(parcels.code, parcels.geometry, strict=True):
        wd = float(water.distance(geom).min())
        pd_ = float(power.distance(geom).min())
        rd = float(road.distance(geom).min())
        overlap = float(prot.intersection(geom).area.sum())
        others = parcels[parcels.code != code]
        parcel_overlap = float(others.intersection(geom).area.sum())
        lev = latest_lev.get(code)
        if lev is None:
            lev_s = "unknown"
        else:
            ok = lev["leveled"] == "true" and int(lev["earthwork_outstanding_m3"]) == 0
            lev_s = "met" if ok else "unmet"
        tit = latest_title.get(code)
        if overlap > 0 or parcel_overlap > 0.5:
            tit_s = "unmet"
        elif tit is None:
            tit_s = "unknown"
        else:
            ok = (
                tit["ownership"] == "state"
                and tit["requisition_done"] == "true"
                and tit["compensation_settled"] == "true"
                and int(tit["open_disputes"]) == 0
            )
            tit_s = "met" if ok else "unmet"
        status = {
            "water": spatial(wd, 200),
            "power": spatial(pd_, 500),
            "road": spatial(rd, 50),
            "leveling": lev_s,
            "title": tit_s,
        }
        out.append(Readiness(code, geom.area / MU_M2, wd, pd_, rd, lev_s, tit_s, overlap, status))
    return out


# ---------------------------------------------------------------- projects

DOMAIN_COUNTS = (
    ("innovation", 22),
    ("infrastructure", 52),
    ("industrial_transformation", 101),
    ("green_low_carbon", 28),
    ("livelihood", 44),
)
STATUS_COUNTS = (
    ("planned", 50),
    ("signed", 61),
    ("started", 36),
    ("under_construction", 64),
    ("completed", 16),
    ("in_production", 20),
)
STARTED = ("started", "under_construction", "completed", "in_production")
LEADERS = (
    "李明华(区长)", "张志强(区委常委、常务副区长)", "王建国(副区长)", "陈晓东(副区长)",
    "吴海涛(副区长)", "郑红梅(副区长)", "黄振宇(副区长)", "林晓燕(副区长)",
    "赵立新(区委常委、组织部部长)", "孙卫东(区委常委、宣传部部长)",
    "周文斌(区委常委、政法委书记)", "许长江(区委常委、统战部部长)",
    "罗建华(区委常委、经开区管委会主任)", "杨志刚(经开区党工委副书记)",
    "冯建军(区人大常委会副主任)", "朱立平(区人大常委会副主任)", "宋德明(区人大常委会副主任)",
    "何国庆(区政协副主席)", "高永胜(区政协副主席)", "韩志国(区政协副主席)",
)  # fmt: skip
UNITS = {
    "industrial_transformation": ("区工信局", "经开区管委会", "区商务局", "区发改委"),
    "infrastructure": ("区交通运输局", "区住建局", "区水利局", "区城管局", "区发改委"),
    "livelihood": ("区教体局", "区卫健委", "区民政局", "区住建局", "区人社局"),
    "green_low_carbon": ("区发改委", "市生态环境局淮阳分局", "区城管局"),
    "innovation": ("区科技局", "区工信局", "经开区管委会"),
}
COMPANY_A = (
    "豫淮", "华塑", "龙湖", "羲皇", "宛丘", "陈州", "中原", "恒通", "鑫源", "金泰", "瑞丰",
    "盛达", "新宇", "天润", "嘉禾", "博越", "永兴", "联创", "振华", "佳美", "汇丰", "东盛",
)  # fmt: skip
COMPANY_B = {
    "塑料制品": ("塑业", "管业", "新材料"),
    "装备制造": ("机械", "智能装备", "重工"),
    "食品加工": ("食品", "农业科技", "食业"),
    "新材料": ("新材料", "科技", "材料"),
    "电子信息": ("电子", "科技", "光电"),
    "纺织服装": ("纺织", "服饰", "制衣"),
}
PRODUCTS = {
    "塑料制品": ("PVC管材", "PE燃气管", "PPR管件", "塑料薄膜", "改性塑料颗粒", "塑料包装制品"),
    "装备制造": ("农业机械", "智能仓储设备", "输送设备", "环保设备", "数控机床", "电动车零部件"),
    "食品加工": ("速冻食品", "面制品", "调味品", "肉制品", "休闲食品", "植物蛋白饮料"),
    "新材料": ("新型建材", "高分子材料", "功能性薄膜", "再生塑料", "碳纤维制品"),
    "电子信息": ("电子元器件", "线路板", "智能终端", "LED照明", "锂电池模组"),
    "纺织服装": ("针织面料", "功能性服装", "家纺产品"),
}
UNIT_OF = {
    "塑料制品": "万吨",
    "装备制造": "台(套)",
    "食品加工": "万吨",
    "新材料": "万吨",
    "电子信息": "万套",
    "纺织服装": "万件",
}
TOWNS = (
    "城关回族镇", "白楼镇", "朱集乡", "新站镇", "鲁台镇", "四通镇", "临蔡镇", "安岭镇", "刘振屯乡",
    "豆门乡", "冯塘乡", "曹河乡", "齐老乡", "郑集乡", "王店乡", "大连乡", "葛店乡", "黄集乡",
)  # fmt: skip
ROADS = ("羲皇大道", "太昊路", "龙都大道", "周淮路", "文正路", "八卦路", "弦歌路", "迎宾大道")
RIVERS = ("新蔡河", "流沙河", "黑河", "清水河", "东蔡河")
ROUND_DATES = (
    dt.date(YEAR, 1, 16),
    dt.date(YEAR, 4, 10),
    dt.date(YEAR, 7, 8),
    dt.date(YEAR, 10, 13),
)
REGIONS = ("大湾区", "长三角", "珠三角", "京津冀")


@dataclass
class Project:
    """One key project of the 2026 ledger."""

    domain: str
    code: str = ""
    name: str = ""
    industry: str = ""
    description: str = ""
    status: str = "planned"
    total: Decimal = Decimal(0)
    planned: Decimal = Decimal(0)
    completed: Decimal = Decimal(0)
    leader: str = ""
    unit: str = ""
    lon: float = 0.0
    lat: float = 0.0
    parcel_code: str = ""
    planned_start: dt.date | None = None
    actual_start: dt.date | None = None
    planned_completion: dt.date | None = None
    actual_completion: dt.date | None = None
    signed_on: dt.date | None = None
    in_production_on: dt.date | None = None
    attracted: bool = False
    region: str = ""
    giant: bool = False
    late: bool = False
    fixed_total: bool = False


def project_name(rng: random.Random, p: Project, used: set[str]) -> None:
    """Name, industry and description from the domain."""
    for _ in range(50):
        if p.domain == "industrial_transformation":
            ind = p.industry or weighted(
                rng,
                (("塑料制品", 5), ("装备制造", 4), ("食品加工", 3), ("新材料", 3),
                 ("电子信息", 2), ("纺织服装", 1)),
            )  # fmt: skip
            company = rng.choice(COMPANY_A) + rng.choice(COMPANY_B[ind])
            prod = rng.choice(PRODUCTS[ind])
            n = rng.choice((2, 3, 5, 6, 8, 10, 12, 15, 20, 30))
            if UNIT_OF[ind] == "台(套)":
                n *= 100
            kind = 0.9 if p.giant else rng.random()
            if kind < 0.6:
                name = f"{company}年产{n}{UNIT_OF[ind]}{prod}项目"
            elif kind < 0.85:
                name = f"{company}{prod}生产线智能化改造项目"
            else:
                name = f"{company}{prod}产业园项目"
            area = rng.choice((1.2, 2, 3.5, 5, 6.8, 8, 12))
            lines = rng.randint(2, 12)
            desc = f"新建生产车间、仓库及配套用房{area}万平方米,购置{prod}生产线{lines}条。"
        elif p.domain == "infrastructure":
            ind, name, desc = rng.choice(
                (
                    ("交通", f"{rng.choice(ROADS)}改建工程",
                     f"道路改建{rng.randint(2, 12)}.{rng.randint(0, 9)}公里,含雨污管网及照明。"),
                    ("市政", f"{rng.choice(TOWNS)}污水处理厂建设项目",
                     f"新建日处理{rng.choice((0.5, 1, 2, 3))}万吨污水处理厂及配套管网。"),
                    ("水利", f"{rng.choice(RIVERS)}{rng.choice(TOWNS)}段综合治理工程",
                     f"河道清淤疏浚{rng.randint(5, 30)}公里,新建堤防及生态护岸。"),
                    ("市政", f"{rng.choice(TOWNS)}城乡供水一体化工程",
                     f"新建供水管网{rng.randint(20, 120)}公里,覆盖{rng.randint(10, 40)}个行政村。"),
                    ("交通", f"{rng.choice(TOWNS)}农村公路提档升级工程",
                     f"改造农村公路{rng.randint(10, 60)}公里。"),
                    ("市政", f"城区{rng.choice(ROADS)}片区雨污分流改造工程",
                     f"改造雨污管网{rng.randint(5, 40)}公里。"),
                    ("能源", f"{rng.choice(TOWNS)}110kV输变电工程",
                     f"新建110kV变电站1座,主变容量{rng.choice((2, 3))}×50MVA。"),
                    ("交通", f"淮阳经开区{rng.choice(V_NAMES + H_NAMES)}道路及管网工程",
                     "新建城市次干路及给水、雨污、电力管沟。"),
                )
            )  # fmt: skip
        elif p.domain == "livelihood":
            town = rng.choice(TOWNS)
            wing = rng.choice(("门诊", "住院", "医技", "急救"))
            ind, name, desc = rng.choice(
                (
                    ("教育", f"{town}中心学校教学楼建设项目",
                     f"新建教学楼及附属用房{rng.randint(3, 12)}千平方米。"),
                    ("教育", f"淮阳区第{CN_NUM[rng.randint(0, 9)]}高级中学扩建项目",
                     f"新增学位{rng.randint(10, 30) * 100}个,建设教学楼、宿舍楼。"),
                    ("医疗卫生", f"{town}卫生院能力提升项目",
                     f"新建门诊综合楼{rng.randint(2, 8)}千平方米,购置医疗设备。"),
                    ("医疗卫生", f"区人民医院{wing}楼建设项目",
                     f"建设{wing}楼{rng.randint(1, 5)}万平方米。"),
                    ("养老", f"{town}养老服务中心建设项目",
                     f"新建养老床位{rng.randint(1, 4) * 100}张。"),
                    ("住房", f"{town}老旧小区改造项目",
                     f"改造老旧小区{rng.randint(3, 20)}个,涉及{rng.randint(5, 30) * 100}户。"),
                    ("住房", f"{rng.choice(ROADS)}保障性租赁住房项目",
                     f"建设保障性租赁住房{rng.randint(3, 12) * 100}套。"),
                    ("文旅", f"太昊陵{rng.choice(('游客中心', '历史街区', '文化广场'))}提升项目",
                     "改造提升景区配套设施及游客服务设施。"),
                )
            )  # fmt: skip
        elif p.domain == "green_low_carbon":
            town = rng.choice(TOWNS)
            ind, name, desc = rng.choice(
                (
                    ("新能源", f"{town}{rng.choice((10, 20, 30, 50))}MW分布式光伏发电项目",
                     "利用屋顶及设施农业建设分布式光伏电站。"),
                    ("新能源", f"{town}{rng.choice((50, 100, 150))}MW风电项目",
                     f"安装风电机组{rng.randint(10, 30)}台及升压站。"),
                    ("新能源", f"{town}生物质热电联产项目", "建设生物质锅炉及汽轮发电机组。"),
                    ("节能环保", f"{town}{rng.choice((50, 100, 200))}MWh储能电站项目",
                     "建设电化学储能电站及配套升压设施。"),
                    ("节能环保", f"{town}农业废弃物资源化利用项目",
                     "建设秸秆、畜禽粪污收储及有机肥加工设施。"),
                    ("节能环保", f"经开区{rng.choice(('污水', '余热', '中水'))}资源化利用项目",
                     "建设再生水厂及管网,供园区企业循环利用。"),
                )
            )  # fmt: skip
        else:
            ind = "科技研发"
            company = rng.choice(COMPANY_A) + rng.choice(("科技", "新材料", "智能装备", "食品"))
            name, desc = rng.choice(
                (
                    (f"{company}研发中心建设项目", "建设研发中心及中试车间,购置研发检测设备。"),
                    (f"淮阳区{rng.choice(('塑料', '装备制造', '食品'))}产业工程技术研究中心项目",
                     "建设省级工程技术研究中心及公共实验室。"),
                    (f"淮阳经开区{rng.choice(('科技孵化器', '众创空间', '检验检测中心'))}建设项目",
                     "建设孵化载体及公共服务平台。"),
                    (f"{company}数字化车间建设项目", "建设工业互联网平台及数字化车间。"),
                )
            )  # fmt: skip
        if name not in used:
            used.add(name)
            p.name, p.industry, p.description = name, ind, desc
            return
    raise AssertionError("could not find a unique project name")


def sample_point(
    rng: random.Random,
    region: Polygon,
    avoid: BaseGeometry,
    centre: tuple[float, float] | None = None,
    sd_m: float = 0.0,
) -> Point:
    """A random point inside region (local metres), not inside avoid."""
    minx, miny, maxx, maxy = region.bounds
    for _ in range(10_000):
        if centre is None:
            pt = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        else:
            pt = Point(rng.gauss(centre[0], sd_m), rng.gauss(centre[1], sd_m))
        if region.contains(pt) and not avoid.contains(pt):
            return pt
    raise AssertionError("no point found")


def scale_to(
    values: list[Decimal],
    fixed: list[bool],
    target: Decimal,
    lo: list[Decimal],
    hi: list[Decimal],
    step: Decimal,
) -> list[Decimal]:
    """Scale the free values so the sum hits target, within [lo, hi], rounded to step."""
    vals = list(values)
    for _ in range(30):
        free = [i for i, f in enumerate(fixed) if not f and lo[i] < vals[i] < hi[i]]
        rest = sum((vals[i] for i in range(len(vals)) if i not in set(free)), Decimal(0))
        cur = sum((vals[i] for i in free), Decimal(0))
        if not free or cur == 0:
            break
        factor = (target - rest) / cur
        for i in free:
            v = (vals[i] * factor / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
            vals[i] = max(lo[i], min(hi[i], v))
        if abs(sum(vals, Decimal(0)) - target) < step * len(vals):
            break
    return vals


def build_projects(grid: Grid, parcels: list[Parcel]) -> list[Project]:
    """247 key projects with money, dates, leaders and locations."""
    rng = random.Random(f"{SEED}:projects")
    projects: list[Project] = []
    for domain, n in DOMAIN_COUNTS:
        projects.extend(Project(domain=domain) for _ in range(n))
    industrial = [p for p in projects if p.domain == "industrial_transformation"]
    # projects on transferred parcels
    transferred = [p for p in parcels if p.stage in ("contract", "handed_over")]
    linked = industrial[: len(transferred)]
    for p, parcel in zip(linked, transferred, strict=True):
        p.industry = parcel.industry if parcel.industry in PRODUCTS else "新材料"
        p.parcel_code = parcel.code
        p.status = "signed" if parcel.stage == "contract" else "under_construction"
        if parcel.stage == "handed_over" and parcel.key[2] == "sw":
            p.status = "started"
        p.attracted = True
        intensity = INDICATOR_TABLE[parcel.industry][0]
        area_mu = parcel.geom.area / MU_M2
        p.total = money(round(area_mu * intensity * rng.uniform(1.05, 1.4), -1))
        p.fixed_total = True
    # the giants (10-50 亿元)
    giants = industrial[len(transferred) : len(transferred) + 6]
    giants += [p for p in projects if p.domain == "infrastructure"][:2]
    giants += [p for p in projects if p.domain == "green_low_carbon"][:1]
    giants += [p for p in projects if p.domain == "livelihood"][:1]
    giants += [p for p in projects if p.domain == "infrastructure"][2:3]
    giants += industrial[len(transferred) + 6 : len(transferred) + 7]
    giant_status = ("signed", "started", "under_construction", "under_construction")
    for i, p in enumerate(giants):
        p.giant = True
        top = 460 if p.domain in ("industrial_transformation", "infrastructure") else 160
        p.total = money(rng.randint(100, top) * 1000)
        p.status = giant_status[i % 4] if i >= 3 else ("signed", "started", "under_construction")[i]
        p.attracted = i < 3
        p.fixed_total = True
    # statuses for the rest, exact counts overall
    pool: list[str] = []
    for status, n in STATUS_COUNTS:
        pool.extend([status] * n)
    for p in projects:
        if p.fixed_total:
            pool.remove(p.status)
    rng.shuffle(pool)
    rest = [p for p in projects if not p.fixed_total]
    for p, status in zip(rest, pool, strict=True):
        p.status = status
    used: set[str] = set()
    for p in projects:
        project_name(rng, p, used)
    # totals
    medians = {
        "industrial_transformation": 16000,
        "infrastructure": 14000,
        "livelihood": 7000,
        "green_low_carbon": 14000,
        "innovation": 5000,
    }
    for p in rest:
        v = medians[p.domain] * rng.lognormvariate(0, 0.8)
        if rng.random() < 0.25:
            p.total = money(v)
        else:
            p.total = money(round(v))
    lo = [Decimal(800) for _ in projects]
    hi = [Decimal(98000) for _ in projects]
    totals = scale_to(
        [p.total for p in projects],
        [p.fixed_total for p in projects],
        TOTAL_INVESTMENT,
        lo,
        hi,
        Decimal(1),
    )
    for p, amount in zip(projects, totals, strict=True):
        p.total = amount
    biggest = max(projects, key=lambda p: p.total)
    biggest.total += TOTAL_INVESTMENT - sum((p.total for p in projects), Decimal(0))
    assert Decimal(100000) <= biggest.total <= Decimal(500000), biggest.total
    # attraction: 3 giants, the linked ones, 13 more >= 1 亿 and 5 smaller, all signed or later
    cand_big = [
        p
        for p in projects
        if not p.attracted
        and not p.giant
        and p.domain in ("industrial_transformation", "green_low_carbon", "innovation")
        and p.status != "planned"
        and p.total >= 10000
    ]
    cand_small = [
        p
        for p in projects
        if not p.attracted
        and p.domain == "industrial_transformation"
        and p.status != "planned"
        and p.total < 10000
    ]
    for p in rng.sample(cand_big, 13) + rng.sample(cand_small, 5):
        p.attracted = True
    for p in projects:
        if p.attracted:
            p.region = rng.choice(REGIONS) if rng.random() < 0.85 else ""
    # dates
    not_started = [p for p in projects if p.status in ("planned", "signed") and not p.giant]
    for p in rng.sample(not_started, 14):
        p.late = True
    for p in projects:
        project_dates(rng, p)
    snap_rounds(rng, projects)
    # planned and completed investment of the year
    plan_frac = {
        "planned": (0.05, 0.20),
        "signed": (0.10, 0.30),
        "started": (0.30, 0.70),
        "under_construction": (0.40, 0.85),
        "completed": (0.60, 1.00),
        "in_production": (0.60, 1.00),
    }
    for p in projects:
        a, b = plan_frac[p.status]
        if p.giant:
            a, b = 0.25, 0.45
        p.planned = money(p.total * Decimal(str(rng.uniform(a, b))))
    planned = scale_to(
        [p.planned for p in projects],
        [False] * len(projects),
        PLANNED_INVESTMENT,
        [Decimal(100)] * len(projects),
        [p.total for p in projects],
        CENT,
    )
    for p, amount in zip(projects, planned, strict=True):
        p.planned = amount
    room = max(projects, key=lambda p: p.total - p.planned)
    room.planned += PLANNED_INVESTMENT - sum((p.planned for p in projects), Decimal(0))
    assert Decimal(0) < room.planned <= room.total
    done_frac = {
        "planned": (0.0, 0.0),
        "signed": (0.0, 0.0),
        "started": (0.15, 0.50),
        "under_construction": (0.60, 0.98),
        "completed": (0.90, 1.00),
        "in_production": (0.95, 1.00),
    }
    for p in projects:
        a, b = done_frac[p.status]
        p.completed = money(p.planned * Decimal(str(rng.uniform(a, b)))) if b else Decimal("0.00")
        p.completed = min(p.completed, p.planned)
    # leaders and units
    leader_weights = [
        1 if lead.endswith("(区长)") or "常务" in lead else 4 if "副区长" in lead else 2
        for lead in LEADERS
    ]
    for i, p in enumerate(projects):
        p.leader = LEADERS[i] if i < len(LEADERS) else rng.choices(LEADERS, leader_weights)[0]
        p.unit = rng.choice(UNITS[p.domain])
        if p.parcel_code:
            p.unit = "经开区管委会"
    # locations
    place_projects(rng, grid, parcels, projects)
    # codes: grouped by domain as in the ledger, biggest first within a domain
    order = {d: i for i, (d, _n) in enumerate(DOMAIN_COUNTS)}
    projects.sort(key=lambda p: (order[p.domain], -p.total, p.name))
    for i, p in enumerate(projects, start=1):
        p.code = f"XM{YEAR}-{i:03d}"
    return projects


def project_dates(rng: random.Random, p: Project) -> None:
    """Dates consistent with the status (everything planned falls in 2026)."""
    jan, dec31 = dt.date(YEAR, 1, 10), dt.date(YEAR, 12, 31)
    last = TODAY - dt.timedelta(days=2)
    days = dt.timedelta
    if p.status in STARTED:
        if p.status == "started":
            p.actual_start = rand_date(rng, dt.date(YEAR, 8, 1), dt.date(YEAR, 11, 20))
        elif p.status == "under_construction":
            p.actual_start = rand_date(rng, jan, dt.date(YEAR, 8, 31))
        elif p.status == "completed":
            p.actual_start = rand_date(rng, jan, dt.date(YEAR, 5, 31))
            p.actual_completion = min(p.actual_start + days(rng.randint(100, 260)), last)
        else:
            p.actual_start = rand_date(rng, jan, dt.date(YEAR, 4, 30))
            p.actual_completion = min(
                p.actual_start + days(rng.randint(90, 220)), dt.date(YEAR, 10, 31)
            )
            p.in_production_on = min(p.actual_completion + days(rng.randint(5, 30)), last)
        p.planned_start = clamp_date(
            p.actual_start + days(rng.randint(-25, 10)), dt.date(YEAR, 1, 2), dec31
        )
        if p.actual_completion:
            pc = p.actual_completion + days(rng.randint(-20, 30))
        elif p.total > 50000 or p.giant:
            pc = dt.date(YEAR, 12, rng.randint(20, 31))
        else:
            pc = p.planned_start + days(rng.randint(200, 330))
        p.planned_completion = clamp_date(pc, p.planned_start + days(30), dec31)
    elif p.late:
        p.planned_start = rand_date(rng, dt.date(YEAR, 3, 1), dt.date(YEAR, 9, 25))
        p.planned_completion = clamp_date(
            p.planned_start + days(rng.randint(120, 280)), p.planned_start + days(30), dec31
        )
    else:
        p.planned_start = rand_date(rng, dt.date(YEAR, 11, 30), dt.date(YEAR, 12, 20))
        p.planned_completion = dec31
    if p.status != "planned":
        hi = p.actual_start - days(7) if p.actual_start else last
        if p.attracted:
            p.signed_on = rand_date(rng, dt.date(YEAR, 1, 5), hi)
        else:
            p.signed_on = rand_date(rng, dt.date(YEAR - 1, 3, 1), min(hi, dt.date(YEAR, 6, 30)))


def snap_rounds(rng: random.Random, projects: list[Project]) -> None:
    """Move some events onto the quarterly "三个一批" round dates."""

    def nearest(d: dt.date, lo: dt.date, hi: dt.date) -> dt.date | None:
        ok = [r for r in ROUND_DATES if lo <= r <= hi and abs((r - d).days) <= 45]
        return min(ok, key=lambda r: abs((r - d).days)) if ok else None

    start_of_year = dt.date(YEAR, 1, 1)
    for p in projects:
        if p.signed_on and p.signed_on.year == YEAR and rng.random() < 0.6:
            hi = min(TODAY, p.actual_start or TODAY)
            p.signed_on = nearest(p.signed_on, start_of_year, hi) or p.signed_on
        if p.actual_start and rng.random() < 0.6:
            lo = max(p.signed_on or start_of_year, start_of_year)
            hi = min(p.actual_completion or TODAY, TODAY)
            p.actual_start = nearest(p.actual_start, lo, hi) or p.actual_start
        if p.in_production_on and p.actual_completion and rng.random() < 0.7:
            lo = p.actual_completion
            p.in_production_on = nearest(p.in_production_on, lo, TODAY) or p.in_production_on


def place_projects(
    rng: random.Random, grid: Grid, parcels: list[Parcel], projects: list[Project]
) -> None:
    """Industrial projects in or near the zone, the rest across the district."""
    district = to_local(Polygon(INNER_DISTRICT))
    all_parcels = shapely.union_all([p.geom.buffer(10) for p in parcels])
    by_code = {p.code: p for p in parcels}
    zone = box(grid.xs[0], grid.ys[0], grid.xs[-1], grid.ys[-1])
    near_zone = zone.buffer(2500).intersection(district)
    cx, cy = TO_LOCAL.transform(114.886, 33.732)
    for p in projects:
        if p.parcel_code:
            pt = by_code[p.parcel_code].geom.representative_point()
        elif p.domain == "industrial_transformation":
            area = zone if rng.random() < 0.6 else near_zone
            pt = sample_point(rng, area, all_parcels)
        elif p.domain in ("innovation",) or rng.random() < 0.5:
            pt = sample_point(rng, district, all_parcels, (cx, cy), 2500)
        else:
            pt = sample_point(rng, district, all_parcels)
        lon, lat = TO_GEO.transform(pt.x, pt.y)
        p.lon, p.lat = round(lon, 7), round(lat, 7)


# ---------------------------------------------------------------- ledger tables


def build_rounds(projects: list[Project]) -> list[dict[str, str]]:
    """Round membership: events that fall on a round date."""
    rows = []
    for p in projects:
        for lst, d in (
            ("signed", p.signed_on),
            ("started", p.actual_start),
            ("in_production", p.in_production_on),
        ):
            if d in ROUND_DATES:
                n = ROUND_DATES.index(d) + 1
                rows.append(
                    {"project_code": p.code, "round_no": str(n), "round_date": d.isoformat(),
                     "list": lst}
                )  # fmt: skip
    rows.sort(key=lambda r: (r["round_no"], r["list"], r["project_code"]))
    return rows


def month_starts(a: dt.date, b: dt.date) -> list[dt.date]:
    """First days of the months from a's month to b's month."""
    out, cur = [], dt.date(a.year, a.month, 1)
    while cur <= b:
        out.append(cur)
        cur = dt.date(cur.year + cur.month // 12, cur.month % 12 + 1, 1)
    return out


def build_investment_reports(projects: list[Project]) -> list[dict[str, str]]:
    """Monthly completed investment summing exactly to completed_wan."""
    rng = random.Random(f"{SEED}:reports")
    rows = []
    for p in projects:
        if p.completed <= 0 or p.actual_start is None:
            continue
        end = min(p.actual_completion or TODAY, TODAY)
        months = month_starts(max(p.actual_start, dt.date(YEAR, 1, 1)), end)
        parts = split_decimal(rng, p.completed, [rng.uniform(0.5, 1.5) for _ in months])
        for m, v in zip(months, parts, strict=True):
            assert v >= 0
            rows.append(
                {"project_code": p.code, "month": m.isoformat(), "completed_wan": fmt_money(v)}
            )
    return rows


FUNDING = {
    "infrastructure": (("special_bond", 0.55), ("central_budget", 0.2), ("self_funded", 0.25)),
    "livelihood": (("special_bond", 0.5), ("central_budget", 0.3), ("self_funded", 0.2)),
    "industrial_transformation": (("self_funded", 0.85), ("enterprise_upgrade", 0.15)),
    "green_low_carbon": (("self_funded", 0.6), ("ppp", 0.3), ("central_budget", 0.1)),
    "innovation": (("self_funded", 0.6), ("enterprise_upgrade", 0.25), ("central_budget", 0.15)),
}


def build_funding(projects: list[Project]) -> list[dict[str, str]]:
    """Funding sources per project summing to the total investment."""
    rng = random.Random(f"{SEED}:funding")
    rows = []
    for p in projects:
        sources = list(FUNDING[p.domain])
        if p.domain == "infrastructure" and rng.random() < 0.2:
            sources[-1] = ("ppp", 0.25)
        if p.domain == "industrial_transformation" and rng.random() < 0.4:
            sources = [("self_funded", 1.0)]
        weights = [w * rng.uniform(0.6, 1.4) for _, w in sources]
        parts = split_decimal(rng, p.total, weights)
        for (src, _w), amount in zip(sources, parts, strict=True):
            assert amount > 0
            rows.append({"project_code": p.code, "source": src, "amount_wan": fmt_money(amount)})
    return rows


MILESTONES = {
    "industrial_transformation": ("土地摘牌", "施工许可", "主体封顶", "设备安装", "竣工投产"),
    "infrastructure": ("方案批复", "施工许可", "主体工程完工", "竣工验收"),
    "livelihood": ("施工许可", "主体封顶", "竣工验收"),
    "green_low_carbon": ("备案核准", "施工许可", "设备安装", "并网投运"),
    "innovation": ("施工许可", "主体封顶", "设备安装", "竣工投用"),
}


def build_milestones(projects: list[Project]) -> list[dict[str, str]]:
    """Milestones planned backwards from planned_completion for ~100 projects."""
    rng = random.Random(f"{SEED}:milestones")
    started = [p for p in projects if p.status in STARTED]
    signed = [p for p in projects if p.status == "signed"]
    chosen = set(id(p) for p in rng.sample(started, 90) + rng.sample(signed, 10))
    last = TODAY - dt.timedelta(days=1)
    rows = []
    for p in projects:
        if id(p) not in chosen:
            continue
        assert p.planned_start and p.planned_completion
        names = MILESTONES[p.domain]
        n = len(names)
        span = (p.planned_completion - p.planned_start).days
        step = max(10, min(60, span // (n - 1)))
        dues = [p.planned_completion - dt.timedelta(days=step * (n - 1 - k)) for k in range(n)]
        done_n = {
            "signed": 1 if p.domain == "industrial_transformation" else 0,
            "started": min(2, n - 2),
            "under_construction": rng.randint(2, n - 2) if n > 3 else 1,
            "completed": n - 1 if p.domain == "industrial_transformation" else n,
            "in_production": n,
        }[p.status]
        prev = p.signed_on or dt.date(YEAR, 1, 1)
        permit = names.index("施工许可")
        for k, (name, due) in enumerate(zip(names, dues, strict=True)):
            done = None
            if k < done_n:
                if k == n - 1 and p.in_production_on:
                    done = p.in_production_on
                elif k == n - 1 and p.actual_completion:
                    done = p.actual_completion
                else:
                    upper = p.actual_completion or last
                    if k <= permit and p.actual_start:
                        upper = p.actual_start
                    done = due + dt.timedelta(days=rng.randint(-10, 25))
                    done = max(prev, min(upper, done))
                prev = max(prev, done)
            rows.append(
                {"project_code": p.code, "seq": str(k + 1), "name": name, "due_on": due.isoformat(),
                 "done_on": iso(done)}
            )  # fmt: skip
    return rows


VISIT_NOTES = (
    "现场调度施工进度,督促加快主体施工。",
    "听取项目进展汇报,协调要素保障。",
    "查看设备安装情况,要求倒排工期。",
    "督导安全生产和文明施工。",
    "协调用工、用电等问题,明确责任单位。",
    "实地查看项目现场,推动尽快开工。",
)
PROBLEMS = (
    ("项目用地组卷报批进度慢,影响土地摘牌。", "区自然资源局", "已完成组卷上报,取得用地批复。"),
    ("施工临时用电未接通。", "国网淮阳区供电公司", "已架设临时变压器并送电。"),
    ("10kV专线接入方案未批复。", "国网淮阳区供电公司", "接入方案已批复,开始施工。"),
    ("项目贷款审批进度慢,资金缺口较大。", "区金融工作局", "已协调银行完成授信审批。"),
    ("施工许可证办理手续不全。", "区住建局", "已帮办补齐材料,取得施工许可证。"),
    ("环评批复尚未取得。", "市生态环境局淮阳分局", "已召开技术评审会,取得环评批复。"),
    ("用地范围内地上附着物未清表。", "经开区管委会", "已完成附着物清点补偿并清表。"),
    ("天然气管道未接入厂区。", "区城管局", "燃气公司已完成管道接入。"),
    ("项目用工短缺。", "区人社局", "已组织专场招聘会补充用工。"),
    ("进场道路未硬化,影响材料运输。", "区交通运输局", "已完成临时道路硬化。"),
)


def build_visits(projects: list[Project]) -> list[dict[str, Any]]:
    """Weekly leader visits, Sep–Nov 2026, for a subset of projects."""
    rng = random.Random(f"{SEED}:visits")
    cands = [p for p in projects if p.status in STARTED or p.late]
    chosen = sorted(rng.sample(cands, 45), key=lambda p: p.code)
    stale = set(id(p) for p in rng.sample(chosen, 12))
    rows: list[dict[str, Any]] = []
    for p in chosen:
        d = rand_date(rng, dt.date(YEAR, 9, 1), dt.date(YEAR, 9, 12))
        stop = (
            rand_date(rng, dt.date(YEAR, 10, 15), dt.date(YEAR, 11, 15))
            if id(p) in stale
            else TODAY - dt.timedelta(days=1)
        )
        dates = []
        while d <= stop:
            if rng.random() > 0.1:
                dates.append(d)
            d += dt.timedelta(days=7 + rng.randint(-1, 1))
        if id(p) not in stale and (not dates or dates[-1] < TODAY - dt.timedelta(days=7)):
            dates.append(rand_date(rng, TODAY - dt.timedelta(days=6), TODAY - dt.timedelta(days=1)))
        for d in dates:
            rows.append(
                {"project_code": p.code, "leader": p.leader, "visited_on": d,
                 "notes": rng.choice(VISIT_NOTES)}
            )  # fmt: skip
    rows.sort(key=lambda r: (r["visited_on"], r["project_code"]))
    assert len(rows) < 1000
    for i, row in enumerate(rows, start=1):
        row["code"] = f"DC-{i:03d}"
    return rows


def build_problems(projects: list[Project], visits: list[dict[str, Any]]) -> list[dict[str, str]]:
    """36 problems: 33 resolved, 3 in progress."""
    rng = random.Random(f"{SEED}:problems")
    by_code = {p.code: p for p in projects}
    nov = [v for v in visits if dt.date(YEAR, 11, 1) <= v["visited_on"] <= dt.date(YEAR, 11, 24)]
    open_visits = [nov[3], nov[len(nov) // 2], nov[-1]]
    others = [v for v in visits if v not in open_visits]
    found_visits = rng.sample(others, 27)
    items: list[tuple[dt.date, str, str, bool]] = []  # (found, project, visit, open)
    for v in open_visits:
        items.append((v["visited_on"], v["project_code"], v["code"], True))
    for v in found_visits:
        items.append((v["visited_on"], v["project_code"], v["code"], False))
    started = [p for p in projects if p.status in STARTED]
    for p in rng.sample(started, 6):
        assert p.actual_start
        lo = max(p.actual_start, dt.date(YEAR, 3, 10))
        items.append((rand_date(rng, lo, dt.date(YEAR, 8, 20)), p.code, "", False))
    items.sort(key=lambda t: (t[0], t[1], t[2]))
    rows = []
    late_resolved = 0
    n_open = 0
    for i, (found, code, visit, is_open) in enumerate(items, start=1):
        desc, unit, resolution = rng.choice(PROBLEMS)
        deadline = found + dt.timedelta(days=rng.randint(10, 30))
        resolved_on = None
        if is_open:
            n_open += 1
            if n_open == 1:
                deadline = found + dt.timedelta(days=10)  # already overdue
            else:
                deadline = dt.date(YEAR, 12, rng.randint(8, 20))
        else:
            over = late_resolved < 3 and rng.random() < 0.3
            late_resolved += over
            span = (deadline - found).days
            days = rng.randint(span + 2, span + 12) if over else rng.randint(2, span)
            resolved_on = min(found + dt.timedelta(days=days), TODAY - dt.timedelta(days=1))
        rows.append(
            {
                "code": f"WT-{i:03d}",
                "project_code": code,
                "description": desc,
                "found_on": found.isoformat(),
                "assignee_unit": unit,
                "assignee_leader": by_code[code].leader,
                "deadline": deadline.isoformat(),
                "status": "in_progress" if is_open else "resolved",
                "resolved_on": iso(resolved_on),
                "resolution": "" if is_open else resolution,
                "visit_code": visit,
            }
        )
    return rows


# ---------------------------------------------------------------- writing


def write_csv(path: Path, header: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
    """UTF-8 CSV with a header row and LF line ends; returns the row count."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(["" if row.get(h) is None else row[h] for h in header])
            n += 1
    return n


def write_geojson(
    path: Path, rows: list[dict[str, Any]], columns: Sequence[str], **dtypes: str
) -> gpd.GeoDataFrame:
    """GeoJSON in EPSG:4490, 7 decimals; returns what was written (lon/lat)."""
    df = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))
    for col, dtype in dtypes.items():
        df[col] = df[col].astype(dtype)
    geoms = [oriented(to_lonlat(r["geometry"])) for r in rows]
    gdf = gpd.GeoDataFrame(df, geometry=geoms, crs=OUTPUT_CRS)
    if path.exists():
        path.unlink()
    gdf.to_file(
        path,
        driver="GeoJSON",
        engine="pyogrio",
        layer_options={"COORDINATE_PRECISION": 7, "AUTODETECT_JSON_STRINGS": "NO"},
    )
    return gdf


PROJECT_HEADER = (
    "code", "name", "domain", "industry", "description", "status", "total_investment_wan",
    "planned_investment_wan", "completed_wan", "leader", "responsible_unit", "lon", "lat",
    "parcel_code", "planned_start", "actual_start", "planned_completion", "actual_completion",
    "signed_on", "in_production_on", "attracted_this_year", "source_region",
)  # fmt: skip


def project_row(p: Project) -> dict[str, str]:
    """One projects.csv row."""
    return {
        "code": p.code,
        "name": p.name,
        "domain": p.domain,
        "industry": p.industry,
        "description": p.description,
        "status": p.status,
        "total_investment_wan": fmt_money(p.total),
        "planned_investment_wan": fmt_money(p.planned),
        "completed_wan": fmt_money(p.completed),
        "leader": p.leader,
        "responsible_unit": p.unit,
        "lon": f"{p.lon:.7f}",
        "lat": f"{p.lat:.7f}",
        "parcel_code": p.parcel_code,
        "planned_start": iso(p.planned_start),
        "actual_start": iso(p.actual_start),
        "planned_completion": iso(p.planned_completion),
        "actual_completion": iso(p.actual_completion),
        "signed_on": iso(p.signed_on),
        "in_production_on": iso(p.in_production_on),
        "attracted_this_year": "true" if p.attracted else "false",
        "source_region": p.region,
    }


def growth(now: Decimal | int, before: Decimal | int) -> Decimal:
    """Year-on-year growth in per cent, one decimal."""
    pct = (Decimal(now) / Decimal(before) - 1) * 100
    return pct.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- checks


def check_projects(projects: list[Project], parcels: list[Parcel]) -> None:
    """Assert the hard constraints of the ledger."""
    assert len(projects) == 247
    assert sum((p.total for p in projects), Decimal(0)) == TOTAL_INVESTMENT
    assert sum((p.planned for p in projects), Decimal(0)) == PLANNED_INVESTMENT
    assert {p.domain for p in projects} == {d for d, _ in DOMAIN_COUNTS}
    assert len({p.name for p in projects}) == 247
    attracted = [p for p in projects if p.attracted]
    assert sum(p.total >= 10000 for p in attracted) >= 16
    assert sum(p.total >= 100000 for p in attracted) >= 3
    transferred = {p.code for p in parcels if p.stage in ("contract", "handed_over")}
    assert {p.parcel_code for p in projects if p.parcel_code} == transferred
    late = 0
    for p in projects:
        assert p.total > 0 and Decimal(0) <= p.completed <= p.planned <= p.total, p.code
        assert p.planned_start and p.planned_completion
        assert p.planned_start.year == YEAR and p.planned_completion.year == YEAR
        assert p.planned_start <= p.planned_completion
        seq = [p.signed_on, p.actual_start, p.actual_completion, p.in_production_on]
        known = [d for d in seq if d]
        assert known == sorted(known) and all(d < TODAY for d in known), p.code
        started = p.status in STARTED
        assert (p.actual_start is not None) == started
        assert (p.signed_on is not None) == (p.status != "planned")
        assert (p.actual_completion is not None) == (p.status in ("completed", "in_production"))
        assert (p.in_production_on is not None) == (p.status == "in_production")
        if p.attracted:
            assert p.signed_on and p.signed_on.year == YEAR
        if not started and p.planned_start < dt.date(YEAR, 10, 1):
            late += 1
        if not started:
            assert p.planned_start < dt.date(YEAR, 10, 1) or p.planned_start > TODAY
    assert late >= 10
    share = sum(p.status in STARTED for p in projects) / len(projects)
    assert 0.5 < share < 0.6, share


def main(argv: Sequence[str] | None = None) -> None:
    """Write the demo district to --out and print a summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--out", type=Path, default=Path("data/demo"), help="output folder")
    ap.add_argument(
        "--boundary",
        type=Path,
        default=Path("data/huaiyang-boundary.geojson"),
        help="district outline to check against (skipped if the file is missing)",
    )
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    grid = build_grid()
    parcels = build_parcels(grid)
    for p in parcels:
        assert p.geom.is_valid and 20 <= p.geom.area / MU_M2 <= 300, (p.code, p.geom.area / MU_M2)
    zones = build_zones(grid)
    infra, _subs = build_infrastructure(grid)
    farmland = next(p for p in parcels if p.tag == "T_farmland")
    protected = build_protected(grid, farmland)
    assessments = build_assessments(grid)
    leveling = build_leveling(parcels)
    titles = build_titles(parcels)

    zones_ll = write_geojson(out / "zones.geojson", zones, ("code", "name"))
    parcel_rows = [
        {
            "code": p.code,
            "name": p.name,
            "zone_code": p.zone,
            "land_use": p.land_use,
            "industry": p.industry,
            "published": p.published,
            "supply_stage": p.stage,
            "indicators": p.indicators,
            "contact": CONTACTS[p.zone],
            "notes": p.notes,
            "geometry": p.geom,
        }
        for p in parcels
    ]
    parcels_ll = write_geojson(
        out / "parcels.geojson",
        parcel_rows,
        ("code", "name", "zone_code", "land_use", "industry", "published", "supply_stage",
         "indicators", "contact", "notes"),
        published="bool",
    )  # fmt: skip
    infra_ll = write_geojson(
        out / "infrastructure.geojson",
        infra,
        ("code", "kind", "name", "status", "diameter_mm", "voltage_kv", "road_class"),
        diameter_mm="Int64",
        voltage_kv="Float64",
    )
    assess_ll = write_geojson(
        out / "assessments.geojson",
        assessments,
        ("code", "kind", "name", "valid_from", "valid_until", "document_ref"),
    )
    protected_ll = write_geojson(out / "protected.geojson", protected, ("code", "kind", "name"))
    write_csv(
        out / "leveling.csv",
        ("parcel_code", "surveyed_on", "leveled", "earthwork_outstanding_m3", "surveyor",
         "document_ref"),
        leveling,
    )  # fmt: skip
    write_csv(
        out / "titles.csv",
        ("parcel_code", "recorded_on", "ownership", "requisition_done", "compensation_settled",
         "open_disputes", "document_ref"),
        titles,
    )  # fmt: skip

    projects = build_projects(grid, parcels)
    check_projects(projects, parcels)
    visits = build_visits(projects)
    problems = build_problems(projects, visits)
    milestones = build_milestones(projects)
    reports = build_investment_reports(projects)
    rounds = build_rounds(projects)
    funding = build_funding(projects)
    write_csv(out / "projects.csv", PROJECT_HEADER, (project_row(p) for p in projects))
    write_csv(
        out / "problems.csv",
        ("code", "project_code", "description", "found_on", "assignee_unit", "assignee_leader",
         "deadline", "status", "resolved_on", "resolution", "visit_code"),
        problems,
    )  # fmt: skip
    write_csv(
        out / "visits.csv",
        ("code", "project_code", "leader", "visited_on", "notes"),
        ({**v, "visited_on": v["visited_on"].isoformat()} for v in visits),
    )
    write_csv(
        out / "milestones.csv", ("project_code", "seq", "name", "due_on", "done_on"), milestones
    )
    write_csv(out / "investment_reports.csv", ("project_code", "month", "completed_wan"), reports)
    write_csv(out / "rounds.csv", ("project_code", "round_no", "round_date", "list"), rounds)
    write_csv(out / "funding.csv", ("project_code", "source", "amount_wan"), funding)
    year, count, total, planned = BASELINE
    write_csv(
        out / "baseline.csv",
        ("year", "project_count", "total_investment_wan", "planned_investment_wan"),
        [{"year": str(year), "project_count": str(count), "total_investment_wan": fmt_money(total),
          "planned_investment_wan": fmt_money(planned)}],
    )  # fmt: skip

    # ------------------------------------------------------------ self-checks
    by_code = {p.code: p for p in projects}
    g = (growth(247, count), growth(TOTAL_INVESTMENT, total), growth(PLANNED_INVESTMENT, planned))
    assert g == (Decimal("51.5"), Decimal("86.0"), Decimal("74.0")), g
    assert sum(r["status"] == "resolved" for r in problems) == 33 and len(problems) == 36
    visit_by_code = {v["code"]: v for v in visits}
    for r in problems:
        if r["visit_code"]:
            v = visit_by_code[r["visit_code"]]
            assert v["project_code"] == r["project_code"]
            assert v["visited_on"].isoformat() == r["found_on"]
        if r["resolved_on"]:
            assert r["resolved_on"] >= r["found_on"]
    for v in visits:
        assert v["leader"] == by_code[v["project_code"]].leader
    recent = {v["project_code"] for v in visits if v["visited_on"] >= TODAY - dt.timedelta(days=7)}
    visited = {v["project_code"] for v in visits}
    assert visited - recent, "some visited projects must lack a visit in the last 7 days"
    sums: dict[str, Decimal] = {}
    for r in reports:
        sums[r["project_code"]] = sums.get(r["project_code"], Decimal(0)) + Decimal(
            r["completed_wan"]
        )
    for pj in projects:
        assert sums.get(pj.code, Decimal(0)) == pj.completed, pj.code
    fsums: dict[str, Decimal] = {}
    for r in funding:
        fsums[r["project_code"]] = fsums.get(r["project_code"], Decimal(0)) + Decimal(
            r["amount_wan"]
        )
    assert all(fsums[pj.code] == pj.total for pj in projects)
    started_rounds = {
        (r["project_code"], int(r["round_no"])) for r in rounds if r["list"] == "started"
    }
    prod_rounds = {
        (r["project_code"], int(r["round_no"])) for r in rounds if r["list"] == "in_production"
    }
    assert any((c, n) in prod_rounds for c, n0 in started_rounds for n in range(n0 + 1, 5)), (
        "a started round must feed a later in-production round"
    )
    assert {r["list"] for r in rounds} == {"signed", "started", "in_production"}
    if args.boundary.exists():
        outline = gpd.read_file(args.boundary, engine="pyogrio").geometry.union_all()
        for layer in (zones_ll, parcels_ll, infra_ll, assess_ll, protected_ll):
            assert layer.geometry.within(outline).all()
        pts = gpd.GeoSeries(
            gpd.points_from_xy([p.lon for p in projects], [p.lat for p in projects])
        )
        assert pts.within(outline).all()
    else:
        print(f"note: {args.boundary} not found; district containment not checked")
    zone_union = zones_ll.to_crs(LOCAL_CRS).geometry.union_all()
    prot_local = protected_ll.to_crs(LOCAL_CRS)
    overlaps = [
        (c, a)
        for c, a in zip(prot_local.code, prot_local.intersection(zone_union).area, strict=True)
        if a > 0
    ]
    assert [c for c, _ in overlaps] == ["BF-001"] and overlaps[0][1] < 2000, overlaps

    ready = check_readiness(parcels_ll, infra_ll, protected_ll, leveling, titles)
    print("planned readiness (EPSG:4547 distances to qualifying features):")
    print(f"{'parcel':12} {'亩':>7} {'water':>7} {'power':>7} {'road':>6} leveling title   overlap")
    computed: dict[str, dict[str, str]] = {}
    net_mu = reserve_mu = 0.0
    for rd in ready:
        bad = {k: v for k, v in rd.status.items() if v != "met"}
        computed[rd.code] = bad if bad else {}
        flag = ", ".join(f"{k}:{v}" for k, v in bad.items()) or "net land"
        print(
            f"{rd.code:12} {rd.area_mu:7.2f} {rd.water_m:7.1f} {rd.power_m:7.1f} {rd.road_m:6.1f} "
            f"{rd.leveling:8} {rd.title:7} {rd.overlap_m2:7.1f}  {flag}"
        )
        if not bad:
            net_mu += rd.area_mu
            if parcels[int(rd.code[-3:]) - 1].stage in ("plan", "notice", "sale"):
                reserve_mu += rd.area_mu
    expected = {p.code: EXPECTED.get(p.code, {}) for p in parcels}
    assert computed == expected, {
        c: (computed[c], expected[c]) for c in computed if computed[c] != expected[c]
    }
    for p in parcels:
        if p.stage != "plan":
            assert not computed[p.code], f"{p.code} is {p.stage} but not net land"

    counts = {
        "zones": len(zones),
        "parcels": len(parcels),
        "infrastructure": len(infra),
        "assessments": len(assessments),
        "protected": len(protected),
        "leveling surveys": len(leveling),
        "title records": len(titles),
        "projects": len(projects),
        "problems": len(problems),
        "visits": len(visits),
        "milestones": len(milestones),
        "investment reports": len(reports),
        "round entries": len(rounds),
        "funding rows": len(funding),
    }
    print("written to", out)
    for label, n in counts.items():
        print(f"  {label:20} {n}")
    started_share = sum(p.status in STARTED for p in projects) / len(projects)
    print(f"  total investment     {fmt_money(TOTAL_INVESTMENT)} 万元 (+{g[1]} %)")
    print(f"  planned this year    {fmt_money(PLANNED_INVESTMENT)} 万元 (+{g[2]} %)")
    print(f"  projects             247 (+{g[0]} %), started or later {started_share:.1%}")
    print(f"  parcels total        {sum(rd.area_mu for rd in ready):.2f} 亩")
    print(
        f"  net land by design   {net_mu:.2f} 亩 ({sum(not b for b in computed.values())} parcels)"
    )
    print(f"  net-land reserve     {reserve_mu:.2f} 亩 (not yet contracted)")


if __name__ == "__main__":
    main()
