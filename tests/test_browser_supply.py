"""Land supply in headless Chromium on the demo district, as people use it: the clerk filters the
supply map and reads a popup, follows the timeline link and prints the timeline on A4; the
readiness map's supply filter and popup; the official goes from a project to its parcel's
timeline; the investor reads a plot's notice dates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.browser import follow_popup_link, open_page, serve, signed_in
from tests.browser import pdf_facts as _pdf_facts
from tests.browser import query_of as _query
from tests.helpers import token

pytestmark = pytest.mark.browser

DAY = "2026-11-27"


@pytest.fixture(scope="module")
def site(demo_url: str, demo_engine: Engine) -> Iterator[dict[str, Any]]:
    with serve(demo_url) as base:
        yield {
            "base": base,
            "bureau": token(demo_engine, "bureau")["Authorization"].split()[1],
            "official": token(demo_engine, "official")["Authorization"].split()[1],
        }


def _listed(page: Any) -> list[str]:
    return list(
        page.locator("[data-gs-results] tr[data-gs-code]").evaluate_all(
            "rows => rows.map(r => r.getAttribute('data-gs-code'))"
        )
    )


def test_clerk_keeps_only_overdue_parcels_and_opens_the_idle_ones_popup(site, browser) -> None:
    url = f"{site['base']}/maps/supply?as_of={DAY}"
    page, errors, _ = open_page(browser, url, site["bureau"])
    page.select_option("select[name=risk]", "overdue")
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    assert _query(page) == {"risk": ["overdue"], "as_of": [DAY]}  # the day judged is kept
    assert set(_listed(page)) == {"HY-2026-024", "HY-2026-031", "HY-2026-059"}
    assert page.locator("path.gs-supply-risk.leaflet-interactive").count() == 3
    page.locator("tr[data-gs-code='HY-2026-059']").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "闲置满一年" in text and "自 2026-07-01 起" in text
    assert "建议：征收闲置费，836.00 万元（局决定）" in text
    assert "开工 · 应于 2025-06-30 · 逾期 515 天" in text
    # the popup's link opens the parcel's timeline
    follow_popup_link(page, "供应时间线")  # built on demand: a loaded machine is slow
    page.wait_for_selector("#gs-clocks", timeout=90_000)
    # the timeline judges the day the map judged: the same 515 days late, not today's count
    assert page.url.endswith(f"/maps/parcels/HY-2026-059/timeline?as_of={DAY}")
    assert "逾期 515 天" in page.locator("#gs-clocks").inner_text()
    assert "闲置满一年" in page.locator("#gs-idle").inner_text()
    assert "XM2026-087" in page.locator("#gs-projects").inner_text()
    assert errors == []


def test_clerk_prints_the_suspended_parcels_timeline_on_a4(site, browser, tmp_path) -> None:
    ctx = browser.new_context()
    ctx.add_cookies([signed_in(site["bureau"], site["base"])])
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{site['base']}/maps/parcels/HY-2026-034/timeline?as_of={DAY}")
    paused = page.locator("tr.gs-suspension").inner_text()
    assert "2026-01-15" in paused and "持续中" in paused and "政府原因" in paused
    start = page.locator("tr.gs-clock", has_text="开工").inner_text()
    assert "2027-02-10" in start and "中止 316 天" in start
    page.emulate_media(media="print")
    pages, size, body = _pdf_facts(page.pdf(prefer_css_page_size=True), tmp_path)
    assert size.startswith("594.96 x 841.92") and "(A4)" in size  # A4 portrait, in points
    assert pages >= 1 and "HY-2026-034" in body and "中止计时" in body
    assert "返回供应图" not in body  # the links and the button stay off the paper
    # the same page in English, by its link
    page.emulate_media(media="screen")
    page.get_by_role("link", name="English").click()
    page.wait_for_selector("#gs-clocks")
    assert "ongoing" in page.locator("tr.gs-suspension").inner_text()
    assert errors == []
    ctx.close()


def test_readiness_map_supply_filter_and_popup_lines(site, browser) -> None:
    page, errors, _ = open_page(browser, site["base"] + "/maps/readiness", site["bureau"])
    page.select_option("select[name=supply]", "paused")
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    assert _query(page) == {"supply": ["paused"]}
    assert _listed(page) == ["HY-2026-034"]
    page.locator("tr[data-gs-code='HY-2026-034']").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "价款已缴清" in text and "政府原因中止计时" in text
    assert "自 2026-01-15 起中止计时" in text
    follow_popup_link(page, "供应时间线")  # built on demand: a loaded machine is slow
    page.wait_for_selector("#gs-clocks", timeout=90_000)
    # the page judged the last check's day (the demo's); so does its timeline
    assert page.url.endswith(f"/maps/parcels/HY-2026-034/timeline?as_of={DAY}")
    assert errors == []


def test_official_goes_from_a_project_to_its_parcels_timeline(site, browser) -> None:
    page, errors, _ = open_page(browser, site["base"] + "/maps/projects", site["official"])
    box = page.get_by_placeholder("查找编号或名称")
    box.fill("XM2026-173")
    box.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "HY-2026-024" in popup.inner_text()
    follow_popup_link(page, "地块供应时间线")
    page.wait_for_selector("#gs-clocks", timeout=90_000)
    assert page.url.endswith("/maps/parcels/HY-2026-024/timeline")
    late = page.locator("tr.gs-clock-missed", has_text="开工").inner_text()
    assert "逾期 110 天" in late
    assert errors == []


def test_investor_reads_a_plots_notice_dates_and_nothing_internal(site, browser) -> None:
    page, errors, _ = open_page(browser, site["base"] + "/maps/investors?lang=en")
    box = page.get_by_placeholder("Find code or name")
    box.fill("HY-2026-045")
    box.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Notice published 2026-10-19" in text and "Listing starts 2026-11-09" in text
    assert "past the earliest close (2026-11-23): open until it closes, see the notice" in text
    for word in ("idle", "price", "contract", "document"):
        assert word not in text.lower(), word
    assert errors == []
