"""The land records behind the record-based conditions: leveling surveys and title records."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from tools.demo.common import SEED, TWO_SURVEYS, TWO_TITLES, YEAR, Parcel, rand_date

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
