"""Ready for supply (可供应) is one definition (``readiness/rules.py``): a plot whose regional
assessment has lapsed leaves every investor-facing layer at once, and changing the rule's input
(the required assessments) brings it back on every layer."""

from __future__ import annotations

import csv
import io
import math
from datetime import date

import mapbox_vector_tile
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.db.engine import transaction
from geo_service.parcels import writes
from geo_service.settings import ReadinessRules
from tests.databases import ClientFactory
from tests.helpers import ORIGIN, rect_m, to_lonlat, token
from tests.maps_fixtures import load_small_district

LAPSED = "INV-OK-1"  # its flood-impact assessment ran out in 2020
STILL = "INV-XSS"  # every assessment valid: stays on offer


def _lapse_flood_assessment_of_one_plot(engine: Engine) -> None:
    """The district-wide flood assessment now leaves INV-OK-1 (x 0–200 m) out; INV-OK-1's own
    flood assessment expired on 2020-01-01."""
    with transaction(engine) as s:
        kind = "flood_impact"
        s.execute(text("DELETE FROM assessment_areas WHERE kind = :k"), {"k": kind})
        writes.upsert_assessments(
            s,
            [
                {
                    "code": "FLOOD-REST",
                    "kind": kind,
                    "wkb": to_lonlat(rect_m(250, -100, 1650, 800)).wkb_hex,
                    "valid_until": date(2099, 12, 31),
                },
                {
                    "code": "FLOOD-OK1",
                    "kind": kind,
                    "wkb": to_lonlat(rect_m(-100, -100, 350, 800)).wkb_hex,
                    "valid_until": date(2020, 1, 1),
                },
            ],
        )


def _tile_codes(c: TestClient) -> set[str]:
    z = 13
    n = 2**z
    x = int((ORIGIN[0] + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(ORIGIN[1]))) / math.pi) / 2 * n)
    r = c.get(f"/tiles/parcels/{z}/{x}/{y}.pbf?available=true")
    assert r.status_code == 200
    feats = mapbox_vector_tile.decode(r.content).get("parcels", {"features": []})["features"]
    return {f["properties"]["code"] for f in feats}


def _on_offer_everywhere(c: TestClient, engine: Engine, code: str) -> dict[str, bool]:
    """Whether ``code`` is on offer, as each layer an investor (or the bureau's report) sees it."""
    bureau = token(engine, "bureau")
    report = c.get("/api/v1/readiness/report?format=csv", headers=bureau)
    assert report.status_code == 200, report.text[:300]
    table = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    keys = [h.split()[-1] for h in table[0]]  # "可供应 ready_for_supply" → ready_for_supply
    rows = {r["code"]: r for r in (dict(zip(keys, line, strict=True)) for line in table[1:])}
    hits = c.get("/maps/investors/search", params={"q": code}).json()["hits"]
    return {
        "investor map": code in c.get("/maps/investors").text,
        "find": c.get(f"/maps/investors/find/{code}").status_code == 200,
        "search": code in {h["code"] for h in hits},
        "plot sheet": c.get(f"/maps/investors/parcels/{code}").status_code == 200,
        "public tiles": code in _tile_codes(c),
        "public readiness": c.get(f"/api/v1/parcels/{code}/readiness").json()["ready_for_supply"],
        "report": rows[code]["ready_for_supply"] == "是",
    }


def test_a_lapsed_assessment_takes_the_plot_off_every_layer(
    make_client: ClientFactory, clean_engine: Engine
) -> None:
    load_small_district(clean_engine)
    url = clean_engine.url.render_as_string(hide_password=False)
    before = make_client(url, tile_url="none")
    assert set(_on_offer_everywhere(before, clean_engine, LAPSED).values()) == {True}
    _lapse_flood_assessment_of_one_plot(clean_engine)
    after = make_client(url, tile_url="none")  # a new app: no tile cached before the change
    assert _on_offer_everywhere(after, clean_engine, LAPSED) == dict.fromkeys(
        _on_offer_everywhere(after, clean_engine, STILL), False
    )
    assert set(_on_offer_everywhere(after, clean_engine, STILL).values()) == {True}
    bureau = token(clean_engine, "bureau")
    body = after.get(f"/api/v1/parcels/{LAPSED}/readiness", headers=bureau).json()
    assert body["net_land"] is True and body["supply"]["missing_assessments"] == ["flood_impact"]


def test_every_layer_follows_the_rules_input(
    make_client: ClientFactory, clean_engine: Engine
) -> None:
    """Drop the flood assessment from the required ones: the lapsed plot is back everywhere."""
    load_small_district(clean_engine)
    _lapse_flood_assessment_of_one_plot(clean_engine)
    kinds = [k for k in ReadinessRules().required_assessments if k != "flood_impact"]
    url = clean_engine.url.render_as_string(hide_password=False)
    c = make_client(url, tile_url="none", readiness=ReadinessRules(required_assessments=kinds))
    assert set(_on_offer_everywhere(c, clean_engine, LAPSED).values()) == {True}
