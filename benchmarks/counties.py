"""Zhoukou's ten counties and districts for the benchmarks (``BENCH_COUNTIES=10``).

The division codes and names are real; the outlines are generated (``demo/second_county.py``
does the same for the demo): strips side by side over the benchmark's area, west to east, the home
county (淮阳区 411603, made by migration 0006) first.
"""

from __future__ import annotations

import os

from shapely.geometry import Polygon, box
from sqlalchemy import Engine

from geo_service.counties.service import upsert_county
from geo_service.db.engine import transaction

#: (division code, name, English name); the home county first
ZHOUKOU = (
    ("411603", "淮阳区", "Huaiyang District"),
    ("411602", "川汇区", "Chuanhui District"),
    ("411621", "扶沟县", "Fugou County"),
    ("411622", "西华县", "Xihua County"),
    ("411623", "商水县", "Shangshui County"),
    ("411624", "沈丘县", "Shenqiu County"),
    ("411625", "郸城县", "Dancheng County"),
    ("411627", "太康县", "Taikang County"),
    ("411628", "鹿邑县", "Luyi County"),
    ("411681", "项城市", "Xiangcheng City"),
)


def wanted() -> int:
    """How many counties the parcels are spread over (``BENCH_COUNTIES``, 1–10; default 1)."""
    k = int(os.environ.get("BENCH_COUNTIES", "1"))
    if not 1 <= k <= len(ZHOUKOU):
        raise SystemExit(f"BENCH_COUNTIES must be 1–{len(ZHOUKOU)}; got {k}")
    return k


def codes(k: int) -> list[str]:
    return [c for c, _, _ in ZHOUKOU[:k]]


def strips(bounds: tuple[float, float, float, float], k: int) -> list[Polygon]:
    """``bounds`` (x0, y0, x1, y1) cut into ``k`` strips, west to east."""
    x0, y0, x1, y1 = bounds
    w = (x1 - x0) / k
    return [box(x0 + i * w, y0, x0 + (i + 1) * w, y1) for i in range(k)]


def store(engine: Engine, outlines: list[Polygon]) -> None:
    """The first ``len(outlines)`` counties with these outlines (lon/lat, EPSG:4490)."""
    with transaction(engine) as s:
        for (code, zh, en), shape in zip(ZHOUKOU, outlines, strict=False):
            upsert_county(s, code=code, name_zh=zh, name_en=en, boundary_wkb=shape.wkb_hex)
