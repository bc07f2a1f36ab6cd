"""Slow and overdue projects at fixed ``as_of`` dates; problems, visits; the start-rate forecast."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.helpers import patch_current, token

STARTED = {"status": "started", "signed_on": "2026-01-05", "actual_start": "2026-01-10"}


def add(client: TestClient, h: dict[str, str], code: str, **over: Any) -> None:
    body: dict[str, Any] = {
        "code": code,
        "name": f"项目 {code}",
        "year": 2026,
        "domain": "infrastructure",
        "total_investment_wan": "20000",
        "planned_investment_wan": "0",
        "leader": "王五",
        "responsible_unit": "交通局",
        "planned_start": "2026-01-01",
        "planned_completion": "2026-12-31",
    }
    body.update(over)
    r = client.post("/api/v1/projects", json=body, headers=h)
    assert r.status_code == 201, r.text


@pytest.fixture
def h(clean_engine: Engine) -> dict[str, str]:
    return token(clean_engine, "official")


def rag(client: TestClient, h: dict[str, str], code: str, as_of: str) -> tuple[str, list[str]]:
    p = client.get(f"/api/v1/projects/{code}", params={"as_of": as_of}, headers=h).json()
    props = p["properties"]
    return props["rag"], [r["rule"] for r in props["reasons"]]


def test_not_started_by_its_planned_start_is_red(client: TestClient, h: dict[str, str]) -> None:
    add(client, h, "LATE", planned_start="2026-03-01")
    assert rag(client, h, "LATE", "2026-02-15") == ("green", [])
    assert rag(client, h, "LATE", "2026-03-15") == ("red", ["not_started"])
    assert rag(client, h, "LATE", "2027-01-05") == ("red", ["not_started", "completion_overdue"])


def test_investment_behind_the_linear_plan_is_yellow(client: TestClient, h: dict[str, str]) -> None:
    add(client, h, "SLOW", planned_investment_wan="12000", **STARTED)
    for month, wan in (("2026-01", "1000"), ("2026-02", "1000"), ("2026-03", "200")):
        client.put(
            f"/api/v1/projects/SLOW/investment/{month}", json={"completed_wan": wan}, headers=h
        )
    # by 02-28: 59/365 of 12000 = 1939.7 due, 2000 done
    assert rag(client, h, "SLOW", "2026-02-28") == ("green", [])
    # by 03-31: 90/365 of 12000 = 2958.9 due, 2200 done: 25.6 % behind (> 20 %)
    state, rules = rag(client, h, "SLOW", "2026-03-31")
    assert (state, rules) == ("yellow", ["investment_behind"])
    reason = client.get("/api/v1/projects/SLOW", params={"as_of": "2026-03-31"}, headers=h).json()[
        "properties"
    ]["reasons"][0]
    assert "2200.00 of 2958.90 万元" in reason["detail"]
    # by 06-30 with nothing more: 2200 of 5950.7 due, 63 % behind (> 50 %): red
    assert rag(client, h, "SLOW", "2026-06-30") == ("red", ["investment_behind"])


def test_overdue_milestones_turn_yellow_then_red(client: TestClient, h: dict[str, str]) -> None:
    add(client, h, "MS", **STARTED)
    client.put(
        "/api/v1/projects/MS/milestones",
        json={"target_date": "2026-05-01", "steps": [{"name": "主体封顶", "duration_days": 0}]},
        headers=h,
    )
    assert rag(client, h, "MS", "2026-04-30") == ("green", [])
    assert rag(client, h, "MS", "2026-05-10") == ("yellow", ["milestone_overdue"])
    assert rag(client, h, "MS", "2026-06-15") == ("red", ["milestone_overdue"])  # 45 days late
    client.patch("/api/v1/projects/MS/milestones/1", json={"done_on": "2026-05-20"}, headers=h)
    assert rag(client, h, "MS", "2026-06-15") == ("green", [])
    assert rag(client, h, "MS", "2026-05-10") == ("yellow", ["milestone_overdue"])  # repeatable


def test_a_problem_past_its_deadline_is_red_until_resolved(
    client: TestClient, h: dict[str, str]
) -> None:
    add(client, h, "PB", **STARTED)
    r = client.post(
        "/api/v1/projects/PB/visits",
        json={
            "leader": "王五",
            "visited_on": "2026-04-01",
            "notes": "现场督导",
            "problems": [
                {
                    "description": "施工用电未接通",
                    "assignee_unit": "供电公司",
                    "assignee_leader": "赵六",
                    "deadline": "2026-04-30",
                    "code": "Q-1",
                }
            ],
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert r.json()["problems"] == ["Q-1"]
    assert rag(client, h, "PB", "2026-04-30") == ("green", [])
    assert rag(client, h, "PB", "2026-05-01") == ("red", ["problem_overdue"])
    prob = client.get("/api/v1/problems/Q-1", params={"as_of": "2026-05-01"}, headers=h).json()
    assert prob["overdue"] and prob["escalated"] and prob["visit"]

    listed = client.get(
        "/api/v1/projects", params={"rag": "red", "as_of": "2026-05-01"}, headers=h
    ).json()
    assert [f["id"] for f in listed["features"]] == ["PB"]
    od = client.get(
        "/api/v1/projects", params={"overdue": "true", "as_of": "2026-04-15"}, headers=h
    ).json()
    assert od["features"] == []

    r = patch_current(
        client,
        "/api/v1/problems/Q-1",
        json={"status": "resolved", "resolution": "临时用电已接通", "resolved_on": "2026-05-05"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert rag(client, h, "PB", "2026-05-03") == ("red", ["problem_overdue"])  # as it was then
    assert rag(client, h, "PB", "2026-05-06") == ("green", [])


def test_problem_lifecycle_is_enforced(
    client: TestClient, clean_engine: Engine, h: dict[str, str]
) -> None:
    add(client, h, "PB", **STARTED)
    body = {
        "project": "PB",
        "description": "征迁未完成",
        "found_on": "2026-04-01",
        "assignee_unit": "城关镇",
        "assignee_leader": "孙七",
        "deadline": "2026-04-20",
    }
    r = client.post("/api/v1/problems", json=body, headers=h)
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert r.json()["status"] == "open"
    url = f"/api/v1/problems/{code}"

    r = patch_current(client, url, json={"status": "resolved"}, headers=h)
    assert r.status_code == 422 and "resolution" in r.json()["detail"]
    assert patch_current(client, url, json={"status": "in_progress"}, headers=h).status_code == 200
    r = patch_current(client, url, json={"status": "open"}, headers=h)
    assert r.status_code == 422 and "cannot go back" in r.json()["detail"]
    r = patch_current(
        client,
        url,
        json={"status": "resolved", "resolution": "已完成", "resolved_on": "2026-03-01"},
        headers=h,
    )
    assert r.status_code == 422 and "before the day the problem was found" in r.json()["detail"]
    r = patch_current(
        client,
        url,
        json={"status": "resolved", "resolution": "已完成", "resolved_on": "2026-04-11"},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert client.patch(url, json={"status": "open"}, headers={}).status_code == 401
    bureau = token(clean_engine, "bureau")
    assert client.patch(url, json={"escalated": True}, headers=bureau).status_code == 403

    bad = dict(body, deadline="2026-03-01")
    r = client.post("/api/v1/problems", json=bad, headers=h)
    assert r.status_code == 422 and "deadline" in r.json()["detail"]
    with clean_engine.connect() as c:
        actions = c.execute(
            text("SELECT action FROM audit_events WHERE entity_type = 'problem' ORDER BY id")
        ).scalars()
        assert list(actions) == ["problem.create", "problem.update", "problem.update"]


def test_problem_figures_in_stats(client: TestClient, h: dict[str, str]) -> None:
    add(client, h, "A", **STARTED)
    for i, (found, deadline, resolved) in enumerate(
        [
            ("2026-03-01", "2026-03-20", "2026-03-11"),  # 10 days
            ("2026-03-01", "2026-03-20", "2026-03-21"),  # 20 days
            ("2026-03-01", "2026-03-20", "2026-04-30"),  # 60 days
            ("2026-04-01", "2026-04-10", None),  # in progress, overdue
            ("2026-04-01", "2026-12-10", None),  # open
        ]
    ):
        code = f"Q{i}"
        client.post(
            "/api/v1/problems",
            json={"project": "A", "description": "x", "found_on": found, "deadline": deadline,
                  "assignee_unit": "u", "assignee_leader": "l", "code": code},
            headers=h,
        )  # fmt: skip
        if i < 4:
            patch_current(
                client, f"/api/v1/problems/{code}", json={"status": "in_progress"}, headers=h
            )
        if resolved:
            patch_current(
                client,
                f"/api/v1/problems/{code}",
                json={"status": "resolved", "resolution": "ok", "resolved_on": resolved},
                headers=h,
            )
    from geo_service.db.engine import transaction
    from geo_service.projects.stats import project_stats

    engine = client.app.state.engine  # type: ignore[attr-defined]
    with transaction(engine) as s:
        st = project_stats(s, as_of=date(2026, 5, 1))
    assert st["problems"] == {
        "found": 5,
        "resolved": 3,
        "in_progress": 1,
        "open": 1,
        "overdue": 1,
        "median_days_to_resolve": 20.0,
    }
    assert st["by_leader"]["王五"]["problems"]["found"] == 5
    with transaction(engine) as s:
        early = project_stats(s, as_of=date(2026, 3, 15))
    assert early["problems"]["found"] == 3 and early["problems"]["resolved"] == 1


def test_projects_not_visited_in_the_last_7_days(client: TestClient, h: dict[str, str]) -> None:
    for code in ("V1", "V2", "V3"):
        add(client, h, code, **STARTED)
    for code, day in (("V1", "2026-11-25"), ("V2", "2026-11-19"), ("V2", "2026-11-10")):
        r = client.post(
            f"/api/v1/projects/{code}/visits", json={"leader": "王五", "visited_on": day}, headers=h
        )
        assert r.status_code == 201
    r = client.get("/api/v1/projects/not-visited", params={"as_of": "2026-11-27"}, headers=h)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["project"], i["last_visit"]) for i in items] == [
        ("V3", None),
        ("V2", "2026-11-19"),
    ]
    assert items[1]["days_since_visit"] == 8
    # a week earlier V2's visit of 11-19 was recent, V1's of 11-25 had not happened
    r = client.get("/api/v1/projects/not-visited", params={"as_of": "2026-11-20"}, headers=h)
    assert [i["project"] for i in r.json()["items"]] == ["V1", "V3"]


def test_start_rate_forecast_from_planned_start_dates(
    client: TestClient, h: dict[str, str]
) -> None:
    add(client, h, "S1", planned_start="2026-01-08", **{k: v for k, v in STARTED.items()})
    add(client, h, "S2", planned_start="2026-03-01")
    add(client, h, "S3", planned_start="2026-05-10")
    add(client, h, "S4", planned_start="2026-07-15")
    from geo_service.db.engine import transaction
    from geo_service.projects.stats import project_stats

    engine = client.app.state.engine  # type: ignore[attr-defined]
    with transaction(engine) as s:
        feb = project_stats(s, as_of=date(2026, 2, 15))
        apr = project_stats(s, as_of=date(2026, 4, 10))
    q1, h1 = feb["projects"]["start_rate_targets"]
    assert (q1["by"], q1["target_pct"], q1["forecast_pct"], q1["on_track"]) == (
        "2026-03-31",
        50.0,
        50.0,
        True,
    )  # fmt: skip  -- S1 started + S2 planned
    assert (h1["by"], h1["forecast_pct"], h1["on_track"]) == ("2026-06-30", 75.0, False)
    assert feb["projects"]["start_rate_pct"] == 25.0
    # in April Q1 is past: its actual rate counts; S2 missed its date and drops out of the forecast
    q1, h1 = apr["projects"]["start_rate_targets"]
    assert (q1["actual_pct"], q1["forecast_pct"], q1["on_track"]) == (25.0, 25.0, False)
    assert h1["actual_pct"] is None and h1["forecast_pct"] == 50.0
    assert apr["projects"]["rag"] == {"red": 1, "yellow": 0, "green": 3}
