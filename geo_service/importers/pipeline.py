"""The checks and writes of an import, one piece of the file at a time (:mod:`.chunks`).

For each piece: reproject, check codes, geometry and attributes, then — while nothing is wrong so
far — COPY it into a staging table and merge it into the layer, in the caller's ONE transaction.
The database work runs on its own thread (the "lane", the only user of the session while the run
lasts), so PostgreSQL writes one piece on one core while Python reads and checks the next on the
other. The district-extent check (vectorised in GEOS, without the GIL) runs on a third thread and
the zone lookups go through the lane; their problems go where checking first would put them. A
problem anywhere means the caller rolls everything back: nothing is half-written. Codes are unique
across the whole file, not only within a piece. Only codes, the first place of each code and the
current chunk stay in memory, so 1 000 000 parcels fit well under 1 GB.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.importers.checks import (
    Checker,
    attributes,
    codes_of,
    extent_checks,
    geometry_checks,
    zone_checks,
)
from geo_service.importers.readers import Source
from geo_service.importers.report import ImportReport, geodesic_m2
from geo_service.parcels import writes
from geo_service.settings import Settings
from geo_service.spatial import SQM_PER_MU, STORAGE_SRID

#: a file's area in 亩 is reported up to this many features (it costs a geodesic area each)
AREA_MAX_FEATURES = 5000

T = TypeVar("T")


class ChunkRun:
    """The state of one import across its chunks."""

    def __init__(
        self,
        kind: str,
        settings: Settings,
        district: Any,
        report: ImportReport,
        infra_kind: str | None,
        source_crs: CRS,
        *,
        session: Session,
        repair: bool,
    ) -> None:
        self.kind, self.settings, self.district = kind, settings, district
        self.report, self.infra_kind, self.crs, self.repair = report, infra_kind, source_crs, repair
        self.session = session
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-extent")
        self.lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-db")
        self.n = 0
        self.present: set[str] = set()
        #: what the merges of the pieces changed (``total`` is set by :meth:`finish`)
        self.result = writes.MergeResult()
        #: the database's refusal of a merge (the transaction is then rolled back)
        self.db_error: sa_exc.DBAPIError | None = None
        #: problems of the pieces after the first, in file order (the first's go to its checker)
        self.later: list[str] = []
        self._chunk_problems: list[list[str]] = []
        self._first: dict[str, int] = {}  # code → index of its first feature in the file
        self._dups: dict[str, list[str]] = {}  # code → every place, when in several pieces
        self._areas: list[float | None] = []
        self._pending: tuple[Future[float | None], Checker, int, Checker, Future[None] | None,
                             Checker] | None = None  # fmt: skip
        self._table: dict[str, list[Any]] | None = None
        self._writes: list[Future[None]] = []

    def check(self, part: Source, chk: Checker) -> None:
        """Every check of one piece; ``chk`` collects its problems."""
        gdf = part.gdf
        by_field = {f: h for h, f in part.columns.items()}
        gs = gpd.GeoSeries(gdf.geometry.to_numpy(), crs=self.crs)
        if self.crs.to_epsg() != STORAGE_SRID:
            gs = gs.to_crs(STORAGE_SRID)  # pyproj, always_xy (GeoPandas' convention)
        geoms = gs.to_numpy()
        codes = codes_of(gdf, by_field, chk)
        geoms = geometry_checks(
            self.kind,
            geoms,
            codes,
            chk,
            self.report,
            repair=self.repair,
            max_vertices=self.settings.max_vertices,
        )
        values, present = attributes(self.kind, gdf, by_field, codes, chk, self.infra_kind)
        self._cross_chunk_codes(part, codes)
        self.present |= present
        self._collect()
        before = len(chk.problems)
        outside = Checker(part, problems=[])
        future = self.pool.submit(
            _side_checks, self.kind, geoms, self.district, self.settings.district_tolerance_m,
            outside, codes,
        )  # fmt: skip
        zones = Checker(part, problems=[])
        looked_up = None
        if self.kind == "parcels" and "zone_code" in values:
            looked_up = self._db(zone_checks, self.session, values["zone_code"], zones, codes)
        self._pending = (future, chk, before, outside, looked_up, zones)
        if self.n:  # not the first piece
            self._chunk_problems.append(chk.problems)
        self.n += len(gdf)
        self._table = {"code": codes, "wkb": list(shapely.to_wkb(geoms, output_dimension=2))}
        self._table |= {k: _nullable(v) for k, v in values.items()}

    def problems(self, head: Checker) -> bool:
        """Whether anything is known to be wrong so far (the pending extent check aside)."""
        return bool(head.problems or any(self._chunk_problems) or self._dups)

    def write(self) -> None:
        """Stage and merge the piece just checked, on the lane (the next piece is checked
        meanwhile); a refusal by the database is kept in :attr:`db_error`."""
        if self._table is not None:
            table, present, upto = self._table, frozenset(self.present), self.n
            self._writes.append(self._db(self._write, table, present, upto))
        self._table = None

    def finish(self) -> None:
        """Wait for the last checks and every write; put every later problem in order."""
        self._collect()
        self._table = None
        for w in self._writes:
            w.result()  # anything but a refusal of the rows (e.g. the connection lost) is raised
        self.result.total = self.n
        for problems in self._chunk_problems:
            self.later += problems
        for code, places in self._dups.items():
            where = ", ".join([f"feature {self._first[code] + 1}", *places][:10])
            self.later.append(
                f"{self.report.file_name}: code {code} appears {len(places) + 1} times "
                f"({where}); codes must be unique"
            )

    def close(self) -> None:
        """Stop the threads (after the work they have begun); the session is the caller's again."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.lane.shutdown(wait=True, cancel_futures=True)

    def area_mu(self) -> float | None:
        if self.kind != "parcels" or self.n > AREA_MAX_FEATURES or None in self._areas:
            return None
        return round(sum(a or 0.0 for a in self._areas) / SQM_PER_MU, 2)

    def _collect(self) -> None:
        if self._pending is None:
            return
        future, chk, before, outside, looked_up, zones = self._pending
        self._areas.append(future.result())
        if looked_up is not None:
            looked_up.result()
        chk.problems[before:before] = outside.problems + zones.problems
        self._pending = None

    def _db(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn`` on the lane, in this thread's context (the county scope of the import)."""
        return self.lane.submit(contextvars.copy_context().run, fn, *args)

    def _write(self, table: dict[str, list[Any]], present: frozenset[str], upto: int) -> None:
        if self.db_error is not None:
            return  # rolled back already; the caller reports why
        # a bulk load may take longer than a request's statement limit: 2 ms per feature so far
        limit = max(self.settings.db_statement_timeout_ms, 2 * upto)
        try:
            self.session.execute(text(f"SET LOCAL statement_timeout = {int(limit)}"))
            writes.stage(self.session, self.kind, table)
            n = len(table["code"])
            merged = writes.merge_staged(self.session, self.kind, n, columns=present)
        except (sa_exc.IntegrityError, sa_exc.DataError) as e:
            self.session.rollback()
            self.db_error = e
            return
        self.result.inserted += merged.inserted
        self.result.updated += merged.updated

    def _cross_chunk_codes(self, part: Source, codes: list[str | None]) -> None:
        """Codes already seen in an earlier chunk (a chunk's own repeats: ``codes_of``)."""
        if self.n:
            for i, c in enumerate(codes):
                if c is not None and c in self._first:
                    self._dups.setdefault(c, []).append(part.locations[i])
        for i, c in enumerate(codes):
            if c is not None:
                self._first.setdefault(c, self.n + i)

    def codes(self) -> Iterator[str]:
        """The file's codes in file order, each once (a repeat is a problem of its own); the
        index of first places is the only list of them kept (a million codes, once)."""
        return iter(self._first)


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
) -> float | None:
    """The checks that only read the shapes: the district extent; the chunk's area in m²."""
    if district is not None:
        extent_checks(kind, geoms, district, tol_m, chk, codes)
    if kind != "parcels":
        return None
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.sum() > AREA_MAX_FEATURES:
        return None
    return float(sum(geodesic_m2(g) for g in geoms[ok]))
