"""The charts on an official's dashboard: a panel fragment for the projects map page and a
standalone page (``GET /maps/dashboard``), both without script.

``charts_panel`` links the SVG routes (``GET /api/v1/charts/{name}.svg``) as images: the map
page embeds it as it is. ``dashboard_page`` inlines the same SVG (every label already escaped
by the chart template) so the page is one request.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy.orm import Session

from geo_service.reports import charts as C
from geo_service.reports import figures as F
from geo_service.reports import series as S
from geo_service.settings import Settings

TITLES = {
    "start-rate": "开工率走势与目标",
    "investment": "计划与完成投资",
    "problems": "每周发现与解决问题",
    "by-domain": "按领域",
    "by-leader": "按分包领导",
    "by-unit": "按责任单位",
    "reserve": "净地储备与500亩目标",
}
PANEL_CSS = """
.gs-charts{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start;
font-family:'Noto Sans CJK SC',sans-serif}
.gs-charts figure{margin:0;flex:1 1 460px;max-width:740px;background:#fff;border:1px solid #ddd;
padding:4px}
.gs-charts figure img,.gs-charts figure svg{width:100%;height:auto}
.gs-charts figcaption{font-size:12px;color:#555}
.gs-charts .gs-reports a{margin-right:1em}
"""


def _query(as_of: date | None, **extra: str) -> str:
    q = {k: v for k, v in {"as_of": as_of.isoformat() if as_of else None, **extra}.items() if v}
    return f"?{urlencode(q)}" if q else ""


def charts_panel(
    *, names: tuple[str, ...] = C.CHART_NAMES, as_of: date | None = None, base: str = ""
) -> Markup:
    """A safe HTML fragment: a ``<section class="gs-charts">`` with the charts as ``<img>``
    (same-origin SVG, the map page's cookie or header admits them) and the report downloads."""
    env = C.env()
    tpl = env.get_template("charts_panel.html.j2")
    return Markup(
        tpl.render(
            css=Markup(PANEL_CSS),
            names=[n for n in names if n in TITLES],
            titles=TITLES,
            base=base.rstrip("/"),
            q=_query(as_of),
            qp=_query(as_of, format="pdf"),
            qd=_query(as_of, format="docx"),
        )
    )


def dashboard_page(
    session: Session, settings: Settings, *, as_of: date, year: int | None = None
) -> str:
    """A standalone page: every chart inline, as of the date, and the report downloads."""
    stats = F.headline(session, settings, F.ReportOptions(as_of=as_of, year=year))
    svgs: dict[str, str] = {}
    if stats.get("projects", {}).get("count"):
        m = S.monthly_figures(session, settings, as_of=as_of, year=stats["year"], stats=stats)
        svgs["start-rate"] = C.start_rate_chart(m)
        svgs["investment"] = C.investment_chart(m)
        svgs["problems"] = C.problems_chart(
            S.problem_weeks(session, as_of=as_of, year=stats["year"])
        )
        for dim in ("domain", "leader", "unit"):
            svgs[f"by-{dim}"] = C.split_chart(stats, dim)
    svgs["reserve"] = C.reserve_chart(S.reserve_history(session, settings))
    tpl = C.env().get_template("dashboard.html.j2")
    from geo_service.reports.labels import zh_date

    return tpl.render(
        title=f"{F.district_name(settings)}重点项目图表",
        as_of_zh=zh_date(as_of),
        css=Markup(PANEL_CSS),
        # the chart template escaped every label: its output is markup
        svgs={k: Markup(v) for k, v in svgs.items()},
        titles=TITLES,
        qp=_query(as_of, format="pdf"),
        qd=_query(as_of, format="docx"),
    )
