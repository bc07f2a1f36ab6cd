"""The demo district: loads, loads again without change, and shows the source's figures."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.demo.load import DEMO_DATE, demo_as_of, load_demo
from geo_service.settings import Settings
from tests.helpers import token


def test_demo_load_is_idempotent(demo_copy: Engine) -> None:
    def snapshot() -> tuple[object, ...]:
        with demo_copy.connect() as c:
            return tuple(
                c.execute(text(q)).scalar()
                for q in (
                    "SELECT count(*) FROM parcels",
                    "SELECT sum(version) FROM parcels",
                    "SELECT count(*) FROM projects",
                    "SELECT sum(version) FROM projects",
                    "SELECT count(*) FROM problems",
                    "SELECT count(*) FROM infrastructure",
                    "SELECT count(*) FROM leveling_surveys",
                )
            )

    before = snapshot()
    counts = load_demo(demo_copy, Settings().demo_dir)
    assert counts["parcels"] == 60 and counts["projects"] == 247
    assert snapshot() == before  # nothing duplicated, no row rewritten


def test_demo_parcels_are_20_to_300_mu_inside_the_district(demo_client: TestClient) -> None:
    fc = demo_client.get("/api/v1/parcels", params={"limit": 1000}).json()
    areas = [f["properties"]["area_mu"] for f in fc["features"]]
    assert len(areas) >= 50
    assert all(20 <= a <= 300 for a in areas)


def test_demo_stats_reproduce_the_source(demo_client: TestClient, demo_engine: Engine) -> None:
    # the source's figures are the district's: county=411603 (the city adds the second county)
    s = demo_client.get(
        "/api/v1/stats", params={"county": "411603"}, headers=token(demo_engine, "official")
    ).json()
    assert s["projects"]["count"] == 247
    assert s["projects"]["count_growth_pct"] == 51.5
    assert s["investment"]["total_yi"] == 933.8
    assert s["investment"]["total_growth_pct"] == 86.0
    assert s["investment"]["planned_this_year_yi"] == 430.5
    assert s["investment"]["planned_growth_pct"] == 74.0
    p = s["problems"]
    assert (p["found"], p["resolved"], p["in_progress"]) == (36, 33, 3)


# what the demo generator designed each parcel to lack (see tools/demo/generate.py)
DESIGNED = {
    ("water", "unmet"): {"HY-2026-018", "HY-2026-050"},
    ("power", "unmet"): {"HY-2026-040", "HY-2026-051"},
    ("road", "unmet"): {"HY-2026-055", "HY-2026-056"},
    ("leveling", "unmet"): {"HY-2026-022", "HY-2026-039", "HY-2026-042"},
    ("leveling", "unknown"): {"HY-2026-030", "HY-2026-053"},
    ("title", "unmet"): {"HY-2026-001", "HY-2026-012", "HY-2026-021", "HY-2026-058"},
    ("title", "unknown"): {"HY-2026-026", "HY-2026-048"},
}


def test_demo_readiness_finds_exactly_the_designed_gaps(demo_engine: Engine) -> None:
    with demo_engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT pc.condition, pc.status, p.code FROM parcel_conditions pc "
                "JOIN parcels p ON p.id = pc.parcel_id WHERE pc.status <> 'met' "
                "AND p.county = '411603'"
            )
        ).all()
    found: dict[tuple[str, str], set[str]] = {}
    for cond, status, code in rows:
        found.setdefault((cond, status), set()).add(code)
    assert found == DESIGNED


def test_demo_net_land_reserve_exceeds_500_mu(demo_client: TestClient, demo_engine: Engine) -> None:
    q = {"net_land": "true", "limit": 1000, "county": "411603"}
    bureau = token(demo_engine, "bureau")

    def matched(params: dict[str, object], headers: dict[str, str] | None = None) -> int:
        r = demo_client.get("/api/v1/parcels", params=params, headers=headers or {})
        return int(r.json()["numberMatched"])

    assert matched(q, bureau) == 43
    # three of them are not published: the public sees 40
    assert matched(q) == 40
    land = demo_client.get("/api/v1/stats", params={"county": "411603"}).json()["land"]
    assert land["net_land_reserve_mu"] >= 500
    # the second county has net land of its own: 4 parcels (3 published), within its roads' reach
    assert (
        matched({**q, "county": "411625"}, bureau) == 4 and matched({**q, "county": "411625"}) == 3
    )


def test_a_demo_loaded_later_is_judged_as_of_its_own_date() -> None:
    later = datetime(2027, 6, 1, tzinfo=UTC)
    assert demo_as_of(later) == DEMO_DATE  # not half stale half a year on
    earlier = datetime(2026, 11, 1, tzinfo=UTC)
    assert demo_as_of(earlier) == earlier
