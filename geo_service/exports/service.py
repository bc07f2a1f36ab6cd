"""Files out: parcels, projects, readiness as GeoJSON, GeoPackage, Shapefile zip, KML, XLSX, CSV.

Rows stream from PostGIS in chunks (a server-side cursor) and are appended to the file chunk by
chunk, so 100 000 parcels never sit in memory at once. GIS formats are written by pyogrio, Excel
by openpyxl's write-only mode. Field names of GIS files are the English keys the importers read
back (an exported file imported again changes nothing); XLSX carries Chinese headers for people.
What each export selects (columns and SQL) is in ``exports/queries.py``.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import Engine, text

from geo_service.errors import InvalidInput
from geo_service.exports import labels
from geo_service.exports.queries import (
    CONDITION_ZH,
    PROJECT_KINDS,
    SHP_NAMES,
    STATUS_ZH,
    Query,
    build_query,
)
from geo_service.projects import lifecycle
from geo_service.projects.ledger import DOMAIN_ZH
from geo_service.projects.ledger import SHEET as LEDGER_SHEET
from geo_service.spatial import STORAGE_SRID
from geo_service.text import csv_cell, xlsx_cells


@dataclass(frozen=True)
class Format:
    key: str
    suffix: str
    media_type: str
    driver: str | None = None  # GDAL driver; None = a table (no geometry)


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("geojson", ".geojson", "application/geo+json", "GeoJSON"),
        Format("gpkg", ".gpkg", "application/geopackage+sqlite3", "GPKG"),
        # a .zip holding the set; with an --out ending in .shp the set itself
        Format("shp", ".zip", "application/zip", "ESRI Shapefile"),
        Format("kml", ".kml", "application/vnd.google-earth.kml+xml", "KML"),
        Format(
            "xlsx",
            ".xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        Format("csv", ".csv", "text/csv; charset=utf-8"),
    )
}

#: (key, SQL expression, Chinese header); keys are what the importers read back


def _chunks(engine: Engine, sql: str, size: int) -> Iterator[pd.DataFrame]:
    with engine.connect() as conn:
        conn = conn.execution_options(stream_results=True, max_row_buffer=size)
        result = conn.execute(text(sql))
        while rows := result.fetchmany(size):
            yield pd.DataFrame(rows, columns=list(result.keys()))


def _gdf(df: pd.DataFrame) -> gpd.GeoDataFrame:
    geoms = shapely.from_wkb(df["_wkb"].map(lambda b: bytes(b) if b is not None else None))
    return gpd.GeoDataFrame(
        df.drop(columns=["_wkb", "_lon", "_lat"]), geometry=geoms, crs=STORAGE_SRID
    )


def check_out_path(out: Path, *, option: str = "--out") -> None:
    """Refuse an output path that cannot be written, saying what is wrong with it.

    The folder must exist already (nothing creates folders on the user's behalf) and ``out``
    must not be a folder itself.
    """
    if out.is_dir():
        raise InvalidInput(f"{option} {out} is a folder; give the name of the file to write in it")
    folder = out.parent
    if not folder.exists():
        raise InvalidInput(f"{option} folder {folder} does not exist; create it first")
    if not folder.is_dir():
        raise InvalidInput(f"{option} {out}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidInput(f"{option} folder {folder} is not writable")


def export(
    engine: Engine,
    *,
    what: str,
    fmt: str,
    out: Path,
    public: bool = False,
    fields: list[str] | None = None,
    chunk_rows: int = 20_000,
) -> int:
    """Write ``what`` to ``out`` in format ``fmt``; returns the number of rows written.

    The file is written beside ``out`` under a temporary name and moved into place when
    complete, so a failed export leaves nothing behind. ``fmt="shp"`` writes a Shapefile set
    (``.shp`` with ``.shx``, ``.dbf``, ``.prj``, ``.cpg`` beside it) when ``out`` ends in
    ``.shp``, otherwise one ``.zip`` holding the set. ``out``'s folder must exist.
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    f = FORMATS[fmt]
    q = build_query(
        what, public=public, fields=fields or [], shp=fmt == "shp", table=f.driver is None
    )
    work = Path(tempfile.mkdtemp(prefix=".geo-export-", dir=out.parent))
    try:
        part = work / out.name
        if f.driver is None:
            n = _table(engine, q, fmt, part, chunk_rows)
        elif fmt == "shp":
            n = _shapefile(engine, q, part, chunk_rows)
        else:
            n = _gis(engine, q, f, part, chunk_rows)
        if fmt == "shp" and out.suffix.lower() == ".shp":
            _move_shapefile_set(work, out)
        else:
            os.replace(part, out)
        return n
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _gis(engine: Engine, q: Query, f: Format, out: Path, chunk_rows: int) -> int:
    n = 0
    for i, df in enumerate(_chunks(engine, q.sql, chunk_rows)):
        pyogrio.write_dataframe(
            _gdf(df),
            out,
            driver=f.driver,
            layer=q.what,
            append=i > 0,
            geometry_type=q.geometry_type,
            promote_to_multi=q.geometry_type == "MultiPolygon",
        )
        n += len(df)
    if n == 0:  # still a valid, empty file
        empty = gpd.GeoDataFrame({k: pd.Series(dtype=object) for k, _, _ in q.cols})
        empty = empty.set_geometry(gpd.GeoSeries([], crs=STORAGE_SRID))
        pyogrio.write_dataframe(
            empty, out, driver=f.driver, layer=q.what, geometry_type=q.geometry_type
        )
    return n


#: the files of one Shapefile set; stale spatial indexes of an older set are removed too
_SHP_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_SHP_STALE = (".qix", ".sbn", ".sbx")


def _move_shapefile_set(work: Path, out: Path) -> None:
    for ext in _SHP_STALE:
        out.with_suffix(ext).unlink(missing_ok=True)
    for ext in _SHP_SIDECARS:
        src = (work / out.name).with_suffix(ext)
        if src.exists():
            os.replace(src, out.with_suffix(ext))


def _shapefile(engine: Engine, q: Query, out: Path, chunk_rows: int) -> int:
    """A Shapefile set at ``out`` (ending in .shp), else a .zip of the set at ``out``."""
    as_set = out.suffix.lower() == ".shp"
    folder = out.parent if as_set else Path(tempfile.mkdtemp(prefix="set-", dir=out.parent))
    # ``out.parent`` is export()'s private work folder: nothing else is in it
    shp = out if as_set else folder / f"{q.what}.shp"
    n = 0
    for i, df in enumerate(_chunks(engine, q.sql, chunk_rows)):
        gdf = _gdf(df).rename(columns=SHP_NAMES)
        pyogrio.write_dataframe(
            gdf,
            shp,
            driver="ESRI Shapefile",
            encoding="UTF-8",  # writes the .cpg
            append=i > 0,
            geometry_type=q.geometry_type,
            promote_to_multi=q.geometry_type == "MultiPolygon",
        )
        n += len(df)
    if n == 0:
        raise InvalidInput(f"no {q.what} to export; a Shapefile cannot be empty")
    if not as_set:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(folder.iterdir()):
                zf.write(p, p.name)
    return n


def _display(key: str, v: Any, zh: bool, what: str = "") -> Any:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if zh and isinstance(v, bool):
        return "是" if v else "否"
    if zh and key in CONDITION_ZH:
        return STATUS_ZH.get(v, v)
    if zh and what == "parcels":
        if key == "indicators":
            return labels.indicators_text(v)
        if key == "land_use":
            return labels.LAND_USE_ZH.get(v, v)
        if key == "supply_stage":
            return labels.SUPPLY_STAGE_ZH.get(v, v)
    if zh and PROJECT_KINDS.get(key) == "domain":
        return DOMAIN_ZH.get(v, v)
    if zh and PROJECT_KINDS.get(key) == "status":
        return lifecycle.LABEL_ZH.get(v, v)
    return v


def _table(engine: Engine, q: Query, fmt: str, out: Path, chunk_rows: int) -> int:
    """XLSX (Chinese headers, write-only workbook) or CSV (UTF-8 with BOM for Excel).

    Empty cells stay empty, and CSV text that a spreadsheet would run as a formula is quoted
    (``text.csv_cell``). Projects carry the ledger's own 经度/纬度; other tables get the
    centre's lon/lat as two extra columns.
    """
    keys = [k for k, _, _ in q.cols]
    zh = [h for _, _, h in q.cols]
    centre = q.what != "projects"
    tail_keys, tail_zh = (["_lon", "_lat"], ["中心经度", "中心纬度"]) if centre else ([], [])
    n = 0
    if fmt == "csv":
        with out.open("w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow([*keys, *(["lon", "lat"] if centre else [])])
            for df in _chunks(engine, q.sql, chunk_rows):
                for row in df[[*keys, *tail_keys]].itertuples(index=False):
                    w.writerow([csv_cell(v) for v in row])
                n += len(df)
        return n
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(
        title={"parcels": "地块", "projects": LEDGER_SHEET, "readiness": "净地条件"}[q.what]
    )
    for i, h in enumerate([*zh, *tail_zh]):
        ws.column_dimensions[_col_letter(i)].width = max(10, len(h) * 2 + 2)
    ws.append([*zh, *tail_zh])
    names = [*keys, *(["", ""] if centre else [])]
    for df in _chunks(engine, q.sql, chunk_rows):
        for row in df[[*keys, *tail_keys]].itertuples(index=False):
            ws.append(
                xlsx_cells(
                    ws, [_display(k, v, True, q.what) for k, v in zip(names, row, strict=True)]
                )
            )
        n += len(df)
    wb.save(out)
    return n


def _col_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(i + 1))
