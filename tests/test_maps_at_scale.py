"""What the map pages' speed at 100 000 parcels rests on (no timings here):

* ready for supply decided against one covering shape per statement agrees, parcel by parcel,
  with asking every required assessment kind of each parcel (split areas, shared edges, lapsed
  and not-yet-valid areas, a kind left without any area);
* the investor page's one-pass figures (count, filter lists, list, fitting codes) agree with the
  single-purpose statements and the public tiles;
* figures remembered per data version follow a write at once, through another app instance on
  the same database: the extent the tile-mode maps open on (and ask tiles within), the counts and
  lists, and an assessment written (which bumps no data version);
* the map pages ask /static files by a digest of their content, served immutable; a changed
  file gets another URL.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
from shapely.geometry import mapping
from sqlalchemy import Engine, text

from geo_service.api.routes import maps as map_routes
from geo_service.db.engine import transaction
from geo_service.maps import page as map_page
from geo_service.maps.data import InvestorFilter, count_investor_parcels, investor_choices
from geo_service.maps.data.fit import FitQuery
from geo_service.maps.data.offer import investor_offer
from geo_service.parcels import writes
from geo_service.readiness.rules import covered_kinds_sql, ready_for_supply_sql, supply_params
from geo_service.settings import ReadinessRules
from tests.helpers import ORIGIN, add_parcels, rect_m, to_lonlat, token
from tests.maps_fixtures import ALL_MET, INDICATORS, load_small_district, set_conditions

RULES = ReadinessRules()


@pytest.fixture(scope="module")
def district(module_engine: Engine) -> Engine:
    load_small_district(module_engine)
    return module_engine


@pytest.fixture(scope="module")
def url(district: Engine) -> str:
    return district.url.render_as_string(hide_password=False)


def _ready_by_rule(engine: Engine, rules: ReadinessRules) -> dict[str, bool]:
    with engine.connect() as c:
        rows = c.execute(
            text(f"SELECT p.code, {ready_for_supply_sql()} FROM parcels p"),  # noqa: S608 -- fixed fragments only
            supply_params(rules),
        ).all()
    return {r[0]: bool(r[1]) for r in rows}


def _ready_kind_by_kind(engine: Engine, rules: ReadinessRules) -> dict[str, bool]:
    """The same question asked per parcel and per kind (``covered_kinds_sql``)."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                f"""SELECT p.code,
                  (SELECT count(*) FROM parcel_conditions pc
                   WHERE pc.parcel_id = p.id AND pc.status = 'met') = 5
                  AND jsonb_typeof(p.indicators) = 'array' AND jsonb_array_length(p.indicators) > 0
                  AND (SELECT count(*) FROM ({covered_kinds_sql("p")}) k)
                      = (SELECT count(DISTINCT x) FROM unnest(CAST(:supply_kinds AS text[])) x)
                FROM parcels p"""  # noqa: S608 -- fixed fragments only
            ),
            supply_params(rules),
        ).all()
    return {r[0]: bool(r[1]) for r in rows}


def _area(code: str, kind: str, geom_m: Any, *, since: Any = None, until: Any = None) -> dict:
    return {"code": code, "kind": kind, "wkb": to_lonlat(geom_m).wkb_hex, "valid_from": since,
            "valid_until": until}  # fmt: skip


def test_ready_for_supply_agrees_with_asking_each_kind_of_each_parcel(new_database) -> None:
    from sqlalchemy import create_engine

    eng = create_engine(new_database())
    try:
        load_small_district(eng)
        base = {"zone_code": "Z1", "indicators": INDICATORS, "published": True}
        # parcels on the edges of the areas below: split, sharing an edge, half outside
        add_parcels(
            eng,
            {**base, "code": "EDGE-SPLIT", "geom_m": rect_m(0, 300, 200, 100)},
            {**base, "code": "EDGE-SHARED", "geom_m": rect_m(400, 300, 100, 100)},
            {**base, "code": "EDGE-OUT", "geom_m": rect_m(1900, 300, 200, 100)},
            {**base, "code": "EDGE-LATE", "geom_m": rect_m(1000, 600, 100, 100)},
        )
        for code in ("EDGE-SPLIT", "EDGE-SHARED", "EDGE-OUT", "EDGE-LATE"):
            set_conditions(eng, code, ALL_MET)
        with transaction(eng) as s:
            kind = "flood_impact"
            s.execute(text("DELETE FROM assessment_areas WHERE kind = :k"), {"k": kind})
            writes.upsert_assessments(
                s,
                [  # two areas meeting at x = 100 m split EDGE-SPLIT; x = 500 m is an edge
                    _area("F-W", kind, rect_m(-100, -100, 200, 900)),
                    _area("F-E", kind, rect_m(100, -100, 400, 900)),
                    _area("F-R", kind, rect_m(500, -100, 1500, 650)),
                    _area("F-LAPSED", kind, rect_m(500, 650, 1500, 150), until=date(2020, 1, 1)),
                    _area("F-LATER", kind, rect_m(900, 550, 300, 250), since=date(2098, 1, 1)),
                ],
            )
        by_rule = _ready_by_rule(eng, RULES)
        assert by_rule == _ready_kind_by_kind(eng, RULES)
        # the cases are what they say: some on offer, some not
        assert by_rule["EDGE-SPLIT"] and by_rule["EDGE-SHARED"] and by_rule["INV-OK-1"]
        assert not by_rule["EDGE-OUT"] and not by_rule["EDGE-LATE"]
        # a required kind with no area at all: nothing is ready; no kind required: net land is
        extra = RULES.model_copy(
            update={"required_assessments": [*RULES.required_assessments, "x"]}
        )
        assert not any(_ready_by_rule(eng, extra).values())
        assert _ready_by_rule(eng, extra) == _ready_kind_by_kind(eng, extra)
        none = RULES.model_copy(update={"required_assessments": []})
        assert _ready_by_rule(eng, none) == _ready_kind_by_kind(eng, none)
        assert _ready_by_rule(eng, none)["EDGE-OUT"]
    finally:
        eng.dispose()


def test_investor_page_figures_in_one_pass_agree_with_each_statement(district) -> None:
    from sqlalchemy.orm import Session

    fit_def = {"area_tolerance_pct": 10, "investment_intensity_keys": ["investment_intensity"],
               "tax_keys": ["tax_per_mu"]}  # fmt: skip
    with Session(district) as s:
        for f in (InvestorFilter(), InvestorFilter(zone="Z1", industry="塑料制品")):
            offer = investor_offer(s, f, limit=500, readiness=RULES)
            assert offer.count == count_investor_parcels(s, f, readiness=RULES)
            assert offer.choices == investor_choices(s, readiness=RULES)
            assert len(offer.results) == offer.count
            assert offer.fit_codes is None
        fit = FitQuery(investment_wan=100000, area_mu=30)
        offer = investor_offer(s, InvestorFilter(), limit=500, fit=fit, fit_def=fit_def,
                               readiness=RULES)  # fmt: skip
        fitting = [r["code"] for r in offer.results if not r["misfit"]]
        assert sorted(fitting) == offer.fit_codes
        assert [r["code"] for r in offer.results] == fitting + sorted(
            r["code"] for r in offer.results if r["misfit"]
        )


def _tile_codes(client, path: str) -> set[str]:  # type: ignore[no-untyped-def]
    z = 13
    n = 2**z
    x = int((ORIGIN[0] + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(ORIGIN[1]))) / math.pi) / 2 * n)
    r = client.get(f"/tiles/parcels/{z}/{x}/{y}.pbf{path}")
    assert r.status_code == 200
    feats = mapbox_vector_tile.decode(r.content).get("parcels", {"features": []})["features"]
    return {f["properties"]["code"] for f in feats}


def _bounds(page: str) -> list[list[float]]:
    """The extent the page asks tiles within (the parcels' layer options)."""
    found = re.search(r'"bounds":(\[\[[-0-9.,]+\],\[[-0-9.,]+\]\])', page)
    assert found, "the tile layer carries the parcels' extent"
    return list(json.loads(found.group(1)))


def _count(page: str) -> int:
    found = re.search(r"data-gs-count>(\d+)<", page)
    assert found
    return int(found.group(1))


def test_remembered_figures_follow_a_write_through_another_app_instance(
    make_client, url, district
) -> None:
    a = make_client(url, tile_url="none", map_max_embedded_features=1)
    b = make_client(url, tile_url="none", map_max_embedded_features=1)
    bureau = token(district, "bureau")
    first = a.get("/maps/readiness", headers=bureau).text
    (south, west), (north, east) = _bounds(first)
    inv = a.get("/maps/investors").text
    assert _bounds(inv) == [[south, west], [north, east]]
    assert "FAR-1" not in inv and _count(inv) == 2

    # a plot 3 km east of the others, written through the other instance's API
    geom = to_lonlat(rect_m(3000, 0, 200, 100))
    r = b.post(
        "/api/v1/parcels",
        json={"type": "Feature", "geometry": mapping(geom),
              "properties": {"code": "FAR-1", "name": "远处地块", "zone": "Z1",
                             "published": True, "supply_stage": "plan",
                             "indicators": INDICATORS}},
        headers=bureau,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    set_conditions(district, "FAR-1", ALL_MET)

    after = a.get("/maps/readiness", headers=bureau).text
    (s2, w2), (n2, e2) = _bounds(after)
    assert e2 > east + 0.015 and (s2, w2, n2) == pytest.approx((south, west, north), abs=1e-4)
    assert _count(after) == _count(first) + 1 and "FAR-1" in after  # count and list follow
    # the investor map: not on offer yet (its assessments do not reach 3 km east) ...
    inv = a.get("/maps/investors").text
    assert _bounds(inv)[1][1] == pytest.approx(e2) and "FAR-1" not in inv and _count(inv) == 2
    # ... until an assessment covers it: that write bumps no data version, the page follows
    from tests.helpers import add_assessments

    add_assessments(district, rect_m(2900, -100, 400, 300), prefix="FAR")
    inv = a.get("/maps/investors").text
    assert "FAR-1" in inv and _count(inv) == 3


def _script_versions(page: str) -> dict[str, str]:
    return dict(re.findall(r'<script[^>]*src="/static/([^"?]+)\?v=([0-9a-f]+)"', page))


def test_static_assets_have_versioned_urls_cached_for_good(
    make_client, url, district, tmp_path: Path, monkeypatch
) -> None:
    c = make_client(url, tile_url="none")
    bureau = token(district, "bureau")
    page = c.get("/maps/readiness", headers=bureau).text
    versions = _script_versions(page)
    assert {"leaflet/leaflet.js", "gs-maps.js"} <= set(versions)
    assert re.search(r'<link[^>]*href="/static/leaflet/leaflet\.css\?v=[0-9a-f]+"', page)
    v = versions["gs-maps.js"]
    r = c.get(f"/static/gs-maps.js?v={v}")
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    assert "max-age=31536000" in r.headers["cache-control"]
    for other in ("/static/gs-maps.js", "/static/gs-maps.js?v=000000000000"):
        r = c.get(other)  # not the current file's digest: cached a day, never for good
        assert r.status_code == 200 and "immutable" not in r.headers["cache-control"]

    # the file changes (a new release): the page asks another URL, the old one is not immutable
    static = tmp_path / "static"
    shutil.copytree(map_page.STATIC_DIR, static)
    (static / "gs-maps.js").write_text(
        (static / "gs-maps.js").read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8"
    )
    monkeypatch.setattr(map_page, "STATIC_DIR", static)
    monkeypatch.setattr(map_routes, "STATIC_DIR", static)
    changed = _script_versions(c.get("/maps/readiness", headers=bureau).text)
    assert changed["gs-maps.js"] != v
    assert changed["leaflet/leaflet.js"] == versions["leaflet/leaflet.js"]
    assert "immutable" not in c.get(f"/static/gs-maps.js?v={v}").headers["cache-control"]
    r = c.get(f"/static/gs-maps.js?v={changed['gs-maps.js']}")
    assert "/* changed */" in r.text and "immutable" in r.headers["cache-control"]
