"""Text that leaves the service in files: Excel-safe cells, CSV-safe cells."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet


def xlsx_cells(ws: Worksheet | WriteOnlyWorksheet, values: Iterable[Any]) -> list[Any]:
    """Cells for ``ws.append``: control characters dropped, and text that starts with ``=``
    stays text (openpyxl would otherwise store it as a formula that Excel runs)."""
    out: list[Any] = []
    for v in values:
        if isinstance(v, str):
            v = ILLEGAL_CHARACTERS_RE.sub("", v)
            if v.startswith("="):
                cell = WriteOnlyCell(ws, value=v)  # type: ignore[arg-type]
                cell.data_type = "s"
                out.append(cell)
                continue
        out.append(v)
    return out


#: what a spreadsheet reads as the start of a formula (OWASP "CSV injection")
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def csv_cell(v: Any) -> Any:
    """One CSV cell: empty for None/NaN, numbers unchanged, and text that a spreadsheet would
    run as a formula (starting with ``= + - @``, tab or CR) prefixed with a single quote.

    Text that is just a number (``-12.5``) stays as it is: it cannot be a formula.
    """
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, str) and v.startswith(CSV_FORMULA_START) and not _PLAIN_NUMBER.match(v):
        return "'" + v
    return v


def csv_text_in(v: str) -> str:
    """Undo :func:`csv_cell` on import: ``'=x`` read back from our own CSV is ``=x`` again."""
    if len(v) > 1 and v[0] == "'" and v[1:].startswith(CSV_FORMULA_START):
        return v[1:]
    return v
