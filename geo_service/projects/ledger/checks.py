"""Checking every row of both sheets before anything is written: a plan, or problems named by
sheet, row and column."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo_service.errors import InvalidInput
from geo_service.parcels.models import Parcel
from geo_service.projects import lifecycle
from geo_service.projects.edits import SNAPSHOT_FIELDS
from geo_service.projects.ledger.cells import PARSERS
from geo_service.projects.ledger.columns import (
    BY_FIELD,
    HEADER_MAP,
    NOT_NULL,
    Column,
    norm,
)
from geo_service.projects.ledger.reading import Sheet
from geo_service.projects.models import (
    InvestmentReport,
    Project,
)

# ---------------------------------------------------------------- import


def _looks_like(header: str, header_map: dict[str, Column] = HEADER_MAP) -> Column | None:
    """The column an unknown header most likely means (计划开工日期 → 计划开工时间), if any.

    Such a column is refused rather than ignored: its edits would silently be lost.
    """
    match = difflib.get_close_matches(norm(header), list(header_map), n=1, cutoff=0.6)
    return header_map[match[0]] if match else None


def map_columns(
    sheet: Sheet,
    *,
    filename: str,
    header_map: dict[str, Column],
    kind: str,
    key_message: str,
    ignored: list[str],
    problems: list[str],
    ignored_suffix: str = "",
) -> dict[str, Column]:
    """The sheet's headers → its columns. A header that resembles a known one is a problem (its
    edits would be lost); other unknown headers are listed in ``ignored``; the key column must
    be there (``key_message`` says why)."""
    cols: dict[str, Column] = {}
    for i, h in enumerate(sheet.headers):
        c = header_map.get(norm(h))
        if c is None:
            if not h:
                continue
            like = _looks_like(h, header_map)
            if like is None:
                ignored.append(f"{h}{ignored_suffix}")
            else:
                problems.append(
                    f"{filename}, sheet {sheet.name}, column {h} ({get_column_letter(i + 1)}) is "
                    f"not a {kind} column, so its values would be lost; did you mean "
                    f"{like.header}? Rename the header to {like.header} (or delete the column)"
                )
        elif c.field in {x.field for x in cols.values()}:
            raise InvalidInput(f"{filename}, sheet {sheet.name}: column {c.header} appears twice")
        else:
            cols[h] = c
    if "code" not in {c.field for c in cols.values()}:
        raise InvalidInput(f"{filename}, sheet {sheet.name}: {key_message}")
    return cols


def parse_cells(
    n: int,
    raw: dict[str, Any],
    cols: dict[str, Column],
    where: Callable[[int, str], str],
    problems: list[str],
    *,
    by_field: bool,
) -> tuple[dict[str, Any], bool]:
    """Row ``n``'s cells parsed by their column's kind; a bad cell is a problem at
    ``where(n, header)`` (or ``where(n, field)`` with ``by_field``).

    Returns the row (field → value, empty cells None) and whether any cell was bad.
    """
    row: dict[str, Any] = {}
    bad = False
    for h, c in cols.items():
        v = raw.get(h)
        if v is None or (isinstance(v, str) and v.strip() == ""):
            row[c.field] = None
            continue
        fn, expect = PARSERS[c.kind]
        try:
            row[c.field] = fn(v)
        except (ValueError, InvalidOperation, TypeError, OverflowError):
            problems.append(
                f"{where(n, c.field if by_field else h)}: {str(v)[:60]!r} is not {expect}"
            )
            bad = True
    return row, bad


@dataclass
class ProjectPlan:
    codes: set[str] = field(default_factory=set)  # the projects the file names, all valid
    writes: list[dict[str, Any]] = field(default_factory=list)
    audits: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: the project codes by outcome, listed in the import's answer
    by_outcome: dict[str, list[str]] = field(
        default_factory=lambda: {"created": [], "updated": [], "unchanged": []}
    )


def check_projects(
    session: Session,
    sheet: Sheet,
    *,
    filename: str,
    ignored: list[str],
    problems: list[str],
    max_problems: int,
) -> ProjectPlan:
    """Every cell and rule of the projects sheet; adds to ``problems``, writes nothing."""
    cols = map_columns(
        sheet,
        filename=filename,
        header_map=HEADER_MAP,
        kind="ledger",
        key_message="no 项目编号 column; the ledger matches projects by it (export the ledger "
        "first to get the right headers)",
        ignored=ignored,
        problems=problems,
    )
    letters = {h: get_column_letter(i + 1) for i, h in enumerate(sheet.headers)}

    def where(n: int, h: str | None = None) -> str:
        unit = "feature" if sheet.geometry or sheet.name == "features" else "row"
        at = f"{filename}, sheet {sheet.name}, {unit} {n}"
        return at if h is None else f"{at}, column {h} ({letters.get(h, '?')})"

    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for n, raw in sheet.rows:
        row, _ = parse_cells(n, raw, cols, where, problems, by_field=False)
        code = row.get("code")
        if not code:
            if "code" not in row or row.get("code") is None:
                h = next(h for h, c in cols.items() if c.field == "code")
                problems.append(
                    f"{where(n, h)}: 项目编号 is empty; every project needs a unique code"
                )
            continue
        if code in seen:
            problems.append(f"{where(n)}: 项目编号 {code} is also on row {seen[code]}")
            continue
        seen[code] = n
        if (row.get("lon") is None) != (row.get("lat") is None):
            problems.append(f"{where(n)}: give both 经度 and 纬度, or neither")
        elif row.get("lon") is not None and not (
            -180 <= row["lon"] <= 180 and -90 <= row["lat"] <= 90
        ):
            problems.append(f"{where(n)}: 经度/纬度 must be degrees (EPSG:4490)")
        parsed.append((n, row))
        if len(problems) >= max_problems:
            break

    existing = existing_projects(session, [r["code"] for _, r in parsed])
    parcels = parcel_ids(session, {r["parcel_code"] for _, r in parsed if r.get("parcel_code")})
    plan = ProjectPlan(rows=len(parsed))
    writes, audits = plan.writes, plan.audits
    for n, row in parsed:
        old = existing.get(row["code"])
        merged: dict[str, Any] = dict(old["values"]) if old else dict.fromkeys(SNAPSHOT_FIELDS)
        merged["code"] = row["code"]
        for f in SNAPSHOT_FIELDS:
            if f in row and f != "code":
                merged[f] = row[f]
        if old is None:
            merged["status"] = merged.get("status") or "planned"
            merged["planned_investment_wan"] = merged.get("planned_investment_wan") or Decimal(0)
            merged["completed_wan"] = merged.get("completed_wan") or Decimal(0)
            merged["attracted_this_year"] = bool(merged.get("attracted_this_year"))
        missing = [f for f in NOT_NULL if merged.get(f) is None and f != "status"]
        if missing:
            heads = "、".join(BY_FIELD[f].header for f in missing)
            problems.append(f"{where(n)}: {heads} must be filled in")
            continue
        if merged.get("planned_investment_wan") is None:
            merged["planned_investment_wan"] = Decimal(0)
        if merged.get("completed_wan") is None:
            merged["completed_wan"] = Decimal(0)
        if merged.get("attracted_this_year") is None:
            merged["attracted_this_year"] = False
        if not merged.get("status"):
            merged["status"] = old["values"]["status"] if old else "planned"
        try:
            lifecycle.check_transition(old["values"]["status"] if old else None, merged)
        except InvalidInput as e:
            problems.append(f"{where(n)}: {e.public}")
            continue
        if merged["planned_investment_wan"] > merged["total_investment_wan"]:
            problems.append(f"{where(n)}: 年度计划投资 exceeds 总投资")
            continue
        if old and old["reported"] is not None and "completed_wan" in row:
            was = old["values"]["completed_wan"]
            if row["completed_wan"] is not None and row["completed_wan"] != was:
                problems.append(
                    f"{where(n)}: 累计完成投资 comes from the monthly investment reports ({was}); "
                    "change a month's report instead of this cell"
                )
                continue
        pc = row.get("parcel_code") if "parcel_code" in row else None
        if pc and pc not in parcels:
            problems.append(f"{where(n)}: 关联地块 {pc} is not a parcel in the register")
            continue
        geom_wkb = sheet.geometry.get(n)
        changed = old is None or any(merged[f] != old["values"][f] for f in SNAPSHOT_FIELDS)
        if old is None:
            plan.created += 1
        elif changed:
            plan.updated += 1
        else:
            plan.unchanged += 1
        outcome = "created" if old is None else "updated" if changed else "unchanged"
        plan.by_outcome[outcome].append(row["code"])
        plan.codes.add(row["code"])
        writes.append(
            merged
            | {
                "wkb": geom_wkb,
                "lon": row.get("lon"),
                "lat": row.get("lat"),
                "has_parcel": "parcel_code" in row,
                "parcel_id": parcels.get(pc) if pc else None,
            }
        )
        if changed:
            audits.append((row["code"], jsonable(old["values"]) if old else None, merged))
    return plan


def jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k in SNAPSHOT_FIELDS:
        v = d.get(k)
        out[k] = (
            v.isoformat() if isinstance(v, date) else f"{v:.2f}" if isinstance(v, Decimal) else v
        )
    return out


def existing_projects(session: Session, codes: list[str]) -> dict[str, dict[str, Any]]:
    if not codes:
        return {}
    reported = (
        select(func.sum(InvestmentReport.completed_wan))
        .where(InvestmentReport.project_id == Project.id)
        .correlate(Project)
        .scalar_subquery()
    )
    out = {}
    for p, rep in session.execute(
        select(Project, reported.label("reported")).where(Project.code.in_(codes))
    ).all():
        out[p.code] = {
            "values": {f: getattr(p, f) for f in SNAPSHOT_FIELDS},
            "reported": rep,
        }
    return out


def parcel_ids(session: Session, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = session.execute(select(Parcel.code, Parcel.id).where(Parcel.code.in_(codes)))
    return {code: pid for code, pid in rows}
