"""The weekly 督查专报, the monthly meeting pack, charts as SVG, and the charts page."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from fastapi import Path as FPath
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from geo_service.api.deps import SessionDep, SettingsDep, require_action
from geo_service.reports import charts, dashboard, documents, span
from geo_service.reports.figures import ReportOptions

router = APIRouter(tags=["reports"])

READ = require_action("reports.read")
CHARTS = require_action("charts.read")
AsOf = Annotated[
    date | None, Query(description="the report's day (default today): figures as of it")
]
Year = Annotated[int | None, Query(ge=1990, le=2100, description="ledger year")]
Lang = Annotated[Literal["zh", "en"], Query(description="label language")]
Format = Annotated[Literal["pdf", "docx", "html"], Query(description="pdf, docx or html")]
FILES: dict[int | str, dict[str, Any]] = {
    200: {"content": {t: {} for t in documents.MEDIA_TYPES.values()}}
}


def _day(session: Session, as_of: date | None, year: int | None = None) -> date:
    """The report's day: today by default; a day in the ledger's span (``reports.span``), and
    ``year`` a ledger year."""
    span.check_year(session, year)
    return span.check_day(session, as_of or date.today())


def _file(report: documents.Report, fmt: str) -> Response:
    name = report.file_name(fmt)
    return Response(
        documents.render(report, fmt),
        media_type=documents.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="report.{fmt}"; '
            f"filename*=UTF-8''{quote(name)}"
            if fmt != "html"
            else "inline",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/api/v1/reports/weekly", dependencies=[READ], responses=FILES)
def weekly_report(
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOf = None,
    year: Year = None,
    format: Format = "pdf",
) -> Response:
    """督查专报: headline figures against targets, slow/overdue projects by leader with the
    reasons, problems (overdue first), projects not visited, changes since last week, a map."""
    opts = ReportOptions(as_of=_day(session, as_of, year), year=year)
    return _file(documents.weekly_report(session, settings, opts), format)


@router.get("/api/v1/reports/monthly", dependencies=[READ], responses=FILES)
def monthly_report(
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOf = None,
    year: Year = None,
    format: Format = "pdf",
    stuck_weeks: Annotated[
        int, Query(ge=4, le=52, description="久推不动: red at every weekly check, weeks")
    ] = 8,
) -> Response:
    """The monthly meeting pack: the stuck projects (久推不动), one page each, with their
    problems and visits."""
    opts = ReportOptions(as_of=_day(session, as_of, year), year=year, stuck_weeks=stuck_weeks)
    return _file(documents.monthly_report(session, settings, opts), format)


@router.get(
    "/api/v1/charts/{name}.svg",
    dependencies=[CHARTS],
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def chart(
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[
        Literal[
            "start-rate",
            "investment",
            "problems",
            "by-domain",
            "by-leader",
            "by-unit",
            "reserve",
            "supply",
        ],
        FPath(description="which chart"),
    ],  # fmt: skip
    as_of: AsOf = None,
    year: Year = None,
    lang: Lang = "zh",
) -> Response:
    """One chart as SVG (no script; every label escaped)."""
    svg = charts.render_chart(
        name, session, settings, as_of=_day(session, as_of, year), year=year, lang=lang
    )
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/maps/dashboard",
    dependencies=[CHARTS],
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}},
)
def dashboard_page(
    session: SessionDep,
    settings: SettingsDep,
    as_of: AsOf = None,
    year: Year = None,
    lang: Lang = "zh",
) -> HTMLResponse:
    """Every chart on one page (inline SVG, no script), the land-supply clocks and idle land,
    and the report downloads."""
    html = dashboard.dashboard_page(
        session, settings, as_of=_day(session, as_of, year), year=year, lang=lang
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "img-src 'self' data:",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
