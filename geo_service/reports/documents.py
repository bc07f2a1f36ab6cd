"""The weekly 督查专报 and the monthly pack as HTML (Jinja2, autoescaped) and as PDF (WeasyPrint).

The PDF is typeset with the Noto CJK fonts (Debian ``fonts-noto-cjk``, installed by ``make``);
charts and the map are server-rendered SVG embedded as ``data:`` images, and the renderer fetches
nothing else (no network, no files).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from importlib import resources
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from geo_service.counties.service import outlines
from geo_service.errors import InvalidInput
from geo_service.reports import charts as C
from geo_service.reports import figures as F
from geo_service.reports import labels as L
from geo_service.reports import land as LD
from geo_service.reports import mapfig as M
from geo_service.reports import series as S
from geo_service.reports import texts as T
from geo_service.reports.svg import env
from geo_service.settings import Settings

FORMATS = ("pdf", "docx", "html")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
}


@dataclass
class Report:
    """A report's data (``figures.weekly``/``monthly``), its charts as SVG, and its title."""

    kind: str
    title: str
    data: dict[str, Any]
    charts: dict[str, list[str]]

    def file_name(self, fmt: str) -> str:
        label = "督查专报" if self.kind == "weekly" else "月度调度会材料"
        return f"{label}-{self.data['as_of']}.{fmt}"


def _title(session: Session, settings: Settings, kind: str) -> str:
    district = F.place_name(session, settings)
    return f"{district}重点项目{'督查专报' if kind == 'weekly' else '月度调度会材料'}"


def weekly_report(session: Session, settings: Settings, opts: F.ReportOptions) -> Report:
    """Gather the weekly report and draw its charts."""
    data = F.weekly(session, settings, opts)
    charts: dict[str, list[str]] = {"top": [], "problems": [], "splits": [], "map": []}
    charts["land"] = _land_charts(session, settings, opts, data)
    if data["stats"]["projects"].get("count"):
        m = S.monthly_figures(
            session, settings, as_of=opts.as_of, year=data["year"], stats=data["stats"]
        )
        charts["top"] = [C.start_rate_chart(m), C.investment_chart(m)]
        weeks = S.problem_weeks(session, as_of=opts.as_of, year=data["year"])
        charts["problems"] = [C.problems_chart(weeks)]
        charts["splits"] = [C.split_chart(data["stats"], "domain")]
        # the outlines of the counties reported on (one county's, or every county's for the city)
        rings = M.geometry_rings(outlines(session)) or M.boundary_rings(settings.district_boundary)
        pts = data["flagged_points"]
        charts["map"] = [M.map_figure(rings, pts, title="红灯、黄灯项目分布图")]
        if dense := M.dense_area(pts, rings=rings):
            charts["map"].append(
                M.map_figure([], dense, title="红灯、黄灯项目分布图（项目密集区放大）", h=460)
            )
    return Report("weekly", _title(session, settings, "weekly"), data, charts)


def monthly_report(session: Session, settings: Settings, opts: F.ReportOptions) -> Report:
    """Gather the monthly meeting pack and draw its charts."""
    data = F.monthly(session, settings, opts)
    charts: dict[str, list[str]] = {"top": []}
    charts["land"] = _land_charts(session, settings, opts, data)
    if data["stats"]["projects"].get("count"):
        m = S.monthly_figures(
            session, settings, as_of=opts.as_of, year=data["year"], stats=data["stats"]
        )
        charts["top"] = [C.start_rate_chart(m), C.investment_chart(m)]
    return Report("monthly", _title(session, settings, "monthly"), data, charts)


def _land_charts(
    session: Session, settings: Settings, opts: F.ReportOptions, data: dict[str, Any]
) -> list[str]:
    """The supply section's charts: missed deadlines (when any) and the reserve over time."""
    out = [C.supply_chart(data["supply"])] if data["supply"]["missed"] else []
    return out + [C.reserve_chart(LD.reserve_history(session, settings, as_of=opts.as_of))]


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def to_html(report: Report) -> str:
    """The report as one HTML page (the PDF's source)."""
    # the style sheet is our own file, not data: it goes in unescaped
    css = Markup(
        resources.files("geo_service.reports").joinpath("templates/report.css").read_text("utf-8")
    )
    charts = {k: [_data_uri(s) for s in v] for k, v in report.charts.items()}
    tpl = env().get_template(f"{report.kind}.html.j2")
    return tpl.render(
        r=report.data,
        title=report.title,
        office=L.OFFICE,
        css=css,
        L=L,
        T=T,
        charts=charts,
    )


def to_pdf(report: Report) -> bytes:
    """The report as PDF (A4, page numbers, Chinese dates, table headers repeated per page)."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    # data: images only: nothing is fetched from the network or the disk
    fetcher = URLFetcher(allowed_protocols=["data"], fail_on_errors=True)
    html = weasyprint.HTML(string=to_html(report), url_fetcher=fetcher)
    return html.write_pdf()  # type: ignore[no-any-return]


def render(report: Report, fmt: str) -> bytes:
    """The report in ``fmt``: pdf, docx or html."""
    if fmt == "pdf":
        return to_pdf(report)
    if fmt == "docx":
        from geo_service.reports.word import to_docx

        return to_docx(report)
    if fmt == "html":
        return to_html(report).encode("utf-8")
    raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
