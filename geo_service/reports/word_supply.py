"""The land-supply section of the Word files: the same lists as the PDF (``land.py``'s picks
of the daily supply check), with the same table rules (``word.add_table``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from docx.document import Document as DocumentType

from geo_service.reports import word as W

Row = Callable[[dict[str, Any]], list[Any]]


def _idle(x: dict[str, Any]) -> list[Any]:
    decided = "（已决定）" if x["decision"] else "（待决定）"
    since = f"{x['since_zh']}起"
    return [x["parcel"], x["name"], x["status_zh"], since, x["proposal_zh"] + decided]


def _warning(x: dict[str, Any]) -> list[Any]:
    return [
        x["parcel"], x["name"], f"闲置{x['mark_zh']}", x["due_zh"], x["days_left"],
        f"{x['level_days']}天预警",
    ]  # fmt: skip


def _missed(m: dict[str, Any]) -> list[Any]:
    done = f"{m['done_zh']}履行" if m["done_on"] else "尚未履行"
    return [m["parcel"], m["name"], m["rule_zh"], m["due_zh"], done, m["days_late"]]


#: the section's lists: heading, key in ``r["supply"]``, table header, one row, text when empty
LISTS: tuple[tuple[str, str, list[str], Row, str], ...] = (
    ("（一）闲置土地", "idle", ["地块编号", "地块名称", "认定情况", "闲置起算", "处置建议"],
     _idle, "没有闲置满一年的土地。"),
    ("（二）临近闲置认定的地块", "warnings",
     ["地块编号", "地块名称", "将认定", "认定日期", "剩余天数", "预警"],
     _warning, "未来90天内没有将被认定为闲置的地块。"),
    ("（三）逾期未履行的供地期限", "missed",
     ["地块编号", "地块名称", "事项", "应于", "履行情况", "逾期天数"],
     _missed, "没有逾期未履行的供地期限。"),
)  # fmt: skip


def supply_section(doc: DocumentType, r: dict[str, Any], charts: list[str], sec: str) -> None:
    """``sec``、土地供应与闲置土地: the summary, idle land, warnings, missed deadlines, charts."""
    sp = r["supply"]
    doc.add_heading(f"{sec}、土地供应与闲置土地", level=2)
    doc.add_paragraph(sp["text_zh"])
    for heading, key, header, row, empty in LISTS:
        doc.add_heading(heading, level=3)
        if sp[key]:
            W.add_table(doc, header, [row(x) for x in sp[key]])
        else:
            doc.add_paragraph(empty)
    for svg in charts:
        W.add_picture(doc, svg)
