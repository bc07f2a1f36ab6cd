"""The maps over HTTP: the right parcels and no others, escaped text, local assets only, a CSP,
roles, filters, the plot sheet, the fit check, vector tiles and the static export."""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from urllib.parse import quote

import mapbox_vector_tile
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.databases import open_client
from tests.helpers import ORIGIN, token
from tests.maps_fixtures import XSS, add_projects, load_small_district

#: an asset the page would load from elsewhere (links a user may click are not loads)
EXTERNAL = re.compile(r'<(?:script|link|img)[^>]*(?:src|href)="(?:https?:)?//', re.I)


@pytest.fixture(scope="module")
def district(module_engine: Engine) -> Engine:
    load_small_district(module_engine)
    add_projects(module_engine, 3)
    return module_engine


@pytest.fixture(scope="module")
def url(district: Engine) -> str:
    return district.url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def offline(url):  # type: ignore[no-untyped-def]
    with open_client(url, tile_url="none") as c:
        yield c


def _codes(page: str) -> set[str]:
    return set(re.findall(r"INV-[A-Z0-9-]+", page))


def _embedded_codes(page: str) -> set[str]:
    """Codes in the page's map data, leaving out the result list beside the map."""
    return _codes(
        re.sub(r'<details class="gs-panel gs-results".*?</details>', "", page, flags=re.S)
    )


def test_investor_map_shows_only_published_available_net_land(offline) -> None:
    r = offline.get("/maps/investors")
    assert r.status_code == 200
    assert _codes(r.text) == {"INV-OK-1", "INV-XSS"}
    assert "SECRET-NOTE" not in r.text  # internal notes never leave
    assert "published" not in r.text


def test_hostile_name_is_escaped_everywhere(offline, district) -> None:
    for path, headers in (
        ("/maps/investors", {}),
        ("/maps/investors/parcels/INV-XSS", {}),
        ("/maps/readiness", token(district, "bureau")),
        ("/maps/projects", token(district, "official")),
    ):
        r = offline.get(path, headers=headers)
        assert r.status_code == 200, path
        assert XSS not in r.text, path
        assert html.escape(XSS) in r.text, path  # shown as text, escaped once


def test_offline_pages_load_nothing_from_outside_and_carry_a_csp(offline, district) -> None:
    r = offline.get("/maps/readiness", headers=token(district, "bureau"))
    assert not EXTERNAL.search(r.text)
    assert "/static/leaflet/leaflet.js" in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in csp
    assert "unsafe-inline" not in csp.split("style-src")[0]
    assert "openstreetmap" not in csp
    assert offline.get("/static/leaflet/leaflet.js").status_code == 200


def test_csp_allows_the_configured_tile_host(make_client, url) -> None:
    c = make_client(url, tile_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    r = c.get("/maps/investors")
    assert (
        "img-src 'self' data: https://*.tiles.example.org" in r.headers["content-security-policy"]
    )
    assert "https://{s}.tiles.example.org" in r.text


def test_static_files_refuse_path_traversal(offline) -> None:
    assert offline.get("/static/../settings.py").status_code == 404
    assert offline.get("/static/%2e%2e/render.py").status_code == 404
    assert offline.get("/static/nope.js").status_code == 404


def test_readiness_map_needs_bureau_or_official(offline, district) -> None:
    assert offline.get("/maps/readiness").status_code == 401
    assert offline.get("/maps/readiness", headers=token(district, "investor")).status_code == 403
    assert offline.get("/maps/projects").status_code == 401


def test_readiness_map_shows_every_parcel_with_status_and_evidence(offline, district) -> None:
    r = offline.get("/maps/readiness", headers=token(district, "bureau"))
    assert _codes(r.text) == {"INV-OK-1", "INV-XSS", "INV-SOLD", "INV-HIDDEN", "INV-NOTNET"}
    assert '"cat":"met_3"' in r.text  # INV-NOTNET: 3 met, 1 unmet, 1 unknown
    # the popup says what was found against which limit, in words
    assert "W-1 经一路给水管 距地块 35.4 m（限值 200 m）" in r.text
    assert "2024-03-01" in r.text


def test_readiness_filters(offline, district) -> None:
    h = token(district, "bureau")
    assert _codes(offline.get("/maps/readiness?status=not_net_land", headers=h).text) == {
        "INV-NOTNET"
    }
    assert _codes(offline.get("/maps/readiness?fails=water", headers=h).text) == {"INV-NOTNET"}
    r = offline.get("/maps/readiness?status=bogus", headers=h)
    assert r.status_code == 422 and "status" in r.json()["detail"]


def test_english_labels(offline) -> None:
    r = offline.get("/maps/investors?lang=en")
    assert "Available plots" in r.text and "可供地块" not in r.text
    assert "可供地块" in offline.get("/maps/investors").text


def test_plot_sheet_for_available_plots_only(offline) -> None:
    r = offline.get("/maps/investors/parcels/INV-OK-1")
    assert r.status_code == 200
    assert "固定资产投资强度" in r.text and "≥ 300" in r.text
    # its conditions in the order the rule names them (通水、通电、通路、场地平整、权属清晰)
    conditions = re.findall(r'<tr class="gs-st-\w+"><td>([^<]+)</td>', r.text)
    assert conditions == ["通水", "通电", "通路", "场地平整", "权属清晰"]
    # the search box says why a code may not be found here: sold, unpublished or not ready
    assert "未找到可供地块" in offline.get("/maps/investors").text
    for hidden in ("INV-SOLD", "INV-HIDDEN", "INV-NOTNET"):
        assert offline.get(f"/maps/investors/parcels/{hidden}").status_code == 404


def test_fit_check_lists_the_plots_that_fit(offline) -> None:
    # both plots are 200 m x 100 m = 30 mu; 12 000 万元 / 30 mu = 400 万元/mu >= 300
    r = offline.get("/maps/investors?investment_wan=12000&area_mu=30&tax_per_mu=20")
    fit = r.text.split('id="gs-results"')[1]
    assert "符合的地块：2 /" in fit
    # too little investment for the intensity minimum: none fits, and the list says why
    r = offline.get("/maps/investors?investment_wan=3000&area_mu=30&tax_per_mu=20")
    fit = r.text.split('id="gs-results"')[1]
    assert "符合的地块：0 /" in fit
    assert "投资强度 100.0 万元/亩，低于最低要求 300" in fit


def test_plot_sheet_carries_the_fit_check_and_returns_to_the_map_as_left(offline) -> None:
    """Opened from the map after a fit check: the sheet prints the plot's fit result in the
    map's words, and "back to the map" keeps the filters, the fit check and the language."""
    plain = offline.get("/maps/investors/parcels/INV-OK-1")
    assert "gs-sheet-fit" not in plain.text  # no fit check asked: none printed
    assert 'href="/maps/investors">返回地图' in plain.text
    q = "investment_wan=3000&area_mu=30&tax_per_mu=20&min_area_mu=20&industry=A%26B&lang=en"
    r = offline.get(f"/maps/investors/parcels/INV-OK-1?{q}")
    assert r.status_code == 200
    fit = r.text.split('class="gs-sheet-fit gs-misfits"')[1].split("</ul>")[0]
    assert "100.0" in fit and "300" in fit  # 3 000 万元 / 30 亩 below the 300 minimum
    back_link = re.search(r'<a data-gs-back href="([^"]+)">Back to the map', r.text)
    back = html.unescape(back_link.group(1))  # type: ignore[union-attr]
    assert back == (
        "/maps/investors?industry=A%26B&min_area_mu=20&investment_wan=3000&area_mu=30"
        "&tax_per_mu=20&lang=en"
    )
    indicators = r.text.split('class="gs-indicators"')[1].split("</ul>")[0]
    assert "≥ 300 (10k yuan/mu)" in indicators and "万元" not in indicators  # units in English too
    assert "≥ 300 万元/亩" in plain.text
    # the unit said once: after the figure, not also in the name's brackets
    assert "Investment intensity ≥ 300 (10k yuan/mu)" in indicators, indicators
    assert "固定资产投资强度 ≥ 300 万元/亩" in plain.text and "（万元/亩） ≥" not in plain.text
    ok = offline.get("/maps/investors/parcels/INV-OK-1?investment_wan=12000&area_mu=30")
    assert 'class="gs-sheet-fit gs-fits"' in ok.text


def test_review_number_shown_when_configured(make_client, url) -> None:
    c = make_client(url, tile_url="none", map_review_number="豫S(2024)001号")
    assert "豫S(2024)001号" in c.get("/maps/investors").text


def test_many_parcels_come_from_vector_tiles(make_client, url, district) -> None:
    c = make_client(url, tile_url="none", map_max_embedded_features=1)
    r = c.get("/maps/investors")
    assert "L.vectorGrid.protobuf" in r.text and "available=true" in r.text
    assert not _embedded_codes(r.text)  # nothing embedded; the list beside the map names them
    assert _codes(r.text) == {"INV-OK-1", "INV-XSS"}
    r = c.get("/maps/readiness", headers=token(district, "bureau"))
    assert "/tiles/parcels/{z}/{x}/{y}.pbf" in r.text and not _embedded_codes(r.text)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _decode(content: bytes) -> dict:
    return mapbox_vector_tile.decode(content)


def test_public_tiles_hold_available_plots_with_public_fields(offline, district) -> None:
    x, y = _tile_of(*ORIGIN, 13)
    r = offline.get(f"/tiles/parcels/13/{x}/{y}.pbf?available=true")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    feats = _decode(r.content)["parcels"]["features"]
    assert sorted(f["properties"]["code"] for f in feats) == ["INV-OK-1", "INV-XSS"]
    assert all("notes" not in f["properties"] and "cat" not in f["properties"] for f in feats)
    pub = _decode(offline.get(f"/tiles/parcels/13/{x}/{y}.pbf").content)["parcels"]["features"]
    assert "INV-HIDDEN" not in {f["properties"]["code"] for f in pub}
    bureau = offline.get(f"/tiles/parcels/13/{x}/{y}.pbf", headers=token(district, "bureau"))
    codes = {
        f["properties"]["code"]: f["properties"]
        for f in _decode(bureau.content)["parcels"]["features"]
    }
    assert len(codes) == 5 and codes["INV-NOTNET"]["cat"] == "met_3"


def test_project_tiles_need_a_token(offline, district) -> None:
    x, y = _tile_of(*ORIGIN, 13)
    assert offline.get(f"/tiles/projects/13/{x}/{y}.pbf").status_code == 401
    r = offline.get(f"/tiles/projects/13/{x}/{y}.pbf", headers=token(district, "official"))
    assert len(_decode(r.content)["projects"]["features"]) == 3
    r = offline.get("/tiles/parcels/3/9/0.pbf")  # x = 9 is outside zoom 3 (0..7): no such tile
    assert r.status_code == 404 and "2^z" in r.json()["detail"]


def test_projects_map_highlights_overdue_and_filters(offline, district) -> None:
    h = token(district, "official")
    r = offline.get("/maps/projects", headers=h)
    assert r.status_code == 200
    assert r.text.count('"code":"PRJ-') == 3
    assert '"rag":"red"' in r.text  # PRJ-000 has not started after its planned start
    red = offline.get("/maps/projects?rag=red", headers=h).text
    assert red.count('"code":"PRJ-') == 1 and '"code":"PRJ-000"' in red
    assert offline.get("/maps/projects?leader=张三", headers=h).text.count('"code":"PRJ-') == 1
    assert "L.markerClusterGroup" not in r.text


def test_export_writes_a_self_contained_file(url, tmp_path: Path, monkeypatch) -> None:
    from geo_service.cli import _register_commands, app

    monkeypatch.setenv("GEO_SERVICE_DATABASE_URL", url)
    monkeypatch.setenv("GEO_SERVICE_TILE_URL", "none")
    _register_commands()
    out = tmp_path / "investors.html"
    res = CliRunner().invoke(app, ["map", "export", "investors", "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "/static/" not in text.split("</head>")[0]
    assert not EXTERNAL.search(text)
    assert "L.Map" in text or "L.map" in text
    assert _codes(text) == {"INV-OK-1", "INV-XSS"}
    bad = CliRunner().invoke(app, ["map", "export", "nowhere", "--out", str(out)])
    assert bad.exit_code == 1 and "unknown map" in bad.output


def test_demo_district_maps_render(demo_client, demo_engine) -> None:
    from sqlalchemy import text as sql

    with demo_engine.connect() as c:
        on_offer = set(
            c.execute(
                sql(
                    """SELECT p.code FROM parcels p WHERE p.published
                    AND p.supply_stage IN ('plan', 'notice', 'sale')
                    AND (SELECT count(*) FROM parcel_conditions pc
                         WHERE pc.parcel_id = p.id AND pc.status = 'met') = 5"""
                )
            ).scalars()
        )
    # on offer: net land at an offered stage that the readiness answer calls ready for supply
    ready = {
        code
        for code in on_offer
        if demo_client.get(f"/api/v1/parcels/{code}/readiness").json()["ready_for_supply"]
    }
    assert ready, "the demo district should have plots on offer"
    assert ready < on_offer, "the demo has net land whose regional assessment has lapsed"
    on_offer = ready
    r = demo_client.get("/maps/investors")
    assert r.status_code == 200
    embedded = set(re.findall(r'"sheet":"([^"]+)"', r.text))
    assert embedded == on_offer
    for path, role in (("/maps/readiness", "bureau"), ("/maps/projects", "official")):
        page = demo_client.get(path, headers=token(demo_engine, role))
        assert page.status_code == 200, page.text[:300]
        assert len(page.content) < 2_000_000


# ------------------------------------------------------------------ tile mode: fit check, search

FIT = "investment_wan=12000&area_mu=30&tax_per_mu=20"


def _fit_codes(page: str) -> list[str] | None:
    m = re.search(r'"fitCodes":(\[[^\]]*\])', page)
    return None if m is None else json.loads(m.group(1))


def _embedded_fits(page: str) -> set[str]:
    return {html.unescape(c) for c in re.findall(r'"code":"([^"]+)"[^}]*"fit":true', page)}


def test_tile_mode_fit_check_sends_only_the_fitting_codes(make_client, url, offline) -> None:
    c = make_client(url, tile_url="none", map_max_embedded_features=1)
    r = c.get(f"/maps/investors?{FIT}")
    assert r.status_code == 200
    assert "L.vectorGrid.protobuf" in r.text
    assert _fit_codes(r.text) == ["INV-OK-1", "INV-XSS"]
    no_fit_codes = re.sub(r'"fitCodes":\[[^\]]*\]', "", r.text)
    assert not _embedded_codes(no_fit_codes)  # no parcel embedded but the codes that fit
    assert _codes(r.text) == {"INV-OK-1", "INV-XSS"}  # the fitting codes, never the others
    assert "符合的地块：2 /" in r.text.split('id="gs-results"')[1]
    assert XSS not in r.text and html.escape(XSS) in r.text  # the hostile name, escaped, listed
    # the same rule as the embedded page, whatever the numbers
    for q in (
        FIT,
        "investment_wan=3000&area_mu=30&tax_per_mu=20",  # below the intensity minimum
        "investment_wan=12000&area_mu=30&tax_per_mu=10",  # below the tax minimum
        "investment_wan=12000&area_mu=40&tax_per_mu=20",  # plots too small
        "investment_wan=12000&area_mu=32&tax_per_mu=20",  # within the ±10 % tolerance
    ):
        tiles = set(_fit_codes(c.get(f"/maps/investors?{q}").text) or [])
        assert tiles == _embedded_fits(offline.get(f"/maps/investors?{q}").text), q
    assert _fit_codes(c.get("/maps/investors").text) is None  # no fit check, no codes


def test_find_answers_for_available_plots_only(offline) -> None:
    r = offline.get("/maps/investors/find/INV-OK-1")
    assert r.status_code == 200
    body = r.json()
    w, s, e, n = body["bbox"]
    assert w < body["point"][0] < e and s < body["point"][1] < n
    assert abs(w - ORIGIN[0]) < 0.01 and abs(s - ORIGIN[1]) < 0.01
    assert body["properties"]["code"] == "INV-OK-1"
    assert "SECRET-NOTE" not in r.text and "published" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    xss = offline.get("/maps/investors/find/INV-XSS").json()
    assert xss["properties"]["name"] == html.escape(XSS)
    for code in ("INV-HIDDEN", "INV-SOLD", "INV-NOTNET", "NOPE", XSS):
        miss = offline.get("/maps/investors/find/" + quote(code, safe=""))
        assert miss.status_code == 404, code
        assert XSS not in miss.text
    en = offline.get("/maps/investors/find/INV-OK-1?lang=en").json()["properties"]
    assert en["supply_stage"] == "notice"


def test_tile_mode_search_box_asks_the_search_and_find_endpoints(make_client, url) -> None:
    c = make_client(url, tile_url="none", map_max_embedded_features=1)
    zh = c.get("/maps/investors").text
    assert '"url":"/maps/investors/search?q=","suffix":""' in zh
    assert '"detail":"/maps/investors/find/"' in zh
    en = c.get("/maps/investors?lang=en").text
    assert '"url":"/maps/investors/search?q=","suffix":"&amp;lang=en"' in en


def test_public_tiles_follow_the_area_filters(offline) -> None:
    x, y = _tile_of(*ORIGIN, 13)
    big = offline.get(f"/tiles/parcels/13/{x}/{y}.pbf?available=true&min_area_mu=100")
    assert "parcels" not in _decode(big.content)  # both plots are 30 亩
    ok = offline.get(f"/tiles/parcels/13/{x}/{y}.pbf?available=true&max_area_mu=100")
    assert len(_decode(ok.content)["parcels"]["features"]) == 2


@pytest.mark.parametrize(
    ("area_mu", "indicators", "expected"),
    [
        (30, [{"key": "investment_intensity", "min": 300}], True),  # 12 000 / 30 = 400
        (30, [{"key": "investment_intensity", "min": 500}], False),
        (30, [{"key": "固定资产投资强度", "min": "500"}], False),  # a number written as text
        (30, [{"key": "tax_per_mu", "min": 25}], False),  # 20 < 25
        (30, [{"key": "亩均税收", "min": 20}], True),
        (30, [{"key": "tax_per_mu", "min": "n/a"}, {"key": "far", "min": 9}], True),  # no bound
        (30, {"not": "a list"}, True),
        (33, [], True),  # 30 亩 + 10 %
        (33.5, [], False),
        (0, [], False),
    ],
)
def test_fit_rule_in_sql(district, area_mu, indicators, expected) -> None:
    """The rule gives the reasons a plot does not fit; none means it fits."""
    from sqlalchemy import text as sql

    from geo_service.maps import data
    from geo_service.maps.definitions import load_definition
    from geo_service.settings import PROJECT_DIR

    fit_def = load_definition(PROJECT_DIR / "maps", "investors").section("fit")
    rule, params = data.fit_sql(data.FitQuery(12000, 30, 20), fit_def)
    with district.connect() as c:
        got = c.execute(
            sql(
                f"SELECT {rule} FROM (SELECT CAST(:m2 AS float8) AS area_m2, "  # noqa: S608
                "CAST(:ind AS jsonb) AS indicators) p"
            ),
            {**params, "m2": area_mu * 10000 / 15, "ind": json.dumps(indicators)},
        ).scalar_one()
    assert (got == []) is expected, got
    assert all(r["rule"] in ("area", "intensity", "tax") and "min" in r for r in got)


def test_fit_rule_without_tax_checks_no_tax_minimum(district) -> None:
    """A blank tax box is "not checked", not 0: a tax minimum then rules nothing out."""
    from sqlalchemy import text as sql

    from geo_service.maps import data
    from geo_service.maps.definitions import load_definition
    from geo_service.settings import PROJECT_DIR

    fit_def = load_definition(PROJECT_DIR / "maps", "investors").section("fit")
    ind = json.dumps(
        [{"key": "tax_per_mu", "min": 25}, {"key": "investment_intensity", "min": 500}]
    )
    for tax, rules in ((None, ["intensity"]), (20.0, ["intensity", "tax"])):
        rule, params = data.fit_sql(data.FitQuery(12000, 30, tax), fit_def)
        with district.connect() as c:
            got = c.execute(
                sql(
                    f"SELECT {rule} FROM (SELECT CAST(:m2 AS float8) AS area_m2, "  # noqa: S608
                    "CAST(:ind AS jsonb) AS indicators) p"
                ),
                {**params, "m2": 30 * 10000 / 15, "ind": ind},
            ).scalar_one()
        assert sorted(r["rule"] for r in got) == rules, tax
        intensity = next(r for r in got if r["rule"] == "intensity")
        assert float(intensity["value"]) == 400.0 and intensity["min"] == 500


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_blank_tax_box_is_not_called_unchecked_on_a_plot_without_a_tax_minimum(lang: str) -> None:
    """郸城县's plots set no tax minimum: "未核对税收要求" (the tax minimum was not checked)
    misled there; the plot is said to set none. A plot with one still says it was not checked."""
    from geo_service.maps.data import FitQuery
    from geo_service.maps.definitions import load_definition
    from geo_service.maps.investor_map import fit_lines
    from geo_service.settings import PROJECT_DIR

    defn = load_definition(PROJECT_DIR / "maps", "investors", lang)
    fd = defn.section("fit")
    unchecked = defn.text(fd["tax_not_checked"])
    blank = FitQuery(12000, 30, None)
    none_set = fit_lines(defn, [], blank, [])
    assert unchecked not in none_set
    tax = defn.text(fd["rule_words"]["tax"])
    assert none_set[-1] == defn.text(fd["unbound"]).format(rule=tax), none_set
    assert fit_lines(defn, [], blank, ["intensity", "tax"])[-1] == unchecked
    # a plot that misfits on area and sets no tax minimum: the same
    misfit = [{"rule": "area", "value": 2000, "min": 20, "max": 30}]
    assert unchecked not in fit_lines(defn, misfit, blank, ["intensity"])


def test_a_bad_filter_is_explained_in_the_page_in_its_language(offline, district) -> None:
    """A person's mistake on a map page: an HTML page in Chinese (or English) with the reason
    and a way back that keeps the filters that were fine; API clients still get JSON."""
    html_ = {"Accept": "text/html"}
    r = offline.get("/maps/investors?zone=NOPE", headers=html_)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "没有编号为“NOPE”的园区" in r.text and "Z1" in r.text
    r = offline.get("/maps/investors?min_area_mu=abc&zone=Z1", headers=html_)
    assert r.status_code == 422 and "最小面积（亩）：应填数字" in r.text
    assert 'href="/maps/investors?zone=Z1"' in r.text  # the good filter is kept
    en = offline.get("/maps/investors?min_area_mu=-5&lang=en", headers=html_)
    assert "min area (mu): must be at least 0" in en.text
    api = offline.get("/api/v1/parcels?zone=NOPE")
    assert api.status_code == 422 and "zone" in api.json()["detail"]
    login = offline.get("/maps/readiness", headers=html_)
    assert login.status_code == 401 and "此页面需要登录" in login.text
    # a value not on the list, a status not in the select, an unknown county: said in Chinese
    bureau = {**html_, **token(district, "bureau")}
    r = offline.get("/maps/readiness?fails=gas", headers=bureau)
    assert r.status_code == 422 and "Value error" not in r.text
    said = html.unescape(r.text)
    assert "不是可选的值（应为 water, power, road, leveling, title 之一；收到 'gas'）" in said
    r = offline.get("/maps/readiness?status=foo", headers=bureau)
    said = html.unescape(r.text)
    assert r.status_code == 422 and "'net_land'、'not_net_land'、" in said and " or " not in said
    r = offline.get("/maps/investors?county=999999", headers=html_)
    assert r.status_code == 422 and "本平台没有县区" in r.text and "GET /api" not in r.text
    api = offline.get("/api/v1/parcels?county=999999")
    assert api.status_code == 422 and "no county '999999'" in api.json()["detail"]
