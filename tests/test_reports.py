"""The weekly 督查专报, the monthly pack and the charts, read back as a reader would: the PDF's
text (pypdf), the Word file (python-docx), the SVG's data points; every figure and list is
checked against the API for the same date."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from geo_service.db.engine import transaction
from geo_service.projects import writes as ledger
from tests.documents import cjk_cmap as _cjk_cmap
from tests.documents import docx_text as _docx_text
from tests.documents import flat as _flat
from tests.documents import fonts as _fonts
from tests.documents import get_ok as _get
from tests.documents import pdf_text as _pdf_text
from tests.documents import points as _points
from tests.helpers import run_cli, token

AS_OF = date(2026, 11, 27)  # the demo's own date
EARLIER = date(2026, 10, 30)
HOSTILE = '<script>alert("x")</script>&amp;'


@pytest.fixture(scope="module")
def official(demo_engine: Engine) -> dict[str, str]:
    return token(demo_engine, "official")


@pytest.fixture(scope="module")
def weekly_pdf(demo_client: TestClient, official: dict[str, str]) -> bytes:
    """The weekly report as of the demo's date (rendered once for the tests that read it)."""
    return _get(demo_client, f"/api/v1/reports/weekly?as_of={AS_OF}&format=pdf", official).content


def _api(client: TestClient, headers: dict[str, str], day: date) -> dict[str, Any]:
    """What the API says for ``day``: the figures and lists a report must repeat."""
    q = f"as_of={day.isoformat()}"
    stats = _get(client, f"/api/v1/stats?{q}", headers).json()
    flagged = set()
    for rag in ("red", "yellow"):
        fc = _get(client, f"/api/v1/projects?{q}&rag={rag}&limit=1000", headers).json()
        flagged |= {f["id"] for f in fc["features"]}
    problems = _get(client, f"/api/v1/problems?{q}&limit=1000", headers).json()["items"]
    unresolved = [
        p
        for p in problems
        if p["found_on"] <= day.isoformat()
        and not (p["status"] == "resolved" and p["resolved_on"] <= day.isoformat())
    ]
    nv = _get(client, f"/api/v1/projects/not-visited?{q}&year=2026&limit=1", headers).json()
    return {"stats": stats, "flagged": flagged, "unresolved": unresolved, "not_visited": nv}


def _figures_said(stats: dict[str, Any]) -> list[str]:
    """The headline figures as the report writes them (flattened text)."""
    p, inv, pr, land = stats["projects"], stats["investment"], stats["problems"], stats["land"]
    said = [
        f"重点项目{p['count']}个",
        f"开工率{p['start_rate_pct']:.1f}%",
        f"已开工{p['started']}个",
        f"完成投资{inv['completed_yi']:.1f}亿元",
        f"占年度计划的{inv['completed_share_of_plan_pct']:.1f}%",
        f"总投资{inv['total_yi']:.1f}亿元",
        f"红灯项目{p['rag']['red']}个、黄灯项目{p['rag']['yellow']}个",
        f"逾期项目{p['overdue']}个",
        f"累计发现问题{pr['found']}个，已解决{pr['resolved']}个",
        f"{land['net_land_reserve_mu']:.2f}亩",
    ]
    for a in stats["attraction"].values():
        said.append(f"{a['target']}个{a['count']}个")
    return said


# ------------------------------------------------------------------ the weekly report, PDF


@pytest.mark.parametrize("day", [AS_OF, EARLIER])
def test_weekly_pdf_says_what_the_api_says(
    demo_client: TestClient, official: dict[str, str], day: date
) -> None:
    api = _api(demo_client, official, day)
    r = _get(demo_client, f"/api/v1/reports/weekly?as_of={day}&format=pdf", official)
    assert r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    pages, reader = _pdf_text(r.content)
    text = _flat("\n".join(pages))

    reserve = f"{api['stats']['land']['net_land_reserve_mu']:.2f}亩"  # the register today
    for said in _figures_said(api["stats"]):
        if said != reserve:
            assert said in text, f"the PDF does not say {said!r}"
    # the reserve on the report's day: replayed from the supply events, as the chart does
    svg = _get(demo_client, f"/api/v1/charts/reserve.svg?as_of={day}", official).text
    assert f"{float(_points(svg, 'reserve')[-1][1]):.2f}亩" in text
    for t in api["stats"]["projects"]["start_rate_targets"]:
        assert f"≥{t['target_pct']:.0f}%" in text
    # every red and yellow project is listed, and nothing else is flagged
    assert api["flagged"], "the demo has slow projects on this day"
    missing = [c for c in api["flagged"] if c not in text]
    assert not missing, f"flagged projects missing from the PDF: {missing}"
    assert f"共{len(api['flagged'])}个：" in text
    # unresolved problems, the overdue ones first
    codes = [p["code"] for p in api["unresolved"]]
    assert codes and all(c in text for c in codes)
    overdue = [p["code"] for p in api["unresolved"] if p["overdue"]]
    if overdue:
        first_other = min(text.index(p["code"]) for p in api["unresolved"] if not p["overdue"])
        assert max(text.index(c) for c in overdue) < first_other
    assert f"天内无分包领导走访的项目{api['not_visited']['numberMatched']}个" in text
    # 亿元 to one decimal, everywhere (docs/ledger.md): the API's figure and each one in the text
    yi = api["stats"]["investment"]
    assert all(round(yi[k], 1) == yi[k] for k in ("completed_yi", "total_yi"))
    amounts = re.findall(r"(\d+\.\d+)亿元", text)
    assert amounts and not [a for a in amounts if not re.fullmatch(r"\d+\.\d", a)], amounts
    # Chinese dates, page numbers, a sane page count
    assert f"截至{day.year}年{day.month}月{day.day}日" in text
    n = len(reader.pages)
    assert 3 <= n <= 40
    assert f"第1页/共{n}页" in _flat(pages[0]) and f"第{n}页/共{n}页" in _flat(pages[-1])


def test_weekly_pdf_has_every_chinese_glyph(weekly_pdf: bytes) -> None:
    pages, reader = _pdf_text(weekly_pdf)
    text = "".join(pages)
    # typeset in Noto CJK only (no fallback font), and every character has a glyph in it
    fonts = _fonts(reader)
    assert fonts and all("Noto" in f for f in fonts), fonts
    cmap = _cjk_cmap()
    no_glyph = sorted({ch for ch in text if ord(ch) > 0x2000 and ord(ch) not in cmap})
    assert not no_glyph, f"characters without a glyph in Noto Sans CJK: {no_glyph}"
    assert "\ufffd" not in text and "□" not in text
    for phrase in ("重点项目督查专报", "主要指标完成情况", "进度滞后和逾期项目", "问题办理情况"):
        assert phrase in _flat(text)


def test_weekly_report_compares_with_last_week(
    demo_client: TestClient, official: dict[str, str], weekly_pdf: bytes
) -> None:
    """本周变化: the red count a week earlier comes from the same API a week earlier."""
    before = _api(demo_client, official, AS_OF - timedelta(days=7))["stats"]["projects"]
    now = _api(demo_client, official, AS_OF)["stats"]["projects"]
    text = _flat("".join(_pdf_text(weekly_pdf)[0]))
    assert f"红灯项目{before['rag']['red']}→{now['rag']['red']}个" in text
    assert f"开工率{before['start_rate_pct']:.1f}%→{now['start_rate_pct']:.1f}%" in text


# ------------------------------------------------------------------ the weekly report, Word


def test_weekly_docx_says_what_the_api_says(
    demo_client: TestClient, official: dict[str, str], weekly_pdf: bytes
) -> None:
    api = _api(demo_client, official, AS_OF)
    r = _get(demo_client, f"/api/v1/reports/weekly?as_of={AS_OF}&format=docx", official)
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    text, doc = _docx_text(r.content)
    flat = _flat(text)
    for said in _figures_said(api["stats"]):
        assert said in flat, f"the Word file does not say {said!r}"
    assert all(c in flat for c in api["flagged"])
    assert all(p["code"] in flat for p in api["unresolved"])
    # what the PDF says beyond the figures, the Word file says too (item 13 of the review)
    pdf = _flat("".join(_pdf_text(weekly_pdf)[0]))
    median = api["stats"]["problems"]["median_days_to_resolve"]
    assert median is not None
    for said in (
        f"问题从发现到解决的中位用时{median:.0f}天",
        "图1：红灯、黄灯项目分布",
        f"指标口径与/api/v1/stats?as_of={AS_OF}一致",
    ):
        assert said in pdf and said in flat, f"the Word file does not say {said!r}"
    # header rows repeat on each page, rows do not split, the footer numbers the pages
    xml = doc.element.xml
    assert "w:tblHeader" in xml and "w:cantSplit" in xml
    footer = doc.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert doc.inline_shapes, "the charts and the map are in the document"
    # East Asian text is set in the CJK font (Word would otherwise pick its own)
    normal = doc.styles["Normal"].element.xml
    assert 'w:eastAsia="Noto Sans CJK SC"' in normal


# ------------------------------------------------------------------ the monthly pack


def _red(client: TestClient, headers: dict[str, str], day: date) -> set[str]:
    fc = _get(client, f"/api/v1/projects?county=411603&as_of={day}&rag=red&limit=1000", headers)
    return {f["id"] for f in fc.json()["features"]}


def test_monthly_pack_has_one_page_per_stuck_project(
    demo_client: TestClient, official: dict[str, str]
) -> None:
    """久推不动 = red today and at every weekly check over the last 8 weeks, by the API's own
    red/yellow/green; a project red only at 0, 4 and 8 weeks back is not stuck."""
    red: set[str] = set()
    sampled: set[str] = set()
    for weeks in range(9):
        codes = _red(demo_client, official, AS_OF - timedelta(weeks=weeks))
        red = codes if weeks == 0 else red & codes
        sampled = codes if weeks == 0 else (sampled & codes if weeks % 4 == 0 else sampled)
    assert sampled - red, "the demo has projects red 4 and 8 weeks ago but not every week"
    assert red, "the demo has projects red for two months"
    r = _get(
        demo_client,
        f"/api/v1/reports/monthly?county=411603&as_of={AS_OF}&format=pdf",
        official,
    )
    pages, reader = _pdf_text(r.content)
    heads = {}
    for i, page in enumerate(pages):
        if m := re.search(r"^\d+\.\s*(XM\S+)", page, re.M):
            heads[m.group(1)] = i
    assert set(heads) == red
    assert len(set(heads.values())) == len(red), "each stuck project starts its own page"
    # a project's page carries its visit history: the count matches the API
    code = sorted(red)[0]
    visits = _get(demo_client, f"/api/v1/projects/{code}/visits", official).json()
    items = visits["items"] if isinstance(visits, dict) else visits
    n = sum(1 for v in items if v["visited_on"] <= AS_OF.isoformat())
    i = heads[code]
    page = _flat("".join(pages[i : i + 2]))  # a long history may run onto the next page
    assert f"走访记录（{n}次" in page
    assert len(reader.pages) >= len(red) + 1

    assert "此前8周逐周复核" in _flat(pages[0] + pages[1]), "the pack says its rule"

    d = _get(demo_client, f"/api/v1/reports/monthly?as_of={AS_OF}&format=docx", official)
    text, _ = _docx_text(d.content)
    assert all(c in text for c in red) and not any(c in text for c in sampled - red)
    assert "此前8周逐周复核" in text


def test_the_weekly_report_counts_the_same_stuck_projects(
    demo_client: TestClient, official: dict[str, str], weekly_pdf: bytes
) -> None:
    """The weekly report's 本周变化 counts the pack's 久推不动, and none of them turned red this
    week (the week's 预警升级 list and the stuck list never share a project)."""
    pack = _get(demo_client, f"/api/v1/reports/monthly?as_of={AS_OF}&format=html", official)
    stuck = set(re.findall(r'data-code="([^"]+)"', pack.text))
    assert stuck
    text = _flat("".join(_pdf_text(weekly_pdf)[0]))
    assert f"久推不动{len(stuck)}个" in text
    turned_red = _red(demo_client, official, AS_OF) - _red(
        demo_client, official, AS_OF - timedelta(days=7)
    )
    assert turned_red and not (turned_red & stuck)


# ------------------------------------------------------------------ charts


def test_start_rate_and_investment_charts_end_at_the_headline_figures(
    demo_client: TestClient, official: dict[str, str]
) -> None:
    stats = _api(demo_client, official, AS_OF)["stats"]
    svg = _get(demo_client, f"/api/v1/charts/start-rate.svg?as_of={AS_OF}", official)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    pts = _points(svg.text, "start_rate")
    assert len(pts) == AS_OF.month  # Jan…Oct month ends, then the day itself
    assert float(pts[-1][1]) == stats["projects"]["start_rate_pct"]
    march = _api(demo_client, official, date(2026, 3, 31))["stats"]["projects"]
    assert float(pts[2][1]) == march["start_rate_pct"]
    assert "目标 50%" in svg.text and "目标 80%" in svg.text

    inv = _get(demo_client, f"/api/v1/charts/investment.svg?as_of={AS_OF}", official).text
    done = _points(inv, "completed")
    assert float(done[-1][1]) == stats["investment"]["completed_yi"]
    plan = _points(inv, "plan")
    assert float(plan[-1][1]) <= stats["investment"]["planned_this_year_yi"]


def test_split_and_problem_charts_add_up(demo_client: TestClient, official: dict[str, str]):
    stats = _api(demo_client, official, AS_OF)["stats"]
    svg = _get(demo_client, f"/api/v1/charts/by-leader.svg?as_of={AS_OF}", official).text
    red = _points(svg, "red", "rect")
    assert sum(int(v) for _, v in red) == stats["projects"]["rag"]["red"]
    total = sum(int(v) for s in ("red", "yellow", "green") for _, v in _points(svg, s, "rect"))
    assert total == stats["projects"]["count"]
    assert len({x for x, _ in _points(svg, "green", "rect") + red}) <= len(stats["by_leader"])

    probs = _get(demo_client, f"/api/v1/charts/problems.svg?as_of={AS_OF}", official).text
    opened = _points(probs, "opened", "rect")
    assert len(opened) == 12
    first = AS_OF - timedelta(days=6) - timedelta(weeks=11)
    items = _get(demo_client, f"/api/v1/problems?as_of={AS_OF}&limit=1000", official).json()
    found = [p for p in items["items"] if first.isoformat() <= p["found_on"] <= AS_OF.isoformat()]
    assert sum(int(v) for _, v in opened) == len(found)
    # the last bar is the report's 本周 (the seven days ending on its day), as its text says
    week = [p for p in found if p["found_on"] > (AS_OF - timedelta(days=7)).isoformat()]
    assert int(opened[-1][1]) == len(week)

    reserve = _get(demo_client, "/api/v1/charts/reserve.svg", official).text
    land = stats["land"]
    assert float(_points(reserve, "reserve")[-1][1]) == land["net_land_reserve_mu"]
    assert f"储备目标 {land['net_land_reserve_target_mu']:.0f}亩" in reserve


def test_a_hostile_label_is_escaped_everywhere(client: TestClient, clean_engine: Engine) -> None:
    with transaction(clean_engine) as s:
        ledger.upsert_projects(
            s,
            [
                {
                    "code": "PRJ-X",
                    "name": HOSTILE,
                    "year": 2026,
                    "domain": "infrastructure",
                    "status": "planned",
                    "total_investment_wan": 1000,
                    "planned_investment_wan": 500,
                    "completed_wan": 0,
                    "leader": HOSTILE,
                    "responsible_unit": HOSTILE,
                    "planned_start": "2026-01-10",
                    "lon": 114.9,
                    "lat": 33.72,
                }
            ],
        )
    h = token(clean_engine, "official")
    for name in ("by-leader", "by-unit"):
        svg = _get(client, f"/api/v1/charts/{name}.svg?as_of=2026-03-01", h).text
        assert "<script" not in svg and "&lt;script&gt;" in svg
        root = ET.fromstring(svg)  # still well-formed XML
        assert HOSTILE in "".join(root.itertext())
    html = _get(client, "/api/v1/reports/weekly?as_of=2026-03-01&format=html", h).text
    assert "<script" not in html and "&lt;script&gt;" in html
    page = _get(client, "/maps/dashboard?as_of=2026-03-01", h).text
    assert "<script" not in page and "&lt;script&gt;" in page
    pdf = _get(client, "/api/v1/reports/weekly?as_of=2026-03-01&format=pdf", h).content
    assert "PRJ-X" in _flat("".join(_pdf_text(pdf)[0]))


def test_roles_and_bad_input(demo_client: TestClient, demo_engine: Engine) -> None:
    urls = [
        "/api/v1/reports/weekly?format=docx",
        "/api/v1/reports/monthly?format=docx",
        "/api/v1/charts/start-rate.svg",
        "/maps/dashboard",
    ]
    for url in urls:
        assert demo_client.get(url).status_code == 401
        assert demo_client.get(url, headers=token(demo_engine, "investor")).status_code == 403
    bureau = token(demo_engine, "bureau")
    assert demo_client.get("/api/v1/charts/reserve.svg", headers=bureau).status_code == 200
    bad = demo_client.get("/api/v1/reports/weekly?format=xlsx", headers=bureau)
    assert bad.status_code == 422 and "format" in bad.json()["detail"]
    bad = demo_client.get("/api/v1/charts/pie.svg", headers=bureau)
    assert bad.status_code == 422 and "name" in bad.json()["detail"]
    for day in ("27.11.2026", "2026/11/27", "2026-11-31"):  # the format to use is said
        bad = demo_client.get(f"/api/v1/reports/weekly?as_of={day}", headers=bureau)
        assert bad.status_code == 422 and "as_of" in bad.json()["detail"]
        assert "YYYY-MM-DD" in bad.json()["detail"], bad.json()["detail"]
    bad = demo_client.get("/api/v1/charts/start-rate.svg?as_of=9999-12-31", headers=bureau)
    assert bad.status_code == 422 and "as_of" in bad.json()["detail"]


def test_a_day_or_year_outside_the_ledger_is_refused(
    demo_client: TestClient, official: dict[str, str]
) -> None:
    """A report about 2030 would make up red flags; one about 1999 has no ledger: 422 naming
    the parameter and the span (from the ledger's first year to today + 7 days)."""
    from geo_service.reports.span import FUTURE_MARGIN_DAYS

    last = date.today() + timedelta(days=FUTURE_MARGIN_DAYS)
    for url in (
        "/api/v1/reports/weekly?as_of=2030-01-01&format=html",
        f"/api/v1/reports/monthly?as_of={last + timedelta(days=1)}&format=html",
        "/api/v1/reports/weekly?as_of=1999-01-01&format=html",
        "/api/v1/charts/start-rate.svg?as_of=1999-01-01",
        "/maps/dashboard?as_of=2030-01-01",
        # the figures the reports repeat, and the map they are compared with, alike
        "/api/v1/stats?as_of=2030-01-01",
        f"/api/v1/stats?as_of={last + timedelta(days=1)}",
        "/maps/projects?as_of=2030-01-01",
    ):
        r = demo_client.get(url, headers=official)
        assert r.status_code == 422, url
        detail = r.json()["detail"]
        assert "as_of" in detail and last.isoformat() in detail and "2026" in detail, detail
    for url in (
        "/api/v1/reports/weekly?year=2031&format=html",
        "/api/v1/charts/by-leader.svg?year=2031",
        "/maps/projects?year=2031",
    ):
        r = demo_client.get(url, headers=official)
        assert r.status_code == 422, url
        assert "year 2031" in r.json()["detail"] and "2026" in r.json()["detail"]
    # the edges are reports
    _get(demo_client, "/api/v1/charts/by-leader.svg?as_of=2026-01-01", official)
    _get(demo_client, f"/api/v1/charts/by-leader.svg?as_of={last}", official)
    _get(demo_client, f"/api/v1/stats?as_of={last}", official)


def test_the_charts_panel_fragment_links_the_chart_routes() -> None:
    from geo_service.reports.charts import CHART_NAMES
    from geo_service.reports.dashboard import charts_panel

    html = str(charts_panel(as_of=AS_OF, base='/x"><script>'))
    assert "<script" not in html
    for name in CHART_NAMES:
        assert f"/api/v1/charts/{name}.svg?as_of=2026-11-27" in html


# ------------------------------------------------------------------ the command line


def test_cli_writes_the_reports_and_refuses_a_bad_name(demo_engine: Engine, tmp_path: Path):
    out = tmp_path / "weekly.pdf"
    r = run_cli(demo_engine, "report", "weekly", "--as-of", "2026-11-27", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"%PDF") and "slow/overdue projects" in r.stdout
    docx = tmp_path / "pack.docx"
    args = ("--as-of", "2026-11-27", "--stuck-weeks", "52", "--out", str(docx))
    r = run_cli(demo_engine, "report", "monthly", *args)
    assert r.returncode == 0, r.stderr
    assert "0 stuck projects" in r.stdout  # nothing has been red for a year
    assert docx.read_bytes()[:2] == b"PK"
    bad = tmp_path / "weekly.xls"
    r = run_cli(demo_engine, "report", "weekly", "--out", str(bad))
    assert r.returncode != 0 and ".pdf or .docx" in (r.stdout + r.stderr)
    assert not bad.exists()
    r = run_cli(demo_engine, "report", "weekly", "--as-of", "2026/11/27", "--out", str(out))
    assert r.returncode != 0 and "YYYY-MM-DD" in (r.stdout + r.stderr)
    r = run_cli(demo_engine, "report", "weekly", "--as-of", "1999-01-01", "--out", str(out))
    assert r.returncode != 0 and "--as-of 1999-01-01 is outside" in (r.stdout + r.stderr)
    r = run_cli(demo_engine, "report", "monthly", "--year", "2031", "--out", str(docx))
    assert r.returncode != 0 and "--year 2031 has no ledger" in (r.stdout + r.stderr)
