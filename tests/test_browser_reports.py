"""The charts page in headless Chromium, in Chinese and English: the charts are drawn with one
point per month (the reserve: 24 month ends and the day), one bar per missed land-supply
deadline, the supply figures of the daily check, no script runs, and the page looks right (a
screenshot is written for a person to look at)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.browser import serve as _serve
from tests.browser import signed_in
from tests.helpers import token

pytestmark = pytest.mark.browser


def test_dashboard_draws_the_charts(
    demo_url: str, demo_engine: Engine, demo_client: TestClient, browser: Any, tmp_path: Any
) -> None:
    h = token(demo_engine, "official")
    stats = demo_client.get("/api/v1/stats?as_of=2026-11-27", headers=h).json()
    check = demo_client.get("/api/v1/supply/idle?as_of=2026-11-27", headers=h).json()
    with _serve(demo_url) as base:
        for lang in ("zh", "en"):
            _look(browser, base, h, lang, stats, check, tmp_path)


def _look(
    browser: Any,
    base: str,
    h: dict[str, str],
    lang: str,
    stats: dict[str, Any],
    check: dict[str, Any],
    tmp_path: Any,
) -> None:
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    url = base + f"/maps/dashboard?as_of=2026-11-27&lang={lang}"
    ctx.add_cookies([signed_in(h["Authorization"].split()[1], url)])
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # every resource the page loads answers (the browser's own favicon probe aside)
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(url, wait_until="networkidle")
    charts = page.locator("figure[data-chart] svg.gs-chart")
    assert charts.count() == 8
    start = page.locator('svg[data-chart="start-rate"] circle.pt[data-series="start_rate"]')
    assert start.count() == 11  # Jan…Oct month ends and 27 Nov
    last = start.nth(10)
    assert float(last.get_attribute("data-value")) == stats["projects"]["start_rate_pct"]
    box = last.bounding_box()
    assert box and box["width"] > 0  # drawn, not just in the DOM
    bars = page.locator('svg[data-chart="by-domain"] rect.bar')
    assert bars.count() >= len(stats["by_domain"])
    reserve = page.locator('svg[data-chart="reserve"] circle.pt[data-series="reserve"]')
    assert reserve.count() == 25  # 24 month ends and 27 Nov
    end = reserve.nth(24)
    assert float(end.get_attribute("data-value")) == stats["land"]["net_land_reserve_mu"]
    assert (end.bounding_box() or {}).get("width", 0) > 0
    late = page.locator('svg[data-chart="supply"] rect.bar')
    assert late.count() == check["summary"]["missed_deadlines"]
    assert (late.first.bounding_box() or {}).get("width", 0) > 0
    rows = page.locator('section[data-section="supply"] tr[data-rule]')
    assert rows.count() == check["summary"]["missed_deadlines"]
    fees = page.locator('b[data-figure="fees"]').inner_text()
    assert fees == f"{float(check['summary']['proposed_fees_wan']):.2f}"
    page.screenshot(path=str(tmp_path / f"dashboard-{lang}.png"), full_page=True)
    assert errors == []
    ctx.close()


def test_the_projects_map_panel_shows_every_chart(
    demo_url: str, demo_engine: Engine, browser: Any, tmp_path: Any
) -> None:
    """The official's projects map folds the same charts (the supply one too) and a link to the
    dashboard; opened, every chart image loads with the sign-in cookie, in zh and en."""
    h = token(demo_engine, "official")
    with _serve(demo_url) as base:
        for lang in ("zh", "en"):
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            secret = h["Authorization"].split()[1]
            host = base.split("//", 1)[1].split(":")[0]
            ctx.add_cookies([{"name": "gs_token", "value": secret, "domain": host, "path": "/"}])
            page = ctx.new_page()
            bad: list[str] = []
            page.on("response", lambda r, bad=bad: bad.append(r.url) if r.status >= 400 else None)
            page.goto(f"{base}/maps/projects?as_of=2026-11-27&lang={lang}", wait_until="load")
            page.locator("details.gs-charts-panel summary").click()
            imgs = page.locator("details.gs-charts-panel img")
            assert imgs.count() == 8
            loaded = "Array.from(document.querySelectorAll('details.gs-charts-panel img'))"
            loaded += ".filter(i => i.complete && i.naturalWidth > 0).length"
            for _ in range(120):  # the map page's CSP forbids eval: poll from here
                if page.evaluate(loaded) == 8:
                    break
                page.wait_for_timeout(500)
            assert page.evaluate(loaded) == 8
            supply = page.locator('details.gs-charts-panel img[src*="/charts/supply.svg"]')
            assert (supply.bounding_box() or {}).get("width", 0) > 0
            link = page.locator('details.gs-charts-panel a[href^="/maps/dashboard"]')
            assert link.count() == 1 and (lang == "zh") == (
                "lang=en" not in link.get_attribute("href")
            )
            page.locator("details.gs-charts-panel").screenshot(
                path=str(tmp_path / f"panel-{lang}.png")
            )
            assert [u for u in bad if "/api/v1/charts/" in u] == []
            ctx.close()
