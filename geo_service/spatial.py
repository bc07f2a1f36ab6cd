"""Units, coordinate systems and small geometry helpers shared by the whole service."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from geo_service.errors import InvalidInput

STORAGE_SRID = 4490  # CGCS2000 geographic; lon/lat
SQM_PER_MU = 10000 / 15  # 1 亩 ≈ 666.67 m²
WAN = Decimal(10_000)  # 万元 in yuan
YI_IN_WAN = Decimal(10_000)  # 1 亿元 = 10 000 万元


def m2_to_mu(m2: float | None) -> float | None:
    """Square metres to 亩, rounded to 2 decimals for display."""
    if m2 is None:
        return None
    return round(m2 / SQM_PER_MU, 2)


def mu_to_m2(mu: float) -> float:
    return mu * SQM_PER_MU


def wan_to_yi(wan: Decimal | float | int | None, places: int = 1) -> float | None:
    """万元 to 亿元, rounded half-up for display."""
    if wan is None:
        return None
    q = Decimal(1).scaleb(-places)
    return float((Decimal(str(wan)) / YI_IN_WAN).quantize(q, rounding=ROUND_HALF_UP))


def growth_pct(now: Decimal | float | int, before: Decimal | float | int | None) -> float | None:
    """Year-on-year growth in %, 1 decimal; None when there is no baseline."""
    if before in (None, 0):
        return None
    ratio = Decimal(str(now)) / Decimal(str(before)) - 1
    return float((ratio * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class BBox:
    minlon: float
    minlat: float
    maxlon: float
    maxlat: float

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.minlon, self.minlat, self.maxlon, self.maxlat)


def parse_bbox(text: str, *, param: str = "bbox") -> BBox:
    """Parse ``minlon,minlat,maxlon,maxlat``; raise InvalidInput naming the parameter."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise InvalidInput(
            f"{param} must be four numbers minlon,minlat,maxlon,maxlat; got {len(parts)} value(s)"
        )
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        raise InvalidInput(
            f"{param} must be four numbers minlon,minlat,maxlon,maxlat; {text!r} is not"
        ) from None
    if not all(math.isfinite(v) for v in vals):
        raise InvalidInput(f"{param} values must be finite numbers")
    minlon, minlat, maxlon, maxlat = vals
    if not (-180 <= minlon <= 180 and -180 <= maxlon <= 180):
        raise InvalidInput(f"{param} longitudes must lie within -180..180 (lon/lat order)")
    if not (-90 <= minlat <= 90 and -90 <= maxlat <= 90):
        raise InvalidInput(f"{param} latitudes must lie within -90..90 (lon/lat order)")
    if minlon > maxlon or minlat > maxlat:
        raise InvalidInput(f"{param} minimum must not exceed maximum (minlon,minlat,maxlon,maxlat)")
    return BBox(minlon, minlat, maxlon, maxlat)


def gauss_kruger_epsg(central_meridian: int, *, zone_prefix: bool) -> int:
    """EPSG code of CGCS2000 3-degree Gauss-Krüger for a central meridian (75..135°E)."""
    if central_meridian % 3 != 0 or not 75 <= central_meridian <= 135:
        raise InvalidInput(
            f"no 3-degree Gauss-Krüger zone has central meridian {central_meridian}°"
        )
    zone = central_meridian // 3
    # EPSG:4513..4533 carry the zone prefix (zones 25..45); 4534..4554 do not (CM 75..135)
    return (4513 + zone - 25) if zone_prefix else (4534 + zone - 25)


def local_metric_epsg(lon: float) -> int:
    """The unprefixed 3-degree Gauss-Krüger EPSG for a longitude (a good local metric CRS)."""
    cm = int(round(lon / 3.0)) * 3
    cm = min(max(cm, 75), 135)
    return gauss_kruger_epsg(cm, zone_prefix=False)
