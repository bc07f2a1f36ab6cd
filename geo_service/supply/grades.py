"""亩均论英雄: yearly tax and value added per 亩, and an A/B/C/D grade.

Only enterprises in production (the parcel's construction completed by the year's end) are
graded; the others are listed as "building". The score weighs each per-mu figure against the
district mean of the year; grades go by rank shares (A top 25 % …) or by score thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from geo_service.supply.config import GradingConfig

MU_M2 = Decimal(10000) / Decimal(15)


def grade_year(rows: Sequence[dict[str, Any]], config: GradingConfig) -> list[dict[str, Any]]:
    """``rows``: parcel, area_m2, tax_wan, value_added_wan, in_production → graded rows."""
    out = []
    for r in rows:
        mu = Decimal(str(r["area_m2"])) / MU_M2
        tax = Decimal(str(r["tax_wan"] or 0))
        va = None if r.get("value_added_wan") is None else Decimal(str(r["value_added_wan"]))
        out.append(
            {
                "parcel": r["parcel"],
                "area_mu": round(mu, 2),
                "tax_wan": tax,
                "value_added_wan": va,
                "tax_per_mu": round(tax / mu, 2) if mu else None,
                "value_added_per_mu": round(va / mu, 2) if va is not None and mu else None,
                "in_production": bool(r["in_production"]),
                "score": None,
                "grade": None if r["in_production"] else "building",
            }
        )
    graded = [r for r in out if r["in_production"]]
    means: dict[str, Decimal] = {}
    for key in config.weights:
        vals = [r[key] for r in graded if r[key] is not None]
        means[key] = sum(vals, Decimal(0)) / len(vals) if vals else Decimal(0)
    total_w = sum(config.weights.values()) or 1.0
    for r in graded:
        score = 0.0
        for key, w in config.weights.items():
            if r[key] is not None and means[key]:
                score += w * float(r[key] / means[key])
        r["score"] = round(score / total_w, 3)
    ranked = sorted(graded, key=lambda r: (-r["score"], r["parcel"]))
    n = len(ranked)
    if config.mode == "shares":
        bounds, acc = [], 0.0
        for g in ("A", "B", "C", "D"):
            acc += config.shares.get(g, 0)
            bounds.append((g, round(n * acc / 100)))
        for i, r in enumerate(ranked):
            r["grade"] = next((g for g, b in bounds if i < b), "D")
    else:
        for r in ranked:
            t = config.thresholds
            r["grade"] = next((g for g in ("A", "B", "C") if r["score"] >= t[g]), "D")
    return sorted(out, key=lambda r: (r["score"] is None, -(r["score"] or 0), r["parcel"]))
