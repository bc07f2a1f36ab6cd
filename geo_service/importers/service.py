"""One import: read, check everything, then write all of it in one transaction or nothing.

Every problem is collected before anything is committed (file, feature or row, reason). With
``repair`` invalid geometry is fixed with ``make_valid`` and the area change of each repair is
reported; with ``dry_run`` the merge runs and is rolled back, so the report says what *would*
change.

The parts: :mod:`.readers` (files → a GeoDataFrame), :mod:`.chunks` (a large file in chunks of
50 000 features), :mod:`.crs` (which coordinate system), :mod:`.checks` (every check),
:mod:`.pipeline` (the checks and merge of each piece, the database on its own thread, the extent
check on another), :mod:`.report` (the report and its words). This module runs them in order in
ONE transaction: a problem anywhere in the file rolls all of it back with nothing written, and its
message names the file and the feature or row.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

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
    district_shape,
)
from geo_service.importers.chunks import pieces, read_chunks
from geo_service.importers.pipeline import ChunkRun
from geo_service.importers.readers import coordinates, opened
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
from geo_service.spatial import local_metric_epsg

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
        chunks = read_chunks(
            real, layer=layer, display=display, extra=settings.import_column_aliases
        )
        src = next(chunks)
        report.notes += src.notes
        chk = Checker(src)
        gdf = src.gdf
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
            report.features = len(gdf)
            raise ImportRejected(rejected(report, chk.problems), extra=extra(report, chk.problems))

        say("checking coordinates")
        xs, ys = coordinates(gdf)
        district = district_shape(settings, engine)
        local = None
        if district is not None:
            local = local_metric_epsg(shapely.centroid(district).x)
        try:
            # a large file's system is told from its first chunk; a later feature in another
            # system lies outside the district, and the extent check says so
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
            report.features = len(gdf)
            raise ImportRejected(
                rejected(report, chk.problems), extra=extra(report, chk.problems)
            ) from None
        del xs, ys
        report.crs = how
        if district is None:
            name = Path(settings.district_boundary).name if settings.district_boundary else ""
            report.notes.append(
                f"district extent not checked: the file GEO_SERVICE_DISTRICT_BOUNDARY names "
                f"({name}) does not exist"
                if name
                else "district extent not checked: GEO_SERVICE_DISTRICT_BOUNDARY is not set"
            )
        factory = make_sessionmaker(engine)
        with factory() as session:
            session.begin()
            # a bulk write of C functions over many rows: compiling it (JIT, ~0.7 s per 100 000
            # parcels and again in the summary trigger) costs more than it ever saves
            session.execute(text("SET LOCAL jit = off"))
            run = ChunkRun(
                kind, settings, district, report, infra_kind, source_crs,
                session=session, repair=repair,
            )  # fmt: skip
            try:
                for k, part in enumerate(itertools.chain([src], chunks)):
                    say("validating" if k == 0 else f"validating from {part.locations[0]}")
                    # the first chunk in pieces: the database merges one while the next is checked
                    for j, piece in enumerate(pieces(part) if k == 0 else [part]):
                        run.check(piece, chk if k == j == 0 else Checker(piece, problems=[]))
                        if not run.problems(chk):
                            run.write()
                if not run.problems(chk):
                    say("writing")
                run.finish()
            finally:
                run.close()
            del src, gdf
            chk.problems += run.later
            report.features = run.n
            report.area_mu = run.area_mu()
            result = run.result
            if not chk.problems:
                try:
                    if run.db_error is not None:
                        raise run.db_error
                    reach = county_reach_m(session, settings)  # the longest distance of any county
                    writes.after_merge(session, kind, result, reach_m=reach)
                except (sa_exc.IntegrityError, sa_exc.DataError) as e:
                    session.rollback()
                    diag = getattr(getattr(e.orig, "diag", None), "message_primary", None)
                    msg = f"the database refused the rows: {diag or type(e.orig).__name__}"
                    report.problems = [f"{display}: {msg}"]
                    raise ImportRejected(
                        rejected(report, report.problems), extra=extra(report, report.problems)
                    ) from None
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
            if result.unchanged:  # the first unchanged codes, in file order
                changed = set(result.inserted) | set(result.updated)
                unchanged = (c for c in run.codes() if c not in changed)
                report.unchanged_codes = list(itertools.islice(unchanged, MAX_LISTED))
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
