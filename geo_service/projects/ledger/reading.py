"""Reading a ledger file (XLSX, CSV, GeoJSON) into rows of cells, sheet by sheet."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook

from geo_service.errors import InvalidInput
from geo_service.projects.ledger.columns import PROBLEM_SHEET, SHEET

# ---------------------------------------------------------------- reading


@dataclass
class Sheet:
    """Rows read from a file: (row number as the user sees it, {header: raw value})."""

    name: str
    headers: list[str]
    rows: list[tuple[int, dict[str, Any]]]
    geometry: dict[int, str] = field(default_factory=dict)  # row -> WKB hex (GeoJSON input)


def read_file(data: bytes, *, filename: str) -> Sheet:
    """The projects of a file: XLSX (sheet 项目台账, else the first), CSV (UTF-8 or GBK) or
    GeoJSON."""
    sheet, _ = read_workbook(data, filename=filename)
    if sheet is None:
        raise InvalidInput(f"{filename}: no sheet {SHEET}")
    return sheet


def read_workbook(data: bytes, *, filename: str) -> tuple[Sheet | None, Sheet | None]:
    """(projects, problems): an XLSX workbook's sheet 项目台账 (else the first other than
    问题清单; None when 问题清单 is its only sheet) and its sheet 问题清单 (None when absent).
    A CSV or GeoJSON file holds projects only."""
    lower = filename.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, filename)
    if lower.endswith(".csv"):
        return _read_csv(data, filename), None
    if lower.endswith((".geojson", ".json")):
        return _read_geojson(data, filename), None
    raise InvalidInput(
        f"{filename}: the ledger is read from .xlsx, .csv or .geojson files; save it as one"
    )


def _read_xlsx(data: bytes, filename: str) -> tuple[Sheet | None, Sheet | None]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 -- openpyxl raises many types for a damaged file
        raise InvalidInput(
            f"{filename} is not a readable XLSX workbook; save it from Excel as .xlsx"
        ) from None
    try:
        others = [ws for ws in wb.worksheets if ws.title != PROBLEM_SHEET]
        ws = wb[SHEET] if SHEET in wb.sheetnames else (others[0] if others else None)
        projects = _xlsx_rows(ws, filename) if ws is not None else None
        problems = (
            _xlsx_rows(wb[PROBLEM_SHEET], filename, empty_ok=True)
            if PROBLEM_SHEET in wb.sheetnames
            else None
        )
    finally:
        wb.close()
    return projects, problems


def _xlsx_rows(ws: Any, filename: str, *, empty_ok: bool = False) -> Sheet | None:
    it = ws.iter_rows(values_only=True)
    header_row = next(it, None)
    if header_row is None:
        if empty_ok:
            return None
        raise InvalidInput(f"{filename}, sheet {ws.title}: the sheet is empty")
    headers = [str(h).strip() if h is not None else "" for h in header_row]
    rows = []
    for n, values in enumerate(it, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        rows.append((n, dict(zip(headers, values, strict=False))))
    return Sheet(ws.title, headers, rows)


def _read_csv(data: bytes, filename: str) -> Sheet:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            content = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(f"{filename}: not UTF-8 or GBK text; save the CSV as UTF-8")
    reader = csv.reader(io.StringIO(content))
    headers = [h.strip() for h in next(reader, [])]
    rows = []
    for n, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        rows.append((n, dict(zip(headers, values, strict=False))))
    return Sheet("csv", headers, rows)


def _read_geojson(data: bytes, filename: str) -> Sheet:
    from shapely.geometry import shape

    try:
        doc = json.loads(data)
        features = doc["features"] if doc.get("type") == "FeatureCollection" else [doc]
    except (ValueError, KeyError, AttributeError, TypeError):
        raise InvalidInput(f"{filename} is not a GeoJSON FeatureCollection") from None
    headers: list[str] = []
    rows, geoms = [], {}
    for n, f in enumerate(features, start=1):
        props = dict(f.get("properties") or {})
        if "code" not in props and f.get("id") is not None:
            props["code"] = f["id"]
        for k in props:
            if k not in headers:
                headers.append(k)
        if f.get("geometry"):
            try:
                g = shape(f["geometry"])
            except Exception:  # noqa: BLE001
                raise InvalidInput(f"{filename}, feature {n}: the geometry is not valid") from None
            if not g.is_valid:
                raise InvalidInput(f"{filename}, feature {n}: the geometry is not valid")
            geoms[n] = g.wkb_hex
        rows.append((n, props))
    return Sheet("features", headers, rows, geoms)
