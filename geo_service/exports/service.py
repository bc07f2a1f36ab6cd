"""Files out: parcels, projects, readiness as GeoJSON, GeoPackage, Shapefile zip, KML, XLSX, CSV.

Rows stream from PostGIS in chunks (a server-side cursor) and are appended to the file chunk by
chunk, so 100 000 parcels never sit in memory at once. GIS formats are written by pyogrio, Excel
by openpyxl's write-only mode. Field names of GIS files are the English keys the importers read
back (an exported file imported again changes nothing); XLSX carries Chinese headers for people.
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
from geo_service.projects import lifecycle
from geo_service.projects.ledger import COLUMNS as LEDGER_COLUMNS
from geo_service.projects.ledger import DOMAIN_ZH
from geo_service.projects.ledger import SHEET as LEDGER_SHEET
from geo_service.projects.ledger import Column as LedgerColumn
from geo_service.spatial import SQM_PER_MU, STORAGE_SRID
from geo_service.text import csv_cell, xlsx_cells

WHATS = ("parcels", "projects", "readiness")


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
_PARCEL_COLS: tuple[tuple[str, str, str], ...] = (
    ("code", "p.code", "地块编号"),
    ("name", "p.name", "地块名称"),
    ("zone", "z.code", "园区"),
    ("area_m2", "round(p.area_m2::numeric, 1)::float8", "面积(平方米)"),
    ("area_mu", f"round((p.area_m2 / {SQM_PER_MU!r})::numeric, 2)::float8", "面积(亩)"),
    ("land_use", "p.land_use", "用途"),
    ("industry", "p.industry", "产业"),
    ("supply_stage", "p.supply_stage", "供地阶段"),
    ("indicators", "p.indicators::text", "控制指标"),
    ("contact", "p.contact", "联系人"),
    ("net_land", "coalesce(nl.net_land, false)", "是否净地"),
    ("published", "p.published", "是否公开"),
    ("notes", "p.notes", "备注"),
)
_NET_LAND = """LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE c.status = 'met') = 5 AS net_land
    FROM parcel_conditions c WHERE c.parcel_id = p.id) nl ON true"""


def _project_expr(c: LedgerColumn) -> str:
    if c.field == "parcel_code":
        return "pa.code"
    if c.field in ("lon", "lat"):
        fn = "ST_X" if c.field == "lon" else "ST_Y"
        return f"round({fn}(ST_PointOnSurface(p.geom))::numeric, 7)::float8"
    if c.kind == "date":
        return f"to_char(p.{c.field}, 'YYYY-MM-DD')"
    if c.kind == "money":
        return f"p.{c.field}::float8"
    return f"p.{c.field}"


#: the ledger's own columns (projects/ledger/columns.py): an exported file is a ledger that
#: ``geo-service import projects`` reads back (XLSX headers 项目编号 …, CSV/GIS keys code …)
_PROJECT_COLS: tuple[tuple[str, str, str], ...] = tuple(
    (c.field, _project_expr(c), c.header) for c in LEDGER_COLUMNS
)
_PROJECT_KINDS = {c.field: c.kind for c in LEDGER_COLUMNS}

_CONDITION_ZH = {
    "water": "通水",
    "power": "通电",
    "road": "通路",
    "leveling": "场地平整",
    "title": "权属清晰",
}
_STATUS_ZH = {"met": "已满足", "unmet": "未满足", "unknown": "未知"}
_READINESS_COLS: tuple[tuple[str, str, str], ...] = (
    ("code", "p.code", "地块编号"),
    ("name", "p.name", "地块名称"),
    ("zone", "z.code", "园区"),
    ("area_mu", f"round((p.area_m2 / {SQM_PER_MU!r})::numeric, 2)::float8", "面积(亩)"),
    ("net_land", "coalesce(r.met = 5, false)", "是否净地"),
    *((k, f"coalesce(r.{k}, 'unknown')", zh) for k, zh in _CONDITION_ZH.items()),
    ("checked_at", "to_char(r.checked_at, 'YYYY-MM-DD HH24:MI')", "检查时间"),
)
_READINESS_JOIN = (
    "LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE c.status = 'met') AS met, max(c.checked_at)"  # noqa: S608 -- fixed fragments only; values bound
    " AS checked_at, "
    + ", ".join(f"max(c.status) FILTER (WHERE c.condition = '{k}') AS {k}" for k in _CONDITION_ZH)
    + " FROM parcel_conditions c WHERE c.parcel_id = p.id) r ON true"
)

_SHP_NAMES = {  # Shapefile field names are at most 10 characters
    "supply_stage": "supply_sta",
    "total_investment_wan": "total_wan",
    "planned_investment_wan": "plan_wan",
    "completed_wan": "done_wan",
    "responsible_unit": "resp_unit",
    "planned_start": "plan_start",
    "actual_start": "act_start",
    "planned_completion": "plan_compl",
    "actual_completion": "act_compl",
    "checked_at": "checked",
    "in_production_on": "in_prod_on",
    "attracted_this_year": "attracted",
    "source_region": "src_region",
    "parcel_code": "parcel",
}


@dataclass
class Query:
    what: str
    cols: tuple[tuple[str, str, str], ...]
    sql: str
    geometry_type: str


#: DBF text holds at most 254 bytes: long JSON and free text stay out of Shapefiles (an absent
#: column is kept as it is on re-import, so the round trip still changes nothing)
_NOT_IN_SHP = {"indicators", "notes", "description"}


#: the parcels tables (XLSX/CSV) also carry each condition's status (通水 … 权属清晰); GIS files
#: keep the importer's own fields only
_PARCEL_CONDITION_COLS: tuple[tuple[str, str, str], ...] = tuple(
    (k, f"coalesce(r.{k}, 'unknown')", zh) for k, zh in _CONDITION_ZH.items()
)


def build_query(
    what: str, *, public: bool, fields: list[str], shp: bool = False, table: bool = False
) -> Query:
    """The SELECT of one export; the public gets published parcels and public fields only.

    ``table`` (XLSX/CSV) adds the per-condition status columns to the parcels.
    """
    if what == "parcels":
        cols = _PARCEL_COLS
        join = _NET_LAND
        if table:
            at = [k for k, _, _ in cols].index("net_land") + 1
            cols = (*cols[:at], *_PARCEL_CONDITION_COLS, *cols[at:])
            join = f"{_NET_LAND} {_READINESS_JOIN}"
        if public:
            cols = tuple(c for c in cols if c[0] in fields)
        if shp:
            cols = tuple(c for c in cols if c[0] not in _NOT_IN_SHP)
        where = "WHERE p.published" if public else ""
        frm = f"FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {join} {where}"
        geom, gtype = "p.geom", "MultiPolygon"
    elif what == "readiness":
        cols = _READINESS_COLS
        frm = f"FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {_READINESS_JOIN}"
        geom, gtype = "p.geom", "MultiPolygon"
    elif what == "projects":
        cols = _PROJECT_COLS
        if shp:
            cols = tuple(c for c in cols if c[0] not in _NOT_IN_SHP)
        frm = "FROM projects p LEFT JOIN parcels pa ON pa.id = p.parcel_id"
        # a Shapefile holds one geometry type: projects become points there
        geom = "ST_PointOnSurface(p.geom)" if shp else "p.geom"
        gtype = "Point" if shp else "Unknown"
    else:
        raise InvalidInput(f"cannot export {what!r}; choose one of {', '.join(WHATS)}")
    select = ", ".join(f"{expr} AS {key}" for key, expr, _ in cols)
    sql = (
        f"SELECT {select}, ST_AsBinary({geom}) AS _wkb, "
        f"ST_X(ST_PointOnSurface({geom})) AS _lon, ST_Y(ST_PointOnSurface({geom})) AS _lat "
        f"{frm} ORDER BY p.code"
    )
    return Query(what, cols, sql, gtype)


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
        gdf = _gdf(df).rename(columns=_SHP_NAMES)
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
    if zh and key in _CONDITION_ZH:
        return _STATUS_ZH.get(v, v)
    if zh and what == "parcels":
        if key == "indicators":
            return labels.indicators_text(v)
        if key == "land_use":
            return labels.LAND_USE_ZH.get(v, v)
        if key == "supply_stage":
            return labels.SUPPLY_STAGE_ZH.get(v, v)
    if zh and _PROJECT_KINDS.get(key) == "domain":
        return DOMAIN_ZH.get(v, v)
    if zh and _PROJECT_KINDS.get(key) == "status":
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
