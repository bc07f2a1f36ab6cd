"""Reading files into GeoDataFrames: GIS formats through pyogrio, point tables through pandas.

Nothing here parses a GIS format by hand. Shapefile text encoding comes from the ``.cpg``; without
one, UTF-8 is tried and then GB18030 (a superset of GBK/GB2312, what Chinese DBFs usually are),
so a name never arrives as mojibake.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geo_service.errors import InvalidInput
from geo_service.importers.columns import blank, header_map, text_value

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".kml", ".fgb"}
TABLE_SUFFIXES = {".csv", ".xlsx", ".xlsm", ".txt"}
SHAPEFILE_ENCODINGS = ("UTF-8", "GB18030")
MAX_UNZIPPED_BYTES = 2_000_000_000


@dataclass
class Source:
    """A file read into memory, before any checking."""

    name: str
    gdf: gpd.GeoDataFrame
    #: where each feature came from, for messages: "feature 3", "rows 2–9"
    locations: list[str]
    columns: dict[str, str]  # source header → field
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    table: bool = False


@contextmanager
def opened(path: Path, display: str) -> Iterator[Path]:
    """The readable file itself; a ``.zip`` is unpacked to a temporary folder first."""
    if path.suffix.lower() != ".zip":
        yield path
        return
    tmp = Path(tempfile.mkdtemp(prefix="geo-import-"))
    try:
        try:
            with zipfile.ZipFile(path) as zf:
                if sum(i.file_size for i in zf.infolist()) > MAX_UNZIPPED_BYTES:
                    raise InvalidInput(f"{display}: unpacked size exceeds 2 GB; split the file")
                for info in zf.infolist():
                    target = (tmp / info.filename).resolve()
                    if not target.is_relative_to(tmp.resolve()):
                        raise InvalidInput(f"{display}: the zip holds a path outside itself")
                zf.extractall(tmp)
        except zipfile.BadZipFile:
            raise InvalidInput(f"{display} is not a readable zip archive") from None
        found = sorted(
            p
            for p in tmp.rglob("*")
            if p.suffix.lower() in VECTOR_SUFFIXES | TABLE_SUFFIXES and not p.name.startswith(".")
        )
        shps = [p for p in found if p.suffix.lower() == ".shp"]
        pick = shps or found
        if len(pick) != 1:
            names = ", ".join(p.name for p in pick) or "none"
            raise InvalidInput(
                f"{display}: a zip must hold exactly one Shapefile (.shp with .shx, .dbf, .prj) "
                f"or one GeoPackage/GeoJSON; found {names}"
            )
        yield pick[0]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read_shapefile(path: Path, display: str, notes: list[str]) -> gpd.GeoDataFrame:
    for side in (".shx", ".dbf"):
        if not any(path.with_suffix(s).exists() for s in (side, side.upper())):
            raise InvalidInput(
                f"{display}: the Shapefile needs its {side} file beside it; "
                "upload the .shp, .shx, .dbf and .prj together as one .zip"
            )
    cpgs = (path.with_suffix(".cpg"), path.with_suffix(".CPG"))
    cpg = next((p for p in cpgs if p.exists()), None)
    if cpg is not None:
        enc = cpg.read_text(errors="replace").strip() or "UTF-8"
        try:
            gdf = pyogrio.read_dataframe(path, encoding=enc)
        except (LookupError, UnicodeDecodeError):
            raise InvalidInput(
                f"{display}: its .cpg says the text is {enc!r}, but it does not decode so; "
                "fix or delete the .cpg"
            ) from None
        notes.append(f"text encoding {enc} (from the .cpg)")
        return gdf
    for enc in SHAPEFILE_ENCODINGS:
        try:
            gdf = pyogrio.read_dataframe(path, encoding=enc)
        except UnicodeDecodeError:
            continue
        notes.append(f"text encoding {enc} (detected; the Shapefile has no .cpg)")
        return gdf
    raise InvalidInput(
        f"{display}: its text is neither UTF-8 nor GBK/GB18030; add a .cpg file naming the "
        "encoding (e.g. a .cpg containing 'GBK')"
    )


def pick_layer(path: Path, layer: str | None, display: str) -> str | None:
    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError:
        raise InvalidInput(f"{display} cannot be opened as a GIS file") from None
    if layer is not None:
        if layer not in layers:
            raise InvalidInput(
                f"{display} has no layer {layer!r}; its layers are {', '.join(layers)} (--layer)"
            )
        return layer
    if len(layers) > 1:
        raise InvalidInput(
            f"{display} holds {len(layers)} layers ({', '.join(layers)}); choose one with --layer"
        )
    return None


def read_vector(
    path: Path, *, layer: str | None, display: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    notes: list[str] = []
    try:
        if path.suffix.lower() == ".shp":
            gdf = _read_shapefile(path, display, notes)
        else:
            chosen = pick_layer(path, layer, display)
            gdf = pyogrio.read_dataframe(path, layer=chosen)
            if chosen:
                notes.append(f"layer {chosen!r}")
    except pyogrio.errors.DataSourceError:
        raise InvalidInput(
            f"{display} cannot be read as GeoJSON, GeoPackage or Shapefile; check the file"
        ) from None
    return gdf, notes


# ------------------------------------------------------------ boundary-point tables


def _read_table(path: Path, *, sheet: str | None, display: str) -> tuple[pd.DataFrame, str]:
    """The table and where it is, for messages: ``"x.xlsx, sheet 界址点"`` or ``"x.csv"``."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            book = pd.ExcelFile(path, engine="openpyxl")
        except Exception:  # noqa: BLE001 - openpyxl raises many types for a broken file
            raise InvalidInput(f"{display} cannot be read as an Excel workbook (.xlsx)") from None
        names = [str(n) for n in book.sheet_names]
        if sheet is not None and sheet not in names:
            raise InvalidInput(f"{display} has no sheet {sheet!r}; its sheets: {', '.join(names)}")
        name = sheet or names[0]
        return pd.read_excel(book, sheet_name=name, dtype=object), f"{display}, sheet {name}"
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc), display
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"{display}: the CSV is neither UTF-8 nor GBK; save it as UTF-8")


#: no coordinate system the service reads has numbers this large (prefixed GK eastings are
#: below 46 000 000 m); a larger one is a typing error and would overflow the transforms
MAX_COORDINATE = 1e8


def _numbers(df: pd.DataFrame, col: str) -> np.ndarray:
    cleaned = df[col].map(lambda v: str(v).replace(",", "").replace(" ", "").strip())
    return pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float)


def _coordinate_problems(
    df: pd.DataFrame, cols: list[str], rowno: np.ndarray, where: str
) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    """Each coordinate column as numbers, with a cell that is not a finite, plausible number
    reported by row and column and set to NaN (so it takes no part in the CRS detection)."""
    out: dict[str, np.ndarray] = {}
    bad = np.zeros(len(df), dtype=bool)
    problems: list[str] = []
    letters = {str(c): _letter(i) for i, c in enumerate(df.columns)}
    for col in cols:
        v = _numbers(df, col).copy()
        wrong = ~np.isfinite(v) | (np.abs(v) > MAX_COORDINATE)
        for i in np.flatnonzero(wrong):
            raw = df[col].iloc[i]
            at = f"{where}, row {rowno[i]}, column {col} ({letters[col]})"
            if blank(raw) or str(raw).strip() == "":
                problems.append(f"{at}: the coordinate is empty")
            elif np.isnan(v[i]):
                problems.append(f"{at}: {str(raw)[:40]!r} is not a number")
            else:
                problems.append(
                    f"{at}: {str(raw)[:40]!r} is not a plausible coordinate (larger than "
                    f"{MAX_COORDINATE:,.0f}); check the cell"
                )
        v[wrong] = np.nan
        bad |= wrong
        out[col] = v
    return out, bad, problems


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(i + 1))


def _assemble(rings: list[np.ndarray]) -> Polygon | MultiPolygon:
    """Rings → polygon(s): the largest rings are shells, a ring inside a shell is its hole."""
    polys = sorted((Polygon(r) for r in rings), key=lambda p: -abs(p.area))
    shells: list[tuple[Polygon, list[Any]]] = []
    for p in polys:
        host = next((s for s in shells if s[0].contains(p.representative_point())), None)
        if host is None:
            shells.append((p, []))
        else:
            host[1].append(p.exterior.coords)
    parts = [Polygon(s.exterior.coords, holes) for s, holes in shells]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def read_points_table(
    path: Path, *, sheet: str | None, display: str, extra: Mapping[str, list[str]] | None
) -> Source:
    """A 界址点坐标表: one row per boundary point → one polygon per parcel code.

    Chinese survey tables write X = northing and Y = easting; a table whose "X" holds the
    8-digit zone-prefixed eastings is taken as swapped and said so in the report.
    """
    df, where = _read_table(path, sheet=sheet, display=display)
    df = df.dropna(how="all")
    cols = header_map([str(c) for c in df.columns], extra)
    df.columns = [str(c) for c in df.columns]
    by_field = {f: h for h, f in cols.items()}
    src = Source(name=display, gdf=gpd.GeoDataFrame(), locations=[], columns=cols, table=True)
    lonlat = "lon" in by_field and "lat" in by_field
    if "code" not in by_field:
        src.problems.append(
            f"{display}: no parcel-code column (地块编号, 宗地号 or code); found "
            f"{', '.join(map(str, df.columns))}"
        )
    if not lonlat and not ("x_north" in by_field and "y_east" in by_field):
        src.problems.append(
            f"{display}: needs coordinate columns X (northing) and Y (easting), or 经度/纬度; "
            f"found {', '.join(map(str, df.columns))}"
        )
    if src.problems:
        return src
    rowno = df.index.to_numpy() + 2  # spreadsheet row numbers (row 1 is the header)
    ecol, ncol = (
        (by_field["lon"], by_field["lat"]) if lonlat else (by_field["y_east"], by_field["x_north"])
    )
    nums, bad, coord_problems = _coordinate_problems(df, [ecol, ncol], rowno, where)
    east, north = nums[ecol], nums[ncol]
    if not lonlat and np.nanmin(north, initial=np.inf) >= 1e7 > np.nanmax(east, initial=-np.inf):
        north, east = east, north
        src.notes.append("X held the zone-prefixed eastings: X and Y taken as swapped")
    codes = df[by_field["code"]].map(text_value)
    no_code = codes.isna().to_numpy()
    for i in np.flatnonzero(no_code):
        src.problems.append(f"{where}, row {rowno[i]}: no parcel code")
    src.problems += coord_problems
    ring = (
        pd.to_numeric(df[by_field["ring"]], errors="coerce").fillna(1).to_numpy()
        if "ring" in by_field
        else np.ones(len(df))
    )
    seq = (
        pd.to_numeric(df[by_field["seq"]], errors="coerce").to_numpy()
        if "seq" in by_field
        else np.arange(len(df), dtype=float)
    )
    work = pd.DataFrame(
        {
            "code": codes,
            "ring": ring,
            "seq": seq,
            "x": east,
            "y": north,
            "row": rowno,
            "i": range(len(df)),
        }
    )[~bad & codes.notna().to_numpy()]
    geoms, locs, records = [], [], []
    point_fields = ("code", "ring", "seq", "x_north", "y_east", "lon", "lat")
    attr_fields = [f for f in by_field if f not in point_fields]
    for code, grp in work.groupby("code", sort=False):
        rings: list[np.ndarray] = []
        ordered = grp.sort_values(["ring", "seq", "i"], kind="stable")
        for rno, pts in ordered.groupby("ring", sort=True):
            xy = pts[["x", "y"]].to_numpy()
            if len(xy) > 1 and np.array_equal(xy[0], xy[-1]):
                xy = xy[:-1]  # the closing point is optional
            if len(np.unique(xy, axis=0)) < 3:
                src.problems.append(
                    f"{display} rows {pts.row.min()}–{pts.row.max()} (parcel {code}, ring "
                    f"{int(rno)}): a ring needs at least 3 distinct points, found {len(xy)}"
                )
                continue
            rings.append(xy)
        first = df.iloc[grp.i.to_numpy()]
        rec: dict[str, Any] = {by_field["code"]: code}
        for f in attr_fields:
            vals = [v for v in first[by_field[f]] if not blank(v)]
            rec[by_field[f]] = vals[0] if vals else None
        records.append(rec)
        geoms.append(_assemble(rings) if rings else None)
        locs.append(f"rows {grp.row.min()}–{grp.row.max()} (parcel {code})")
    src.gdf = gpd.GeoDataFrame(pd.DataFrame.from_records(records), geometry=geoms)
    src.locations = locs
    src.notes.append(f"{len(work)} boundary points → {len(geoms)} parcel(s)")
    return src


def read_source(
    path: Path,
    *,
    layer: str | None,
    display: str,
    extra: Mapping[str, list[str]] | None = None,
) -> Source:
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return read_points_table(path, sheet=layer, display=display, extra=extra)
    if suffix not in VECTOR_SUFFIXES:
        raise InvalidInput(
            f"{display}: unsupported file type {suffix or '(none)'}; use GeoJSON, GeoPackage, "
            "Shapefile (.shp or .zip), or a boundary-point table (.csv, .xlsx)"
        )
    gdf, notes = read_vector(path, layer=layer, display=display)
    cols = header_map([str(c) for c in gdf.columns if c != gdf.geometry.name], extra)
    return Source(
        name=display,
        gdf=gdf,
        locations=[f"feature {i + 1}" for i in range(len(gdf))],
        columns=cols,
        notes=notes,
    )


def coordinates(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    xy = shapely.get_coordinates(gdf.geometry.to_numpy())
    return xy[:, 0], xy[:, 1]
