"""The reports as Word files (python-docx), for officials who edit before sending.

Same data and the same charts as the PDF (the SVG drawn as PNG by CairoSVG, Word has no SVG);
A4, Noto CJK for East Asian text, page numbers in the footer (PAGE / NUMPAGES fields), table
header rows repeated on every page and rows that do not split across pages.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import Table

from geo_service.reports import labels as L
from geo_service.reports import texts as T
from geo_service.reports.documents import Report

FONT = "Noto Sans CJK SC"
TITLE_FONT = "Noto Serif CJK SC"
RED = RGBColor(0xCC, 0x00, 0x00)


def _font(run_or_style: Any, name: str = FONT) -> None:
    run_or_style.font.name = name
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _field(paragraph: Any, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) in ``paragraph``."""
    run = paragraph.add_run()
    for kind, text in (
        ("begin", None),
        (None, code),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        if kind is not None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)
        elif text == code:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {code} "
            run._r.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._r.append(t)


def _setup(doc: DocumentType, running: str) -> None:
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(18)
    sec.top_margin, sec.bottom_margin = Mm(22), Mm(20)
    for style in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
        _font(doc.styles[style])
    doc.styles["Normal"].font.size = Pt(10.5)
    foot = sec.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot.add_run("第 ")
    _field(foot, "PAGE")
    foot.add_run(" 页 / 共 ")
    _field(foot, "NUMPAGES")
    foot.add_run(" 页")
    head = sec.header.paragraphs[0]
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    r = head.add_run(running)
    r.font.size = Pt(8.5)


def _masthead(doc: DocumentType, title: str, issue: str, date_zh: str) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    r = p.add_run(title)
    _font(r, TITLE_FONT)
    r.font.size, r.font.bold, r.font.color.rgb = Pt(24), True, RED
    p = doc.add_paragraph(issue)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = doc.add_paragraph(f"{L.OFFICE}\t\t\t\t\t\t\t{date_zh}")
    # a red rule under the masthead
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:space", "1"), ("w:color", "CC0000")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.append(bdr)


def _table(doc: DocumentType, header: list[str], rows: list[list[Any]]) -> Table:
    """A grid table whose header row repeats on each page and whose rows never split."""
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, header, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.font.bold = True
    for row in rows:
        cells = t.add_row().cells
        for cell, v in zip(cells, row, strict=True):
            cell.text = "" if v is None else str(v)
    for i, row in enumerate(t.rows):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if i == 0:
            trpr.append(OxmlElement("w:tblHeader"))
        for cell in row.cells:
            for par in cell.paragraphs:
                for run in par.runs:
                    run.font.size = Pt(9)
    return t


def _picture(doc: DocumentType, svg: str, width_cm: float = 17.0, caption: str = "") -> None:
    import cairosvg

    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=2.0)
    doc.add_picture(io.BytesIO(png), width=Cm(width_cm))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    if caption:
        doc.add_paragraph(caption).alignment = WD_ALIGN_PARAGRAPH.CENTER


def _headline(doc: DocumentType, rows: list[dict[str, Any]]) -> None:
    def met(v: bool | None) -> str:
        return "" if v is None else ("达标" if v else "未达标")

    _table(
        doc,
        ["指标", "目标", "完成", "说明", "是否达标"],
        [[h["label"], h["target"], h["actual"], h["note"], met(h["met"])] for h in rows],
    )


def _save(doc: DocumentType) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def weekly_docx(report: Report) -> bytes:
    from geo_service.reports.word_supply import supply_section

    r = report.data
    s = r["stats"]
    doc = Document()
    _setup(doc, f"{report.title} · {r['as_of_zh']}")
    _masthead(doc, report.title, r["issue"], r["as_of_zh"])
    if not s["projects"].get("count"):
        doc.add_paragraph(f"截至{r['as_of_zh']}，台账中没有重点项目。")
        supply_section(doc, r, report.charts.get("land", []), "一")
        return _save(doc)
    p, inv, pr = s["projects"], s["investment"], s["problems"]
    doc.add_paragraph(
        f"截至{r['as_of_zh']}，{r['year']}年度纳入台账的重点项目{p['count']}个，总投资"
        f"{L.yi(inv['total_yi'])}亿元，年度计划投资{L.yi(inv['planned_this_year_yi'])}亿元；已开工"
        f"{p['started']}个，开工率{L.pct(p['start_rate_pct'])}；完成投资{L.yi(inv['completed_yi'])}"
        f"亿元，占年度计划的{L.pct(inv['completed_share_of_plan_pct'])}。红灯项目"
        f"{p['rag']['red']}个、黄灯项目{p['rag']['yellow']}个，逾期项目{p['overdue']}个；累计发现"
        f"问题{pr['found']}个，已解决{pr['resolved']}个，未解决{pr['in_progress'] + pr['open']}个"
        f"（超期{pr['overdue']}个）。"
    )
    doc.add_heading("一、主要指标完成情况", level=2)
    _headline(doc, r["headline"])
    if r.get("by_county"):
        doc.add_heading(T.COUNTY_TITLE, level=3)
        _table(doc, T.COUNTY_HEADER, [T.county_row(x) for x in r["by_county"]])
    for svg in report.charts.get("top", []):
        _picture(doc, svg)

    ch = r["changes"]
    doc.add_heading(f"二、本周变化（{ch['since_zh']}至{r['as_of_zh']}）", level=2)
    audit = "，".join(f"{a['action']} {a['count']}次" for a in ch["audit"]) or "本周无"
    for line in (
        f"开工率{L.pct(ch['start_rate']['then'])} → {L.pct(ch['start_rate']['now'])}；本周新开工"
        f"项目{len(ch['started'])}个。",
        f"完成投资{L.yi(ch['completed_yi']['then'])} → {L.yi(ch['completed_yi']['now'])}亿元。",
        f"红灯项目{ch['red']['then']} → {ch['red']['now']}个；本周预警升级{len(ch['worse'])}个，"
        f"好转{len(ch['better'])}个；久推不动{len(ch['stuck'])}个（{ch['stuck_rule_zh']}）。",
        f"本周发现问题{len(ch['problems_found'])}个，解决问题{len(ch['problems_resolved'])}个；"
        f"分包领导走访{ch['visits']}次（{ch['visit_leaders']}位领导）。",
        f"系统记录变更：{audit}。",
    ):
        doc.add_paragraph(line, style="List Bullet")
    if ch["worse"]:
        doc.add_heading("预警升级的项目", level=3)
        _table(
            doc,
            ["项目编号", "项目名称", "分包领导", "上周", "本周", "原因"],
            [
                [x["code"], x["name"], x["leader"], x["was"], x["rag_zh"], "；".join(x["reasons"])]
                for x in ch["worse"]
            ],
        )
    if ch["better"]:
        doc.add_heading("预警好转的项目", level=3)
        _table(
            doc,
            ["项目编号", "项目名称", "分包领导", "上周", "本周"],
            [[x["code"], x["name"], x["leader"], x["was"], x["rag_zh"]] for x in ch["better"]],
        )

    doc.add_heading("三、进度滞后和逾期项目（按分包领导）", level=2)
    doc.add_paragraph(
        f"共{len(r['flagged_codes'])}个：红灯{p['rag']['red']}个，黄灯{p['rag']['yellow']}个。"
    )
    for g in r["flagged"]:
        doc.add_heading(f"{g['leader']}（红灯{g['red']}个，黄灯{g['yellow']}个）", level=3)
        _table(
            doc,
            ["项目编号", "项目名称", "状态", "预警", "原因", "责任单位"],
            [
                [
                    x["code"],
                    x["name"],
                    x["status"],
                    x["rag_zh"] + ("／逾期" if x["overdue"] else ""),
                    "；".join(x["reasons"]),
                    x["unit"],
                ]
                for x in g["projects"]
            ],
        )
    for i, svg in enumerate(report.charts.get("map", [])):
        _picture(doc, svg, 16, caption=T.map_caption(i))

    doc.add_heading("四、问题办理情况", level=2)
    doc.add_paragraph(T.problems_sentence(pr))
    if r["problems_open"]:
        _table(
            doc,
            ["问题编号", "项目", "问题", "责任单位／领导", "办结期限", "状态"],
            [
                [
                    q["code"],
                    f"{q['project']} {q['project_name']}",
                    q["description"],
                    f"{q['assignee_unit'] or ''}／{q['assignee_leader'] or ''}",
                    L.zh_date(q["deadline"])
                    + (f"（超期{q['days_overdue']}天）" if q["overdue"] else ""),
                    q["status_zh"],
                ]
                for q in r["problems_open"]
            ],
        )
    for svg in report.charts.get("problems", []):
        _picture(doc, svg)

    nv = r["not_visited"]
    doc.add_heading(f"五、{nv['days']}天内未走访项目", level=2)
    doc.add_paragraph(
        f"{nv['days']}天内无分包领导走访的项目{nv['total']}个，其中此前走访过、近{nv['days']}天中断的"
        f"{len(nv['lapsed'])}个，从未走访的{nv['never']}个。"
    )
    if nv["lapsed"]:
        _table(
            doc,
            ["项目编号", "项目名称", "分包领导", "最近走访", "距今天数"],
            [
                [
                    v["project"],
                    v["name"],
                    L.leader_name(v["leader"]),
                    L.zh_date(v["last_visit"]),
                    v["days_since_visit"],
                ]
                for v in nv["lapsed"]
            ],
        )
    if nv["by_leader"]:
        doc.add_heading("按分包领导统计", level=3)
        _table(doc, ["分包领导", "未走访项目数"], [[k, n] for k, n in nv["by_leader"]])
    supply_section(doc, r, report.charts.get("land", []), "六")
    if report.charts.get("splits"):
        doc.add_heading("附：项目分布", level=2)
        for svg in report.charts["splits"]:
            _picture(doc, svg)
    doc.add_paragraph(T.closing_line(r))
    return _save(doc)


def monthly_docx(report: Report) -> bytes:
    from geo_service.reports.word_supply import supply_section

    r = report.data
    doc = Document()
    _setup(doc, f"{report.title} · {r['as_of_zh']}")
    _masthead(doc, report.title, r["month_zh"], r["as_of_zh"])
    doc.add_heading("一、主要指标", level=2)
    _headline(doc, r["headline"])
    for svg in report.charts.get("top", []):
        _picture(doc, svg)
    doc.add_heading(f"二、久推不动项目（{len(r['stuck'])}个）", level=2)
    doc.add_paragraph(
        f"口径：{r['stuck_rule_zh']}（截至{r['as_of_zh']}）。每个项目一页，附问题和走访记录。"
    )
    if r["stuck"]:
        _table(
            doc,
            ["序号", "项目编号", "项目名称", "分包领导", "原因"],
            [
                [i, x["code"], x["name"], x["leader"], "；".join(x["reasons"])]
                for i, x in enumerate(r["stuck"], 1)
            ],
        )
    for i, x in enumerate(r["stuck"], 1):
        doc.add_page_break()
        doc.add_heading(f"{i}. {x['code']} {x['name']}", level=2)
        _table(
            doc,
            ["分包领导", "责任单位", "所属领域", "状态"],
            [[x["leader"], x["unit"], x["domain"], f"{x['status']}（{x['rag_zh']}）"]],
        )
        _table(
            doc,
            ["总投资（亿元）", "年度计划／已完成（万元）", "计划开工", "实际开工", "计划竣工"],
            [
                [
                    L.yi(x["total_yi"], 2),
                    f"{x['planned_wan']}／{x['completed_wan']}（{L.pct(x['share_pct'])}）",
                    x["planned_start"],
                    x["actual_start"] or "未开工",
                    x["planned_completion"],
                ]
            ],
        )
        doc.add_paragraph("滞后原因：" + "；".join(x["reasons"]))
        if x["milestones"]:
            doc.add_heading("倒排工期节点", level=3)
            _table(
                doc,
                ["序号", "节点", "计划完成", "实际完成"],
                [
                    [
                        m["seq"],
                        m["name"],
                        m["due_zh"],
                        m["done_zh"] or ("逾期未完成" if m["late"] else ""),
                    ]
                    for m in x["milestones"]
                ],
            )
        doc.add_heading(f"问题记录（{len(x['problems'])}个）", level=3)
        if x["problems"]:
            _table(
                doc,
                ["发现日期", "问题", "责任单位／领导", "期限", "状态"],
                [
                    [
                        L.zh_date(q["found_on"]),
                        q["description"],
                        f"{q['assignee_unit'] or ''}／{q['assignee_leader'] or ''}",
                        L.zh_date(q["deadline"]),
                        q["status_zh"],
                    ]
                    for q in x["problems"]
                ],
            )
        shown = x["visits"][-8:]
        doc.add_heading(f"走访记录（{len(x['visits'])}次）", level=3)
        if shown:
            _table(
                doc,
                ["日期", "领导", "记录", "发现问题"],
                [
                    [L.zh_date(v["visited_on"]), v["leader"], v["notes"] or "", v["problems_found"]]
                    for v in shown
                ],
            )
        else:
            doc.add_paragraph(f"{r['as_of_zh']}前无走访记录。")
    doc.add_page_break()
    supply_section(doc, r, report.charts.get("land", []), "三")
    return _save(doc)


def to_docx(report: Report) -> bytes:
    return weekly_docx(report) if report.kind == "weekly" else monthly_docx(report)


#: the table and picture rules, for the other sections' writers (word_supply.py)
add_table = _table
add_picture = _picture
