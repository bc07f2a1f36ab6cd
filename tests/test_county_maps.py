"""The county switcher and the city overview on every map, as a person reads the page (issue 14):
which counties the switcher offers to whom, what the overview's figures say (the same as
``/api/v1/stats``'s ``by_county``), and that a chosen county's map shows that county only."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from geo_service.auth.tokens import create_token
from geo_service.db.engine import transaction
from geo_service.maps.panels import mu
from tests.helpers import token

HY, DC = "411603", "411625"
MAPS = ("/maps/readiness", "/maps/investors", "/maps/projects", "/maps/supply")


def _token(engine: Engine, role: str, county: str | None = None) -> dict[str, str]:
    with transaction(engine) as s:
        name = f"{role}-{county or 'city'}-{uuid.uuid4().hex[:6]}"
        secret = create_token(s, role=role, name=name, actor="test", county=county)
    return {"Authorization": f"Bearer {secret}"}


def _switcher(page: str) -> list[tuple[str, str, bool]]:
    """The county select's options: (value, text, selected)."""
    m = re.search(r'<select name="county">(.*?)</select>', page, re.S)
    assert m, "no county switcher on the page"
    return [
        (v, html.unescape(t), bool(sel))
        for v, sel, t in re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', m[1])
    ]


def _overview(page: str) -> dict[str, list[str]]:
    """The city overview's rows: county code → its cells (name first)."""
    m = re.search(r"<div class=\"gs-panel gs-counties\"[^>]*>(.*?)</div>", page, re.S)
    if not m:
        return {}
    out = {}
    for code, row in re.findall(r'<tr data-gs-county="(\d+)"[^>]*>(.*?)</tr>', m[1], re.S):
        out[code] = [
            html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", row)
        ]
    return out


def _listed(page: str) -> list[str]:
    return re.findall(r'<tr data-gs-code="([^"]+)"', page)


@pytest.fixture(scope="module")
def heads(demo_url: str) -> dict[str, dict[str, str]]:
    from sqlalchemy import create_engine

    eng = create_engine(demo_url)
    try:
        return {
            "city": token(eng, "official"),
            "bureau": token(eng, "bureau"),
            "dc_bureau": _token(eng, "bureau", DC),
            "dc_official": _token(eng, "official", DC),
        }
    finally:
        eng.dispose()


@pytest.mark.parametrize("path", MAPS)
def test_city_token_may_switch_to_every_county_or_the_whole_city(
    demo_client: TestClient, heads: dict[str, Any], path: str
) -> None:
    h = heads["city"] if path != "/maps/readiness" else heads["bureau"]
    if path == "/maps/investors":
        h = {}
    r = demo_client.get(path, headers=h)
    assert r.status_code == 200, r.text[:300]
    opts = _switcher(r.text)
    assert opts[0] == ("", "全市", False)
    assert {(v, t) for v, t, _ in opts[1:]} == {(HY, "淮阳区"), (DC, "郸城县")}
    assert set(_overview(r.text)) == {HY, DC}  # the whole city: the overview
    # with county=: that county chosen, only its records, no overview
    r = demo_client.get(path, headers=h, params={"county": DC})
    assert r.status_code == 200
    assert [v for v, _, sel in _switcher(r.text) if sel] == [DC]
    assert _overview(r.text) == {}
    listed = _listed(r.text)
    assert not [c for c in listed if c.startswith("HY-")], listed  # none of 淮阳区's
    if path in ("/maps/readiness", "/maps/supply"):
        assert listed and all(c.startswith("DC-") for c in listed), listed


@pytest.mark.parametrize("path", [p for p in MAPS if p != "/maps/investors"])
def test_county_token_sees_only_its_own_county_in_the_switcher(
    demo_client: TestClient, heads: dict[str, Any], path: str
) -> None:
    h = heads["dc_bureau"] if path != "/maps/projects" else heads["dc_official"]
    r = demo_client.get(path, headers=h)
    assert r.status_code == 200, r.text[:300]
    assert _switcher(r.text) == [(DC, "郸城县", True)]  # no 全市, no 淮阳区
    assert _overview(r.text) == {}
    assert "淮阳区" not in re.search(r'<select name="county">.*?</select>', r.text, re.S)[0]
    # asking for another county is refused
    assert demo_client.get(path, headers=h, params={"county": HY}).status_code == 403


def test_english_switcher_and_overview(demo_client: TestClient, heads: dict[str, Any]) -> None:
    r = demo_client.get("/maps/readiness", headers=heads["bureau"], params={"lang": "en"})
    opts = _switcher(r.text)
    assert opts[0][1] == "Whole city"
    assert {t for _, t, _ in opts[1:]} == {"Huaiyang District", "Dancheng County"}
    assert "City overview by county" in r.text
    assert _overview(r.text)[DC][0] == "Dancheng County"


def _expected(stats: dict[str, Any], code: str, internal: bool) -> list[str]:
    f = stats["by_county"][code]
    land = f["land"]
    if not internal:
        return [mu(land["net_land_reserve_mu"])]
    p = f.get("projects") or {}
    return [
        str(land["parcels"]),
        mu(land["area_mu"]),
        mu(land["net_land_reserve_mu"]),
        str(p.get("count", 0)),
        str(p.get("overdue", 0)),
    ]


@pytest.mark.parametrize("path", [p for p in MAPS if p != "/maps/investors"])
def test_overview_figures_are_the_stats_by_county(
    demo_client: TestClient, heads: dict[str, Any], path: str
) -> None:
    h = heads["bureau"]
    stats = demo_client.get("/api/v1/stats", headers=h).json()
    rows = _overview(demo_client.get(path, headers=h).text)
    for code in (HY, DC):
        assert rows[code][1:] == _expected(stats, code, True), (code, rows[code])
    assert rows[HY][1] == "60"  # 淮阳区's parcels, as the source has them
    assert int(rows[DC][1]) > 0 and int(rows[DC][4]) > 0  # 郸城县 has parcels and projects


def test_the_investors_overview_counts_each_countys_plots_on_offer(
    demo_client: TestClient,
) -> None:
    """An investor's city overview says how many plots each county offers and their 亩: the
    rows of that county's own list, never the net-land reserve (which holds unpublished land)."""
    city = demo_client.get("/maps/investors").text
    rows = _overview(city)
    assert "可供地块" in city and "净地储备" not in city
    for code in (HY, DC):
        page = demo_client.get(f"/maps/investors?county={code}").text
        areas = re.findall(r'<tr data-gs-code="[^"]+">(?:<td>.*?</td>){3}<td>([\d.]+)</td>', page)
        listed = _listed(page)
        assert len(areas) == len(listed) > 0
        assert rows[code][1:] == [str(len(listed)), mu(sum(float(a) for a in areas))], code
    assert "DC-2026-003" not in _listed(city)  # net land, but not published


def test_projects_overview_follows_the_day_asked(
    demo_client: TestClient, heads: dict[str, Any]
) -> None:
    day = "2026-06-30"
    stats = demo_client.get("/api/v1/stats", headers=heads["city"], params={"as_of": day}).json()
    page = demo_client.get("/maps/projects", headers=heads["city"], params={"as_of": day}).text
    rows = _overview(page)
    for code in (HY, DC):
        assert rows[code][1:] == _expected(stats, code, True)


def test_overview_row_switches_and_keeps_the_other_filters(
    demo_client: TestClient, heads: dict[str, Any]
) -> None:
    page = demo_client.get(
        "/maps/readiness", headers=heads["bureau"], params={"status": "not_net_land"}
    ).text
    href = html.unescape(re.search(rf'<tr data-gs-county="{DC}" data-gs-href="([^"]+)"', page)[1])
    assert href == f"/maps/readiness?county={DC}&status=not_net_land"
    r = demo_client.get(href, headers=heads["bureau"])
    listed = _listed(r.text)
    assert listed and all(c.startswith("DC-") for c in listed)


def test_the_dashboard_and_weekly_report_name_the_place_they_count(
    demo_client: TestClient, heads: dict[str, Any]
) -> None:
    """The title names the county chosen or walled to, else the city: never 淮阳区 over 郸城县's
    charts (role-play)."""
    h = heads["city"]
    title = re.compile(r"<title>(.*?)</title>", re.S)

    def page_title(params: dict[str, str]) -> str:
        r = demo_client.get("/maps/dashboard", headers=h, params=params)
        assert r.status_code == 200, r.text
        return html.unescape(title.search(r.text)[1])  # type: ignore[index]

    assert page_title({"county": DC}).startswith("郸城县重点项目图表")
    assert page_title({"county": HY}).startswith("淮阳区重点项目图表")
    assert page_title({}).startswith("周口市重点项目图表")
    assert page_title({"county": DC, "lang": "en"}).startswith("Dancheng County key projects")
    # a county's own token: its county, without asking
    r = demo_client.get("/maps/dashboard", headers=heads["dc_official"])
    assert html.unescape(title.search(r.text)[1]).startswith("郸城县")  # type: ignore[index]


def test_the_overviews_late_column_says_it_counts_projects(
    demo_client: TestClient, heads: dict[str, Any]
) -> None:
    """On the supply map beside "3 宗逾期" parcels, the overview's 102 are late projects, and
    its header says so (role-play)."""
    zh = demo_client.get("/maps/supply", headers=heads["city"]).text
    head = re.search(r"全市概览（按县区）.*?</tr>", zh, re.S)
    assert head and "逾期项目" in head[0]
    en = demo_client.get("/maps/supply?lang=en", headers=heads["city"]).text
    assert "Projects late" in en


def test_the_investor_overview_says_its_counts_do_not_follow_the_filters(
    demo_client: TestClient,
) -> None:
    """The investor map's 全市概览 counts every plot each county has on offer; its note said
    "与本图的筛选结果同一口径" beside a filtered list (role-play): it says the filters do not
    change it, and its counts are the same with a filter as without."""
    plain = demo_client.get("/maps/investors").text
    filtered = demo_client.get("/maps/investors", params={"min_area_mu": 150}).text
    assert "不随本图的筛选变化" in filtered and "同一口径" not in filtered
    assert len(_listed(filtered)) < len(_listed(plain))

    def overview(page: str) -> list[str]:  # the figures of each row (its links keep the filter)
        table = re.search(r"全市概览（按县区）.*?</table>", page, re.S)[0]  # type: ignore[index]
        return re.findall(r"<td>([0-9.,]+)</td>", table)

    assert overview(plain) and overview(filtered) == overview(plain)
    en = demo_client.get("/maps/investors", params={"lang": "en", "min_area_mu": 150}).text
    assert "whatever this map's filters" in html.unescape(en)


def test_an_investor_is_offered_the_second_countys_net_land(demo_client: TestClient) -> None:
    """郸城县 has its regional assessments (区域评估), so its published net land is on offer to
    investors, as 淮阳区's is; what the map lists is what the investor plot search finds."""
    page = demo_client.get(f"/maps/investors?county={DC}").text
    listed = _listed(page)
    assert listed and all(c.startswith("DC-") for c in listed), listed
    public = demo_client.get(f"/api/v1/parcels?county={DC}&limit=500").json()["features"]
    published = {f["properties"]["code"] for f in public}
    assert set(listed) <= published
    city = _listed(demo_client.get("/maps/investors").text)
    assert set(listed) <= set(city) and any(c.startswith("HY-") for c in city)
    # a plot sheet opened from the county's map returns to the county's map
    sheet = demo_client.get(f"/maps/investors/parcels/{listed[0]}?county={DC}").text
    assert f'href="/maps/investors?county={DC}">返回地图' in sheet


def test_a_countys_charts_and_report_links_stay_that_countys(
    demo_client: TestClient, heads: dict[str, Any]
) -> None:
    """On 郸城县's projects map and dashboard every chart, download and language link asks for
    郸城县 (the role-play downloaded the city's 督查专报 from 郸城县's map); the city's ask for
    no county."""
    h = heads["city"]
    links = re.compile(r'(?:src|href)="(/api/v1/(?:charts|reports)/[^"]+)"')
    for path in ("/maps/projects", "/maps/dashboard"):
        page = demo_client.get(path, headers=h, params={"county": DC, "as_of": "2026-11-27"}).text
        found = [html.unescape(u) for u in links.findall(page)]
        assert any("/reports/weekly" in u for u in found), path
        assert found and all(f"county={DC}" in u for u in found), (path, found)
        city = demo_client.get(path, headers=h, params={"as_of": "2026-11-27"}).text
        assert not [u for u in links.findall(city) if "county=" in u]
    dash = demo_client.get("/maps/dashboard", headers=h, params={"county": DC}).text
    other = re.search(r'href="(\?[^"]*lang=en[^"]*)"', dash)
    assert other and f"county={DC}" in html.unescape(other[1])
    # the charts a county's map asks for are that county's: by-domain adds up to its projects
    svg = demo_client.get(f"/api/v1/charts/by-domain.svg?county={DC}", headers=h).text
    n = demo_client.get(f"/api/v1/stats?county={DC}", headers=h).json()["projects"]["count"]
    values = re.findall(r'data-series="(?:red|yellow|green)"[^>]*?data-value="(\d+)"', svg, re.S)
    assert values and sum(int(v) for v in values) == n


def _fit_column(page: str) -> dict[str, str]:
    """The result list's fit column: code → its text."""
    body = page.split('id="gs-results"')[1]
    return {
        code: html.unescape(re.sub(r"<[^>]+>", "", cells[-1]))
        for code, row in re.findall(r'<tr data-gs-code="([^"]+)"[^>]*>(.*?)</tr>', body, re.S)
        if (cells := re.findall(r"<td>(.*?)</td>", row, re.S))
    }


def test_the_fit_check_says_which_bounds_a_plot_sets(demo_client: TestClient) -> None:
    """郸城县's plots set no investment-intensity minimum: a project that fits their area is
    told so, not that its intensity "meets the requirement"; 淮阳区's plots set one."""
    dc = _fit_column(
        demo_client.get(f"/maps/investors?county={DC}&investment_wan=5000&area_mu=200").text
    )
    assert dc["DC-2026-001"].startswith("符合：面积满足要求；该地块未设投资强度要求"), dc
    hy = _fit_column(
        demo_client.get(
            f"/maps/investors?county={HY}&investment_wan=12000&area_mu=30&tax_per_mu=40"
        ).text
    )
    fits = [t for t in hy.values() if t.startswith("符合")]
    assert fits and all(t.startswith("符合：面积、投资强度、亩均税收均满足要求") for t in fits), hy


def test_words_and_numbers_read_as_typed_in_each_language(
    demo_client: TestClient, heads: dict[str, Any]
) -> None:
    """What the role-played clerk and investor read: numbers as typed (100, not 100.0) after a
    language switch, English lists joined with commas, a count said once, and a county's CSV
    named for the county."""
    q = "min_area_mu=100&max_area_mu=250&investment_wan=50000&area_mu=200"
    inv = demo_client.get(f"/maps/investors?county={DC}&lang=en&{q}").text
    assert 'value="100"' in inv and 'value="50000"' in inv and 'value="100.0"' not in inv
    assert "min_area_mu=100.0" not in inv  # the language link keeps them too
    page = demo_client.get(f"/maps/readiness?county={DC}&lang=en", headers=heads["bureau"]).text
    assert "Water, " in page or "water, " in page.lower()
    assert "、" not in "".join(re.findall(r'<tr data-gs-code="[^"]+">(.*?)</tr>', page, re.S))
    assert f'data-gs-csv="readiness-{DC}-en.csv"' in page  # the county's, in English
    zh = demo_client.get(f"/maps/readiness?county={DC}", headers=heads["bureau"]).text
    assert "满足 2/5" in zh and "2/5 · 满足 2/5" not in zh


def test_a_parcels_timeline_shows_its_readiness_history(
    demo_client: TestClient, heads: dict[str, Any]
) -> None:
    """The clerk sees a parcel's condition changes on its printable page (newest first), the
    same rows as ``/api/v1/parcels/{code}/readiness/history``."""
    h = heads["bureau"]
    api = demo_client.get("/api/v1/parcels/DC-2026-007/readiness/history", headers=h).json()
    page = demo_client.get("/maps/parcels/DC-2026-007/timeline", headers=h).text
    section = page.split('id="gs-readiness-history"')[1].split("</section>")[0]
    rows = re.findall(r'<tr class="gs-change gs-st-(\w+)">(.*?)</tr>', section, re.S)
    assert api["total"] > 0 and len(rows) == min(api["total"], 50)
    assert [st for st, _ in rows] == [i["new_status"] for i in api["items"]][:50]
    assert f"共 {api['total']} 条" in section
    reasons = {i["reason"] for i in api["items"]}
    assert "no title record" in reasons  # the engine's words …
    assert "没有权属记录" in section and "no title record" not in section  # … in the page's


def test_a_lists_csv_is_named_for_its_county_filter_and_language(
    demo_client: TestClient, heads: dict[str, Any]
) -> None:
    """导出 CSV of the full list and of a filtered one, in Chinese and in English, saved four
    files as one name (readiness.csv); the name says the county, a filter and the language."""

    def csv_name(path: str, h: dict[str, str] | None, **params: Any) -> str:
        r = demo_client.get(path, headers=h or {}, params=params)
        assert r.status_code == 200, r.text
        return re.search(r'data-gs-csv="([^"]+)"', r.text)[1]  # type: ignore[index]

    bureau = heads["bureau"]
    assert csv_name("/maps/readiness", bureau) == "readiness.csv"
    assert csv_name("/maps/readiness", bureau, county=HY) == f"readiness-{HY}.csv"
    assert csv_name("/maps/readiness", bureau, county=HY, fails="leveling", lang="en") == (
        f"readiness-{HY}-filtered-en.csv"
    )
    assert csv_name("/maps/investors", None, lang="en") == "plots-en.csv"
    assert csv_name("/maps/investors", None, min_area_mu=50) == "plots-filtered.csv"
    assert csv_name("/maps/projects", heads["dc_official"]) == f"projects-{DC}.csv"
