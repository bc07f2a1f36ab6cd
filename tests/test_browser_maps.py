"""The three maps in headless Chromium: Leaflet runs, one shape per feature, no script errors,
and a hostile parcel name shows as text and runs nothing (the CSP and the escaping hold)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.browser import drag
from tests.browser import open_page as _open
from tests.browser import serve as _serve
from tests.helpers import token
from tests.maps_fixtures import XSS, add_projects, load_small_district

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(module_engine: Engine) -> Iterator[dict[str, Any]]:
    load_small_district(module_engine)
    add_projects(module_engine, 3)
    with _serve(module_engine.url.render_as_string(hide_password=False)) as base:
        yield {
            "base": base,
            "bureau": token(module_engine, "bureau")["Authorization"].split()[1],
            "official": token(module_engine, "official")["Authorization"].split()[1],
        }


def test_investor_map_shows_the_plots_on_offer_and_runs_nothing(served, browser) -> None:
    page, errors, dialogs = _open(browser, served["base"] + "/maps/investors")
    assert page.locator("path.gs-parcel.leaflet-interactive").count() == 2
    # open the hostile plot's popup: the name shows as text, no image element is created
    page.fill(".gs-search input", "INV-XSS")
    page.press(".gs-search input", "Enter")
    page.wait_for_selector(".leaflet-popup-content")
    popup = page.locator(".leaflet-popup-content")
    assert XSS in popup.inner_text()
    assert popup.locator("img").count() == 0
    assert not dialogs
    assert errors == []


@pytest.fixture(scope="module")
def served_tiles(served: dict[str, Any], module_engine: Engine) -> Iterator[str]:
    """The same district served with every parcel drawn from vector tiles."""
    with _serve(
        module_engine.url.render_as_string(hide_password=False), map_max_embedded_features=1
    ) as b:
        yield b


FIT_STROKE = "#006d2c"  # maps/investors.json fit_style
#: the folium map's zoom and centre (folium names the map variable map_<hex>)
MAP_VIEW = """() => { const m = window[Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))];
  const b = m.getBounds();
  return {zoom: m.getZoom(), w: b.getWest(), s: b.getSouth(), e: b.getEast(), n: b.getNorth()}; }"""


def test_tile_mode_search_zooms_to_the_plot_and_opens_its_popup(served_tiles, browser) -> None:
    page, errors, dialogs = _open(browser, served_tiles + "/maps/investors")
    page.wait_for_selector("path.gs-parcel", state="attached")
    page.wait_for_load_state("networkidle")
    before = page.evaluate(MAP_VIEW)
    page.fill(".gs-search input", "INV-XSS")
    page.press(".gs-search input", "Enter")
    page.wait_for_selector(".leaflet-popup-content")
    popup = page.locator(".leaflet-popup-content")
    assert XSS in popup.inner_text()  # the hostile name as text
    assert "INV-XSS" in popup.inner_text()
    assert popup.locator("img").count() == 0
    assert popup.locator("a.gs-sheet-link").get_attribute("href") == (
        "/maps/investors/parcels/INV-XSS"
    )
    after = page.evaluate(MAP_VIEW)
    assert after["zoom"] > before["zoom"]  # zoomed in on the plot
    found = page.evaluate("() => fetch('/maps/investors/find/INV-XSS').then(r => r.json())")
    w, s, e, n = found["bbox"]
    # the plot is in view (the popup's auto-pan may move the centre a little)
    assert after["w"] <= w and e <= after["e"] and after["s"] <= s and n <= after["n"]
    page.wait_for_load_state("networkidle")
    assert not dialogs
    assert errors == []
    # a plot not on offer: the search says so and the view stays
    page.fill(".gs-search input", "INV-HIDDEN")
    page.press(".gs-search input", "Enter")
    page.wait_for_function("() => document.querySelector('.gs-search-msg').textContent.length > 0")
    page.wait_for_load_state("networkidle")
    assert page.evaluate(MAP_VIEW)["zoom"] == after["zoom"]
    assert [e for e in errors if "404" not in e] == []  # only the refused look-up's 404


def test_tile_mode_fit_check_highlights_the_fitting_plots(served_tiles, browser) -> None:
    page, errors, dialogs = _open(
        browser,
        served_tiles + "/maps/investors?investment_wan=12000&area_mu=30&tax_per_mu=20",
    )
    page.wait_for_selector("path.gs-parcel", state="attached")
    page.wait_for_load_state("networkidle")
    strokes = page.eval_on_selector_all(
        "path.gs-parcel", "ps => ps.map(p => p.getAttribute('stroke'))"
    )
    assert strokes and set(strokes) == {FIT_STROKE}  # both plots on offer fit
    page, errors2, _ = _open(
        browser,
        served_tiles + "/maps/investors?investment_wan=12000&area_mu=30&tax_per_mu=10",
    )
    page.wait_for_selector("path.gs-parcel", state="attached")
    page.wait_for_load_state("networkidle")
    strokes = page.eval_on_selector_all(
        "path.gs-parcel", "ps => ps.map(p => p.getAttribute('stroke'))"
    )
    assert strokes and FIT_STROKE not in strokes
    assert not dialogs
    assert errors == [] and errors2 == []


def test_readiness_map_draws_every_parcel_and_network(served, browser) -> None:
    page, errors, dialogs = _open(browser, served["base"] + "/maps/readiness", served["bureau"])
    assert page.locator("path.gs-parcel.leaflet-interactive").count() == 5
    assert page.locator("path.gs-network.leaflet-interactive").count() == 2
    assert page.locator("path.gs-zones.leaflet-interactive").count() == 1
    # the failures layer of "water" holds exactly the one parcel failing it
    page.locator(".leaflet-control-layers").hover()
    page.get_by_text("未满足（含未知）：通水").click()
    assert page.locator("path.gs-fail.leaflet-interactive").count() == 1
    assert page.locator(".leaflet-control-scale").count() == 1
    # one scale line, in metres or kilometres: no imperial line in feet or miles
    scale = page.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(scale) == 1 and re.fullmatch(r"\d+ k?m", scale[0].strip()), scale
    assert page.locator(".gs-measure").count() == 1
    assert page.locator(".leaflet-control-fullscreen, .fullscreen-icon").count() >= 1
    assert not dialogs
    assert errors == []


def test_projects_map_draws_each_project(served, browser) -> None:
    page, errors, dialogs = _open(browser, served["base"] + "/maps/projects", served["official"])
    assert page.locator("path.gs-project.leaflet-interactive").count() == 3
    # the headline figures start with the project count: the 3 test projects
    assert page.locator(".gs-figures").inner_text().split()[0] == "3"
    assert not dialogs
    assert errors == []


def test_readiness_map_needs_sign_in(served, browser) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    resp = page.goto(served["base"] + "/maps/readiness")
    assert resp.status == 401
    page.goto(served["base"] + "/maps/login?next=/maps/readiness")
    page.fill("input[name=token]", served["bureau"])
    page.click("button[type=submit]")
    page.wait_for_selector(".leaflet-container")
    assert page.locator("path.gs-parcel.leaflet-interactive").count() == 5


def test_demo_district_maps_run_without_errors(demo_url: str, demo_engine: Engine, browser) -> None:
    """All 247 demo projects: clustered, and every page free of script errors."""
    official = token(demo_engine, "official")["Authorization"].split()[1]
    with _serve(demo_url) as base:
        for path in ("/maps/projects", "/maps/readiness", "/maps/investors"):
            page, errors, dialogs = _open(browser, base + path, official)
            assert errors == [], path
            assert not dialogs
        page, errors, _ = _open(browser, base + "/maps/projects", official)
        assert page.locator(".marker-cluster").count() > 0


#: the records of the page's own layers (GS.index) whose middle is out of view or under a panel
HIDDEN_RECORDS = """() => { const m = GS.map, box = m.getContainer().getBoundingClientRect();
  return Object.entries(GS.index).filter(([code, l]) => {
    const ll = l.getBounds ? l.getBounds().getCenter() : l.getLatLng();
    const pt = m.latLngToContainerPoint(ll);
    if (pt.x < 5 || pt.y < 5 || pt.x > box.width - 5 || pt.y > box.height - 5) return true;
    const el = document.elementFromPoint(box.left + pt.x, box.top + pt.y);
    return !el || !!el.closest('.leaflet-control, .gs-panel');
  }).map(([code]) => code); }"""


@pytest.mark.parametrize(
    "path",
    ["/maps/investors", "/maps/investors?county=411625", "/maps/readiness", "/maps/projects"],
)
def test_the_demo_first_views_keep_every_record_clear_of_the_panels(
    demo_url: str, demo_engine: Engine, browser, path: str
) -> None:
    """淮阳区 and 郸城县 lie far apart: the city's first view used to put 郸城县's plots under
    the legend, and 郸城县's own view one of its plots under the filters."""
    official = token(demo_engine, "bureau")["Authorization"].split()[1]
    with _serve(demo_url) as base:
        page, errors, _ = _open(browser, base + path, official)
        n = page.evaluate("() => Object.keys(GS.index).length")
        assert n > 0
        assert page.evaluate(HIDDEN_RECORDS) == []
        assert errors == []


def test_api_docs_work_offline(served, browser) -> None:
    """/docs is Swagger UI from the service's own assets: it renders with no internet."""
    ctx = browser.new_context()
    page = ctx.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(served["base"]) else None,
    )
    page.goto(served["base"] + "/docs", wait_until="networkidle")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 20
    # the bearer scheme is declared: an Authorize button, and a lock on the gated operations
    assert page.locator("button.authorize").count() == 1
    assert page.locator(".opblock .authorization__btn").count() > 20
    assert outside == []


#: where each parcel's middle is drawn after a person drags the map, and what is drawn there:
#: the topmost element at that point (controls excluded), its fill, and whether it is in view
DRAWN_AT = """(mids) => {
  const m = window[Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))];
  const box = m.getContainer().getBoundingClientRect();
  return Object.entries(mids).map(([code, ll]) => {
    const pt = m.latLngToContainerPoint(ll);
    const x = box.left + pt.x, y = box.top + pt.y;
    const inView = pt.x > 5 && pt.y > 5 && pt.x < box.width - 5 && pt.y < box.height - 5;
    const el = inView ? document.elementFromPoint(x, y) : null;
    const control = !!(el && el.closest('.leaflet-control, .gs-panel, .leaflet-popup'));
    return {code, inView, control, parcel: !!(el && el.matches('path.gs-parcel')),
            fill: el && el.getAttribute ? el.getAttribute('fill') : null};
  }); }"""

#: every tile the map asked for has arrived (true at once on a page without tile layers)
TILES_LOADED = "() => !document.querySelector('.leaflet-tile:not(.leaflet-tile-loaded)')"

#: the colours a parcel is filled with on each map (maps/*.json): readiness by its category
NET_LAND_FILL = "#1a9850"


def parcel_middles(engine: Engine) -> dict[str, list[float]]:
    with engine.connect() as c:
        return {
            code: [lat, lon]
            for code, lon, lat in c.execute(
                text(
                    "SELECT code, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM parcels"
                    " WHERE code LIKE 'INV-%'"
                )
            )
        }


@pytest.mark.parametrize("tiles", [False, True], ids=["embedded", "tiles"])
@pytest.mark.parametrize("page_path", ["/maps/readiness", "/maps/investors"])
def test_the_first_view_shows_every_plot_clear_of_the_panels(
    served, served_tiles, module_engine: Engine, browser, tiles: bool, page_path: str
) -> None:
    """On a laptop screen the title, search, overview and result list stand on the left and
    the filters and legend on the right: the first view puts every plot between them, drawn."""
    base = served_tiles if tiles else served["base"]
    staff = page_path == "/maps/readiness"
    page, errors, _ = _open(browser, base + page_path, served["bureau"] if staff else None)
    page.wait_for_timeout(300)  # the tiles' fade-in
    seen = page.evaluate(DRAWN_AT, parcel_middles(module_engine))
    expected = {"INV-OK-1", "INV-XSS"} if not staff else {s["code"] for s in seen}
    clear = {s["code"] for s in seen if s["inView"] and not s["control"] and s["parcel"]}
    assert clear == expected, seen
    assert errors == []


@pytest.mark.parametrize("tiles", [False, True], ids=["embedded", "tiles"])
@pytest.mark.parametrize("page_path", ["/maps/readiness", "/maps/investors"])
def test_after_a_drag_every_parcel_in_view_is_drawn_in_its_colour(
    served, served_tiles, module_engine: Engine, browser, tiles: bool, page_path: str
) -> None:
    """Zoomed in on a plot, a person drags the map along the row of plots: every plot the map
    now shows is drawn where it lies (not only in part of the view) and in its own colour."""
    base = served_tiles if tiles else served["base"]
    staff = page_path == "/maps/readiness"
    page, errors, dialogs = _open(browser, base + page_path, served["bureau"] if staff else None)
    mids = parcel_middles(module_engine)
    page.fill(".gs-search input", "INV-OK-1")
    page.press(".gs-search input", "Enter")
    page.wait_for_selector(".leaflet-popup-content")
    page.locator(".leaflet-popup-close-button").click()
    page.wait_for_function(TILES_LOADED, timeout=20000)
    box = page.locator(".leaflet-container").bounding_box()
    x0, y = box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.35
    drag(page, (x0, y), (x0 - box["width"] * 0.4, y + 20), step_ms=16)  # a person's drag
    page.wait_for_function(TILES_LOADED, timeout=20000)
    page.wait_for_timeout(300)  # the tiles' fade-in
    seen = page.evaluate(DRAWN_AT, mids)
    shown = [s for s in seen if s["inView"] and not s["control"]]
    on_offer = {"INV-OK-1", "INV-XSS"}
    expected = {s["code"] for s in shown if staff or s["code"] in on_offer}
    drawn = {s["code"] for s in shown if s["parcel"]}
    assert len(shown) >= 2, seen  # the drag brought plots into view
    assert expected and drawn == expected, seen
    if staff:  # drawn in its category's colour, not the outline's grey (a tile without `cat`)
        fills = {s["code"]: s["fill"] for s in shown}
        assert all(fills[c] == NET_LAND_FILL for c in drawn if c != "INV-NOTNET"), seen
    # a flick (the whole drag at once): the map glides on, settles within seconds and then draws
    # what it shows (shapes are redrawn at the end of a move: a look taken mid-glide sees them
    # only where the view had been, which a role-play once reported as a rendering fault)
    drag(page, (x0 - box["width"] * 0.4, y), (x0 - box["width"] * 0.2, y), step_ms=0)
    page.wait_for_function(TILES_LOADED, timeout=20000)
    page.wait_for_timeout(300)
    seen = [s for s in page.evaluate(DRAWN_AT, mids) if s["inView"] and not s["control"]]
    assert {s["code"] for s in seen if s["parcel"]} == {
        s["code"] for s in seen if staff or s["code"] in on_offer
    }, seen
    assert not dialogs
    assert errors == []
