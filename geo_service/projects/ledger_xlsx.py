"""The ledger (台账) as a file: export to XLSX with Chinese headers, import from XLSX/CSV/GeoJSON.

Export → edit in Excel → import updates the projects named by 项目编号. Every cell is checked
first; a bad cell is reported by sheet, row and column and then nothing is written. Status
changes in the file follow the same lifecycle as the API.
"""

# ruff: noqa: S608  -- only module constants are interpolated; values are always bound

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from geo_service import audit
from geo_service.audit import ImportRecord
from geo_service.errors import ImportRejected, InvalidInput
from geo_service.parcels.models import Parcel
from geo_service.projects import lifecycle
from geo_service.projects import problems as problem_rules
from geo_service.projects.edits import SNAPSHOT_FIELDS
from geo_service.projects.models import (
    DOMAINS,
    PROBLEM_STATUSES,
    STATUSES,
    InvestmentReport,
    Problem,
    Project,
)
from geo_service.projects.repository import latest_year
from geo_service.projects.schemas import ProblemIn, ProblemUpdate
from geo_service.text import csv_text_in, xlsx_cells

SHEET = "项目台账"
PROBLEM_SHEET = "问题清单"
DOMAIN_ZH = {
    "innovation": "创新能力提升",
    "infrastructure": "基础设施建设",
    "industrial_transformation": "产业转型发展",
    "green_low_carbon": "绿色低碳转型",
    "livelihood": "民生和社会事业改善",
}
ZH_DOMAIN = {v: k for k, v in DOMAIN_ZH.items()}
PROBLEM_ZH = {"open": "未整改", "in_progress": "整改中", "resolved": "已解决"}


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: str  # text | int | money | date | bool | domain | status | float
    aliases: tuple[str, ...] = ()
    width: int = 14


#: the one column table of the ledger; ``geo-service export projects`` writes it too.
#: Aliases include older exports' headers (计划开工, 已完成投资(万元), 中心经度 …).
COLUMNS: tuple[Column, ...] = (
    Column("code", "项目编号", "text", ("编号", "项目代码"), 14),
    Column("name", "项目名称", "text", (), 36),
    Column("year", "年度", "int", ("台账年度",), 8),
    Column("domain", "所属领域", "domain", ("领域", "项目类别"), 18),
    Column("industry", "行业", "text", ("所属行业",), 12),
    Column("description", "建设内容", "text", ("建设规模及内容", "建设规模和内容"), 40),
    Column("status", "项目状态", "status", ("状态", "进展状态"), 10),
    Column("total_investment_wan", "总投资(万元)", "money", ("总投资",), 14),
    Column("planned_investment_wan", "年度计划投资(万元)", "money", ("年度计划投资",), 16),
    Column(
        "completed_wan", "累计完成投资(万元)", "money", ("完成投资(万元)", "已完成投资(万元)"), 16
    ),
    Column("leader", "分包领导", "text", ("包联领导", "分包县级领导"), 22),
    Column("responsible_unit", "责任单位", "text", ("牵头单位",), 18),
    Column("signed_on", "签约时间", "date", (), 12),
    Column("planned_start", "计划开工时间", "date", ("计划开工",), 12),
    Column("actual_start", "开工时间", "date", ("实际开工时间", "实际开工"), 12),
    Column("planned_completion", "计划竣工时间", "date", ("计划竣工",), 12),
    Column("actual_completion", "竣工时间", "date", ("实际竣工时间", "实际竣工"), 12),
    Column("in_production_on", "投产时间", "date", (), 12),
    Column("attracted_this_year", "本年招引", "bool", ("是否本年招引",), 10),
    Column("source_region", "来源地区", "text", ("招商来源地",), 10),
    Column("parcel_code", "关联地块", "text", ("地块编号", "parcel"), 14),
    Column("lon", "经度", "float", ("lon", "longitude", "中心经度"), 12),
    Column("lat", "纬度", "float", ("lat", "latitude", "中心纬度"), 12),
)
BY_FIELD = {c.field: c for c in COLUMNS}
REQUIRED_NEW = ("name", "year", "domain", "total_investment_wan")
NOT_NULL = ("name", "year", "domain", "total_investment_wan", "status")


#: the 问题清单 sheet; kind "problem_status" is 未整改/整改中/已解决 (or the API keys).
#: 问题描述, 发现时间 and 项目编号 of a stored problem cannot change (as in the API).
PROBLEM_COLUMNS: tuple[Column, ...] = (
    Column("code", "问题编号", "text", ("编号",), 14),
    Column("project", "项目编号", "text", ("所属项目", "项目代码"), 14),
    Column("description", "问题描述", "text", ("问题", "存在问题", "问题内容"), 40),
    Column("found_on", "发现时间", "date", ("发现日期",), 12),
    Column("assignee_unit", "责任单位", "text", ("整改责任单位",), 18),
    Column("assignee_leader", "责任领导", "text", ("整改责任领导", "包联领导"), 18),
    Column("deadline", "整改时限", "date", ("整改期限", "整改时间"), 12),
    Column("status", "整改状态", "problem_status", ("状态", "问题状态"), 10),
    Column("resolved_on", "解决时间", "date", ("解决日期",), 12),
    Column("resolution", "解决情况", "text", ("整改情况", "解决措施"), 30),
)
PROBLEM_BY_FIELD = {c.field: c for c in PROBLEM_COLUMNS}
ZH_PROBLEM = {v: k for k, v in PROBLEM_ZH.items()} | {"已整改": "resolved"}


def _norm(h: Any) -> str:
    s = str(h or "").strip().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", s).lower()


HEADER_MAP: dict[str, Column] = {}
for _c in COLUMNS:
    for _h in (_c.header, _c.field, *_c.aliases):
        HEADER_MAP[_norm(_h)] = _c
PROBLEM_HEADER_MAP: dict[str, Column] = {}
for _c in PROBLEM_COLUMNS:
    for _h in (_c.header, _c.field, *_c.aliases):
        PROBLEM_HEADER_MAP[_norm(_h)] = _c


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


# ---------------------------------------------------------------- parsing cells


def _money(v: Any) -> Decimal:
    if isinstance(v, bool):
        raise ValueError
    if isinstance(v, float):
        d = Decimal(repr(v))
    else:
        d = Decimal(str(v).replace(",", "").replace("，", "").strip())
    if not d.is_finite() or d < 0:
        raise ValueError
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


_ZH_DATE = re.compile(r"^(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$")


def _date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        d = from_excel(v)  # an Excel serial day number in a cell without a date format
        return d.date() if isinstance(d, datetime) else d  # type: ignore[return-value]
    s = str(v).strip()
    m = _ZH_DATE.match(s[:10] if re.match(r"^\d{4}-\d{2}-\d{2}[ T]", s) else s)
    if not m:
        raise ValueError
    return date(int(m[1]), int(m[2]), int(m[3]))


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("是", "y", "yes", "true", "1", "√"):
        return True
    if s in ("否", "n", "no", "false", "0", ""):
        return False
    raise ValueError


def _domain(v: Any) -> str:
    s = str(v).strip()
    out = ZH_DOMAIN.get(s, s)
    if out not in DOMAINS:
        raise ValueError
    return out


def _status(v: Any) -> str:
    s = str(v).strip()
    out = lifecycle.ZH_STATUS.get(s, s)
    if out not in STATUSES:
        raise ValueError
    return out


def _int(v: Any) -> int:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return int(str(v).strip())


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return csv_text_in(str(v).strip())  # '=… from our own CSV export is =… again


def _problem_status(v: Any) -> str:
    s = str(v).strip()
    out = ZH_PROBLEM.get(s, s)
    if out not in PROBLEM_STATUSES:
        raise ValueError
    return out


PARSERS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "text": (_text, "text"),
    "int": (_int, "a whole number such as 2026"),
    "float": (lambda v: float(str(v).strip()), "a number in degrees"),
    "money": (_money, "an amount in 万元 such as 12500.00"),
    "date": (_date, "a date such as 2026-03-01"),
    "bool": (_bool, "是 or 否"),
    "domain": (_domain, "one of " + "、".join(DOMAIN_ZH.values())),
    "status": (_status, "one of " + "、".join(lifecycle.LABEL_ZH.values())),
    "problem_status": (_problem_status, "one of " + "、".join(PROBLEM_ZH.values())),
}


# ---------------------------------------------------------------- import


def _looks_like(header: str, header_map: dict[str, Column] = HEADER_MAP) -> Column | None:
    """The column an unknown header most likely means (计划开工日期 → 计划开工时间), if any.

    Such a column is refused rather than ignored: its edits would silently be lost.
    """
    match = difflib.get_close_matches(_norm(header), list(header_map), n=1, cutoff=0.6)
    return header_map[match[0]] if match else None


def _map_columns(
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
        c = header_map.get(_norm(h))
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


def _parse_cells(
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
class _ProjectPlan:
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


def _check_projects(
    session: Session,
    sheet: Sheet,
    *,
    filename: str,
    ignored: list[str],
    problems: list[str],
    max_problems: int,
) -> _ProjectPlan:
    """Every cell and rule of the projects sheet; adds to ``problems``, writes nothing."""
    cols = _map_columns(
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
        row, _ = _parse_cells(n, raw, cols, where, problems, by_field=False)
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

    existing = _existing(session, [r["code"] for _, r in parsed])
    parcels = _parcel_ids(session, {r["parcel_code"] for _, r in parsed if r.get("parcel_code")})
    plan = _ProjectPlan(rows=len(parsed))
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
            audits.append((row["code"], _jsonable(old["values"]) if old else None, merged))
    return plan


@dataclass
class _ProblemPlan:
    new: list[dict[str, Any]] = field(default_factory=list)  # fields + "project"
    changes: list[tuple[Problem, dict[str, Any]]] = field(default_factory=list)
    rows: int = 0
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": len(self.new),
            "updated": len(self.changes),
            "unchanged": self.unchanged,
        }


#: a new problem's cells that must be filled in (as for POST /api/v1/problems)
PROBLEM_REQUIRED_NEW = ("project", "description", "found_on", "assignee_unit",
                        "assignee_leader", "deadline")  # fmt: skip
#: what a stored problem keeps for good (the API cannot change them either)
PROBLEM_FIXED = ("project", "description", "found_on")


def _check_problems(
    session: Session,
    sheet: Sheet,
    *,
    filename: str,
    projects: set[str],
    ignored: list[str],
    problems: list[str],
) -> _ProblemPlan:
    """Every cell of the 问题清单 sheet against the rules of ``problems.py``.

    ``projects`` are the valid projects of the file's own projects sheet (they exist once it
    is written). Adds to ``problems``; writes nothing.
    """
    cols = _map_columns(
        sheet,
        filename=filename,
        header_map=PROBLEM_HEADER_MAP,
        kind="问题清单",
        key_message="no 问题编号 column; problems are matched by it (export the ledger first to "
        "get the right headers)",
        ignored=ignored,
        problems=problems,
        ignored_suffix=f" ({sheet.name})",
    )
    letters = {h: get_column_letter(i + 1) for i, h in enumerate(sheet.headers)}
    head = {c.field: h for h, c in cols.items()}

    def where(n: int, fld: str | None = None) -> str:
        at = f"{filename}, sheet {sheet.name}, row {n}"
        h = head.get(fld) if fld else None
        return at if h is None else f"{at}, column {h} ({letters.get(h, '?')})"

    plan = _ProblemPlan()
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for n, raw in sheet.rows:
        row, bad = _parse_cells(n, raw, cols, where, problems, by_field=True)
        code = row.get("code")
        if not code:
            problems.append(f"{where(n, 'code')}: 问题编号 is empty; every problem needs a code")
            continue
        if code in seen:
            problems.append(f"{where(n)}: 问题编号 {code} is also on row {seen[code]}")
            continue
        seen[code] = n
        if not bad:
            parsed.append((n, row))
    plan.rows = len(seen)

    codes = [r["code"] for _, r in parsed]
    stored: dict[str, tuple[Problem, str]] = {}
    if codes:
        for pr, pcode in session.execute(
            select(Problem, Project.code)
            .join(Project, Project.id == Problem.project_id)
            .where(Problem.code.in_(codes))
            .with_for_update(of=Problem)
        ).all():
            stored[pr.code] = (pr, pcode)
    wanted = {r["project"] for _, r in parsed if r.get("project")} - projects
    known = set(projects)
    if wanted:
        known |= set(
            session.execute(select(Project.code).where(Project.code.in_(wanted))).scalars()
        )

    def pydantic_problems(n: int, e: ValidationError) -> None:
        for err in e.errors():
            fld = str(err["loc"][0]) if err["loc"] else None
            problems.append(f"{where(n, fld)}: {err['msg']}")

    for n, row in parsed:
        code = row["code"]
        old = stored.get(code)
        if old is None:
            missing = [f for f in PROBLEM_REQUIRED_NEW if row.get(f) is None]
            if missing:
                heads = "、".join(PROBLEM_BY_FIELD[f].header for f in missing)
                problems.append(f"{where(n)}: 问题 {code} is new; {heads} must be filled in")
                continue
            if row["project"] not in known:
                problems.append(
                    f"{where(n, 'project')}: 项目编号 {row['project']} is not a project in the "
                    "ledger (nor on the 项目台账 sheet)"
                )
                continue
            fields = {f: row[f] for f in ("description", "found_on", "assignee_unit",
                                          "assignee_leader", "deadline", "code")}  # fmt: skip
            try:
                ProblemIn(**fields)
            except ValidationError as e:
                pydantic_problems(n, e)
                continue
            later = {
                f: row[f] for f in ("status", "resolution", "resolved_on") if row.get(f) is not None
            }
            breaches = problem_rules.check_new(found_on=row["found_on"], deadline=row["deadline"])
            breaches += problem_rules.check_change(
                code=code,
                current={"status": "open", "found_on": row["found_on"], "resolved_on": None,
                         "resolution": None},
                changes=later,
            )  # fmt: skip
            for fld, why in breaches:
                problems.append(f"{where(n, fld)}: {why}")
            if not breaches:
                plan.new.append(fields | {"status": "open"} | later | {"project": row["project"]})
            continue

        pr, pcode = old
        was = {"project": pcode} | {f: getattr(pr, f) for f in PROBLEM_FIXED if f != "project"}
        fixed = [f for f in PROBLEM_FIXED if f in row and row[f] != _as_read(was[f])]
        for f in fixed:
            problems.append(
                f"{where(n, f)}: 问题 {code} has {PROBLEM_BY_FIELD[f].header} "
                f"{_show(was[f])}; it cannot be changed (file a new problem instead)"
            )
        changes = {
            f: row[f]
            for f in problem_rules.CHANGEABLE
            if f in row and row[f] != _as_read(getattr(pr, f))
        }
        try:
            ProblemUpdate(**changes)
        except ValidationError as e:
            pydantic_problems(n, e)
            continue
        breaches = problem_rules.check_change(
            code=code, current=problem_rules.rule_state(pr), changes=changes
        )
        for fld, why in breaches:
            problems.append(f"{where(n, fld)}: {why}")
        if fixed or breaches:
            continue
        if changes:
            plan.changes.append((pr, changes))
        else:
            plan.unchanged += 1
    return plan


def _as_read(v: Any) -> Any:
    """A stored value as the import reads it back from an export (text trimmed, characters
    Excel cannot hold dropped), so an unchanged row compares equal."""
    if isinstance(v, str):
        return _text(ILLEGAL_CHARACTERS_RE.sub("", v)) or None
    return v


def _show(v: Any) -> str:
    return v.isoformat() if isinstance(v, date) else repr(v)


def _write_problems(session: Session, plan: _ProblemPlan, *, actor: str) -> None:
    """Create and update the problems of a checked plan, each audited like the API's writes."""
    ids: dict[str, int] = {}
    if wanted := {p["project"] for p in plan.new}:
        q = select(Project.code, Project.id).where(Project.code.in_(wanted))
        ids = {code: pid for code, pid in session.execute(q)}
    for fields in plan.new:
        project = fields["project"]
        problem_rules.insert_problem(
            session,
            fields={k: v for k, v in fields.items() if k != "project"},
            project_id=ids[project],
            project_code=project,
            actor=actor,
            action="problem.import",
        )
    for pr, changes in plan.changes:
        problem_rules.apply_change(session, pr, changes, actor=actor, action="problem.import")


def import_ledger(
    session: Session,
    *,
    data: bytes,
    filename: str,
    actor: str,
    dry_run: bool = False,
    max_problems: int = 200,
) -> dict[str, Any]:
    """Check every cell of both sheets, then create/update the projects and the problems
    (问题清单) in the caller's transaction.

    Raises ImportRejected listing every problem (sheet, row, column) and writes nothing.
    """
    sheet, problem_sheet = read_workbook(data, filename=filename)
    ignored: list[str] = []
    problems: list[str] = []
    plan = (
        _check_projects(
            session,
            sheet,
            filename=filename,
            ignored=ignored,
            problems=problems,
            max_problems=max_problems,
        )
        if sheet is not None
        else _ProjectPlan()
    )
    pplan = (
        _check_problems(
            session,
            problem_sheet,
            filename=filename,
            projects=plan.codes,
            ignored=ignored,
            problems=problems,
        )
        if problem_sheet is not None
        else None
    )
    if problems:
        raise ImportRejected(
            f"{filename}: {len(problems)} problem(s) found, nothing was written; "
            "fix them and import the file again",
            extra={"problems": problems[:max_problems]},
        )
    result: dict[str, Any] = {
        "file": filename,
        "rows": plan.rows,
        "created": plan.created,
        "updated": plan.updated,
        "unchanged": plan.unchanged,
        **{f"{k}_codes": v[:1000] for k, v in plan.by_outcome.items()},
        "problem_sheet": pplan.counts() if pplan is not None else None,
        "ignored_columns": ignored,
        "dry_run": dry_run,
    }
    if dry_run:
        return result
    _write(session, plan.writes)
    for code, before, after in plan.audits:
        audit.record(
            session,
            actor=actor,
            action="project.import",
            entity_type="project",
            entity_code=code,
            before=before,
            after=_jsonable(after),
        )
    if pplan is not None:
        _write_problems(session, pplan, actor=actor)
    sha = hashlib.sha256(data).hexdigest()
    counts = {k: result[k] for k in ("rows", "created", "updated", "unchanged")}
    if pplan is not None:
        counts["problem_sheet"] = result["problem_sheet"]
    session.add(
        ImportRecord(
            kind="projects", file_name=filename[:500], sha256=sha, actor=actor, counts=counts
        )
    )
    audit.record(
        session,
        actor=actor,
        action="ledger.import",
        entity_type="ledger",
        entity_code=filename[:200],
        after=counts | {"sha256": sha},
    )
    return result


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k in SNAPSHOT_FIELDS:
        v = d.get(k)
        out[k] = (
            v.isoformat() if isinstance(v, date) else f"{v:.2f}" if isinstance(v, Decimal) else v
        )
    return out


def _existing(session: Session, codes: list[str]) -> dict[str, dict[str, Any]]:
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


def _parcel_ids(session: Session, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = session.execute(select(Parcel.code, Parcel.id).where(Parcel.code.in_(codes)))
    return {code: pid for code, pid in rows}


_COLS = [f for f in SNAPSHOT_FIELDS if f != "code"]
_UPSERT = f"""
INSERT INTO projects (code, {", ".join(_COLS)}, geom, parcel_id)
VALUES (:code, {", ".join(":" + c for c in _COLS)},
  CASE WHEN CAST(:wkb AS text) IS NOT NULL
         THEN ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), 4490)
       WHEN CAST(:lon AS float8) IS NOT NULL
         THEN ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) END,
  :parcel_id)
ON CONFLICT (code) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _COLS)},
  geom = CASE
    WHEN EXCLUDED.geom IS NULL THEN projects.geom
    -- a point written from a polygon's 经度/纬度 comes back unchanged: keep the polygon
    WHEN CAST(:wkb AS text) IS NULL AND projects.geom IS NOT NULL
         AND ST_DWithin(ST_PointOnSurface(projects.geom)::geography,
                        EXCLUDED.geom::geography, 1.0) THEN projects.geom
    ELSE EXCLUDED.geom END,
  parcel_id = CASE WHEN CAST(:has_parcel AS boolean) THEN EXCLUDED.parcel_id
                   ELSE projects.parcel_id END,
  updated_at = now(), version = projects.version + 1
WHERE ({", ".join("projects." + c for c in _COLS)}, projects.parcel_id)
   IS DISTINCT FROM ({", ".join("EXCLUDED." + c for c in _COLS)},
     CASE WHEN CAST(:has_parcel AS boolean) THEN EXCLUDED.parcel_id ELSE projects.parcel_id END)
   OR (EXCLUDED.geom IS NOT NULL AND (projects.geom IS NULL
       OR (CAST(:wkb AS text) IS NOT NULL AND NOT ST_Equals(projects.geom, EXCLUDED.geom))
       OR (CAST(:wkb AS text) IS NULL AND NOT ST_DWithin(
             ST_PointOnSurface(projects.geom)::geography, EXCLUDED.geom::geography, 1.0))))
"""


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(text(_UPSERT), rows)
