"""The supply ledger (出让台账) as XLSX: a summary sheet per parcel and the event sheet, which
imports back all or nothing (new rows become events, checked like the API's).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.errors import GeoServiceError, ImportRejected, InvalidInput
from geo_service.settings import Settings
from geo_service.spatial import m2_to_mu
from geo_service.supply import service
from geo_service.supply.events import RANK
from geo_service.supply.schemas import SupplyEventIn
from geo_service.text import xlsx_cells

SUMMARY_SHEET = "出让台账"
EVENT_SHEET = "供地事件"

#: (key, 中文) of the event sheet; the header cell is "中文 key", read back by either part
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "事件编号"),
    ("parcel", "地块编号"),
    ("event", "事件"),
    ("on", "日期"),
    ("document_ref", "文号"),
    ("file_ref", "文件"),
    ("corrects", "更正事件编号"),
    ("note", "备注"),
    ("start_by", "约定开工"),
    ("complete_by", "约定竣工"),
    ("contract_by", "约定签约"),
    ("price_wan", "价款(万元)"),
    ("investment_total_wan", "总投资(万元)"),
    ("reason", "原因"),
    ("rules", "暂停的期限"),
    ("developed_share", "已开发比例"),
    ("invested_wan", "已投资(万元)"),
    ("outcome", "处置结果"),
    ("new_start_by", "新开工日期"),
    ("passed", "复核通过"),
    ("fee_wan", "闲置费(万元)"),
    ("year", "年度"),
    ("tax_wan", "税收(万元)"),
    ("value_added_wan", "增加值(万元)"),
    ("measured", "实测指标(JSON)"),
    ("recorded_by", "记录人"),
)
SUMMARY_COLUMNS = (
    ("parcel", "地块编号"),
    ("name", "名称"),
    ("area_mu", "面积(亩)"),
    ("stage", "阶段"),
    ("notice_published", "公告日期"),
    ("sale_started", "挂牌开始"),
    ("sale_closed", "成交日期"),
    ("contract_signed", "合同日期"),
    ("price_wan", "价款(万元)"),
    ("start_by", "约定开工"),
    ("handed_over", "交地日期"),
    ("certificate_issued", "交证日期"),
    ("construction_started", "开工日期"),
    ("completed", "竣工日期"),
    ("idle", "闲置状态"),
    ("next_rule", "下一期限"),
    ("next_due", "到期日"),
    ("missed", "已逾期"),
    ("findings", "核查提示"),
)


def export_ledger(
    session: Session,
    *,
    settings: Settings,
    as_of: date | None,
    describe: Callable[[dict[str, Any]], str] | None = None,
) -> bytes:
    """Both sheets of every parcel with events, judged as of ``as_of``.

    ``describe`` words one finding of the check (``supply.findings``) for the 核查提示 column: the
    callers pass the maps' wording so the ledger, the popup and the timeline say the same; without
    it the finding's key is written."""
    check = service.check_all(session, settings=settings, as_of=as_of)
    rows = session.execute(
        text(
            "SELECT e.id, p.code AS parcel, p.name, p.area_m2, e.event, e.occurred_on, "
            "e.document_ref, e.file_ref, e.corrects_id, e.note, e.data, e.recorded_by, "
            "EXISTS (SELECT 1 FROM supply_events c WHERE c.corrects_id = e.id) AS corrected "
            "FROM supply_events e JOIN parcels p ON p.id = e.parcel_id "
            "ORDER BY p.code, e.occurred_on, e.id"
        )
    ).mappings()
    wb = Workbook(write_only=True)
    summary, events = wb.create_sheet(SUMMARY_SHEET), wb.create_sheet(EVENT_SHEET)
    summary.append([f"{zh} {key}" for key, zh in SUMMARY_COLUMNS])
    events.append([f"{zh} {key}" for key, zh in EVENT_COLUMNS])
    firsts: dict[str, dict[str, Any]] = {}
    for r in rows:
        data = dict(r["data"] or {})
        f = firsts.setdefault(r["parcel"], {"name": r["name"], "area_mu": m2_to_mu(r["area_m2"])})
        if not r["corrected"]:
            f.setdefault(r["event"], r["occurred_on"])
            if r["event"] == "contract_signed":
                f["price_wan"], f["start_by"] = data.get("price_wan"), data.get("start_by")
        values: dict[str, Any] = {
            **data,
            "id": r["id"],
            "parcel": r["parcel"],
            "event": r["event"],
            "on": r["occurred_on"],
            "document_ref": r["document_ref"],
            "file_ref": r["file_ref"],
            "corrects": r["corrects_id"],
            "note": r["note"],
            "recorded_by": r["recorded_by"],
        }
        if isinstance(values.get("rules"), list):
            values["rules"] = ", ".join(values["rules"])
        if values.get("measured") is not None:
            values["measured"] = json.dumps(values["measured"], ensure_ascii=False)
        events.append(xlsx_cells(events, [_cell(values.get(k)) for k, _ in EVENT_COLUMNS]))
    for p in check["parcels"]:
        f = firsts.get(p["parcel"], {})
        nxt = p["next"] or {}
        values = {
            **f,
            "parcel": p["parcel"],
            "stage": p["stage"],
            "idle": p["idle"]["status"],
            "next_rule": nxt.get("rule"),
            "next_due": nxt.get("due"),
            "missed": ", ".join(d["rule"] for d in p["missed"]),
            "findings": "；".join(
                describe(f) if describe else str(f["key"]) for f in p.get("findings") or []
            ),
        }
        summary.append(xlsx_cells(summary, [_cell(values.get(k)) for k, _ in SUMMARY_COLUMNS]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(v: Any) -> Any:
    if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
        try:
            return date.fromisoformat(v)
        except ValueError:
            return v
    return v


def _header_key(cell: Any) -> str | None:
    if cell is None:
        return None
    s = str(cell).strip()
    for key, zh in EVENT_COLUMNS:
        if s in (key, zh, f"{zh} {key}"):
            return key
    return s.rsplit(" ", 1)[-1] if " " in s else s


def _value(key: str, v: Any) -> Any:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, datetime):
        return v.date()
    if key == "rules" and isinstance(v, str):
        return [x.strip() for x in v.replace("，", ",").split(",") if x.strip()]
    if key == "measured" and isinstance(v, str):
        return json.loads(v)
    if key in ("passed",) and isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes", "是")
    if isinstance(v, float) and key.endswith("_wan"):
        return Decimal(str(v))
    return v


def import_ledger(
    session: Session, *, data: bytes, actor: str, settings: Settings, dry_run: bool = False
) -> dict[str, Any]:
    """Record the rows of the event sheet without an 事件编号 (new events), in date order per
    parcel. Any problem → ImportRejected listing every row's reason, and nothing is written."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file is the user's problem to fix
        raise InvalidInput(
            "the file is not an XLSX workbook; export one with the ledger route"
        ) from None
    if EVENT_SHEET not in wb.sheetnames:
        raise InvalidInput(f"the workbook has no sheet {EVENT_SHEET!r}; start from an export")
    it = wb[EVENT_SHEET].iter_rows(values_only=True)
    header = [_header_key(c) for c in next(it, ())]
    for need in ("parcel", "event", "on", "document_ref"):
        if need not in header:
            raise InvalidInput(f"sheet {EVENT_SHEET}: column {need!r} is missing")
    known = {k for k, _ in EVENT_COLUMNS}
    problems: list[str] = []
    new: list[tuple[int, str, SupplyEventIn]] = []
    skipped = 0
    for n, row in enumerate(it, start=2):
        values = {k: _value(k, v) for k, v in zip(header, row, strict=False) if k in known and k}
        if not any(v is not None for v in values.values()):
            continue
        if values.get("id") is not None:
            skipped += 1  # recorded already: history is not rewritten by a spreadsheet
            continue
        parcel = values.pop("parcel", None)
        values.pop("id", None)
        values.pop("recorded_by", None)
        if not parcel:
            problems.append(f"{EVENT_SHEET} row {n}: 地块编号 parcel is empty")
            continue
        try:
            body = SupplyEventIn.model_validate(values)
        except (ValidationError, ValueError) as e:
            errs = e.errors() if isinstance(e, ValidationError) else [{"loc": (), "msg": str(e)}]
            for err in errs:
                col = ".".join(str(x) for x in err["loc"]) or "row"
                problems.append(f"{EVENT_SHEET} row {n}, column {col}: {err['msg']}")
            continue
        new.append((n, str(parcel), body))
    new.sort(key=lambda t: (t[1], t[2].on, RANK[t[2].event], t[0]))
    recorded = 0
    savepoint = session.begin_nested()
    try:
        for n, parcel, body in new:
            try:
                service.record_event(
                    session, code=parcel, body=body.model_dump(), actor=actor, settings=settings
                )
                recorded += 1
            except GeoServiceError as e:
                problems.append(f"{EVENT_SHEET} row {n} ({parcel}): {e.public}")
        if problems:
            raise ImportRejected(
                f"{len(problems)} problem(s) in the supply ledger; nothing was written. Fix "
                "them and import again",
                extra={"problems": problems},
            )
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return {"recorded": recorded, "skipped_existing": skipped, "dry_run": dry_run}
