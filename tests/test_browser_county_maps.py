"""The county switcher and the city overview in headless Chromium, as people use them (issue 14):
a city-wide clerk chooses 郸城县 on the readiness map and presses 应用 (the other filters stay,
the map fits the county, the list and a popup are 郸城县's); the same in English; an investor
clicks a county's row in the city overview; a county's own clerk is offered that county only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from geo_service.auth.tokens import create_token
from geo_service.db.engine import transaction
from tests.browser import open_page, query_of, serve
from tests.helpers import token

pytestmark = pytest.mark.browser

DC, HY = "411625", "411603"


@pytest.fixture(scope="module")
def site(demo_url: str, demo_engine: Engine) -> Iterator[dict[str, Any]]:
    with transaction(demo_engine) as s:
        dc = create_token(s, role="bureau", name="browser-dc-bureau", actor="test", county=DC)
    with serve(demo_url) as base:
        yield {
            "base": base,
            "bureau": token(demo_engine, "bureau")["Authorization"].split()[1],
            "dc_bureau": dc,
        }


def _listed(page: Any) -> list[str]:
    return list(
        page.locator("[data-gs-results] tr[data-gs-code]").evaluate_all(
            "rows => rows.map(r => r.getAttribute('data-gs-code'))"
        )
    )


def _county_bbox(page: Any, base: str, code: str) -> list[float]:
    """[west, south, east, north] of a county's outline, read from /api/v1/counties."""
    return list(
        page.evaluate(
            """async ([url, code]) => {
                 const fc = await (await fetch(url)).json();
                 const f = fc.features.find(x => x.id === code);
                 const xs = [], ys = [];
                 const walk = c => typeof c[0] === 'number' ? (xs.push(c[0]), ys.push(c[1]))
                                                           : c.forEach(walk);
                 walk(f.geometry.coordinates);
                 return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
               }""",
            [f"{base}/api/v1/counties", code],
        )
    )


def _view(page: Any) -> list[float]:
    return list(
        page.evaluate(
            "() => { const b = GS.map.getBounds(); "
            "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
        )
    )


def _inside(view: list[float], bbox: list[float]) -> bool:
    cx, cy = (view[0] + view[2]) / 2, (view[1] + view[3]) / 2
    return bbox[0] <= cx <= bbox[2] and bbox[1] <= cy <= bbox[3]


def _switch(page: Any, county_text: str, button: str) -> None:
    page.get_by_role("combobox", name="县区" if button == "应用" else "County").select_option(
        label=county_text
    )
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    page.wait_for_selector(".leaflet-container")


def test_clerk_switches_the_readiness_map_to_dancheng(site, browser, tmp_path) -> None:
    url = f"{site['base']}/maps/readiness?status=not_net_land"
    page, errors, _ = open_page(browser, url, site["bureau"])
    # the whole city first: both counties in the overview, the view spans both
    rows = page.locator("[data-gs-counties] tr[data-gs-county]")
    assert rows.count() == 2
    assert "郸城县" in rows.nth(1).inner_text() or "郸城县" in rows.nth(0).inner_text()
    hy_box = _county_bbox(page, site["base"], HY)
    dc_box = _county_bbox(page, site["base"], DC)
    _switch(page, "郸城县", "应用")
    assert query_of(page) == {"county": [DC], "status": ["not_net_land"]}  # the filter stays
    assert page.locator("select[name=county] option:checked").inner_text() == "郸城县"
    assert page.locator("select[name=status] option:checked").get_attribute("value") == (
        "not_net_land"
    )
    listed = _listed(page)
    assert listed and all(c.startswith("DC-") for c in listed), listed
    assert page.locator("[data-gs-counties]").count() == 0  # one county: no overview
    view = _view(page)
    assert _inside(view, dc_box) and not _inside(view, hy_box)  # it fits 郸城县
    page.locator(f"tr[data-gs-code='{listed[0]}']").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert listed[0] in text and "郸城" in text  # 郸城县's parcel in its zone
    page.screenshot(path=str(tmp_path / "readiness_dancheng_zh.png"))
    # the language link keeps the county
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert query_of(page)["county"] == [DC]
    assert page.locator("select[name=county] option:checked").inner_text() == "Dancheng County"
    assert errors == []


def test_english_clerk_switches_back_to_the_whole_city(site, browser, tmp_path) -> None:
    url = f"{site['base']}/maps/readiness?lang=en&county={DC}"
    page, errors, _ = open_page(browser, url, site["bureau"])
    _switch(page, "Whole city", "Apply")
    assert query_of(page) == {"lang": ["en"]}
    assert "City overview by county" in page.locator("[data-gs-counties]").inner_text()
    listed = _listed(page)
    assert any(c.startswith("HY-") for c in listed) and any(c.startswith("DC-") for c in listed)
    page.screenshot(path=str(tmp_path / "readiness_city_en.png"))
    _switch(page, "Dancheng County", "Apply")
    assert query_of(page) == {"county": [DC], "lang": ["en"]}
    page.screenshot(path=str(tmp_path / "readiness_dancheng_en.png"))
    assert errors == []


def test_investor_clicks_a_county_in_the_city_overview(site, browser, tmp_path) -> None:
    page, errors, _ = open_page(browser, f"{site['base']}/maps/investors")
    row = page.locator(f"[data-gs-counties] tr[data-gs-county='{DC}']")
    assert "郸城县" in row.inner_text()
    page.screenshot(path=str(tmp_path / "investors_city_zh.png"))
    with page.expect_navigation():
        row.locator("td").nth(1).click()  # the row, not only its name
    assert query_of(page) == {"county": [DC]}
    assert page.locator("select[name=county] option:checked").inner_text() == "郸城县"
    assert not [c for c in _listed(page) if c.startswith("HY-")]
    # no plot on offer there yet: the map still shows 郸城县 (its outline), not 淮阳区
    view = _view(page)
    assert _inside(view, _county_bbox(page, site["base"], DC))
    assert not _inside(view, _county_bbox(page, site["base"], HY))
    page.screenshot(path=str(tmp_path / "investors_dancheng_zh.png"))
    assert errors == []


def test_county_clerk_is_offered_only_their_county(site, browser, tmp_path) -> None:
    page, errors, _ = open_page(browser, f"{site['base']}/maps/supply", site["dc_bureau"])
    options = page.locator("select[name=county] option").all_inner_texts()
    assert options == ["郸城县"]
    listed = _listed(page)
    assert listed and all(c.startswith("DC-") for c in listed)
    page.screenshot(path=str(tmp_path / "supply_dc_token_zh.png"))
    # the projects map for the whole city, with the overview (a city token)
    assert errors == []
