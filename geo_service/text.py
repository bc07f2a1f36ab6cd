"""Text that leaves the service in files: Excel-safe cells."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
