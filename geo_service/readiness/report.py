"""The readiness report per parcel, as CSV (UTF-8 with BOM, opens in Excel) or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any, BinaryIO

from geo_service.errors import InvalidInput
from geo_service.readiness.rules import SPATIAL
from geo_service.settings import CONDITIONS
from geo_service.text import csv_cell, xlsx_cells

FORMATS = ("xlsx", "csv")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: (column key, header shown to the bureau)
COLUMNS: list[tuple[str, str]] = [
    ("code", "地块编号 code"),
    ("name", "地块名称 name"),
    ("zone", "园区 zone"),
    ("area_mu", "面积(亩) area_mu"),
    ("supply_stage", "供应阶段 supply_stage"),
    ("published", "已公开 published"),
    ("net_land", "净地 net_land"),
    ("ready_for_supply", "可供应 ready_for_supply"),
    ("labels", "标签 labels"),
    ("missing", "缺少条件 missing"),
    ("missing_assessments", "缺少区域评估 missing_assessments"),
]
for _c in CONDITIONS:
    COLUMNS += [(f"{_c}_status", f"{_c} status"), (f"{_c}_method", f"{_c} method")]
    if _c in SPATIAL:
        COLUMNS += [(f"{_c}_nearest", f"{_c} nearest"), (f"{_c}_distance_m", f"{_c} distance_m")]
    COLUMNS += [(f"{_c}_verified_at", f"{_c} verified_at"), (f"{_c}_reason", f"{_c} reason")]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    return fmt


def _cell(v: Any) -> Any:
    if isinstance(v, bool):
        return "是" if v else "否"
    return v


def write(
    rows: Iterable[dict[str, Any]],
    fmt: str,
    out: BinaryIO,
    extra_sheets: Mapping[str, Iterable[list[Any]]] | None = None,
) -> int:
    """Write the report rows to ``out``; return the number of parcels written.

    ``extra_sheets`` (XLSX only: sheet name → rows, header first) are added after the report,
    e.g. the records sheets a clerk fills in (``records_sheet.sheet_rows``).
    """
    check_format(fmt)
    n = 0
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        w = csv.writer(text)
        w.writerow([h for _, h in COLUMNS])
        for r in rows:
            w.writerow([csv_cell(_cell(r.get(k))) for k, _ in COLUMNS])
            n += 1
        text.flush()
        text.detach()
        return n
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("净地条件 readiness")
    ws.freeze_panes = "B2"
    ws.append([h for _, h in COLUMNS])
    for r in rows:
        ws.append(xlsx_cells(ws, [_cell(r.get(k)) for k, _ in COLUMNS]))
        n += 1
    for title, sheet_rows in (extra_sheets or {}).items():
        extra = wb.create_sheet(title)
        extra.freeze_panes = "C2"
        it = iter(sheet_rows)
        header = next(it, [])
        for i, h in enumerate(header):  # widths must be set before the first row is written
            extra.column_dimensions[get_column_letter(i + 1)].width = min(40, len(str(h)) + 8)
        extra.append(xlsx_cells(extra, header))
        for values in it:
            extra.append(xlsx_cells(extra, values))
    wb.save(out)
    return n
