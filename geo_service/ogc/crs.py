"""CRS URIs the OGC API serves and how each orders its axes.

Storage is EPSG:4490 (CGCS2000 geographic). PostGIS always works in x = east/longitude, y =
north/latitude; a CRS whose first axis points north (EPSG:4490 and 4326: latitude first; the
CGCS2000 Gauss-Krüger zones: northing "X" first) gets its coordinates swapped on the way out and
on the way in. The axis order is read from the EPSG definition (pyproj ``axis_info``), not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pyproj import CRS

from geo_service.errors import InvalidInput
from geo_service.spatial import STORAGE_SRID, gauss_kruger_epsg

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
#: served for every collection besides the district's Gauss-Krüger zones
BASE_EPSG = (STORAGE_SRID, 4326, 3857)


class BadParameter(InvalidInput):
    """A query parameter the OGC API cannot honour: 400, as the standard asks (not 422)."""

    status = 400
    title = "Bad request"


@dataclass(frozen=True)
class ServedCrs:
    uri: str
    srid: int  # the PostGIS SRID (CRS84 is served from the storage SRID, lon/lat)
    north_first: bool  # first axis north: swap x/y against PostGIS
    geographic: bool

    @property
    def digits(self) -> int:
        """Coordinate decimals: ~0.1 mm either way, so a feature sent back (PUT) keeps its area."""
        return 9 if self.geographic else 4


@lru_cache(maxsize=64)
def _axis_north_first(srid: int) -> tuple[bool, bool]:
    crs = CRS.from_epsg(srid)
    first = crs.axis_info[0].direction.lower()
    return first == "north", crs.is_geographic


def served(uri: str) -> ServedCrs:
    """The CRS of a URI (CRS84 or an EPSG URI/URN); BadParameter for anything else."""
    if uri in (CRS84, "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84"):
        return ServedCrs(CRS84, STORAGE_SRID, False, True)
    code = None
    for prefix in ("http://www.opengis.net/def/crs/EPSG/0/", "urn:ogc:def:crs:EPSG::"):
        if uri.startswith(prefix) and uri[len(prefix) :].isdigit():
            code = int(uri[len(prefix) :])
    if code is None:
        raise BadParameter(
            f"unknown CRS {uri[:100]!r}: use a URI of the collection's crs list, e.g. {CRS84} "
            f"or {EPSG_URI.format(STORAGE_SRID)}"
        )
    north, geographic = _axis_north_first(code)
    return ServedCrs(EPSG_URI.format(code), code, north, geographic)


def district_epsg(center_lon: float | None) -> tuple[int, ...]:
    """The CGCS2000 3-degree Gauss-Krüger zone of the data, without and with the zone prefix."""
    if center_lon is None or not 73.5 <= center_lon <= 136.5:
        return ()
    cm = min(max(int(round(center_lon / 3.0)) * 3, 75), 135)
    return (
        gauss_kruger_epsg(cm, zone_prefix=False),
        gauss_kruger_epsg(cm, zone_prefix=True),
    )


def crs_list(center_lon: float | None) -> list[str]:
    """The CRS URIs served: CRS84 first, then storage, WGS84, Web Mercator, the district's zones."""
    return [CRS84] + [EPSG_URI.format(c) for c in (*BASE_EPSG, *district_epsg(center_lon))]


def pick(uri: str | None, allowed: list[str], *, param: str) -> ServedCrs:
    """The CRS named by a ``crs``/``bbox-crs``/``filter-crs`` parameter; CRS84 when absent."""
    if uri is None:
        return served(CRS84)
    c = served(uri.strip())
    if c.uri not in allowed:
        raise BadParameter(
            f"{param}: {uri[:100]!r} is not served for this collection; use one of "
            + ", ".join(allowed)
        )
    return c


def content_crs_header(c: ServedCrs) -> str:
    return f"<{c.uri}>"
