"""The land-supply section of the Word files: the same lists as the PDF (``land.py``'s picks
of the daily supply check), with the same table rules (``word.add_table``)."""

from __future__ import annotations

from typing import Any

from docx.document import Document as DocumentType

from geo_service.reports import word as W


def supply_section(doc: DocumentType, r: dict[str, Any], charts: list[str], sec: str) -> None:
    """``sec``、土地供应与闲置土地: the summary, idle land, warnings, missed deadlines, charts."""
    sp = r["supply"]
    doc.add_heading(f"{sec}、土地供应与闲置土地", level=2)
    doc.add_paragraph(sp["text_zh"])
    doc.add_heading("（一）闲置土地", level=3)
    if sp["idle"]:
        W.add_table(
            doc,
            ["地块编号", "地块名称", "认定情况", "闲置起算", "处置建议"],
            [
                [
                    x["parcel"],
                    x["name"],
                    x["status_zh"],
                    f"{x['since_zh']}起",
                    x["proposal_zh"] + ("（已决定）" if x["decision"] else "（待决定）"),
                ]
                for x in sp["idle"]
            ],
        )
    else:
        doc.add_paragraph("没有闲置满一年的土地。")
    doc.add_heading("（二）临近闲置认定的地块", level=3)
    if sp["warnings"]:
        W.add_table(
            doc,
            ["地块编号", "地块名称", "将认定", "认定日期", "剩余天数", "预警"],
            [
                [
                    x["parcel"],
                    x["name"],
                    f"闲置{x['mark_zh']}",
                    x["due_zh"],
                    x["days_left"],
                    f"{x['level_days']}天预警",
                ]
                for x in sp["warnings"]
            ],
        )
    else:
        doc.add_paragraph("未来90天内没有将被认定为闲置的地块。")
    doc.add_heading("（三）逾期未履行的供地期限", level=3)
    if sp["missed"]:
        W.add_table(
            doc,
            ["地块编号", "地块名称", "事项", "应于", "履行情况", "逾期天数"],
            [
                [
                    m["parcel"],
                    m["name"],
                    m["rule_zh"],
                    m["due_zh"],
                    f"{m['done_zh']}履行" if m["done_on"] else "尚未履行",
                    m["days_late"],
                ]
                for m in sp["missed"]
            ],
        )
    else:
        doc.add_paragraph("没有逾期未履行的供地期限。")
    for svg in charts:
        W.add_picture(doc, svg)
