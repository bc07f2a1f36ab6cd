"""One import: read, check everything, then write all of it in one transaction or nothing.

Every problem is collected before anything is committed (file, feature or row, reason). With
``repair`` invalid geometry is fixed with ``make_valid`` and the area change of each repair is
reported; with ``dry_run`` the merge runs and is rolled back, so the report says what *would*
change.

The parts: :mod:`.readers` (files → a GeoDataFrame), :mod:`.crs` (which coordinate system),
:mod:`.checks` (every check), :mod:`.report` (the report and its words); this module runs them in
order and writes. The district-extent check (the costliest pure-Python check, vectorised in GEOS
without the GIL) runs on a second thread while PostgreSQL does the merge on the first; its
problems still reject the whole import and the transaction is rolled back, so the result is the
same as checking first, only sooner on two cores.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, text
from sqlalchemy import exc as sa_exc

from geo_service import audit
from geo_service.db.engine import make_sessionmaker
from geo_service.errors import ImportRejected, InvalidInput
from geo_service.importers import columns as C
from geo_service.importers import crs as crsmod
from geo_service.importers.checks import (
    POLYGONAL,
    TEXT_FIELDS,
    Checker,
    attributes,
    codes_of,
    district_shape,
    extent_checks,
    geometry_checks,
    zone_checks,
)
from geo_service.importers.readers import coordinates, opened, read_source
from geo_service.importers.report import (
    MAX_LISTED,
    ImportReport,
    explain,
    extra,
    geodesic_m2,
    rejected,
    sha256_of,
)
from geo_service.parcels import writes
from geo_service.readiness.county_rules import reach_m as county_reach_m
from geo_service.settings import Settings
from geo_service.spatial import SQM_PER_MU, STORAGE_SRID, local_metric_epsg

__all__ = [
    "INFRA_KINDS",
    "KINDS",
    "POLYGONAL",
    "TEXT_FIELDS",
    "ImportReport",
    "explain",
    "geodesic_m2",
    "run_import",
    "sha256_of",
]

KINDS = ("parcels", "zones", "assessments", "protected", "infrastructure")
INFRA_KINDS = ("water", "power", "road", "gas", "heat", "telecom", "sewer")


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
    chk = Checker(src)
    gdf = src.gdf
    report.features = len(gdf)
    by_field = {f: h for h, f in src.columns.items()}
    for req in C.REQUIRED[kind]:
        if req == "kind" and infra_kind:
            continue
        if req not in by_field and not (src.table and src.problems):
            hint = "/".join(C.ALIASES[req][:4])
            or_kind = " or pass --kind" if kind == "infrastructure" and req == "kind" else ""
            found = ", ".join(str(c) for c in gdf.columns if c != "geometry")
            chk.file(f"missing column {req} ({hint}){or_kind}; the file has {found or 'none'}")
    if len(gdf) == 0 and not chk.problems:
        chk.file("no features; nothing to import")
    if len(gdf) == 0 or gdf.geometry.name not in gdf:
        raise ImportRejected(rejected(report, chk.problems), extra=extra(report, chk.problems))

    say("checking coordinates")
    geoms = gdf.geometry.to_numpy()
    xs, ys = coordinates(gdf)
    district = district_shape(settings, engine)
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
            rejected(report, chk.problems), extra=extra(report, chk.problems)
        ) from None
    report.crs = how
    gs = gpd.GeoSeries(geoms, crs=source_crs)
    if source_crs.to_epsg() != STORAGE_SRID:
        gs = gs.to_crs(STORAGE_SRID)  # pyproj, always_xy (GeoPandas' convention)
    geoms = gs.to_numpy()

    say("validating")
    codes = codes_of(gdf, by_field, chk)
    geoms = geometry_checks(
        kind, geoms, codes, chk, report, repair=repair, max_vertices=settings.max_vertices
    )
    values, present = attributes(kind, gdf, by_field, codes, chk, infra_kind)
    if district is None:
        name = Path(settings.district_boundary).name if settings.district_boundary else ""
        report.notes.append(
            f"district extent not checked: the file GEO_SERVICE_DISTRICT_BOUNDARY names ({name}) "
            "does not exist"
            if name
            else "district extent not checked: GEO_SERVICE_DISTRICT_BOUNDARY is not set"
        )
    # the extent check and the file's area run beside the database's merge (see the docstring)
    outside = Checker(src, problems=[])
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-extent")
    side = pool.submit(
        _side_checks, kind, geoms, district, settings.district_tolerance_m, outside, codes, report
    )
    pool.shutdown(wait=False)

    def late_problems(before: int) -> None:
        """Wait for the side checks; their problems go where checking first would put them."""
        side.result()
        chk.problems[before:before] = outside.problems

    factory = make_sessionmaker(engine)
    with factory() as session:
        session.begin()
        # a bulk load may take longer than a request's statement limit: 2 ms per feature
        limit = max(settings.db_statement_timeout_ms, 2 * len(geoms))
        session.execute(text(f"SET LOCAL statement_timeout = {int(limit)}"))
        before = len(chk.problems)
        if kind == "parcels" and "zone_code" in values:
            zone_checks(session, values["zone_code"], chk, codes)
        if chk.problems:
            late_problems(before)
        result = writes.MergeResult()
        if not chk.problems:
            say("writing")
            wkb = shapely.to_wkb(geoms, output_dimension=2)
            table = {"code": codes, "wkb": list(wkb)}
            table |= {k: _nullable(v) for k, v in values.items()}
            try:
                result = writes.merge_layer(session, kind, table, columns=present)
                reach = county_reach_m(session, settings)  # the longest distance of any county
                writes.after_merge(session, kind, result, reach_m=reach)
            except (sa_exc.IntegrityError, sa_exc.DataError) as e:
                session.rollback()
                late_problems(before)
                if not chk.problems:
                    diag = getattr(getattr(e.orig, "diag", None), "message_primary", None)
                    msg = f"the database refused the rows: {diag or type(e.orig).__name__}"
                    report.problems = [f"{display}: {msg}"]
                    raise ImportRejected(
                        rejected(report, report.problems), extra=extra(report, report.problems)
                    ) from None
            else:
                late_problems(before)
        report.problems = chk.problems
        if chk.problems:
            session.rollback()
            if dry_run:
                return report
            problems = chk.problems
            raise ImportRejected(rejected(report, problems), extra=extra(report, problems))
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


def _side_checks(
    kind: str,
    geoms: np.ndarray,
    district: Any,
    tol_m: float,
    chk: Checker,
    codes: list[Any],
    report: ImportReport,
) -> None:
    """The checks that only read the shapes: the district extent and the file's area in 亩."""
    if district is not None:
        extent_checks(kind, geoms, district, tol_m, chk, codes)
    if kind == "parcels":
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        report.area_mu = (
            round(sum(geodesic_m2(g) for g in geoms[ok]) / SQM_PER_MU, 2)
            if ok.sum() <= 5000
            else None
        )
