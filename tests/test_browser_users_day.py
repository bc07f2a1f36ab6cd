"""A day in each user's shoes, in headless Chromium on the demo district: the clerk, the investor
and the official use the forms, the search box, the popups and the prints as people do, and what
they read agrees with the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.browser import follow_popup_link, open_page, pdf_facts, query_of, serve
from tests.databases import DEMO_AS_OF
from tests.helpers import token

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_site(demo_url: str, demo_engine: Engine) -> Iterator[dict[str, Any]]:
    with serve(demo_url) as base:
        yield {
            "base": base,
            "bureau": token(demo_engine, "bureau")["Authorization"].split()[1],
            "official": token(demo_engine, "official")["Authorization"].split()[1],
        }


def _api(site: dict[str, Any], path: str, role: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {site[role]}"} if role else {}
    r = httpx.get(site["base"] + path, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def _results_count(page: Any) -> int:
    return int(page.locator("[data-gs-count]").inner_text())


# ------------------------------------------------------------------ the land-bureau clerk


def test_clerk_chooses_one_filter_and_presses_apply(demo_site, browser) -> None:
    url = demo_site["base"] + "/maps/readiness?county=411603"  # the source's district
    page, errors, _ = open_page(browser, url, demo_site["bureau"])
    page.select_option("select[name=status]", "not_net_land")  # zone and 未满足 stay at 全部
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    assert query_of(page) == {"status": ["not_net_land"], "county": ["411603"]}  # nothing empty
    shown = _results_count(page)
    api = _api(demo_site, "/api/v1/parcels?net_land=false&county=411603&limit=1", "bureau")
    assert shown == api["numberMatched"] == 17  # the demo's 60 parcels less its 43 net land
    assert page.locator("path.gs-parcel.leaflet-interactive").count() == shown
    # one failing condition alone: unknown counts as not met (HY-2026-030, no survey, is in)
    page.select_option("select[name=status]", "")
    page.select_option("select[name=fails]", "leveling")
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    assert query_of(page) == {"fails": ["leveling"], "county": ["411603"]}
    listed = page.locator("[data-gs-results] tr[data-gs-code]").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-gs-code'))"
    )
    assert set(listed) == {"HY-2026-022", "HY-2026-030", "HY-2026-039", "HY-2026-042",
                           "HY-2026-053"}  # fmt: skip
    assert errors == []


def test_clerk_exports_the_list_with_the_reasons_in_chinese(demo_site, browser) -> None:
    """导出 CSV after one filter: each listed parcel with why its conditions are not met, in
    Chinese (the engine's stored reasons through the timeline's table), a column the narrow list
    on the map does not show."""
    import csv
    import io

    url = demo_site["base"] + "/maps/readiness?county=411603"
    page, errors, _ = open_page(browser, url, demo_site["bureau"])
    page.select_option("select[name=fails]", "leveling")
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    assert not page.get_by_role("columnheader", name="未满足的原因").is_visible()
    with page.expect_download() as got:
        page.get_by_role("button", name="导出 CSV").click()
    download = got.value
    assert download.suggested_filename == "readiness-411603-filtered.csv"  # one filter chosen
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    head, body = rows[0], rows[1:]
    assert head[-1] == "未满足的原因"
    why = {r[0]: r[-1] for r in body}
    assert set(why) == {"HY-2026-022", "HY-2026-030", "HY-2026-039", "HY-2026-042",
                        "HY-2026-053"}  # fmt: skip
    assert "场地平整：没有场地平整测量记录" in why["HY-2026-030"]  # no survey on record
    for code, text_ in why.items():
        assert "场地平整：" in text_, code
        assert not re.search(r"[A-Za-z]{4,}", text_), (code, text_)  # no engine English left
    assert errors == []


def test_clerk_reads_why_a_parcel_fails_water(demo_site, browser) -> None:
    page, errors, _ = open_page(browser, demo_site["base"] + "/maps/readiness", demo_site["bureau"])
    box = page.get_by_placeholder("查找编号或名称")
    box.fill("HY-2026-018")
    box.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text_ = popup.inner_text()
    # the distance against the limit, and why the nearer main does not count
    assert "最近的合格供水管 WS-008 经八路DN150给水管 距地块 234 m，超过限值 200 m" in text_
    assert "WS-019" in text_ and "管径 80 mm 小于要求的 100 mm" in text_
    assert errors == []


def test_clerk_finds_parcels_by_part_of_a_name(demo_site, browser) -> None:
    page, errors, _ = open_page(browser, demo_site["base"] + "/maps/readiness", demo_site["bureau"])
    box = page.get_by_placeholder("查找编号或名称")
    box.fill("纬一路北")  # part of several names
    box.press("Enter")
    page.wait_for_selector(".gs-search-hits a")
    hits = page.locator(".gs-search-hits a")
    assert hits.count() >= 2
    # each hit in its own box, one under the other: a code is never split, texts never overlap
    boxes = [hits.nth(i).bounding_box() for i in range(hits.count())]
    assert all(b is not None for b in boxes)
    assert all(a["y"] + a["height"] <= b["y"] + 0.5 for a, b in zip(boxes, boxes[1:], strict=False))
    code_box = page.locator(".gs-search-hits a b").first.bounding_box()
    assert code_box is not None and code_box["height"] < 24  # one line
    first = hits.first.inner_text()
    assert "纬一路北" in first
    hits.first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert first.split()[0] in popup.inner_text()  # the chosen parcel's code
    assert errors == []


def test_clerk_records_a_survey_and_the_parcel_turns_net_land(
    browser, tmp_path: Path, demo_copy: Engine
) -> None:
    """On a copy of the demo of the test's own (the shared demo is read only)."""
    url, eng = demo_copy.url.render_as_string(hide_password=False), demo_copy
    bureau = token(eng, "bureau")["Authorization"].split()[1]
    with serve(url) as base:
        page, errors, _ = open_page(browser, base + "/maps/readiness?fails=leveling", bureau)
        row = page.locator("tr[data-gs-code='HY-2026-030']")
        assert "待补记录" in row.inner_text()  # leveling unknown: no survey on record
        # the clerk records the survey (leveled, nothing outstanding) and re-checks
        auth = {"Authorization": f"Bearer {bureau}"}
        rec = httpx.post(
            base + "/api/v1/parcels/HY-2026-030/surveys",
            json={"surveyed_on": "2026-11-25", "leveled": True, "earthwork_outstanding_m3": 0,
                  "surveyor": "淮阳区测绘队", "document_ref": "HYCL-2026-099"},
            headers=auth,
            timeout=60,
        )  # fmt: skip
        assert rec.status_code == 201, rec.text
        r = httpx.post(
            base + "/api/v1/readiness/run",
            params={"as_of": DEMO_AS_OF.isoformat()},
            headers=auth,
            timeout=120,
        )
        assert r.status_code == 200, r.text
        page.reload(wait_until="networkidle")
        page.wait_for_selector(".leaflet-container")
        assert page.locator("tr[data-gs-code='HY-2026-030']").count() == 0  # no longer fails
        page.goto(base + "/maps/readiness", wait_until="networkidle")
        assert "净地" in page.locator("tr[data-gs-code='HY-2026-030']").inner_text()
        assert errors == []


# ------------------------------------------------------------------ the investor


def test_investor_runs_the_fit_check_with_a_blank_tax(demo_site, browser) -> None:
    page, errors, _ = open_page(browser, demo_site["base"] + "/maps/investors")
    # 9500 万元 on 28 亩: about 339 万元/亩, above the 300–320 minimums of the plots on offer
    page.fill("input[name=investment_wan]", "9500")
    page.fill("input[name=area_mu]", "28")
    page.get_by_role("button", name="应用").click()  # the tax box is left blank
    page.wait_for_selector(".leaflet-container")
    assert query_of(page) == {"investment_wan": ["9500"], "area_mu": ["28"]}
    panel = page.locator("[data-gs-results]").inner_text()
    n = int(re.search(r"符合的地块：(\d+)", panel).group(1))  # type: ignore[union-attr]
    assert n > 0  # a blank tax rules nothing out
    assert "未填写预计亩均税收" in panel
    # and a plot that does not fit says why (here: too large or too small for 28 亩 ± 10 %)
    assert "不在所需的 25.2–30.8 亩之间" in panel
    assert errors == []


def test_investor_takes_the_fit_check_to_the_plot_sheet_and_back(
    demo_site, browser, tmp_path
) -> None:
    """The sheet opened from a popup after a fit check prints the plot's fit result (still one
    A4 page), and its "返回地图" returns to the map as it was left (boxes filled, same filter)."""
    page, errors, _ = open_page(browser, demo_site["base"] + "/maps/investors")
    page.fill("input[name=investment_wan]", "9500")
    page.fill("input[name=area_mu]", "28")
    page.fill("input[name=min_area_mu]", "20")
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    left = query_of(page)
    assert left == {"investment_wan": ["9500"], "area_mu": ["28"], "min_area_mu": ["20"]}
    page.locator("[data-gs-results] tr[data-gs-code]").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    code = popup.locator("a.gs-sheet-link").get_attribute("href").split("?")[0].rsplit("/", 1)[1]
    in_popup = popup.inner_text()
    fitted = page.evaluate("GS.map.getZoom()")
    follow_popup_link(page, "地块详情")  # once the map has stopped panning the popup into view
    page.wait_for_selector(".gs-plot-sheet")
    sheet = page.locator(".gs-plot-sheet").inner_text()
    assert code in sheet and "项目匹配" in sheet
    lines = page.locator(".gs-sheet-fit li").all_inner_texts()
    assert lines and all(line in in_popup for line in lines)  # the popup's own words
    pages, _, body = pdf_facts(page.pdf(prefer_css_page_size=True), tmp_path)
    assert pages == 1 and lines[0] in body
    page.get_by_role("link", name="返回地图").click()
    page.wait_for_selector(".leaflet-container")
    assert query_of(page) == left
    # at the zoom it was left (the plot the list showed), not the first view of every record
    assert page.evaluate("GS.map.getZoom()") == fitted
    page.goto(page.url.split("#")[0])
    page.wait_for_selector(".leaflet-container")
    assert page.evaluate("GS.map.getZoom()") < fitted  # a fresh visit fits every record
    assert page.input_value("input[name=investment_wan]") == "9500"
    assert page.input_value("input[name=min_area_mu]") == "20"
    assert errors == []


def test_investor_clicks_each_of_the_first_rows_and_sees_its_plot_up_close(
    demo_site, browser
) -> None:
    """Every row of the list brings its plot into view at street level, the first one too (the
    first view's fit had grown the first plot's bounds to cover every record: zoom 12)."""
    page, errors, _ = open_page(browser, demo_site["base"] + "/maps/investors")
    page.wait_for_selector(".leaflet-container")
    rows = page.locator("[data-gs-results] tr[data-gs-code]")
    assert rows.count() >= 3
    for i in (0, 1, 2, 0):
        code = rows.nth(i).get_attribute("data-gs-code")
        rows.nth(i).click()
        page.locator(".leaflet-popup-content", has_text=code).wait_for()  # its popup opens
        assert page.evaluate("GS.map.getZoom()") >= 16, (i, code)
    assert errors == []


def test_investor_sees_a_bad_link_explained_in_the_page(demo_site, browser) -> None:
    """An old link to a zone that is gone: the reason in Chinese, in the page, and a way back."""
    ctx = browser.new_context()
    page = ctx.new_page()
    resp = page.goto(demo_site["base"] + "/maps/investors?zone=HY-Z99&min_area_mu=20")
    assert resp.status == 422
    body = page.locator("body").inner_text()
    assert "无法显示地图" in body and "没有编号为“HY-Z99”的园区" in body
    assert "{" not in body  # not raw JSON
    page.get_by_role("link", name="返回地图").click()
    page.wait_for_selector(".leaflet-container")
    # a range typed the wrong way round is read as the range between the two values
    page.fill("input[name=min_area_mu]", "40")
    page.fill("input[name=max_area_mu]", "20")
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    rows = page.locator("[data-gs-results] tr[data-gs-code]").evaluate_all(
        "rows => rows.map(r => Number(r.children[3].textContent))"
    )
    assert rows and all(20 <= a <= 40 for a in rows)


def test_investor_prints_the_plot_sheet_on_one_a4_page(demo_site, browser, tmp_path) -> None:
    page, errors, _ = open_page(browser, demo_site["base"] + "/maps/investors/parcels/HY-2026-002")
    page.wait_for_timeout(300)
    pages, size, body = pdf_facts(page.pdf(prefer_css_page_size=True), tmp_path)
    assert pages == 1
    assert "A4" in size and size.startswith("594.96 x 841")  # A4 portrait
    for expected in ("HY-2026-002", "出具日期", "控制指标", "净地条件", "区域评估", "位置图"):
        assert expected in body, expected
    assert page.locator(".gs-sheet-map .folium-map").count() == 1  # the map sits on the sheet
    assert page.evaluate("() => GS.map.getBounds().contains(GS.index['HY-2026-002'].getBounds())")
    assert page.locator("path.gs-parcel").count() == 1
    assert errors == []


def test_investor_following_an_old_link_to_a_lapsed_plot_reads_why(demo_site, browser) -> None:
    """HY-2026-008 is net land, but its flood assessment expired on 2026-05-31: not on offer."""
    page = browser.new_context().new_page()
    resp = page.goto(demo_site["base"] + "/maps/investors/parcels/HY-2026-008")
    assert resp.status == 404
    body = page.locator("body").inner_text()
    assert "目前不在供应中" in body and "区域评估已过期" in body and "{" not in body
    ready = _api(demo_site, "/api/v1/parcels/HY-2026-008/readiness")
    assert ready["net_land"] is True and ready["ready_for_supply"] is False


# ------------------------------------------------------------------ the official


def test_investor_reads_the_dates_of_a_plot_on_sale(demo_site, browser, tmp_path) -> None:
    page, errors, _ = open_page(browser, demo_site["base"] + "/maps/investors/parcels/HY-2026-045")
    pages, _, body = pdf_facts(page.pdf(prefer_css_page_size=True), tmp_path)
    assert pages == 1
    supply = _api(demo_site, "/api/v1/parcels/HY-2026-045/supply")
    assert "供应信息" in body and "出让公告发布" in body
    for e in supply["events"]:  # the dates the public answer gives, on the sheet
        assert e["on"] in body
    # with a fit check and in English (longer lines) it is still one page (it ran onto two)
    fit = "?min_area_mu=25&investment_wan=9500&area_mu=28&lang=en"
    page.goto(demo_site["base"] + "/maps/investors/parcels/HY-2026-045" + fit)
    page.wait_for_selector(".gs-sheet-fit")
    pages, _, body = pdf_facts(page.pdf(prefer_css_page_size=True), tmp_path)
    assert pages == 1 and "Fit check" in body
    assert errors == []


def test_official_filters_red_and_the_map_agrees_with_the_stats(demo_site, browser) -> None:
    page, errors, _ = open_page(
        browser, demo_site["base"] + "/maps/projects", demo_site["official"]
    )
    stats = _api(demo_site, "/api/v1/stats", "official")
    figures = page.locator(".gs-figures").inner_text()
    assert str(stats["projects"]["rag"]["red"]) in figures
    assert str(stats["projects"]["overdue"]) in figures
    page.select_option("select[name=rag]", "red")
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    assert query_of(page) == {"rag": ["red"]}
    red = stats["projects"]["rag"]["red"]
    assert _results_count(page) == red  # the list and the headline follow the filter
    assert page.locator(".gs-figures div b").first.inner_text() == str(red)
    assert "筛选后" in page.locator(".gs-figures").inner_text()
    api = _api(demo_site, "/api/v1/projects?rag=red&limit=1", "official")
    assert api["numberMatched"] == red
    assert errors == []


def test_official_reads_why_a_project_is_red(demo_site, browser) -> None:
    page, errors, _ = open_page(
        browser, demo_site["base"] + "/maps/projects?rag=red", demo_site["official"]
    )
    page.locator("[data-gs-results] tr[data-gs-code]").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    t = popup.inner_text()
    assert "预警原因" in t and "红灯（严重滞后）：" in t  # the report's 红灯 on the map
    assert "万元" in t and "亿元" not in t  # one unit in the popup
    assert errors == []


def test_official_prints_the_wall_layout_on_a1(demo_site, browser, tmp_path) -> None:
    page, errors, _ = open_page(
        browser, demo_site["base"] + "/maps/projects?layout=wall&paper=A1", demo_site["official"]
    )
    assert page.locator(".marker-cluster").count() == 0  # every project is drawn, not a count
    assert page.locator(".leaflet-tooltip.gs-label").count() > 100  # each one labelled
    page.emulate_media(media="print")
    pages, size, body = pdf_facts(page.pdf(prefer_css_page_size=True), tmp_path)
    assert pages == 1 and "(A1)" in size and size.startswith("2383")  # A1 landscape
    assert "项目一览" in body and "XM2026-001" in body
    assert errors == []


def test_english_popup_states_the_limit(demo_site, browser) -> None:
    page, errors, _ = open_page(
        browser, demo_site["base"] + "/maps/readiness?lang=en", demo_site["bureau"]
    )
    box = page.get_by_placeholder("Find code or name")
    box.fill("HY-2026-018")
    box.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "is 234 m away: beyond the 200 m limit" in popup.inner_text()
    assert errors == []


def test_english_investor_picks_an_industry_by_its_english_name(demo_site, browser) -> None:
    page, errors, _ = open_page(browser, demo_site["base"] + "/maps/investors?lang=en")
    page.select_option("select[name=industry]", label="electronics and IT")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_selector(".leaflet-container")
    assert query_of(page)["industry"] == ["电子信息"]  # the stored value is sent
    page.locator("[data-gs-results] tr[data-gs-code]").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "electronics and IT" in popup.inner_text() and "电子信息" not in popup.inner_text()
    assert errors == []


def test_official_a2_wall_lists_every_project(demo_site, browser, tmp_path) -> None:
    """A smaller poster shrinks its list to fit: no project is cut off the bottom."""
    page, errors, _ = open_page(
        browser, demo_site["base"] + "/maps/projects?layout=wall&paper=A2", demo_site["official"]
    )
    assert page.locator("[data-gs-fits]").get_attribute("data-gs-fits") == "yes"
    page.emulate_media(media="print")
    pages, _, body = pdf_facts(page.pdf(prefer_css_page_size=True), tmp_path)
    listed = int(page.locator("[data-gs-count]").inner_text())  # what the map selected
    total = _api(demo_site, "/api/v1/projects?limit=1", "official")["numberMatched"]
    assert listed == total  # the whole city's ledger
    assert pages == 1 and len(set(re.findall(r"[A-Z]*XM\d{4}-\d{3}", body))) == total
    assert errors == []


def test_official_keeps_the_report_date_when_filtering(demo_site, browser) -> None:
    day = DEMO_AS_OF.date().isoformat()
    url = demo_site["base"] + f"/maps/projects?as_of={day}"
    page, errors, _ = open_page(browser, url, demo_site["official"])
    page.select_option("select[name=rag]", "red")
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    assert query_of(page) == {"as_of": [day], "rag": ["red"]}
    api = _api(demo_site, f"/api/v1/projects?rag=red&as_of={day}&limit=500", "official")
    assert _results_count(page) == api["numberMatched"]
    # the list gives every reason the API gives, not the first two
    most = max(api["features"], key=lambda f: len(f["properties"]["reasons"]))
    n = len(most["properties"]["reasons"])
    assert n >= 3
    row = page.locator(f"[data-gs-results] tr[data-gs-code='{most['properties']['code']}']")
    assert row.inner_text().count("；") == n - 1
    assert errors == []


def test_official_sees_every_filtered_project_beside_the_list(demo_site, browser) -> None:
    page, errors, _ = open_page(
        browser, demo_site["base"] + "/maps/projects", demo_site["official"]
    )
    leader = page.locator("select[name=leader] option").nth(1).get_attribute("value")
    page.select_option("select[name=leader]", leader)
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    marks = page.locator("path.gs-project.leaflet-interactive")
    assert 0 < marks.count() <= 30
    panel = page.locator(".gs-results").bounding_box()
    view = page.locator(".leaflet-container").bounding_box()
    assert panel is not None and view is not None
    for i in range(marks.count()):
        b = marks.nth(i).bounding_box()
        assert b is not None
        cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
        assert view["x"] <= cx <= view["x"] + view["width"]
        assert view["y"] <= cy <= view["y"] + view["height"]
        under = (panel["x"] <= cx <= panel["x"] + panel["width"]
                 and panel["y"] <= cy <= panel["y"] + panel["height"])  # fmt: skip
        assert not under, f"project {i} hides under the result list"
    assert errors == []


def test_clerk_stays_in_the_chosen_county_when_filtering_and_switching_language(
    demo_site, browser
) -> None:
    url = demo_site["base"] + "/maps/readiness?county=411603"
    page, errors, _ = open_page(browser, url, demo_site["bureau"])
    page.select_option("select[name=status]", "not_net_land")
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    assert query_of(page) == {"status": ["not_net_land"], "county": ["411603"]}
    api = _api(demo_site, "/api/v1/parcels?net_land=false&county=411603&limit=1", "bureau")
    assert _results_count(page) == api["numberMatched"]
    page.get_by_role("link", name="English").click()
    page.wait_for_selector(".leaflet-container")
    assert query_of(page)["county"] == ["411603"]
    assert errors == []
