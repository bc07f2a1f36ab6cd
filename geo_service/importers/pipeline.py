"""The checks and staging of an import, one chunk of the file at a time (:mod:`.chunks`).

For each chunk: reproject, check codes, geometry and attributes, look up its zones, then COPY it
into the transaction's staging table while nothing is wrong so far. The district-extent check
(the costliest pure-Python check, vectorised in GEOS without the GIL) runs on a second thread
while the next chunk is read and checked; its problems go where checking first would put them.
Codes are unique across the whole file, not only within a chunk. Only codes, the first place of
each code and the current chunk stay in memory, so 1 000 000 parcels fit well under 1 GB; the
one merge of everything staged is the caller's (``service.run_import``).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
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
        repair: bool,
    ) -> None:
        self.kind, self.settings, self.district = kind, settings, district
        self.report, self.infra_kind, self.crs, self.repair = report, infra_kind, source_crs, repair
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-extent")
        self.n = 0
        self.codes: list[str | None] = []
        self.present: set[str] = set()
        #: problems of the chunks after the first, in file order (the first's go to its checker)
        self.later: list[str] = []
        self._chunk_problems: list[list[str]] = []
        self._first: dict[str, int] = {}  # code → index of its first feature in the file
        self._dups: dict[str, list[str]] = {}  # code → every place, when in several chunks
        self._areas: list[float | None] = []
        self._pending: tuple[Future[float | None], Checker, int, Checker] | None = None
        self._table: dict[str, list[Any]] | None = None
        self._staged = False

    def check(self, session: Session, part: Source, chk: Checker) -> None:
        """Every check of one chunk; ``chk`` collects its problems."""
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
        if self.kind == "parcels" and "zone_code" in values:
            zone_checks(session, values["zone_code"], chk, codes)
        self._pending = (future, chk, before, outside)
        if self.n:  # not the first chunk
            self._chunk_problems.append(chk.problems)
        self.n += len(gdf)
        self._table = {"code": codes, "wkb": list(shapely.to_wkb(geoms, output_dimension=2))}
        self._table |= {k: _nullable(v) for k, v in values.items()}

    def problems(self, head: Checker) -> bool:
        """Whether anything is known to be wrong so far (the pending extent check aside)."""
        return bool(head.problems or any(self._chunk_problems) or self._dups)

    def stage(self, session: Session) -> None:
        """COPY the chunk just checked into the staging table (the merge comes at the end)."""
        if self._table is not None:
            writes.stage(session, self.kind, self._table, fresh=not self._staged)
            self._staged = True
        self._table = None

    def finish(self) -> None:
        """Wait for the last extent check; put every later problem in order."""
        self._collect()
        self._table = None
        for problems in self._chunk_problems:
            self.later += problems
        for code, places in self._dups.items():
            where = ", ".join([f"feature {self._first[code] + 1}", *places][:10])
            self.later.append(
                f"{self.report.file_name}: code {code} appears {len(places) + 1} times "
                f"({where}); codes must be unique"
            )

    def area_mu(self) -> float | None:
        if self.kind != "parcels" or self.n > AREA_MAX_FEATURES or None in self._areas:
            return None
        return round(sum(a or 0.0 for a in self._areas) / SQM_PER_MU, 2)

    def _collect(self) -> None:
        if self._pending is None:
            return
        future, chk, before, outside = self._pending
        self._areas.append(future.result())
        chk.problems[before:before] = outside.problems
        self._pending = None

    def _cross_chunk_codes(self, part: Source, codes: list[str | None]) -> None:
        """Codes already seen in an earlier chunk (a chunk's own repeats: ``codes_of``)."""
        if self.n:
            for i, c in enumerate(codes):
                if c is not None and c in self._first:
                    self._dups.setdefault(c, []).append(part.locations[i])
        for i, c in enumerate(codes):
            if c is not None:
                self._first.setdefault(c, self.n + i)
        self.codes += codes


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
