"""The parcels: the street grid, each block's parcels cut at their anchors, their names, and
their attributes (industry, stage, publication, indicators, notes)."""

from __future__ import annotations

import json
import random

from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from tools.demo.common import (
    ANCHOR_ORDER,
    CENTER_LONLAT,
    CN_NUM,
    COL_WIDTHS,
    H_NAMES,
    INDICATOR_TABLE,
    LAYOUT,
    MU_M2,
    NO_INDICATORS,
    ROW_HEIGHTS,
    SEED,
    STAGES,
    STREET_W,
    TAGS,
    TO_LOCAL,
    UNPUBLISHED,
    V_NAMES,
    WAREHOUSE,
    YEAR,
    ZONE_INDUSTRIES,
    ZONES,
    Grid,
    Parcel,
    weighted,
)

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
