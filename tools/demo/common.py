"""The demo district's fixed design: seed, dates, CRS, the street grid's sizes, the parcel
layout and its designed failures, zones, indicators; the Grid and Parcel records and small
helpers (money, dates, transforms) that every part of the generator shares."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from geo_service.demo.load import DEMO_DATE
from geo_service.spatial import SQM_PER_MU

SEED = 20261127
#: the demo's today: the day the loader judges the demo as of
TODAY = DEMO_DATE.date()
YEAR = 2026
#: m² per 亩: the service's one constant
MU_M2 = SQM_PER_MU
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
