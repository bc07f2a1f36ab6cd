"""Creating and editing key projects over HTTP: roles, the status lifecycle, audit, rounds."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.helpers import patch_current, token
from tests.samples import project


@pytest.fixture
def official(clean_engine: Engine) -> dict[str, str]:
    return token(clean_engine, "official")


def test_an_official_creates_a_project_and_it_is_audited(
    client: TestClient, clean_engine: Engine, official: dict[str, str]
) -> None:
    r = client.post("/api/v1/projects", json=project(), headers=official)
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["status"] == "planned"
    assert props["total_investment_yi"] == 5.0
    assert r.json()["geometry"]["coordinates"] == [114.9, 33.72]
    with clean_engine.connect() as c:
        actor, action = c.execute(
            text("SELECT actor, action FROM audit_events WHERE entity_code = 'P-1'")
        ).one()
    assert actor.startswith("official:test-official") and action == "project.create"


@pytest.mark.parametrize("role, status", [(None, 401), ("bureau", 403), ("investor", 403)])
def test_only_officials_write(
    client: TestClient, clean_engine: Engine, role: str | None, status: int
) -> None:
    headers = token(clean_engine, role) if role else {}
    assert client.post("/api/v1/projects", json=project(), headers=headers).status_code == status
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM projects")).scalar() == 0


def test_the_public_gets_401_on_every_ledger_read(
    client: TestClient, clean_engine: Engine, official: dict[str, str]
) -> None:
    client.post("/api/v1/projects", json=project(), headers=official)
    for path in (
        "/api/v1/projects",
        "/api/v1/projects/P-1",
        "/api/v1/projects/P-1/progress",
        "/api/v1/projects/not-visited",
        "/api/v1/problems",
        "/api/v1/visits",
    ):
        assert client.get(path).status_code == 401, path
    bureau = token(clean_engine, "bureau")
    assert client.get("/api/v1/projects/P-1", headers=bureau).status_code == 200


def _patch(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return patch_current(client, "/api/v1/projects/P-1", json=body, headers=headers)


@pytest.mark.parametrize(
    "start, body, says",
    [
        # skipping forward without the dates of the steps skipped
        ("planned", {"status": "started", "actual_start": "2026-03-05"}, "signed_on"),
        ("planned", {"status": "signed"}, "signed_on"),
        (
            "signed",
            {"status": "completed", "actual_completion": "2026-09-01"},
            "actual_start",
        ),
        (
            "under_construction",
            {"status": "in_production", "actual_completion": "2026-09-01"},
            "in_production_on",
        ),
        # moving back
        ("started", {"status": "signed"}, "cannot go back from started to signed"),
        ("in_production", {"status": "planned"}, "cannot go back"),
        # dates out of order
        (
            "signed",
            {"status": "started", "actual_start": "2026-01-01"},
            "actual_start (2026-01-01) is before signed_on (2026-02-01)",
        ),
        ("started", {"signed_on": "2026-04-01"}, "is before signed_on"),
        ("planned", {"planned_completion": "2026-01-01"}, "before planned_start"),
    ],
)
def test_forbidden_transitions_are_422_with_the_reason(
    client: TestClient,
    clean_engine: Engine,
    official: dict[str, str],
    start: str,
    body: dict[str, Any],
    says: str,
) -> None:
    dates = {
        "signed": {"signed_on": "2026-02-01"},
        "started": {"signed_on": "2026-02-01", "actual_start": "2026-03-02"},
        "under_construction": {"signed_on": "2026-02-01", "actual_start": "2026-03-02"},
        "in_production": {
            "signed_on": "2026-02-01",
            "actual_start": "2026-03-02",
            "actual_completion": "2026-08-01",
            "in_production_on": "2026-09-01",
        },
    }.get(start, {})
    r = client.post("/api/v1/projects", json=project(status=start, **dates), headers=official)
    assert r.status_code == 201, r.text
    r = _patch(client, official, **body)
    assert r.status_code == 422
    assert says in r.json()["detail"]
    got = client.get("/api/v1/projects/P-1", headers=official).json()["properties"]
    assert got["status"] == start and got["version"] == 1  # nothing written


def test_allowed_transitions_step_by_step_and_with_dates_skipping(
    client: TestClient, clean_engine: Engine, official: dict[str, str]
) -> None:
    client.post("/api/v1/projects", json=project(), headers=official)
    assert _patch(client, official, status="signed", signed_on="2026-02-01").status_code == 200
    r = _patch(client, official, status="started", actual_start="2026-03-02")
    assert r.status_code == 200 and r.json()["properties"]["status"] == "started"
    assert r.headers["ETag"] == '"3"'
    # all the way to production in one go, with every date
    r = _patch(
        client,
        official,
        status="in_production",
        actual_completion="2026-08-01",
        in_production_on="2026-09-01",
    )
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["status"] == "in_production"
    with clean_engine.connect() as c:
        assert (
            c.execute(
                text("SELECT count(*) FROM audit_events WHERE entity_type = 'project'")
            ).scalar()
            == 4
        )


def test_a_new_project_may_start_late_in_the_lifecycle_only_with_dates(
    client: TestClient, official: dict[str, str]
) -> None:
    r = client.post("/api/v1/projects", json=project(status="started"), headers=official)
    assert r.status_code == 422
    assert "signed_on, actual_start missing" in r.json()["detail"]
    r = client.post(
        "/api/v1/projects",
        json=project(status="started", signed_on="2026-01-10", actual_start="2026-02-01"),
        headers=official,
    )
    assert r.status_code == 201


def test_stale_if_match_is_refused(client: TestClient, official: dict[str, str]) -> None:
    client.post("/api/v1/projects", json=project(), headers=official)
    r = client.patch(
        "/api/v1/projects/P-1", json={"leader": "李四"}, headers=official | {"If-Match": '"7"'}
    )
    assert r.status_code == 412
    r = client.patch(
        "/api/v1/projects/P-1", json={"leader": "李四"}, headers=official | {"If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.json()["properties"]["leader"] == "李四"


def test_plan_cannot_exceed_total_and_codes_are_unique(
    client: TestClient, official: dict[str, str]
) -> None:
    r = client.post(
        "/api/v1/projects", json=project(planned_investment_wan="60000"), headers=official
    )
    assert r.status_code == 422 and "exceeds total_investment_wan" in r.json()["detail"]
    client.post("/api/v1/projects", json=project(), headers=official)
    r = client.post("/api/v1/projects", json=project(), headers=official)
    assert r.status_code == 422 and "exists" in r.json()["detail"]


def test_started_round_links_to_the_later_in_production_round(
    client: TestClient, official: dict[str, str]
) -> None:
    client.post("/api/v1/projects", json=project(), headers=official)
    base = "/api/v1/projects/P-1/rounds"
    r = client.post(
        base, json={"round_no": 1, "round_date": "2026-03-20", "list": "started"}, headers=official
    )
    assert r.status_code == 201, r.text
    r = client.post(
        base,
        json={"round_no": 3, "round_date": "2026-09-20", "list": "in_production"},
        headers=official,
    )
    assert r.status_code == 201
    entries = {(e["round_no"], e["list"]): e for e in r.json()["rounds"]}
    assert entries[(3, "in_production")]["follows_round_no"] == 1
    assert entries[(1, "started")]["follows_round_no"] is None
    r = client.post(
        base,
        json={"round_no": 4, "round_date": "2026-12-20", "list": "in_production",
              "follows_round_no": 2},
        headers=official,
    )  # fmt: skip
    assert r.status_code == 422 and "no started list of round 2" in r.json()["detail"]


def test_funding_sources_must_fit_the_total(client: TestClient, official: dict[str, str]) -> None:
    client.post("/api/v1/projects", json=project(), headers=official)
    url = "/api/v1/projects/P-1/funding"
    ok = [
        {"source": "special_bond", "amount_wan": "20000"},
        {"source": "self_funded", "amount_wan": "30000"},
    ]
    r = client.put(url, json=ok, headers=official)
    assert r.status_code == 200
    assert r.json()["funding"] == [
        {"source": "self_funded", "amount_wan": "30000.00"},
        {"source": "special_bond", "amount_wan": "20000.00"},
    ]
    too_much = [*ok, {"source": "ppp", "amount_wan": "1"}]
    r = client.put(url, json=too_much, headers=official)
    assert r.status_code == 422 and "50001.00 万元" in r.json()["detail"]


def test_monthly_reports_give_completed_to_date_and_share_of_plan(
    client: TestClient, official: dict[str, str]
) -> None:
    client.post("/api/v1/projects", json=project(), headers=official)
    for month, wan in (("2026-03", "1000"), ("2026-04", "2000"), ("2026-05", "3000")):
        r = client.put(
            f"/api/v1/projects/P-1/investment/{month}",
            json={"completed_wan": wan},
            headers=official,
        )
        assert r.status_code == 200, r.text
    # a correction replaces the month, it does not add to it
    client.put(
        "/api/v1/projects/P-1/investment/2026-05", json={"completed_wan": "3000"}, headers=official
    )
    prog = client.get(
        "/api/v1/projects/P-1/progress", params={"as_of": "2026-12-31"}, headers=official
    ).json()
    assert prog["completed_to_date_wan"] == "6000.00"
    assert prog["share_of_plan_pct"] == 50.0  # 6000 of 12000
    early = client.get(
        "/api/v1/projects/P-1/progress", params={"as_of": "2026-04-15"}, headers=official
    ).json()
    assert early["completed_to_date_wan"] == "3000.00"
    bad = client.put(
        "/api/v1/projects/P-1/investment/2026-13", json={"completed_wan": "1"}, headers=official
    )
    assert bad.status_code == 422 and "YYYY-MM" in bad.json()["detail"]


def test_milestones_are_planned_backwards_from_the_target(
    client: TestClient, official: dict[str, str]
) -> None:
    client.post("/api/v1/projects", json=project(), headers=official)
    r = client.put(
        "/api/v1/projects/P-1/milestones",
        json={
            "target_date": "2026-12-31",
            "steps": [
                {"name": "土建", "duration_days": 120},
                {"name": "设备安装", "duration_days": 60},
                {"name": "试生产", "duration_days": 30},
            ],
        },
        headers=official,
    )
    assert r.status_code == 200, r.text
    assert [(m["name"], m["due_on"]) for m in r.json()["milestones"]] == [
        ("土建", "2026-10-02"),  # 设备安装 (60 days) must end by 12-01
        ("设备安装", "2026-12-01"),  # 试生产 (30 days) must end by 12-31
        ("试生产", "2026-12-31"),
    ]
