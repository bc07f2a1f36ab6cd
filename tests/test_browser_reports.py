"""The charts page in headless Chromium: the charts are drawn with one point per month, no
script runs, and the page looks right (a screenshot is written for a person to look at)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.browser import serve as _serve
from tests.helpers import token

pytestmark = pytest.mark.browser


def test_dashboard_draws_the_charts(
    demo_url: str, demo_engine: Engine, demo_client: TestClient, browser: Any, tmp_path: Any
) -> None:
    h = token(demo_engine, "official")
    stats = demo_client.get("/api/v1/stats?as_of=2026-11-27", headers=h).json()
    with _serve(demo_url) as base:
        ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
        url = base + "/maps/dashboard?as_of=2026-11-27"
        ctx.add_cookies([{"name": "gs_token", "value": h["Authorization"].split()[1], "url": url}])
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
        assert charts.count() == 7
        start = page.locator('svg[data-chart="start-rate"] circle.pt[data-series="start_rate"]')
        assert start.count() == 11  # Jan…Oct month ends and 27 Nov
        last = start.nth(10)
        assert float(last.get_attribute("data-value")) == stats["projects"]["start_rate_pct"]
        box = last.bounding_box()
        assert box and box["width"] > 0  # drawn, not just in the DOM
        bars = page.locator('svg[data-chart="by-domain"] rect.bar')
        assert bars.count() >= len(stats["by_domain"])
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        assert errors == []
        ctx.close()
