"""The role-play's defects, in headless Chromium on the demo district as the clerk meets them:
the breach parcel found by the risk filter with its penalty in the popup, the contradiction on
the idle parcel's timeline, and that timeline printed in Chinese on A4 with no raw keys and no
date broken across lines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.browser import open_page, serve, signed_in
from tests.browser import pdf_facts as _pdf_facts
from tests.browser import query_of as _query
from tests.helpers import token

pytestmark = pytest.mark.browser

DAY = "2026-11-27"


@pytest.fixture(scope="module")
def site(demo_url: str, demo_engine: Engine) -> Iterator[dict[str, Any]]:
    with serve(demo_url) as base:
        yield {"base": base, "bureau": token(demo_engine, "bureau")["Authorization"].split()[1]}


def test_clerk_finds_the_breach_parcel_and_reads_its_penalty(site, browser) -> None:
    page, errors, _ = open_page(browser, f"{site['base']}/maps/supply?as_of={DAY}", site["bureau"])
    legend = page.locator(".gs-supply-legend").inner_text()
    assert "风险（地块颜色）" in legend and "亩均评价" in legend and "履约不达标" in legend
    page.select_option("select[name=risk]", "breach")
    page.get_by_role("button", name="应用").click()
    page.wait_for_selector(".leaflet-container")
    assert _query(page) == {"risk": ["breach"], "as_of": [DAY]}
    rows = page.locator("[data-gs-results] tr[data-gs-code]")
    assert rows.count() == 1 and rows.first.get_attribute("data-gs-code") == "HY-2026-026"
    rows.first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "履约不达标" in text and "按期推进" not in text
    assert "达产核验2 项未达标，违约金 186.33 万元" in text
    assert errors == []


def test_clerk_prints_the_idle_parcels_timeline_in_chinese(site, browser, tmp_path) -> None:
    ctx = browser.new_context()
    ctx.add_cookies([signed_in(site["bureau"], site["base"])])
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{site['base']}/maps/parcels/HY-2026-059/timeline?as_of={DAY}")
    findings = page.locator("#gs-findings").inner_text()
    assert "记录矛盾" in findings and "XM2026-087" in findings and "在建" in findings
    refund = page.locator("tr.gs-clock", has_text="保证金退还").inner_text()
    assert "无记录（不跟踪）" in refund and "已完成" not in refund
    page.emulate_media(media="print")
    pages, size, body = _pdf_facts(page.pdf(prefer_css_page_size=True), tmp_path)
    assert "(A4)" in size and pages >= 1
    for raw in ("start_by", "price_wan", "under_construction", "unverified", "art."):
        assert raw not in body, raw
    assert "约定开工" in body and "记录矛盾" in body
    # every date stays on one line of the printed table
    assert not re.search(r"\d{4}-\d{2}-\s*\n", body), body
    assert errors == []
    ctx.close()


def test_investor_opens_plot_sheets_without_console_errors(site, browser) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{site['base']}/maps/investors/parcels/HY-2026-045", wait_until="networkidle")
    assert "HY-2026-045" in page.title()
    assert errors == []
    # a sold plot's sheet is refused with a page that says so, and its CSP blocks nothing
    r = page.goto(f"{site['base']}/maps/investors/parcels/HY-2026-028", wait_until="networkidle")
    assert r is not None and r.status == 404
    assert not [e for e in errors if "Content Security Policy" in e], errors
    ctx.close()


def test_a_popup_opens_clear_of_the_panels_on_a_laptop_screen(site, browser) -> None:
    """At 1280 × 720 the idle parcel's popup (fee proposal, contradiction) is not under the
    filters or the legend on the right (role-play: it opened beneath them)."""
    page, errors, _ = open_page(browser, f"{site['base']}/maps/supply?as_of={DAY}", site["bureau"])
    assert page.viewport_size == {"width": 1280, "height": 720}
    page.locator("tr[data-gs-code='HY-2026-059']").click()
    page.locator(".leaflet-popup-content").wait_for()
    page.wait_for_function(
        "() => !(window.GS && GS.map && GS.map._panAnim && GS.map._panAnim._inProgress)"
    )
    pop = page.locator(".leaflet-popup").bounding_box()
    assert pop is not None
    for panel in (".gs-filters", ".gs-legend"):
        box = page.locator(panel).first.bounding_box()
        assert box is not None
        assert pop["x"] + pop["width"] <= box["x"], (panel, pop, box)  # left of it
    assert "836.00 万元" in page.locator(".leaflet-popup-content").inner_text()
    assert errors == []
