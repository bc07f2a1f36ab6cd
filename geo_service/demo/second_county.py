"""The demo's second county, 郸城县 (411625), beside 淮阳区: a generated outline east of the
district's boundary, one zone, parcels, networks, a small project ledger and last year's baseline.

Generated here from fixed numbers (no files), loaded by ``geo-service demo load`` after the
district, scoped to the county (``counties.scope``), so the demo shows a city roll-up while the
district's own figures stay those of the source.
"""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry import LineString, MultiPolygon, Point, box
from sqlalchemy.orm import Session

from geo_service.counties import scope
from geo_service.counties.service import upsert_county
from geo_service.parcels import writes as land
from geo_service.projects import writes as ledger
from geo_service.readiness.rules import reach_m
from geo_service.settings import ReadinessRules

CODE, NAME_ZH, NAME_EN = "411625", "郸城县", "Dancheng County"
#: the generated outline: east of Huaiyang's boundary (its easternmost point is 115.0797 E)
OUTLINE = box(115.0800, 33.4500, 115.4500, 33.8500)
#: the zone: 郸城县产业集聚区, about 3 km × 2 km
ZONE = box(115.2500, 33.6000, 115.2820, 33.6180)
#: metres per degree near 33.6° N (for laying parcels out)
M_LON, M_LAT = 92_700.0, 110_900.0
PREFIX = "DC"


def _rect(x_m: float, y_m: float, w_m: float, h_m: float) -> Any:
    x0, y0 = ZONE.bounds[0] + x_m / M_LON, ZONE.bounds[1] + y_m / M_LAT
    return MultiPolygon([box(x0, y0, x0 + w_m / M_LON, y0 + h_m / M_LAT)])


def _pt(x_m: float, y_m: float) -> Point:
    return Point(ZONE.bounds[0] + x_m / M_LON, ZONE.bounds[1] + y_m / M_LAT)


def parcels() -> list[dict[str, Any]]:
    industries = ("食品加工", "纺织服装", "装备制造", "新材料", "生物医药")
    out = []
    for i in range(12):
        col, row = i % 4, i // 4
        code = f"{PREFIX}-2026-{i + 1:03d}"
        out.append(
            {
                "code": code,
                "name": f"郸城产业集聚区{row + 1}号路{['东', '西', '南', '北'][col]}侧地块",
                "zone_code": f"{PREFIX}-Z01",
                "land_use": "industrial",
                "industry": industries[i % len(industries)],
                "published": i % 3 != 2,
                "supply_stage": "plan",
                "indicators": json.dumps(
                    [{"key": "far", "min": 1.0, "max": 2.0, "value": None, "unit": None}]
                ),
                "contact": "郸城县自然资源局 0394-3210000",
                "wkb": _rect(200 + col * 650, 200 + row * 550, 420, 300 + 40 * col).wkb_hex,
            }
        )
    return out


def infrastructure() -> list[dict[str, Any]]:
    def line(*pts_m: tuple[float, float]) -> str:
        return str(LineString([_pt(x, y) for x, y in pts_m]).wkb_hex)

    base: dict[str, Any] = {
        "diameter_mm": None,
        "voltage_kv": None,
        "road_class": None,
        "status": "existing",
    }
    feats = []
    for i, y in enumerate((170, 720, 1270)):  # 30 m below each row of parcels (rule: 50 m)
        feats.append(
            {
                **base,
                "code": f"{PREFIX}-RD-{i + 1:03d}",
                "kind": "road",
                "name": f"纬{i + 1}路",
                "road_class": "secondary",
                "wkb": line((0, y), (2900, y)),
            }
        )
    feats.append(
        {
            **base,
            "code": f"{PREFIX}-WS-001",
            "kind": "water",
            "name": "集聚区供水主管",
            "diameter_mm": 400.0,
            "wkb": line((0, 140), (2900, 140)),
        }
    )
    feats.append(
        {
            **base,
            "code": f"{PREFIX}-PW-001",
            "kind": "power",
            "name": "10kV 郸城线",
            "voltage_kv": 10.0,
            "wkb": line((0, 690), (2900, 690)),
        }
    )
    return feats


#: the names of the county's regional assessments (区域评估), by kind
ASSESSMENT_NAMES = {
    "land_survey": "区域土地勘测",
    "mineral_overlay": "区域压覆矿产资源评估",
    "geological_hazard": "区域地质灾害危险性评估",
    "energy_saving": "区域节能评价",
    "soil_water": "区域水土保持方案",
    "cultural_relics": "区域文物保护评估",
    "flood_impact": "区域洪水影响评价",
    "seismic_safety": "区域地震安全性评价",
    "climate": "区域气候可行性论证",
    "environmental_impact": "区域规划环境影响评价",
}


def assessments(kinds: list[str]) -> list[dict[str, Any]]:
    """One of each kind the rules require, valid from 2025-03-01 for five years, each covering
    the whole zone: the county's net land is on offer to investors, as 淮阳区's is."""
    area = ZONE.buffer(0.002).wkb_hex
    return [
        {
            "code": f"{PREFIX}QY-{i:03d}",
            "kind": kind,
            "name": f"郸城县产业集聚区{ASSESSMENT_NAMES.get(kind, kind)}",
            "valid_from": "2025-03-01",
            "valid_until": "2030-02-28",
            "document_ref": f"郸集聚评〔2025〕{i}号",
            "wkb": area,
        }
        for i, kind in enumerate(kinds, start=1)
    ]


def projects(year: int) -> list[dict[str, Any]]:
    rows = []
    statuses = ("started", "under_construction", "signed", "planned", "in_production", "started")
    for i, status in enumerate(statuses):
        pt = _pt(400 + i * 400, 400)
        rows.append(
            {
                "code": f"{PREFIX}XM{year}-{i + 1:03d}",
                "name": f"郸城县重点项目{i + 1}号",
                "year": year,
                "domain": ("industrial_transformation", "livelihood", "innovation")[i % 3],
                "industry": "食品加工",
                "status": status,
                "total_investment_wan": 20000 + 5000 * i,
                "planned_investment_wan": 8000 + 1000 * i,
                "completed_wan": 2000 * i,
                "leader": f"郸城县领导{'甲乙丙'[i % 3]}",
                "responsible_unit": "郸城县发展改革委",
                "lon": pt.x,
                "lat": pt.y,
                "parcel_code": f"{PREFIX}-2026-{i + 1:03d}" if i < 3 else None,
                "planned_start": f"{year}-0{3 + i}-15",
                "actual_start": f"{year}-0{3 + i}-20" if status != "planned" else None,
            }
        )
    return rows


def load(session: Session, *, year: int) -> dict[str, int]:
    """County B into the open transaction (its rows scoped to it); counts per layer."""
    upsert_county(
        session,
        code=CODE,
        name_zh=NAME_ZH,
        name_en=NAME_EN,
        boundary_wkb=OUTLINE.wkb_hex,
        ledger_year=year,
        targets={
            "net_land_reserve_target_mu": 200,
            # 郸城县's own: 4 projects of ≥ 1 亿元 and 1 of ≥ 10 亿元 this year
            "attraction_targets": {"10000": 4, "100000": 1},
        },
    )
    counts: dict[str, int] = {}
    with session.begin_nested():
        scope.apply(session, CODE)
        counts["zones"] = land.upsert_zones(
            session, [{"code": f"{PREFIX}-Z01", "name": "郸城县产业集聚区", "wkb": ZONE.wkb_hex}]
        )
        rows = parcels()
        counts["parcels"] = land.upsert_parcels(session, rows)
        kinds = ReadinessRules().required_assessments
        counts["assessments"] = land.upsert_assessments(session, assessments(kinds))
        counts["infrastructure"] = land.upsert_infrastructure(
            session, infrastructure(), within_m=reach_m(ReadinessRules())
        )
        done = [r["code"] for r in rows[:6]]  # the first six are level and their title clear
        land.replace_records(
            session,
            table="leveling_surveys",
            rows=[
                {
                    "parcel_code": c,
                    "surveyed_on": f"{year}-08-01",
                    "leveled": True,
                    "earthwork_outstanding_m3": 0,
                    "surveyor": "郸城县测绘队",
                    "document_ref": "DCCL",
                }
                for c in done
            ],
        )
        land.replace_records(
            session,
            table="title_records",
            rows=[
                {
                    "parcel_code": c,
                    "recorded_on": f"{year}-08-15",
                    "ownership": "state",
                    "requisition_done": True,
                    "compensation_settled": True,
                    "open_disputes": 0,
                    "document_ref": "郸自然资〔2026〕8号",
                }
                for c in done
            ],
        )
        counts["projects"] = ledger.upsert_projects(session, projects(year))
        counts["baselines"] = ledger.upsert_baselines(
            session,
            [
                {
                    "year": year - 1,
                    "project_count": 5,
                    "total_investment_wan": 120000,
                    "planned_investment_wan": 50000,
                }
            ],
        )
        scope.leave(session)
    return counts
