"""Reading the records sheets back (``geo-service record import``, ``POST /api/v1/records/import``):
cells to record values, each bad cell named by sheet, row and column, then every row that differs
from the records on file added at once, all or nothing. The sheets' columns are in
``records_sheet.py``."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.errors import ImportRejected, InvalidInput
from geo_service.importers.columns import blank, bool_value, date_value, norm, text_value
from geo_service.readiness import records
from geo_service.readiness.records_sheet import COLUMNS, OWNERSHIP_WORDS, SHEETS
from geo_service.settings import Settings

# ------------------------------------------------------------------ reading


def _field_of(header: Any, kind: str) -> str | None:
    if blank(header):
        return None
    words = {norm(w) for w in str(header).split()} | {norm(str(header))}
    for c in COLUMNS[kind]:
        names = {norm(w) for w in c.header.split()} | {norm(c.header)}
        if words & names:
            return c.field
    return None


def _cell(field_: str, v: Any) -> Any:
    """One cell → a value for the record model (ValueError with the reason)."""
    if field_ in ("surveyed_on", "recorded_on"):
        if isinstance(v, datetime):
            return v.date()
        if isinstance(v, int | float) and not isinstance(v, bool):
            raise ValueError(f"{v!r} is not a date like 2026-11-30")
        return date_value(v)
    if field_ in ("leveled", "requisition_done", "compensation_settled"):
        return bool_value(v)
    if field_ in ("earthwork_outstanding_m3", "open_disputes"):
        if blank(v):
            return None
        if isinstance(v, int | float) and not isinstance(v, bool):
            return v
        s = str(v).strip().replace(",", "").replace("，", "").removesuffix("m³").strip()
        try:
            return float(s) if field_ == "earthwork_outstanding_m3" else int(s)
        except ValueError:
            raise ValueError(f"{v!r} is not a number") from None
    if field_ == "ownership":
        t = text_value(v)
        if t is None:
            return None
        got = OWNERSHIP_WORDS.get(t) or OWNERSHIP_WORDS.get(t.lower())
        if got is None:
            raise ValueError(f"{v!r} is not 国有 (state) or 集体 (collective)")
        return got
    return text_value(v)


@dataclass
class Table:
    """One sheet (or CSV) of one kind of record, as read."""

    kind: str
    where: str  #: "FILE, sheet S" or "FILE"
    header: list[Any]
    rows: list[tuple[int, list[Any]]]  #: (row number as the user sees it, cells)


@dataclass
class Parsed:
    items: list[tuple[str, str, records.SurveyIn | records.TitleIn, dict[str, Any]]] = field(
        default_factory=list
    )
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(i + 1))


def parse_table(t: Table, out: Parsed, sheet: str | None) -> None:
    """Rows of one table → validated records, or problems naming sheet, row and column."""
    by_field: dict[str, int] = {}
    for i, h in enumerate(t.header):
        f = _field_of(h, t.kind)
        if f is not None and f not in by_field:
            by_field[f] = i
    required = [f for f in ("code", *records.FIELDS[t.kind]) if f not in by_field]
    needed = [f for f in required if records.MODELS[t.kind].model_fields.get(f) is None
              or records.MODELS[t.kind].model_fields[f].is_required()]  # fmt: skip
    if needed:
        heads = {c.field: c.header for c in COLUMNS[t.kind]}
        out.problems.append(
            f"{t.where}: missing column(s) "
            + ", ".join(heads[f] for f in needed)
            + "; use the headers of the exported readiness report"
        )
        return
    value_fields = [f for f in by_field if f not in ("code", "name")]
    heads = {f: str(t.header[i]) for f, i in by_field.items()}
    for rowno, cells in t.rows:

        def get(f: str, cells: list[Any] = cells) -> Any:
            i = by_field[f]
            return cells[i] if i < len(cells) else None

        if all(blank(get(f)) for f in value_fields):
            out.skipped += 1
            continue
        code = text_value(get("code"))
        at = f"{t.where}, row {rowno}"
        if code is None:
            out.problems.append(f"{at}, column {heads['code']} ({_letter(by_field['code'])}): "
                                "empty; every record needs the parcel's code")  # fmt: skip
            continue
        data: dict[str, Any] = {}
        bad = False
        for f in value_fields:
            try:
                v = _cell(f, get(f))
            except ValueError as e:
                out.problems.append(f"{at}, column {heads[f]} ({_letter(by_field[f])}): {e}")
                bad = True
                continue
            if v is not None:
                data[f] = v
        if bad:
            continue
        try:
            rec = records.MODELS[t.kind].model_validate(data)
        except ValidationError as e:
            for f, msg in records.describe_errors(t.kind, e):
                col = f"column {heads[f]} ({_letter(by_field[f])})" if f in heads else f
                out.problems.append(f"{at}, {col}: {msg}")
            continue
        where = {"row": rowno, **({"sheet": sheet} if sheet else {})}
        out.items.append((t.kind, code, rec, where))


def read_file(path: Path, *, display: str, kind: str | None = None) -> Parsed:
    """Read an XLSX (the records sheets, or with ``kind`` the first sheet) or a CSV of ``kind``."""
    out = Parsed()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if kind is None:
            raise InvalidInput(
                f"{display}: a CSV holds one kind of record; say which (survey/title)"
            )
        raw = path.read_bytes()
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            content = raw.decode("gb18030", errors="replace")
        lines = list(csv.reader(io.StringIO(content)))
        if not lines:
            raise InvalidInput(f"{display}: the file is empty")
        t = Table(kind, display, lines[0], [(i + 2, r) for i, r in enumerate(lines[1:])])
        parse_table(t, out, None)
        return out
    if suffix not in (".xlsx", ".xlsm"):
        raise InvalidInput(f"{display}: records are read from .xlsx or .csv files, not {suffix!r}")
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise InvalidInput(f"{display}: not a readable XLSX workbook") from None
    try:
        found = False
        for k in records.KINDS if kind is None else (kind,):
            ws = _find_sheet(wb, k)
            if ws is None and kind is not None:
                ws = wb.worksheets[0]
            if ws is None:
                continue
            found = True
            rows = ws.iter_rows(values_only=True)
            header = list(next(rows, ()) or ())
            body = [(i + 2, list(r)) for i, r in enumerate(rows)]
            parse_table(Table(k, f"{display}, sheet {ws.title}", header, body), out, ws.title)
        if not found:
            raise InvalidInput(
                f"{display}: no sheet named {SHEETS['survey']!r} or {SHEETS['title']!r}; start "
                "from the readiness report (geo-service readiness report --out X.xlsx)"
            )
    finally:
        wb.close()
    return out


def _find_sheet(wb: Any, kind: str) -> Any:
    english = SHEETS[kind].split()[-1]
    chinese = SHEETS[kind].split()[0]
    for ws in wb.worksheets:
        title = ws.title.strip().lower()
        if english in title or chinese in title:
            return ws
    return None


@dataclass
class RecordImport:
    """What one records file did (or, in a dry run, would do)."""

    file_name: str
    dry_run: bool
    written: records.Written
    skipped: int

    def to_dict(self) -> dict[str, Any]:
        w = self.written
        return {
            "file_name": self.file_name,
            "dry_run": self.dry_run,
            **w.counts(),
            "rows_skipped": self.skipped,
            "created": w.created,
            "unchanged": w.unchanged,
            "changes": w.changes,
        }

    def lines(self) -> list[str]:
        c = self.written.counts()
        verb = "would be" if self.dry_run else "were"
        out = [
            f"{self.file_name}: surveys {c['surveys_created']} {verb} added, "
            f"{c['surveys_unchanged']} unchanged; title records {c['titles_created']} {verb} "
            f"added, {c['titles_unchanged']} unchanged; {self.skipped} blank row(s) skipped"
        ]
        for e in self.written.created[:200]:
            where = ", ".join(
                str(x) for x in (e.get("sheet"), e.get("row") and f"row {e['row']}") if x
            )
            out.append(
                f"  added {e['kind']} #{e['id']} for {e['parcel']}"
                + (f" ({where})" if where else "")
            )
        for ch in self.written.changes[:200]:
            out.append(
                f"  {ch['parcel']} {ch['condition']}: {ch['old'] or 'none'} → {ch['new']}"
                + (f" ({ch['reason']})" if ch.get("reason") else "")
            )
        if self.dry_run:
            out.append("dry run: nothing was written")
        return out


def import_file(
    session: Session,
    *,
    path: Path,
    display: str,
    actor: str,
    settings: Settings,
    kind: str | None = None,
    dry_run: bool = False,
) -> RecordImport:
    """Add the records of a file in the caller's transaction, all or nothing.

    Every problem (bad cell, unknown parcel) is collected first; then ImportRejected lists them
    and nothing is written. A dry run writes and rolls back (a savepoint), so its answer says
    exactly what would change.
    """
    parsed = read_file(path, display=display, kind=kind)
    if parsed.items:
        known = set(
            session.execute(
                text("SELECT code FROM parcels WHERE code = ANY(:c)"),
                {"c": sorted({code for _, code, _, _ in parsed.items})},
            ).scalars()
        )
        for k, code, _, where in parsed.items:
            if code not in known:
                sheet = f", sheet {where['sheet']}" if "sheet" in where else ""
                parsed.problems.append(
                    f"{display}{sheet}, row {where['row']}: no parcel with code {code!r} "
                    f"({k} record); check the code or import the parcel first"
                )
    if not parsed.problems and not parsed.items:
        parsed.problems.append(f"{display}: no records to add (every row is blank)")
    if parsed.problems:
        raise ImportRejected(
            f"{display}: {len(parsed.problems)} problem(s) found; nothing was written. "
            "Fix them and import again",
            extra={"problems": parsed.problems},
        )
    nested = session.begin_nested()
    written = records.write_records(
        session, items=parsed.items, actor=actor, settings=settings, skip_same=True
    )
    result = RecordImport(display, dry_run, written, parsed.skipped)
    if dry_run:
        nested.rollback()
        return result
    nested.commit()
    from geo_service.audit import record

    record(
        session,
        actor=actor,
        action="record.import",
        entity_type="import",
        entity_code=display[:200],
        after={**written.counts(), "rows_skipped": parsed.skipped},
    )
    return result
