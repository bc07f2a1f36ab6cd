"""Which coordinate system a file's numbers are in: its own, ``--crs``, or detected.

Survey data arrives in 3-degree Gauss-Krüger (CGCS2000). When the eastings carry the zone number
(8 digits: 38 583 419.45 → zone 38, CM 114°E) the zone is read off the numbers; without it, or
with numbers that are neither lon/lat nor prefixed eastings, the file is refused with the
``--crs`` to pass.
"""

from __future__ import annotations

import numpy as np
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo_service.errors import InvalidInput
from geo_service.spatial import STORAGE_SRID, gauss_kruger_epsg


def parse_crs(value: str) -> CRS:
    """``EPSG:4547``, ``4547`` or any pyproj-readable definition; InvalidInput naming --crs."""
    v = value.strip()
    try:
        return CRS.from_user_input(int(v) if v.isdigit() else v)
    except CRSError:
        raise InvalidInput(
            f"--crs {value!r} is not a coordinate system pyproj knows; "
            "pass an EPSG code like EPSG:4547 (CGCS2000 GK CM 114°E) or EPSG:4490 (lon/lat)"
        ) from None


def plausible_lonlat(xs: np.ndarray, ys: np.ndarray) -> bool:
    return bool(xs.size and np.all(np.abs(xs) <= 180) and np.all(np.abs(ys) <= 90))


def zone_prefixed_epsg(eastings: np.ndarray, northings: np.ndarray) -> int | None:
    """EPSG of prefixed 3-degree GK when every easting carries the same zone (25..45)."""
    if not eastings.size or not np.all(np.isfinite(eastings)):
        return None
    zones = np.floor(eastings / 1_000_000).astype(int)
    zone = int(zones[0])
    if not (25 <= zone <= 45 and np.all(zones == zone)):
        return None
    if not np.all((northings > 0) & (northings < 10_000_000)):
        return None
    return gauss_kruger_epsg(zone * 3, zone_prefix=True)


def looks_like_unprefixed_gk(eastings: np.ndarray, northings: np.ndarray) -> bool:
    return bool(
        eastings.size
        and np.all((eastings > 100_000) & (eastings < 900_000))
        and np.all((northings > 0) & (northings < 10_000_000))
    )


def resolve(
    *,
    file_crs: CRS | None,
    override: str | None,
    eastings: np.ndarray,
    northings: np.ndarray,
    local_epsg: int | None,
    source: str,
) -> tuple[CRS, str]:
    """The CRS of the numbers and a sentence for the report saying how it was chosen."""
    if override:
        crs = parse_crs(override)
        how = f"coordinates taken as {_label(crs)} (--crs)"
        if file_crs is not None and not file_crs.equals(crs):
            how += f", overriding the file's own {_label(file_crs)}"
        return crs, how
    if file_crs is not None:
        return file_crs, f"coordinates in the file's own {_label(file_crs)}"
    epsg = zone_prefixed_epsg(eastings, northings)
    if epsg is not None:
        zone = int(eastings[0] // 1_000_000)
        crs = CRS.from_epsg(epsg)
        return crs, (
            f"no CRS in the file; eastings carry zone prefix {zone} → {_label(crs)} "
            f"(3-degree Gauss-Krüger, CM {zone * 3}°E)"
        )
    if plausible_lonlat(eastings, northings):
        crs = CRS.from_epsg(STORAGE_SRID)
        return crs, f"no CRS in the file; the numbers are lon/lat, taken as {_label(crs)}"
    hint = f"EPSG:{local_epsg}" if local_epsg else "EPSG:<code>"
    if looks_like_unprefixed_gk(eastings, northings):
        why = (
            "the coordinates look like Gauss-Krüger metres without a zone prefix, so the zone "
            "cannot be told from the numbers"
        )
    else:
        why = "the coordinates are neither lon/lat nor zone-prefixed Gauss-Krüger metres"
    raise InvalidInput(
        f"{source}: no coordinate system, and {why}; pass --crs {hint}"
        + (" (CGCS2000 3-degree GK of the district's zone)" if local_epsg else "")
        + " or the EPSG code the surveyor used"
    )


def _label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name
