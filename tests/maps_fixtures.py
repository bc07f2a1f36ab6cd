"""Small explicit data for the map tests: a zone, parcels in every visibility case, networks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from geo_service.db.engine import transaction
from geo_service.parcels import writes
from geo_service.projects import writes as pwrites
from tests.helpers import (
    add_assessments,
    add_infrastructure,
    add_parcels,
    line_m,
    rect_m,
    to_lonlat,
)

XSS = "<img src=x onerror=alert(1)>"
INDICATORS = [
    {"key": "investment_intensity", "min": 300, "unit": "万元/亩"},
    {"key": "tax_per_mu", "min": 15, "unit": "万元/亩/年"},
]


#: a spatial check's evidence as the engine writes it: the rule and the nearest feature
EVIDENCE = (
    '{"rule": {"kind": "water", "max_distance_m": 200.0}, '
    '"nearest": {"code": "W-1", "name": "经一路给水管", "distance_m": 35.4}}'
)


def set_conditions(engine: Engine, code: str, statuses: dict[str, str]) -> None:
    with engine.begin() as c:
        for cond, status in statuses.items():
            c.execute(
                text(
                    """INSERT INTO parcel_conditions (parcel_id, condition, status, method,
                        evidence, verified_at)
                    SELECT id, :cond, :status, 'spatial',
                      CAST(:evidence AS jsonb), '2024-03-01'
                    FROM parcels WHERE code = :code
                    ON CONFLICT (parcel_id, condition) DO UPDATE SET status = EXCLUDED.status"""
                ),
                {"cond": cond, "status": status, "code": code, "evidence": EVIDENCE},
            )


ALL_MET = dict.fromkeys(("water", "power", "road", "leveling", "title"), "met")


def load_small_district(engine: Engine) -> dict[str, Any]:
    """5 parcels: 2 on offer (one with a hostile name), one sold, one unpublished, one not net."""
    with transaction(engine) as s:
        writes.upsert_zones(
            s,
            [
                {
                    "code": "Z1",
                    "name": "开发区",
                    "wkb": to_lonlat(rect_m(-100, -100, 2000, 800)).wkb_hex,
                }
            ],
        )
    base = {"zone_code": "Z1", "indicators": INDICATORS, "contact": "招商局 0394-1234567"}
    add_parcels(
        engine,
        {
            **base,
            "code": "INV-OK-1",
            "geom_m": rect_m(0, 0, 200, 100),
            "published": True,
            "supply_stage": "notice",
            "industry": "塑料制品",
            "notes": "SECRET-NOTE",
        },
        {
            **base,
            "code": "INV-XSS",
            "name": XSS,
            "geom_m": rect_m(300, 0, 200, 100),
            "published": True,
            "supply_stage": "plan",
            "industry": "装备制造",
        },
        {
            **base,
            "code": "INV-SOLD",
            "geom_m": rect_m(600, 0, 200, 100),
            "published": True,
            "supply_stage": "contract",
        },
        {
            **base,
            "code": "INV-HIDDEN",
            "geom_m": rect_m(900, 0, 200, 100),
            "published": False,
            "supply_stage": "plan",
        },
        {
            **base,
            "code": "INV-NOTNET",
            "geom_m": rect_m(1200, 0, 200, 100),
            "published": True,
            "supply_stage": "sale",
        },
    )
    for code in ("INV-OK-1", "INV-XSS", "INV-SOLD", "INV-HIDDEN"):
        set_conditions(engine, code, ALL_MET)
    set_conditions(engine, "INV-NOTNET", {**ALL_MET, "water": "unmet", "leveling": "unknown"})
    add_assessments(engine, rect_m(-100, -100, 2000, 800))
    add_infrastructure(
        engine,
        {
            "code": "W-1",
            "kind": "water",
            "status": "existing",
            "diameter_mm": 300,
            "geom_m": line_m((0, -20), (1400, -20)),
        },
        {
            "code": "R-1",
            "kind": "road",
            "status": "planned",
            "road_class": "main",
            "geom_m": line_m((0, 120), (1400, 120)),
        },
    )
    return {"on_offer": ["INV-OK-1", "INV-XSS"], "parcels": 5, "network": 2, "zones": 1}


def add_projects(engine: Engine, n: int = 3) -> None:
    rows = []
    for i in range(n):
        p = to_lonlat(rect_m(i * 300, 400, 10, 10)).centroid
        rows.append(
            {
                "code": f"PRJ-{i:03d}",
                "name": f"项目 {i}" if i else XSS,
                "year": 2023,
                "domain": "infrastructure",
                "status": "under_construction" if i % 2 else "signed",
                "total_investment_wan": 10000 * (i + 1),
                "planned_investment_wan": 5000,
                "completed_wan": 4000 if i else 100,
                "leader": "张三" if i % 2 else "李四",
                "responsible_unit": "住建局",
                "planned_start": "2023-01-01",
                "actual_start": None if i == 0 else "2023-02-01",
                "lon": p.x,
                "lat": p.y,
            }
        )
    with transaction(engine) as s:
        pwrites.upsert_projects(s, rows)
