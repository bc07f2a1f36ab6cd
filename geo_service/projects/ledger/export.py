"""The ledger exported to XLSX: 项目台账 and 问题清单 with Chinese headers."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo_service.parcels.models import Parcel
from geo_service.projects import lifecycle
from geo_service.projects.ledger.columns import (
    COLUMNS,
    DOMAIN_ZH,
    PROBLEM_COLUMNS,
    PROBLEM_SHEET,
    PROBLEM_ZH,
    SHEET,
    Column,
)
from geo_service.projects.models import (
    Problem,
    Project,
)
from geo_service.projects.repository import latest_year
from geo_service.text import xlsx_cells

# ---------------------------------------------------------------- export


def export_ledger(session: Session, *, year: int | None = None) -> bytes:
    """The ledger of one year (default: the latest) as an XLSX workbook."""
    year = year or latest_year(session)
    rows = session.execute(
        select(
            Project,
            Parcel.code.label("parcel_code"),
            func.ST_X(func.ST_PointOnSurface(Project.geom)).label("lon"),
            func.ST_Y(func.ST_PointOnSurface(Project.geom)).label("lat"),
        )
        .outerjoin(Parcel, Parcel.id == Project.parcel_id)
        .where(Project.year == year)
        .order_by(Project.code)
    ).all()
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([c.header for c in COLUMNS])
    for r in rows:
        p: Project = r.Project
        values: list[Any] = []
        for c in COLUMNS:
            if c.field in ("parcel_code", "lon", "lat"):
                v = getattr(r, c.field)
                v = round(v, 7) if isinstance(v, float) else v
            else:
                v = getattr(p, c.field)
            if c.kind == "domain":
                v = DOMAIN_ZH.get(v, v)
            elif c.kind == "status":
                v = lifecycle.LABEL_ZH.get(v, v)
            elif c.kind == "bool":
                v = "是" if v else "否"
            elif c.kind == "money" and v is not None:
                v = float(v)  # Excel numbers are doubles; 2 decimals survive the round trip
            values.append(v)
        ws.append(xlsx_cells(ws, values))
    _format(ws, COLUMNS)

    ps = wb.create_sheet(PROBLEM_SHEET)
    ps.append([c.header for c in PROBLEM_COLUMNS])
    for pr, code in session.execute(
        select(Problem, Project.code)
        .join(Project, Project.id == Problem.project_id)
        .where(Project.year == year)
        .order_by(Problem.code)
    ).all():
        values = [
            code
            if c.field == "project"
            else PROBLEM_ZH.get(pr.status, pr.status)
            if c.kind == "problem_status"
            else getattr(pr, c.field)
            for c in PROBLEM_COLUMNS
        ]
        ps.append(xlsx_cells(ps, values))
    _format(ps, PROBLEM_COLUMNS)
    ps.freeze_panes = "B2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _format(ws: Any, columns: Iterable[Column]) -> None:
    for i, c in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = c.width
        fmt = {"money": "0.00", "date": "yyyy-mm-dd", "float": "0.0000000"}.get(c.kind)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "C2"
