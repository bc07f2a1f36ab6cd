"""The charts on an official's dashboard: a panel fragment for the projects map page and a
standalone page (``GET /maps/dashboard``), both without script, in Chinese or English.

``charts_panel`` links the SVG routes (``GET /api/v1/charts/{name}.svg``) as images: the map
page embeds it as it is. ``dashboard_page`` inlines the same SVG (every label already escaped
by the chart template) so the page is one request, and lists the land-supply clocks and idle
parcels of ``land.supply_figures`` (the daily supply check) under the charts.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy.orm import Session

from geo_service.counties import scope
from geo_service.reports import charts as C
from geo_service.reports import figures as F
from geo_service.reports import land as LD
from geo_service.reports import series as S
from geo_service.reports.labels import zh_date
from geo_service.reports.svg import env
from geo_service.settings import Settings

TITLES = {
    "zh": {
        "start-rate": "开工率走势与目标",
        "investment": "计划与完成投资",
        "problems": "每周发现与解决问题",
        "by-domain": "按领域",
        "by-leader": "按分包领导",
        "by-unit": "按责任单位",
        "reserve": "净地储备与目标",  # the chart names the view's target (counties/targets.py)
        "supply": "逾期未履行的供地期限",
    },
    "en": {
        "start-rate": "Start rate against the targets",
        "investment": "Investment planned and completed",
        "problems": "Problems found and resolved per week",
        "by-domain": "By domain",
        "by-leader": "By leader",
        "by-unit": "By responsible unit",
        "reserve": "Net-land reserve against the target",
        "supply": "Missed land-supply deadlines",
    },
}
PANEL_CSS = """
.gs-charts{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start;
font-family:'Noto Sans CJK SC',sans-serif}
.gs-charts figure{margin:0;flex:1 1 460px;max-width:740px;background:#fff;border:1px solid #ddd;
padding:4px}
.gs-charts figure img,.gs-charts figure svg{width:100%;height:auto}
.gs-charts figcaption{font-size:12px;color:#555}
.gs-charts .gs-reports a{margin-right:1em}
.gs-supply{font-family:'Noto Sans CJK SC',sans-serif;background:#fff;border:1px solid #ddd;
padding:6px 10px;margin-top:12px;max-width:1504px}
.gs-supply h2{font-size:16px;margin:4px 0}.gs-supply h3{font-size:14px;margin:10px 0 4px}
.gs-supply table{border-collapse:collapse;font-size:13px;width:100%}
.gs-supply th,.gs-supply td{border:1px solid #ccc;padding:3px 6px;text-align:left;
vertical-align:top}
.gs-supply th{background:#f0f0f0}.gs-supply td.num{text-align:right;white-space:nowrap}
.gs-supply td.nowrap{white-space:nowrap}.gs-supply .red{color:#c00}
"""
_WORDS = {
    "zh": {
        "title": "{d}重点项目图表",
        "as_of": "（截至{d}）",
        "weekly": "督查专报：",
        "monthly": "月度调度会材料：",
        "other": "English",
        "dashboard": "全部图表与土地供应督办",
    },
    "en": {
        "title": "{d} key projects: charts",
        "as_of": " (as of {d})",
        "weekly": "Weekly supervision report: ",
        "monthly": "Monthly meeting pack: ",
        "other": "中文",
        "dashboard": "All charts and land supply",
    },
}


def _query(as_of: date | None, **extra: str) -> str:
    q = {k: v for k, v in {"as_of": as_of.isoformat() if as_of else None, **extra}.items() if v}
    return f"?{urlencode(q)}" if q else ""


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def charts_panel(
    *,
    names: tuple[str, ...] = C.CHART_NAMES,
    as_of: date | None = None,
    base: str = "",
    lang: str = "zh",
    county: str | None = None,
) -> Markup:
    """A safe HTML fragment: a ``<section class="gs-charts">`` with the charts as ``<img>``
    (same-origin SVG, the map page's cookie or header admits them) and the report downloads,
    all of ``county`` when the page shows one."""
    lang = _lang(lang)
    tpl = env().get_template("charts_panel.html.j2")
    return Markup(
        tpl.render(
            css=Markup(PANEL_CSS),
            names=[n for n in names if n in TITLES[lang]],
            titles=TITLES[lang],
            words=_WORDS[lang],
            base=base.rstrip("/"),
            q=_query(as_of, lang="en" if lang == "en" else "", county=county or ""),
            qp=_query(as_of, format="pdf", county=county or ""),
            qd=_query(as_of, format="docx", county=county or ""),
        )
    )


def dashboard_page(
    session: Session, settings: Settings, *, as_of: date, year: int | None = None, lang: str = "zh"
) -> str:
    """A standalone page: every chart inline, as of the date, the supply clocks and idle land,
    and the report downloads."""
    lang = _lang(lang)
    stats = F.headline(session, settings, F.ReportOptions(as_of=as_of, year=year))
    supply = LD.supply_figures(session, settings, as_of=as_of)
    svgs: dict[str, str] = {}
    if stats.get("projects", {}).get("count"):
        m = S.monthly_figures(session, settings, as_of=as_of, year=stats["year"], stats=stats)
        svgs["start-rate"] = C.start_rate_chart(m, lang)
        svgs["investment"] = C.investment_chart(m, lang)
        svgs["problems"] = C.problems_chart(
            S.problem_weeks(session, as_of=as_of, year=stats["year"]), lang
        )
        for dim in ("domain", "leader", "unit"):
            svgs[f"by-{dim}"] = C.split_chart(stats, dim, lang)
    svgs["reserve"] = C.reserve_chart(LD.reserve_history(session, settings, as_of=as_of), lang)
    svgs["supply"] = C.supply_chart(supply, lang)
    w = _WORDS[lang]
    district = F.place_name(session, settings, lang)
    county = scope.in_view(session) or ""  # the links keep the county the page shows
    return (
        env()
        .get_template("dashboard.html.j2")
        .render(
            lang=lang,
            title=w["title"].format(d=district),
            as_of=w["as_of"].format(d=zh_date(as_of) if lang == "zh" else as_of.isoformat()),
            words=w,
            other_href=_query(as_of, lang="" if lang == "en" else "en", county=county) or "?",
            css=Markup(PANEL_CSS),
            # the chart template escaped every label: its output is markup
            svgs={k: Markup(v) for k, v in svgs.items()},
            titles=TITLES[lang],
            supply=supply,
            qp=_query(as_of, format="pdf", county=county),
            qd=_query(as_of, format="docx", county=county),
        )
    )
