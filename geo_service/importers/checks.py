"""The checks of an import, all before anything is written: codes, geometry (empty, type,
validity, size; repairs when asked), attributes, the district extent and zones.

Each problem is collected with where it is (file, feature or row); nothing raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from geo_service.importers import columns as C
from geo_service.importers.readers import Source
from geo_service.importers.report import ImportReport, explain, geodesic_m2
from geo_service.settings import Settings
from geo_service.spatial import SQM_PER_MU, STORAGE_SRID

POLYGONAL = {"parcels", "zones", "assessments", "protected"}
TEXT_FIELDS = {"name", "zone_code", "land_use", "industry", "contact", "notes", "road_class"}
_TYPE_NAMES = (
    "Point",
    "LineString",
    "LinearRing",
    "Polygon",
    "MultiPoint",
    "MultiLineString",
    "MultiPolygon",
    "GeometryCollection",
)


def district_shape(settings: Settings, engine: Engine | None = None) -> Any | None:
    """The boundary the rows must lie in: the county's (the import's county, else the home
    county) when it is stored, else the district file GEO_SERVICE_DISTRICT_BOUNDARY."""
    if engine is not None:
        from geo_service.counties.service import boundary_wkb
        from geo_service.db.engine import make_sessionmaker

        with make_sessionmaker(engine)() as s:
            wkb = boundary_wkb(s)
        if wkb:
            return shapely.from_wkb(bytes.fromhex(wkb))
    path = settings.district_boundary
    if not path or not Path(path).exists():
        return None
    gdf = gpd.read_file(path, engine="pyogrio")
    if gdf.crs is not None:
        gdf = gdf.to_crs(STORAGE_SRID)
    return shapely.union_all(gdf.geometry.to_numpy())


class Checker:
    """Collects problems with where they are."""

    def __init__(self, src: Source, problems: list[str] | None = None) -> None:
        self.src = src
        self.problems: list[str] = list(src.problems if problems is None else problems)

    def at(self, i: int, code: str | None, reason: str) -> None:
        where = self.src.locations[i]
        tag = f" (code {code})" if code and not self.src.table else ""
        self.problems.append(f"{self.src.name} {where}{tag}: {reason}")

    def file(self, reason: str) -> None:
        self.problems.append(f"{self.src.name}: {reason}")


def geometry_checks(
    kind: str,
    geoms: np.ndarray,
    codes: list[str | None],
    chk: Checker,
    report: ImportReport,
    *,
    repair: bool,
    max_vertices: int,
) -> np.ndarray:
    """Empty, wrong-type, invalid and oversized shapes; repairs when asked. Vectorised."""
    geoms = geoms.copy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    polygonal = np.isin(types, [3, 6])  # Polygon, MultiPolygon
    for i in np.flatnonzero(missing):
        chk.at(int(i), codes[i], "empty geometry; every feature needs a shape")
    # polygon layers take polygons only; networks anything but a GeometryCollection
    wrong = ~missing & (~polygonal if kind in POLYGONAL else (types == 7))
    for i in np.flatnonzero(wrong):
        gtype = shapely.get_type_id(geoms[i])
        name = _TYPE_NAMES[gtype]
        need = "a polygon" if kind in POLYGONAL else "a point, line or polygon"
        chk.at(int(i), codes[i], f"geometry is a {name}; {kind} need {need}")
    ok = ~missing & ~wrong
    invalid = ok & ~shapely.is_valid(geoms)
    for i in np.flatnonzero(invalid):
        reason = explain(shapely.is_valid_reason(geoms[i]))
        if not repair:
            chk.at(int(i), codes[i], f"invalid geometry: {reason} (fix it, or use --repair)")
            continue
        fixed = shapely.make_valid(geoms[i])
        if kind in POLYGONAL:
            parts = [p for p in shapely.get_parts(fixed) if shapely.get_type_id(p) in (3, 6)]
            fixed = shapely.union_all(parts) if parts else None
            if fixed is not None and shapely.get_type_id(fixed) not in (3, 6):
                fixed = None
        if fixed is None or shapely.is_empty(fixed):
            chk.at(int(i), codes[i], f"invalid geometry: {reason}; --repair left no area")
            continue
        before, after = geodesic_m2(geoms[i]), geodesic_m2(fixed)
        change = after - before
        pct = f"{change / before * 100:+.2f} %" if before else "n/a"
        code = f" (code {codes[i]})" if codes[i] else ""
        report.repairs.append(
            f"{chk.src.locations[i]}{code}: {reason}; area {before:,.1f} m² → {after:,.1f} m² "
            f"({change:+,.1f} m², {pct}; {after / SQM_PER_MU:,.2f} 亩)"
        )
        geoms[i] = fixed
    too_big = ok & (shapely.get_num_coordinates(geoms) > max_vertices)
    for i in np.flatnonzero(too_big):
        chk.at(
            int(i),
            codes[i],
            f"{shapely.get_num_coordinates(geoms[i])} vertices, more than the {max_vertices} "
            "allowed (GEO_SERVICE_MAX_VERTICES); simplify it",
        )
    return geoms


def codes_of(gdf: gpd.GeoDataFrame, by_field: dict[str, str], chk: Checker) -> list[str | None]:
    if "code" not in by_field:
        return [None] * len(gdf)
    codes = C.text_values(gdf[by_field["code"]])
    seen: dict[str, list[int]] = {}
    for i, c in enumerate(codes):
        if c is None:
            chk.at(i, None, "no code; every feature needs one (地块编号/code)")
        elif len(c) > 64:
            chk.at(i, c[:20] + "…", "code longer than 64 characters")
        else:
            seen.setdefault(c, []).append(i)
    for c, idx in seen.items():
        if len(idx) > 1:
            where = ", ".join(chk.src.locations[i] for i in idx[:10])
            chk.file(f"code {c} appears {len(idx)} times ({where}); codes must be unique")
    return codes


def attributes(
    kind: str,
    gdf: gpd.GeoDataFrame,
    by_field: dict[str, str],
    codes: list[str | None],
    chk: Checker,
    infra_kind: str | None,
) -> tuple[dict[str, list[Any]], set[str]]:
    """Parse every attribute column of the layer; returns values by field and the fields present."""
    values: dict[str, list[Any]] = {}
    present: set[str] = set()
    n = len(gdf)
    for f in C.FIELDS[kind]:
        if f == "kind" and kind == "infrastructure" and infra_kind:
            values[f] = [infra_kind] * n
            present.add(f)
            continue
        if f not in by_field:
            continue
        present.add(f)
        if f in TEXT_FIELDS:
            col = C.text_values(gdf[by_field[f]])
            for i in [i for i, v in enumerate(col) if v is not None and len(v) > 200]:
                chk.at(i, codes[i], f"{by_field[f]}: longer than 200 characters")
            values[f] = col
            continue
        col = []
        for i, v in enumerate(gdf[by_field[f]].tolist()):
            try:
                if f == "kind":
                    words = {
                        "infrastructure": C.INFRA_KIND_WORDS,
                        "protected": C.PROTECTED_KIND_WORDS,
                    }.get(kind)
                    if words is not None:
                        parsed = C.word_value(v, words, "kind")
                    else:
                        t = C.text_value(v)
                        parsed = C.ASSESSMENT_KIND_WORDS.get(t or "", t)
                else:
                    parsed = C.parse_field(f, v)
            except ValueError as e:
                chk.at(i, codes[i], f"{by_field[f]}: {e}")
                parsed = None
            if f == "kind" and parsed is None and C.blank(v):
                chk.at(i, codes[i], f"{by_field[f]}: empty; every {kind} feature needs a kind")
            col.append(parsed)
        values[f] = col
    return values, present


def extent_checks(
    kind: str, geoms: np.ndarray, district: Any, tol_m: float, chk: Checker, codes: list[Any]
) -> None:
    """Features outside the district extent (one vectorised predicate over all features)."""
    tol_deg = tol_m / 111_000
    area = district
    if tol_deg:
        # simplifying by half the tolerance keeps the district covered and makes the test cheap
        area = shapely.simplify(shapely.buffer(district, tol_deg), tol_deg / 2)
    shapely.prepare(area)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if kind == "parcels":
        outside = present & ~shapely.covered_by(geoms, area)
        why = "lies (partly) outside the district extent"
    else:
        outside = present & ~shapely.intersects(geoms, area)
        why = "lies outside the district extent"
    for i in np.flatnonzero(outside):
        c = shapely.centroid(geoms[i])
        chk.at(
            int(i),
            codes[i],
            f"{why} (centre {c.x:.6f}, {c.y:.6f}); check its coordinate system (--crs) "
            "or GEO_SERVICE_DISTRICT_BOUNDARY",
        )


def zone_checks(session: Session, zones: list[Any], chk: Checker, codes: list[Any]) -> None:
    wanted = sorted({z for z in zones if z})
    if not wanted:
        return
    known = set(
        session.execute(
            text("SELECT code FROM zones WHERE code = ANY(:c)"), {"c": wanted}
        ).scalars()
    )
    for i, z in enumerate(zones):
        if z and z not in known:
            chk.at(i, codes[i], f"zone {z!r} does not exist; import the zones first")
