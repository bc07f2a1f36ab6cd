"""Land supply where people look, on the demo district judged on dated days: the supply map's
list and filters, the readiness popups' supply lines, the parcel timeline, the projects' link to
it, and the investor map's public notice dates with nothing internal."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.helpers import token
from tests.pages import get, rows, text_of

DAY = "2026-11-27"  # the demo's own date


@pytest.fixture(scope="module")
def bureau(demo_engine: Engine) -> dict[str, str]:
    return token(demo_engine, "bureau")


# ------------------------------------------------------------------ the supply map


def test_supply_map_lists_overdue_idle_and_paused_parcels_on_the_demo_day(
    demo_client: TestClient, bureau: dict[str, str]
) -> None:
    listed = rows(get(demo_client, f"/maps/supply?as_of={DAY}&county=411603", bureau))
    # HY-2026-024 started 2026-04-20 against a contracted 2025-12-31: 110 days late
    assert "期限已逾期" in listed["HY-2026-024"] and "逾期 110 天" in listed["HY-2026-024"]
    # HY-2026-059: not started one year after 2025-06-30 → idle since 2026-07-01
    assert "闲置满一年" in listed["HY-2026-059"]
    # HY-2026-034: a government-cause suspension since 2026-01-15 pauses its clocks
    assert "政府原因中止计时" in listed["HY-2026-034"]
    assert "2027-02-10" in listed["HY-2026-034"]  # start due moved by 316 days
    # days to the next deadline: HY-2026-007 must complete by 2027-04-30
    assert "竣工 · 应于 2027-04-30 · 余 154 天" in listed["HY-2026-007"]
    # grades of 2025 (亩均): 060 A, 051 B, 026 C; a parcel without figures says so
    assert "A 类" in listed["HY-2026-060"] and "C 类" in listed["HY-2026-026"]
    assert "无亩均数据" in listed["HY-2026-001"]
    # every parcel is listed, worst first
    assert len(listed) == 60 and next(iter(listed)) == "HY-2026-059"


def test_supply_map_filters_keep_what_they_say(
    demo_client: TestClient, bureau: dict[str, str]
) -> None:
    def codes(q: str) -> set[str]:
        return set(rows(get(demo_client, f"/maps/supply?as_of={DAY}&{q}", bureau)))

    # a missed clock: 024 (start), 031 (contract not signed 10 working days after the sale), 059
    assert codes("risk=overdue") == {"HY-2026-024", "HY-2026-031", "HY-2026-059"}
    assert codes("risk=idle") == {"HY-2026-059"}
    assert codes("risk=paused") == {"HY-2026-034"}
    assert codes("stage=breach") == {"HY-2026-026"}
    assert codes("grade=A") == {"HY-2026-060"}
    assert codes("stage=started&risk=overdue") == {"HY-2026-024"}
    # the same parcel two years on: the 90-day idle warning before its one-year mark
    late = rows(get(demo_client, "/maps/supply?as_of=2028-02-15&risk=warning", bureau))
    # HY-2026-016 must start by 2027-03-31: its one-year mark is 2028-03-31, 45 days away
    assert set(late) == {"HY-2026-003", "HY-2026-016"}
    assert "闲置预警（90/30 天）" in late["HY-2026-016"]
    assert "闲置一年 · 应于 2028-03-31 · 余 45 天" in late["HY-2026-016"]


def test_supply_map_in_english_and_bad_filters(
    demo_client: TestClient, demo_engine: Engine, bureau: dict[str, str]
) -> None:
    listed = rows(get(demo_client, f"/maps/supply?as_of={DAY}&lang=en", bureau))
    assert "idle ≥ 1 year" in listed["HY-2026-059"]
    assert "110 days late" in listed["HY-2026-024"]
    assert "clocks paused (government cause)" in listed["HY-2026-034"]
    bad = demo_client.get("/maps/supply?stage=sold", headers=bureau)
    assert bad.status_code == 422 and "stage" in bad.json()["detail"]
    zone = demo_client.get("/maps/supply?zone=NOPE", headers=bureau)
    assert zone.status_code == 422 and "NOPE" in zone.json()["detail"]
    assert demo_client.get("/maps/supply").status_code == 401
    investor = token(demo_engine, "investor")
    assert demo_client.get("/maps/supply", headers=investor).status_code == 403


# ------------------------------------------------------------------ the parcel timeline


def test_timeline_of_a_suspended_parcel_shows_the_pause_and_moved_clocks(
    demo_client: TestClient, bureau: dict[str, str]
) -> None:
    page = text_of(get(demo_client, f"/maps/parcels/HY-2026-034/timeline?as_of={DAY}", bureau))
    assert "当前供应进度（按供地事件）： 价款已缴清" in page
    assert "2026-01-15 持续中 地上附着物征收补偿未完成" in page
    assert "开工 2027-02-10 未到期 余 75 天；中止 316 天" in page
    assert "签订出让合同" in page and "出让合同 411603-2025-0031" in page  # events, documents
    assert "XM2026-154" in page  # the project built on it


def test_timeline_of_the_idle_parcel_proposes_the_fee_and_lists_its_project(
    demo_client: TestClient, bureau: dict[str, str]
) -> None:
    page = text_of(get(demo_client, f"/maps/parcels/HY-2026-059/timeline?as_of={DAY}", bureau))
    assert "闲置： 闲置满一年" in page and "闲置满一年（自 2026-07-01 起）" in page
    assert "建议：征收闲置费，836.00 万元（局决定）" in page
    assert "开工 2025-06-30 已逾期 逾期 515 天" in page
    assert "XM2026-087" in page and "走访" in page


def test_timeline_shows_shortfalls_with_penalty_and_provisional_deadlines(
    demo_client: TestClient, bureau: dict[str, str]
) -> None:
    page = text_of(get(demo_client, f"/maps/parcels/HY-2026-026/timeline?as_of={DAY}", bureau))
    assert "达产核验 2025-10-20 亩均税收 ≥ 15 万元/亩/年 11 未达标 121.33" in page
    en = text_of(get(demo_client, f"/maps/parcels/HY-2026-016/timeline?as_of={DAY}&lang=en",
                     bureau))  # fmt: skip
    # the full payment falls due in 2027, a year chinesecalendar does not cover yet
    assert re.search(r"full payment 2027-08-2\d open · provisional", en)
    assert "2027" in en and "not in the calendar" in en
    missing = demo_client.get("/maps/parcels/NOPE/timeline", headers=bureau)
    assert missing.status_code == 404 and "NOPE" in missing.json()["detail"]


def test_an_events_note_is_on_the_timeline_escaped(client: TestClient, clean_engine: Engine):
    from tests.supply_helpers import ok, post, seed

    seed(clean_engine, "N-1")
    h = token(clean_engine, "bureau")
    note = '公告已在县政府网站发布 <script>alert("x")</script>'
    ok(post(client, "N-1", h, "notice_published", "2024-07-01", note=note))
    r = client.get("/maps/parcels/N-1/timeline", headers=h)
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "&lt;script&gt;" in r.text
    assert f"备注：{note}" in text_of(r.text)
    en = client.get("/maps/parcels/N-1/timeline?lang=en", headers=h).text
    assert "Note: 公告已在县政府网站发布" in text_of(en)


# ------------------------------------------------------------------ readiness and projects


def test_readiness_map_popups_carry_stage_clocks_and_the_timeline_link(
    demo_client: TestClient, bureau: dict[str, str]
) -> None:
    popup = demo_client.get("/maps/readiness/parcels/HY-2026-024", headers=bureau).json()
    props = popup["properties"]
    assert props["supply_detail"] == "已开工" and props["supply_risk"] == "期限已逾期"
    assert "逾期：开工 · 应于 2025-12-31 · 逾期 110 天" in props["supply_clocks"]
    assert props["timeline"] == "HY-2026-024"
    page = get(demo_client, "/maps/readiness?supply=overdue", bureau)
    assert set(rows(page)) == {"HY-2026-024", "HY-2026-031", "HY-2026-059"}
    assert "/maps/parcels/" in page and "橙色点线框：供应期限已逾期" in text_of(page)
    paused = rows(get(demo_client, "/maps/readiness?supply=paused", bureau))
    assert set(paused) == {"HY-2026-034"}


def test_projects_link_to_the_parcel_timeline_both_ways(
    demo_client: TestClient, demo_engine: Engine
) -> None:
    official = token(demo_engine, "official")
    project = demo_client.get("/api/v1/projects/XM2026-087", headers=official).json()
    props = project.get("properties", project)
    assert props["parcel"] == "HY-2026-059"
    assert props["parcel_timeline"] == "/maps/parcels/HY-2026-059/timeline"
    assert demo_client.get(props["parcel_supply"], headers=official).status_code == 200
    supply = demo_client.get("/api/v1/parcels/HY-2026-059/supply", headers=official).json()
    assert [p["code"] for p in supply["projects"]] == ["XM2026-087"]
    page = get(demo_client, "/maps/projects", official)
    assert '"timeline":"HY-2026-059"' in page and "地块供应时间线" in page
    assert get(demo_client, props["parcel_timeline"], official)


# ------------------------------------------------------------------ the investor map


INTERNAL = ("出让合同", "缴款凭证", "交地确认书", "成交确认书", "price_wan", "闲置", "recorded_by",
            "document_ref", "file_ref", "淮自然资告")  # fmt: skip


def test_investor_map_shows_the_notice_dates_and_nothing_internal(
    demo_client: TestClient,
) -> None:
    page = demo_client.get("/maps/investors").text
    plots = {
        f["properties"]["code"]: f["properties"]
        for blob in re.findall(r"var gs_data\w* = (\{.*?\});", page)
        for f in json.loads(blob).get("features", [])
        if "notice_dates" in f["properties"]
    }
    assert plots["HY-2026-045"]["notice_dates"] == [
        "公告发布 2026-10-19", "挂牌开始 2026-11-09",
        # the earliest close has passed (today is after 2026-11-23) and no close is recorded
        "挂牌期已满最早截止日（2026-11-23），以公告为准",
    ]  # fmt: skip
    # HY-2026-028's sale closed on 2026-11-20: it has a buyer and is no longer offered
    assert "HY-2026-028" not in plots and "HY-2026-031" not in plots
    assert any(p["notice_dates"] == [] for p in plots.values())  # plots with no notice yet
    assert "HY-2026-059" not in plots and "HY-2026-007" not in plots  # sold: not on offer
    for word in INTERNAL:
        assert word not in page, word
    found = demo_client.get("/maps/investors/find/HY-2026-045?lang=en").json()
    assert "Notice published 2026-10-19" in found["properties"]["notice_dates"]
    for word in INTERNAL:
        assert word not in json.dumps(found, ensure_ascii=False), word


@pytest.mark.parametrize("code", ["HY-2026-045", "HY-2026-028", "HY-2026-059"])
def test_public_supply_json_hides_price_documents_and_idle(
    demo_client: TestClient, code: str
) -> None:
    answer: dict[str, Any] = demo_client.get(f"/api/v1/parcels/{code}/supply").json()
    assert answer["idle"] is None
    assert {e["event"] for e in answer["events"]} <= {
        "notice_published", "sale_started", "sale_closed", "result_published"}  # fmt: skip
    text = json.dumps(answer, ensure_ascii=False)
    for word in ("price_wan", "document_ref", "recorded_by", "file_ref", "commitments",
                 "projects", "suspension"):  # fmt: skip
        assert word not in text, word


# ------------------------------------------------------------------ escaping

XSS = '<img src=x onerror="alert(1)">'


def test_hostile_names_documents_and_reasons_are_escaped_everywhere(
    client: TestClient, clean_engine: Engine
) -> None:
    from tests.helpers import add_parcels, rect_m

    add_parcels(clean_engine, {"code": "X<1>", "name": XSS, "geom_m": rect_m(0, 0, 200, 100),
                               "published": True})  # fmt: skip
    h = token(clean_engine, "bureau")

    def post(event: str, on: str, **kw: Any) -> None:
        body = {"event": event, "on": on, "document_ref": XSS, "file_ref": XSS, **kw}
        r = client.post("/api/v1/parcels/X%3C1%3E/supply/events", json=body, headers=h)
        assert r.status_code == 201, r.text

    post("notice_published", "2026-03-02")
    post("sale_started", "2026-03-23")
    post("sale_closed", "2026-04-07")
    post("contract_signed", "2026-04-17", start_by="2026-10-31", complete_by="2028-04-30",
         price_wan=100)  # fmt: skip
    post("suspension_started", "2026-05-04", reason=XSS)
    for url in ("/maps/supply", "/maps/parcels/X%3C1%3E/timeline", "/maps/readiness",
                "/maps/readiness/parcels/X%3C1%3E"):  # fmt: skip
        r = client.get(url, headers=h)
        assert r.status_code == 200, (url, r.text)
        assert XSS not in r.text and "<img" not in r.text, url
    page = text_of(client.get("/maps/parcels/X%3C1%3E/timeline", headers=h).text)
    assert XSS in page  # shown to the reader as text
    # the popup links to /maps/parcels/<the code, URL-quoted>/timeline
    assert '"timeline":"X%3C1%3E"' in client.get("/maps/supply", headers=h).text
