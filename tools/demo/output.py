"""Writing the files (CSV, GeoJSON in EPSG:4490) and the checks of the projects against the
source's figures."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from tools.demo.common import (
    OUTPUT_CRS,
    PLANNED_INVESTMENT,
    TODAY,
    TOTAL_INVESTMENT,
    YEAR,
    Parcel,
    fmt_money,
    iso,
    oriented,
    to_lonlat,
)
from tools.demo.project_design import DOMAIN_COUNTS, STARTED, Project

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
