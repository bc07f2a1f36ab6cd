"""Readiness over HTTP: the contract's shape, roles, attestations, history, runs, the report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from geo_service.db.engine import transaction
from geo_service.parcels import writes
from geo_service.settings import ReadinessRules
from tests.databases import ClientFactory
from tests.helpers import add_infrastructure, add_parcels, line_m, rect_m, to_lonlat, token

CONDS = ["water", "power", "road", "leveling", "title"]


def _district(engine: Engine) -> None:
    """Two parcels: NET has everything (and is published), HALF has no networks or records."""
    add_parcels(
        engine,
        {
            "code": "NET",
            "geom_m": rect_m(0, 0, 200, 100),  # 30 亩
            "published": True,
            "notes": "内部备注",
            "indicators": [{"key": "far", "min": 1.0, "max": 2.5}],
        },
        {"code": "HALF", "geom_m": rect_m(5000, 0, 100, 100), "published": True},
        {"code": "HIDDEN", "geom_m": rect_m(9000, 0, 100, 100), "published": False},
    )
    add_infrastructure(
        engine,
        {
            "code": "W1",
            "kind": "water",
            "geom_m": line_m((-500, 150), (600, 150)),
            "diameter_mm": 200,
        },
        {
            "code": "E1",
            "kind": "power",
            "geom_m": line_m((-500, 160), (600, 160)),
            "voltage_kv": 10,
        },
        {
            "code": "R1",
            "kind": "road",
            "geom_m": line_m((-500, 120), (600, 120)),
            "name": "工业大道",
        },
    )
    today = date.today()
    with transaction(engine) as s:
        writes.replace_records(
            s,
            table="leveling_surveys",
            rows=[
                {
                    "parcel_code": "NET",
                    "surveyed_on": today - timedelta(days=10),
                    "leveled": True,
                    "earthwork_outstanding_m3": 0,
                    "surveyor": "测绘院",
                    "document_ref": "PZ-7",
                }
            ],
        )
        writes.replace_records(
            s,
            table="title_records",
            rows=[
                {
                    "parcel_code": "NET",
                    "recorded_on": today - timedelta(days=20),
                    "ownership": "state",
                    "requisition_done": True,
                    "compensation_settled": True,
                    "open_disputes": 0,
                    "document_ref": "QS-7",
                }
            ],
        )


def _run(client: TestClient, engine: Engine) -> dict[str, Any]:
    r = client.post("/api/v1/readiness/run", headers=token(engine, "bureau"))
    assert r.status_code == 200, r.text
    return r.json()


def test_readiness_document_matches_the_contract(client: TestClient, clean_engine: Engine) -> None:
    _district(clean_engine)
    run = _run(client, clean_engine)
    assert run["parcels_checked"] == 3 and run["net_land"] == 1
    assert run["summary"].startswith("3 parcels checked, 1 net land (30.00 亩)")
    staff = token(clean_engine, "bureau")
    body = client.get("/api/v1/parcels/NET/readiness", headers=staff).json()
    assert body["parcel"] == "NET"
    assert body["net_land"] is True
    assert sorted(body["conditions"]) == sorted(CONDS)
    water = body["conditions"]["water"]
    assert water["status"] == "met" and water["method"] == "spatial"
    assert water["evidence"]["nearest"]["code"] == "W1"
    assert water["evidence"]["nearest"]["distance_m"] == pytest.approx(50.0, abs=0.1)
    assert water["age_days"] == 0 and water["override"] is None
    assert body["conditions"]["leveling"]["age_days"] == 10
    assert body["labels"] == ["三通一平", "净地"]
    # net land, indicators set, but no regional assessment covers it yet
    assert body["ready_for_supply"] is False
    assert "land_survey" in body["supply"]["missing_assessments"]

    half = client.get("/api/v1/parcels/HALF/readiness", headers=staff).json()
    assert half["net_land"] is False and half["labels"] == []
    assert half["conditions"]["leveling"]["status"] == "unknown"
    assert half["conditions"]["water"]["evidence"]["nearest_failing"]["why"].startswith("distance")


def test_ready_for_supply_needs_every_assessment(
    make_client: ClientFactory, clean_engine: Engine
) -> None:
    _district(clean_engine)
    area = to_lonlat(rect_m(-1000, -1000, 3000, 3000)).wkb_hex
    with transaction(clean_engine) as s:
        writes.upsert_assessments(
            s,
            [
                {"code": "A1", "kind": "land_survey", "wkb": area, "valid_until": date(2099, 1, 1)},
                {
                    "code": "A2",
                    "kind": "flood_impact",
                    "wkb": area,
                    "valid_until": date(2020, 1, 1),
                },
            ],
        )
    rules = ReadinessRules(required_assessments=["land_survey", "flood_impact"])
    c = make_client(clean_engine.url.render_as_string(hide_password=False), readiness=rules)
    _run(c, clean_engine)
    bureau = token(clean_engine, "bureau")
    body = c.get("/api/v1/parcels/NET/readiness", headers=bureau).json()
    assert body["net_land"] is True
    assert body["ready_for_supply"] is False  # the flood assessment has expired
    assert body["supply"]["missing_assessments"] == ["flood_impact"]
    with transaction(clean_engine) as s:
        s.execute(text("UPDATE assessment_areas SET valid_until = '2099-01-01' WHERE code = 'A2'"))
    body = c.get("/api/v1/parcels/NET/readiness", headers=bureau).json()
    assert body["ready_for_supply"] is True
    # HALF lies inside the areas too, but is not net land
    assert (
        c.get("/api/v1/parcels/HALF/readiness", headers=bureau).json()["ready_for_supply"] is False
    )


def test_the_public_sees_published_parcels_with_status_and_distance_only(
    client: TestClient, clean_engine: Engine
) -> None:
    _district(clean_engine)
    _run(client, clean_engine)
    assert client.get("/api/v1/parcels/HIDDEN/readiness").status_code == 404
    body = client.get("/api/v1/parcels/NET/readiness").json()
    assert body["net_land"] is True
    assert body["conditions"]["water"]["evidence"] == {"distance_m": pytest.approx(50.0, abs=0.1)}
    assert body["conditions"]["title"]["evidence"] == {}
    assert "supply" not in body or body["supply"] is None
    assert "QS-7" not in str(body) and "测绘院" not in str(body)
    investor = token(clean_engine, "investor")
    assert client.get("/api/v1/parcels/HIDDEN/readiness", headers=investor).status_code == 404


def test_unknown_parcel_or_condition_says_which(client: TestClient, clean_engine: Engine) -> None:
    _district(clean_engine)
    r = client.get("/api/v1/parcels/NOPE/readiness")
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]
    bureau = token(clean_engine, "bureau")
    body = {"status": "met", "reason": "现场核查"}
    r = client.put("/api/v1/parcels/NET/conditions/gas", json=body, headers=bureau)
    assert r.status_code == 422 and "'gas'" in r.json()["detail"] and "water" in r.json()["detail"]
    r = client.put("/api/v1/parcels/NOPE/conditions/water", json=body, headers=bureau)
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]


def test_attestation_needs_a_reason_and_the_bureau(
    client: TestClient, clean_engine: Engine
) -> None:
    _district(clean_engine)
    url = "/api/v1/parcels/HALF/conditions/leveling"
    assert client.put(url, json={"status": "met", "reason": "x"}).status_code == 401
    official = token(clean_engine, "official")
    assert (
        client.put(url, json={"status": "met", "reason": "x"}, headers=official).status_code == 403
    )
    bureau = token(clean_engine, "bureau")
    for body in ({"status": "met"}, {"status": "met", "reason": "   "}):
        r = client.put(url, json=body, headers=bureau)
        assert r.status_code == 422 and "reason" in r.json()["detail"]
    r = client.put(url, json={"status": "done", "reason": "x"}, headers=bureau)
    assert r.status_code == 422 and "status" in r.json()["detail"]
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    r = client.put(url, json={"status": "met", "reason": "x", "expires_at": past}, headers=bureau)
    assert r.status_code == 422 and "expires_at" in r.json()["detail"]
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM condition_overrides")).scalar() == 0


def test_an_override_shows_as_such_everywhere_and_is_audited(
    client: TestClient, clean_engine: Engine
) -> None:
    _district(clean_engine)
    _run(client, clean_engine)
    bureau = token(clean_engine, "bureau")
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    r = client.put(
        "/api/v1/parcels/HALF/conditions/leveling",
        json={
            "status": "met",
            "reason": "平整验收合格",
            "document_ref": "淮自然资〔2024〕12号",
            "expires_at": expires,
            "evidence": {"note": "内部: 验收组三人"},
        },
        headers={**bureau, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    lev = r.json()["conditions"]["leveling"]
    assert (lev["status"], lev["method"]) == ("met", "override")
    assert lev["override"]["reason"] == "平整验收合格"
    assert lev["override"]["document_ref"] == "淮自然资〔2024〕12号"
    assert lev["evidence"]["computed_status"] == "unknown"
    # the public sees that it is an override, not its reason or notes
    pub = client.get("/api/v1/parcels/HALF/readiness").json()["conditions"]["leveling"]
    assert pub["method"] == "override" and pub["override"]["status"] == "met"
    assert "平整验收合格" not in str(pub) and "内部" not in str(pub)
    # history and audit
    hist = client.get("/api/v1/parcels/HALF/readiness/history", headers=bureau).json()
    top = hist["items"][0]
    assert (top["condition"], top["old_status"], top["new_status"]) == (
        "leveling",
        "unknown",
        "met",
    )
    assert top["actor"].startswith("bureau:") and "平整验收合格" in top["reason"]
    with clean_engine.connect() as c:
        assert (
            c.execute(
                text(
                    "SELECT count(*) FROM audit_events WHERE action = 'condition.attest' "
                    "AND entity_code = 'HALF'"
                )
            ).scalar()
            == 1
        )
    # a later run keeps the override; revoking it brings back the checked result
    _run(client, clean_engine)
    assert (
        client.get("/api/v1/parcels/HALF/readiness", headers=bureau).json()["conditions"][
            "leveling"
        ]["method"]
        == "override"
    )
    r = client.delete("/api/v1/parcels/HALF/conditions/leveling/override", headers=bureau)
    assert r.status_code == 200 and r.json()["conditions"]["leveling"]["status"] == "unknown"


def test_a_stale_if_match_is_refused(client: TestClient, clean_engine: Engine) -> None:
    _district(clean_engine)
    r = client.put(
        "/api/v1/parcels/HALF/conditions/road",
        json={"status": "met", "reason": "临时道路"},
        headers={**token(clean_engine, "bureau"), "If-Match": '"7"'},
    )
    assert r.status_code == 412


def test_history_is_for_staff(client: TestClient, clean_engine: Engine) -> None:
    _district(clean_engine)
    _run(client, clean_engine)
    assert client.get("/api/v1/parcels/NET/readiness/history").status_code == 401
    r = client.get(
        "/api/v1/parcels/NET/readiness/history",
        params={"condition": "water"},
        headers=token(clean_engine, "official"),
    )
    assert r.status_code == 200
    assert [(i["old_status"], i["new_status"]) for i in r.json()["items"]] == [(None, "met")]


def test_run_needs_the_bureau(client: TestClient, clean_engine: Engine) -> None:
    assert client.post("/api/v1/readiness/run").status_code == 401
    r = client.post("/api/v1/readiness/run", headers=token(clean_engine, "official"))
    assert r.status_code == 403


def test_report_as_csv_and_xlsx(client: TestClient, clean_engine: Engine) -> None:
    _district(clean_engine)
    _run(client, clean_engine)
    staff = token(clean_engine, "official")
    r = client.get("/api/v1/readiness/report", params={"format": "csv"}, headers=staff)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    by_code = {row["地块编号 code"]: row for row in rows}
    assert set(by_code) == {"NET", "HALF", "HIDDEN"}
    assert by_code["NET"]["净地 net_land"] == "是"
    assert by_code["NET"]["面积(亩) area_mu"] == "30.0"
    assert by_code["HALF"]["缺少条件 missing"] == "water power road leveling title"
    assert by_code["NET"]["water distance_m"] == "50.0"
    r = client.get("/api/v1/readiness/report", params={"format": "xlsx"}, headers=staff)
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    values = list(ws.values)
    assert values[0][0] == "地块编号 code" and len(values) == 4
    r = client.get("/api/v1/readiness/report", params={"format": "pdf"}, headers=staff)
    assert r.status_code == 422 and "xlsx" in r.json()["detail"]
    assert client.get("/api/v1/readiness/report").status_code == 401


def test_net_land_filter_and_reserve_follow_the_run(
    client: TestClient, clean_engine: Engine
) -> None:
    _district(clean_engine)
    _run(client, clean_engine)
    r = client.get("/api/v1/parcels", params={"net_land": "true"})
    assert [f["id"] for f in r.json()["features"]] == ["NET"]
    land = client.get("/api/v1/stats").json()["land"]
    assert land["net_land_reserve_mu"] == 30.0
    assert land["net_land_reserve_target_mu"] == 500
