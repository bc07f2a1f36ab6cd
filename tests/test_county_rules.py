"""Per-county rules (issue 14): a county's stored readiness thresholds and supply clock overrides
are read by the readiness engine and the supply clocks for that county's parcels only, and the
supply overrides keyed by a county's division code apply to that county."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.counties.service import upsert_county
from geo_service.db.engine import transaction
from geo_service.supply.config import SupplyConfig
from tests.helpers import token

HY, DC = "411603", "411625"
DAY = "2026-11-27"


def _water(client: TestClient, h: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each parcel's water condition as the API gives it (status, evidence), by code."""
    out = {}
    for county in (HY, DC):
        r = client.get("/api/v1/parcels", params={"county": county, "limit": 500}, headers=h)
        for f in r.json()["features"]:
            code = f["id"]
            a = client.get(f"/api/v1/parcels/{code}/readiness", headers=h).json()
            out[code] = a["conditions"]["water"]
    return out


def _run(client: TestClient, h: dict[str, str]) -> None:
    r = client.post("/api/v1/readiness/run", params={"as_of": DAY}, headers=h, timeout=300)
    assert r.status_code == 200, r.text


def _distance(c: dict[str, Any]) -> float | None:
    ev = c.get("evidence") or {}
    near = ev.get("nearest") or {}
    return near.get("distance_m")


def test_a_countys_water_distance_changes_its_parcels_only(
    demo_copy: Engine, make_client: Any
) -> None:
    client = make_client(demo_copy.url.render_as_string(hide_password=False))
    h = token(demo_copy, "bureau")
    _run(client, h)
    before = _water(client, h)
    dc_met = {c: w for c, w in before.items() if c.startswith("DC-") and w["status"] == "met"}
    assert dc_met, "the demo's 郸城县 has parcels with water"
    limit = min(_distance(w) for w in dc_met.values()) - 1  # tighter than every met one
    assert limit > 0
    with transaction(demo_copy) as s:
        upsert_county(
            s,
            code=DC,
            name_zh="郸城县",
            name_en="Dancheng County",
            readiness={"water": {"max_distance_m": limit}},
        )
    _run(client, h)
    after = _water(client, h)
    # 郸城县: every parcel that had water within 200 m now fails the tighter distance, saying so
    for code in dc_met:
        w = after[code]
        assert w["status"] == "unmet", (code, w)
        assert w["evidence"]["rule"]["max_distance_m"] == limit
        assert f"within {limit:g} m" in w["evidence"]["reason"]
    # 淮阳区: every status and the rule it was judged by stay as they were
    hy = [c for c in before if c.startswith("HY-")]
    assert hy and [after[c]["status"] for c in hy] == [before[c]["status"] for c in hy]
    met_hy = [c for c in hy if before[c]["status"] == "met"]
    assert met_hy and all(after[c]["evidence"]["rule"]["max_distance_m"] == 200 for c in met_hy)
    # a 淮阳区 parcel farther from its main than 郸城县's new limit still has water
    assert any(_distance(after[c]) > limit for c in met_hy)


def test_a_bad_county_threshold_stops_the_run_naming_the_county(
    demo_copy: Engine, make_client: Any
) -> None:
    client = make_client(demo_copy.url.render_as_string(hide_password=False))
    h = token(demo_copy, "bureau")
    with demo_copy.begin() as c:
        c.execute(
            text("UPDATE counties SET readiness = :r WHERE code = :c"),
            {"r": '{"max_evidence_age_days": 10}', "c": DC},
        )
    r = client.post("/api/v1/readiness/run", params={"as_of": DAY}, headers=h)
    # a configuration error (as a bad GEO_SERVICE_READINESS__… setting), naming what to fix
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert DC in r.json()["detail"] and "max_evidence_age_days" in r.json()["detail"]
    assert "Traceback" not in r.text


def _sale(client: TestClient, code: str, h: dict[str, str]) -> dict[str, Any]:
    body = {"event": "notice_published", "on": "2026-09-04", "document_ref": "公告-1"}
    r = client.post(f"/api/v1/parcels/{code}/supply/events", json=body, headers=h)
    assert r.status_code == 201, r.text
    body = {"event": "sale_started", "on": "2026-09-25", "document_ref": "挂牌-1"}
    r = client.post(f"/api/v1/parcels/{code}/supply/events", json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _listing(answer: dict[str, Any]) -> dict[str, Any]:
    return next(d for d in answer["deadlines"] if d["rule"] == "listing_period")


def test_supply_clocks_run_by_each_parcels_county(demo_copy: Engine, make_client: Any) -> None:
    # the settings override 淮阳区 by its division code (411603, not the old 411626) ...
    overrides = {HY: {"listing_period": {"length": 12, "unit": "calendar_days"}}}
    client = make_client(
        demo_copy.url.render_as_string(hide_password=False),
        supply=SupplyConfig(overrides=overrides),
    )
    assert SupplyConfig().division == HY
    h = token(demo_copy, "bureau")
    # ... and 郸城县 stores its own listing period
    with transaction(demo_copy) as s:
        upsert_county(
            s,
            code=DC,
            name_zh="郸城县",
            name_en="Dancheng County",
            supply_overrides={"listing_period": {"length": 20, "unit": "calendar_days",
                                                 "source": "郸城县规定"}},
        )  # fmt: skip
    with demo_copy.connect() as c:
        free = dict(
            c.execute(
                text(
                    "SELECT DISTINCT ON (county) county, code FROM parcels p WHERE NOT EXISTS "
                    "(SELECT 1 FROM supply_events e WHERE e.parcel_id = p.id) ORDER BY county, code"
                )
            ).all()
        )
    hy, dc = _listing(_sale(client, free[HY], h)), _listing(_sale(client, free[DC], h))
    # the same notice and sale dates, each county's own clock
    assert (hy["due"], hy["origin"]) == ("2026-10-07", HY)
    assert (dc["due"], dc["origin"]) == ("2026-10-15", DC)
    assert dc["source"] == "郸城县规定"
    # the parcel's answer and the daily check agree
    a = client.get(f"/api/v1/parcels/{free[DC]}/supply", params={"as_of": DAY}, headers=h).json()
    assert _listing(a)["due"] == "2026-10-15"
    # the clocks in force, per county
    r = client.get("/api/v1/supply/rules", params={"county": DC}, headers=h).json()
    assert r["division"] == DC
    listing = next(x for x in r["rules"] if x["key"] == "listing_period")
    assert (listing["length"], listing["origin"]) == (20, DC)
    r = client.get("/api/v1/supply/rules", headers=h).json()
    assert r["division"] == HY
    listing = next(x for x in r["rules"] if x["key"] == "listing_period")
    assert (listing["length"], listing["origin"]) == (12, HY)
