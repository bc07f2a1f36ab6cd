"""One import: read, check everything, then write all of it in one transaction or nothing.

Every problem is collected before anything is written (file, feature or row, reason). With
``repair`` invalid geometry is fixed with ``make_valid`` and the area change of each repair is
reported; with ``dry_run`` the merge runs and is rolled back, so the report says what *would*
change.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from sqlalchemy import Engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from geo_service import audit
from geo_service.db.engine import make_sessionmaker
from geo_service.errors import ImportRejected, InvalidInput
from geo_service.importers import columns as C
from geo_service.importers import crs as crsmod
from geo_service.importers.readers import Source, coordinates, opened, read_source
from geo_service.parcels import writes
from geo_service.readiness.rules import reach_m
from geo_service.settings import Settings
from geo_service.spatial import SQM_PER_MU, STORAGE_SRID, local_metric_epsg

KINDS = ("parcels", "zones", "assessments", "protected", "infrastructure")
POLYGONAL = {"parcels", "zones", "assessments", "protected"}
INFRA_KINDS = ("water", "power", "road", "gas", "heat", "telecom", "sewer")
TEXT_FIELDS = {"name", "zone_code", "land_use", "industry", "contact", "notes", "road_class"}
MAX_LISTED = 1000  # codes listed per category in a report
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
_GEOD = Geod(ellps="GRS80")  # CGCS2000 uses GRS80 (to 0.1 mm)


@dataclass
class ImportReport:
    kind: str
    file_name: str
    sha256: str
    dry_run: bool = False
    repair: bool = False
    crs: str = ""
    features: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    area_mu: float | None = None
    inserted_codes: list[str] = field(default_factory=list)
    updated_codes: list[str] = field(default_factory=list)
    unchanged_codes: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    import_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        s = (
            f"{self.file_name}: {self.features} {self.kind} feature(s); {self.inserted} {verb} "
            f"inserted, {self.updated} updated, {self.unchanged} unchanged"
        )
        if self.area_mu is not None:
            s += f"; {self.area_mu:,.2f} 亩 in the file"
        return s

    def lines(self) -> list[str]:
        out = [self.summary()]
        if self.crs:
            out.append(f"coordinates: {self.crs}")
        verb = "would be " if self.dry_run else ""
        for label, codes, n in (
            ("inserted", self.inserted_codes, self.inserted),
            ("updated", self.updated_codes, self.updated),
            ("unchanged", self.unchanged_codes, self.unchanged),
        ):
            if codes:  # the first 50 here; the API answer lists up to MAX_LISTED
                shown = codes[:50]
                more = f" … and {n - len(shown)} more" if n > len(shown) else ""
                out.append(f"{verb}{label}: {', '.join(shown)}{more}")
        out += [f"note: {n}" for n in self.notes]
        out += [f"repaired: {r}" for r in self.repairs]
        if self.dry_run:
            out.append("dry run: nothing was written")
        return out


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_REASON = re.compile(r"^(?P<what>[^\[]+)\[(?P<x>[-\d.eE+]+) (?P<y>[-\d.eE+]+)\]$")


def explain(reason: str) -> str:
    """``Self-intersection[114.9 33.7]`` → ``self-intersection at 114.900000, 33.700000``."""
    m = _REASON.match(reason.strip())
    if not m:
        return reason.strip().lower()
    what = m.group("what").strip()
    return f"{what[0].lower()}{what[1:]} at {float(m.group('x')):.6f}, {float(m.group('y')):.6f}"


def geodesic_m2(geom: Any) -> float:
    """Area on the ellipsoid; rings oriented first so holes are subtracted, not added."""
    area, _ = _GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))
    return abs(float(area))


def _district(settings: Settings, engine: Engine | None = None) -> Any | None:
    """The boundary the rows must lie in: the county's (the import's county, else the home
    county) when it is stored, else the district file GEO_SERVICE_DISTRICT_BOUNDARY."""
    if engine is not None:
        from geo_service.counties.service import boundary_wkb

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


class _Checker:
    """Collects problems with where they are."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.problems: list[str] = list(src.problems)

    def at(self, i: int, code: str | None, reason: str) -> None:
        where = self.src.locations[i]
        tag = f" (code {code})" if code and not self.src.table else ""
        self.problems.append(f"{self.src.name} {where}{tag}: {reason}")

    def file(self, reason: str) -> None:
        self.problems.append(f"{self.src.name}: {reason}")


def _geometry_checks(
    kind: str,
    geoms: np.ndarray,
    codes: list[str | None],
    chk: _Checker,
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


def _codes(gdf: gpd.GeoDataFrame, by_field: dict[str, str], chk: _Checker) -> list[str | None]:
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


def _attributes(
    kind: str,
    gdf: gpd.GeoDataFrame,
    by_field: dict[str, str],
    codes: list[str | None],
    chk: _Checker,
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


def _extent_checks(
    kind: str, geoms: np.ndarray, district: Any, tol_m: float, chk: _Checker, codes: list[Any]
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


def _zone_checks(session: Session, zones: list[Any], chk: _Checker, codes: list[Any]) -> None:
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


def run_import(
    engine: Engine,
    *,
    kind: str,
    path: Path,
    settings: Settings,
    actor: str,
    crs: str | None = None,
    layer: str | None = None,
    dry_run: bool = False,
    repair: bool = False,
    infra_kind: str | None = None,
    file_name: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import one file of ``kind``; raises ImportRejected (listing every problem) or returns."""
    say = progress or (lambda _m: None)
    if kind not in KINDS:
        raise InvalidInput(f"cannot import {kind!r}; choose one of {', '.join(KINDS)}")
    if infra_kind is not None and infra_kind not in INFRA_KINDS:
        raise InvalidInput(f"--kind must be one of {', '.join(INFRA_KINDS)}; got {infra_kind!r}")
    display = file_name or path.name
    if not path.exists():
        raise InvalidInput(f"{display}: no such file")
    report = ImportReport(
        kind=kind, file_name=display, sha256=sha256_of(path), dry_run=dry_run, repair=repair
    )
    say("reading")
    with opened(path, display) as real:
        src = read_source(real, layer=layer, display=display, extra=settings.import_column_aliases)
    report.notes += src.notes
    chk = _Checker(src)
    gdf = src.gdf
    report.features = len(gdf)
    by_field = {f: h for h, f in src.columns.items()}
    for req in C.REQUIRED[kind]:
        if req == "kind" and infra_kind:
            continue
        if req not in by_field and not (src.table and src.problems):
            hint = "/".join(C.ALIASES[req][:4])
            extra = " or pass --kind" if kind == "infrastructure" and req == "kind" else ""
            found = ", ".join(str(c) for c in gdf.columns if c != "geometry")
            chk.file(f"missing column {req} ({hint}){extra}; the file has {found or 'none'}")
    if len(gdf) == 0 and not chk.problems:
        chk.file("no features; nothing to import")
    if len(gdf) == 0 or gdf.geometry.name not in gdf:
        raise ImportRejected(_rejected(report, chk.problems), extra=_extra(report, chk.problems))

    say("checking coordinates")
    geoms = gdf.geometry.to_numpy()
    xs, ys = coordinates(gdf)
    district = _district(settings, engine)
    local = None
    if district is not None:
        local = local_metric_epsg(shapely.centroid(district).x)
    try:
        source_crs, how = crsmod.resolve(
            file_crs=gdf.crs,
            override=crs,
            eastings=xs,
            northings=ys,
            local_epsg=local,
            source=display,
        )
    except InvalidInput as e:
        if not chk.problems:
            raise
        # the rows already found wrong come first: they may be why no system fits
        chk.problems.append(e.public)
        raise ImportRejected(
            _rejected(report, chk.problems), extra=_extra(report, chk.problems)
        ) from None
    report.crs = how
    gs = gpd.GeoSeries(geoms, crs=source_crs)
    if source_crs.to_epsg() != STORAGE_SRID:
        gs = gs.to_crs(STORAGE_SRID)  # pyproj, always_xy (GeoPandas' convention)
    geoms = gs.to_numpy()

    say("validating")
    codes = _codes(gdf, by_field, chk)
    geoms = _geometry_checks(
        kind, geoms, codes, chk, report, repair=repair, max_vertices=settings.max_vertices
    )
    values, present = _attributes(kind, gdf, by_field, codes, chk, infra_kind)
    if district is not None:
        _extent_checks(kind, geoms, district, settings.district_tolerance_m, chk, codes)
    else:
        name = Path(settings.district_boundary).name if settings.district_boundary else ""
        report.notes.append(
            f"district extent not checked: the file GEO_SERVICE_DISTRICT_BOUNDARY names ({name}) "
            "does not exist"
            if name
            else "district extent not checked: GEO_SERVICE_DISTRICT_BOUNDARY is not set"
        )
    if kind == "parcels":
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        report.area_mu = (
            round(sum(geodesic_m2(g) for g in geoms[ok]) / SQM_PER_MU, 2)
            if ok.sum() <= 5000
            else None
        )

    factory = make_sessionmaker(engine)
    with factory() as session:
        session.begin()
        if kind == "parcels" and "zone_code" in values:
            _zone_checks(session, values["zone_code"], chk, codes)
        report.problems = chk.problems
        if chk.problems:
            session.rollback()
            if dry_run:
                return report
            problems = chk.problems
            raise ImportRejected(_rejected(report, problems), extra=_extra(report, problems))
        say("writing")
        wkb = shapely.to_wkb(geoms, output_dimension=2)
        table = {"code": codes, "wkb": list(wkb), **{k: _nullable(v) for k, v in values.items()}}
        try:
            result = writes.merge_layer(session, kind, table, columns=present)
            writes.after_merge(session, kind, result, reach_m=reach_m(settings.readiness))
        except (sa_exc.IntegrityError, sa_exc.DataError) as e:
            session.rollback()
            diag = getattr(getattr(e.orig, "diag", None), "message_primary", None)
            msg = f"the database refused the rows: {diag or type(e.orig).__name__}"
            report.problems = [f"{display}: {msg}"]
            raise ImportRejected(
                _rejected(report, report.problems), extra=_extra(report, report.problems)
            ) from None
        report.inserted, report.updated = len(result.inserted), len(result.updated)
        report.unchanged = result.unchanged
        report.inserted_codes = result.inserted[:MAX_LISTED]
        report.updated_codes = result.updated[:MAX_LISTED]
        changed = set(result.inserted) | set(result.updated)
        report.unchanged_codes = [c for c in codes if c and c not in changed][:MAX_LISTED]
        if dry_run:
            session.rollback()
            return report
        rec = audit.ImportRecord(
            kind=kind,
            file_name=display[:500],
            sha256=report.sha256,
            actor=actor,
            counts={
                "features": report.features,
                "inserted": report.inserted,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "repaired": len(report.repairs),
            },
        )
        session.add(rec)
        session.flush()
        report.import_id = rec.id
        audit.record(
            session,
            actor=actor,
            action=f"import.{kind}",
            entity_type="import",
            entity_code=display[:200],
            after={
                **rec.counts,
                "sha256": report.sha256,
                "import_id": rec.id,
                "crs": report.crs,
                "inserted_codes": report.inserted_codes,
                "updated_codes": report.updated_codes,
                "repairs": report.repairs,
            },
        )
        session.commit()
    return report


def _nullable(values: Any) -> list[Any]:
    """A column as a list with NaN/NaT as None (vectorised; lists and dicts stay as they are)."""
    col = pd.Series(values, dtype=object)
    return col.where(col.notna(), None).tolist()


def _rejected(report: ImportReport, problems: list[str]) -> str:
    return (
        f"{report.file_name}: {len(problems)} problem(s) found; nothing was written. "
        "Fix them and import again"
        + ("" if report.repair else " (invalid shapes can be fixed with --repair)")
    )


def _extra(report: ImportReport, problems: list[str]) -> dict[str, Any]:
    report.problems = problems
    return {"problems": problems, "report": report.to_dict()}
