"""The demo district's ledger gives the source's headline figures."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.helpers import token

AS_OF = "2026-11-27"  # the demo's "today"


def test_headline_figures_match_the_source(demo_client: TestClient, demo_engine: Engine) -> None:
    h = token(demo_engine, "official", "demo-stats")
    # the source's figures are the district's (county 411603; the city adds 郸城县)
    r = demo_client.get("/api/v1/stats", params={"county": "411603"}, headers=h)
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["year"] == 2026
    assert st["projects"]["count"] == 247
    assert st["projects"]["count_growth_pct"] == 51.5
    assert st["investment"]["total_yi"] == 933.8
    assert st["investment"]["total_growth_pct"] == 86.0
    assert st["investment"]["planned_this_year_yi"] == 430.5
    assert st["investment"]["planned_growth_pct"] == 74.0
    p = st["problems"]
    assert (p["found"], p["resolved"], p["in_progress"]) == (36, 33, 3)


def test_demo_figures_as_of_the_demo_day(demo_engine: Engine) -> None:
    from datetime import date

    from geo_service.counties.scope import scoped
    from geo_service.db.engine import transaction
    from geo_service.projects.stats import project_stats

    with scoped("411603"), transaction(demo_engine) as s:
        st = project_stats(s, as_of=date.fromisoformat(AS_OF))
    assert st["projects"]["started"] == 136 and st["projects"]["start_rate_pct"] == 55.1
    assert st["attraction"]["at_least_1_yi"] == {"count": 19, "target": 16, "met": True}
    assert st["attraction"]["at_least_10_yi"] == {"count": 3, "target": 3, "met": True}
    assert st["problems"]["overdue"] == 1  # WT-027, past its deadline of 2026-11-12
    by_domain = st["by_domain"]
    assert sum(d["count"] for d in by_domain.values()) == 247
    assert round(sum(d["total_investment_yi"] for d in by_domain.values()), 0) == 934
    assert sum(u["problems"]["found"] for u in st["by_unit"].values()) == 36


def test_demo_late_projects_are_red_as_of_the_demo_day(
    demo_client: TestClient, demo_engine: Engine
) -> None:
    h = token(demo_engine, "official", "demo-rag")
    r = demo_client.get(
        "/api/v1/projects",
        params={"overdue": "true", "as_of": AS_OF, "limit": 1000},
        headers=h,
    )
    codes = {f["id"] for f in r.json()["features"]}
    late = {f"XM2026-{n:03d}" for n in (2, 19, 32, 37, 38, 42, 44, 129, 137, 169, 213, 221)}
    late |= {"XM2026-230", "XM2026-236"}
    assert late <= codes
    red = demo_client.get(
        "/api/v1/projects", params={"rag": "red", "as_of": AS_OF, "limit": 1000}, headers=h
    ).json()
    assert late <= {f["id"] for f in red["features"]}
    one = next(f for f in red["features"] if f["id"] == "XM2026-002")
    assert "not_started" in [x["rule"] for x in one["properties"]["reasons"]]


def test_demo_not_visited_and_round_links(demo_client: TestClient, demo_engine: Engine) -> None:
    h = token(demo_engine, "official", "demo-visits")
    r = demo_client.get(
        "/api/v1/projects/not-visited", params={"as_of": AS_OF, "limit": 1000}, headers=h
    ).json()
    stale = {
        f"XM2026-{n:03d}" for n in (4, 18, 23, 25, 44, 51, 73, 85, 113, 119, 144, 191)
    }  # visited weekly until they stopped before 2026-11-20
    got = {i["project"] for i in r["items"]}
    assert stale <= got
    with demo_engine.connect() as c:
        bad = c.execute(
            text(
                """SELECT count(*) FROM project_rounds r
                JOIN project_rounds s ON s.id = r.follows_id
                WHERE NOT (r.list = 'in_production' AND s.list = 'started'
                           AND s.project_id = r.project_id AND s.round_no < r.round_no)"""
            )
        ).scalar()
        linkable = c.execute(
            text(
                """SELECT count(*) FROM project_rounds r WHERE r.list = 'in_production'
                AND EXISTS (SELECT 1 FROM project_rounds s WHERE s.project_id = r.project_id
                            AND s.list = 'started' AND s.round_no < r.round_no)
                AND r.follows_id IS NULL"""
            )
        ).scalar()
        linked = c.execute(
            text("SELECT count(*) FROM project_rounds WHERE follows_id IS NOT NULL")
        ).scalar()
    assert bad == 0 and linkable == 0
    assert linked == 9  # the demo's in-production entries that have an earlier started round
