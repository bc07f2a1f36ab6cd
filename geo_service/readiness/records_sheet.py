"""The records sheets of the readiness report: a clerk fills them in, the import reads them back.

The readiness XLSX carries two sheets, 场地平整记录 surveys and 权属记录 titles, one row per
parcel with the record that counts now (blank cells where there is none). A clerk types a new
date and values over a row (or adds rows); ``geo-service record import FILE.xlsx`` (or
``POST /api/v1/records/import``) adds every row that differs from the records on file, all or
nothing, naming sheet, row and column of each bad cell. A row left as exported is unchanged;
a row with only code and name is skipped. The same headers work in a CSV for one kind.
This module holds the sheets' columns and writes them; ``records_upload.py`` reads them back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.readiness import records


@dataclass(frozen=True)
class Column:
    field: str
    header: str  #: "中文 english": either word alone is recognised on import
    note: str = ""


SHEETS = {"survey": "场地平整记录 surveys", "title": "权属记录 titles"}
#: the columns of each sheet; ``name`` is for reading only (ignored on import)
COLUMNS: dict[str, tuple[Column, ...]] = {
    "survey": (
        Column("code", "地块编号 code"),
        Column("name", "地块名称 name", "ignored on import"),
        Column("surveyed_on", "调查日期 surveyed_on", "YYYY-MM-DD, not in the future"),
        Column("leveled", "已平整 leveled", "是/否"),
        Column("earthwork_outstanding_m3", "未完成土方 earthwork_outstanding_m3", "m³, ≥ 0"),
        Column("surveyor", "调查单位 surveyor"),
        Column("document_ref", "文号 document_ref"),
    ),
    "title": (
        Column("code", "地块编号 code"),
        Column("name", "地块名称 name", "ignored on import"),
        Column("recorded_on", "登记日期 recorded_on", "YYYY-MM-DD, not in the future"),
        Column("ownership", "权属 ownership", "国有 state / 集体 collective"),
        Column("requisition_done", "征收完成 requisition_done", "是/否"),
        Column("compensation_settled", "补偿到位 compensation_settled", "是/否"),
        Column("open_disputes", "未结争议 open_disputes", "件, ≥ 0"),
        Column("document_ref", "文号 document_ref"),
    ),
}
HELP_SHEET = "说明 help"
OWNERSHIP_WORDS = {
    "state": "state", "国有": "state", "国有土地": "state", "国有建设用地": "state",
    "collective": "collective", "集体": "collective", "集体土地": "collective",
}  # fmt: skip

_LATEST = {
    "survey": """
SELECT p.code, p.name, s.surveyed_on, s.leveled, s.earthwork_outstanding_m3::float8 AS
  earthwork_outstanding_m3, s.surveyor, s.document_ref
FROM parcels p LEFT JOIN LATERAL (SELECT * FROM leveling_surveys l
  WHERE l.parcel_id = p.id AND l.surveyed_on <= current_date
  ORDER BY l.surveyed_on DESC, l.id DESC LIMIT 1) s ON true
ORDER BY p.code""",
    "title": """
SELECT p.code, p.name, s.recorded_on, s.ownership, s.requisition_done, s.compensation_settled,
  s.open_disputes, s.document_ref
FROM parcels p LEFT JOIN LATERAL (SELECT * FROM title_records t
  WHERE t.parcel_id = p.id AND t.recorded_on <= current_date
  ORDER BY t.recorded_on DESC, t.id DESC LIMIT 1) s ON true
ORDER BY p.code""",
}


def _out_cell(key: str, v: Any) -> Any:
    if isinstance(v, bool):
        return "是" if v else "否"
    if key == "ownership" and v is not None:
        return records.OWNERSHIP_ZH.get(v, v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def sheet_rows(session: Session) -> dict[str, Iterator[list[Any]]]:
    """Sheet name → rows (header first) of the records sheets and the help sheet, streamed from
    the database as the workbook is written."""

    def rows(kind: str) -> Iterator[list[Any]]:
        cols = COLUMNS[kind]
        yield [c.header for c in cols]
        result = session.execute(text(_LATEST[kind]), execution_options={"yield_per": 2000})
        for r in result.mappings():
            yield [_out_cell(c.field, r[c.field]) for c in cols]

    out: dict[str, Iterator[list[Any]]] = {SHEETS[k]: rows(k) for k in records.KINDS}
    out[HELP_SHEET] = iter(help_rows())
    return out


def help_rows() -> list[list[str]]:
    """The 说明 sheet: what to type where."""
    out = [
        ["说明 how to use"],
        [
            "在“场地平整记录 surveys”“权属记录 titles”中每行为一宗地块当前有效的记录；"
            "填写新的日期和数值后导入。"
        ],
        [
            "Each row holds the record that counts now; type a new date and values over it "
            "(or add rows) and run `geo-service record import FILE.xlsx`. Rows left as they "
            "are change nothing; rows with only 地块编号 and 地块名称 are skipped. One bad "
            "cell rejects the whole file (sheet, row and column are named)."
        ],
        [],
        ["sheet", "column", "what to type"],
    ]
    for kind in records.KINDS:
        for c in COLUMNS[kind]:
            out.append([SHEETS[kind], c.header, c.note])
    return out
