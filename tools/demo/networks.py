"""Networks and areas: the street segments with their water mains, power lines and roads
(designed to pass or fail the readiness rules), the zones, protected land and the regional
assessment areas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from tools.demo.common import (
    COL_WIDTHS,
    H_NAMES,
    HALF,
    POWER_OFFSET,
    ROW_HEIGHTS,
    V_NAMES,
    WATER_OFFSET,
    ZONES,
    Grid,
    Parcel,
)


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
