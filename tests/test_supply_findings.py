"""What the clerk's role-play found (issue 15 review), as the user reads it: a sale started
before the notice period ended is kept but flagged as a procedural defect everywhere (map risk,
filters, the daily check's count, the timeline's words); a breach parcel says so with its
penalty; contradicting records are flagged; untracked duties are not "done"; the readiness
popups judge the page's day; Chinese pages carry no raw keys or English notes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.helpers import token
from tests.pages import get, rows, text_of

DAY = "2026-11-27"  # the demo's own date
EARLY = "2026-12-01"  # HY-2026-006's notice is of 2026-11-16: the earliest start is 2026-12-06
AFTER = "2026-12-02"


@pytest.fixture(scope="module")
def bureau(demo_engine: Engine) -> dict[str, str]:
    return token(demo_engine, "bureau")


def _post_early_sale(client: TestClient, h: dict[str, str]) -> dict[str, Any]:
    body = {"event": "sale_started", "on": EARLY, "document_ref": "淮自然资告〔2026〕TEST-早挂牌"}
    r = client.post("/api/v1/parcels/HY-2026-006/supply/events", json=body, headers=h)
    assert r.status_code == 201, r.text  # kept: the record is what happened
    return r.json()  # type: ignore[no-any-return]


def test_a_sale_started_before_the_notice_period_ended_is_kept_and_flagged(
    make_client: Any, demo_copy: Engine, demo_copy_url: str
) -> None:
    client = make_client(demo_copy_url)
    h = token(demo_copy, "bureau")
    before = client.get(f"/api/v1/supply/idle?as_of={AFTER}", headers=h).json()["summary"]
    answer = _post_early_sale(client, h)
    notice = next(d for d in answer["deadlines"] if d["rule"] == "notice_period")
    assert notice["status"] == "missed" and notice["days_early"] == 5
    assert notice["due"] == "2026-12-06" and notice["days_late"] is None
    assert [f["key"] for f in answer["findings"]] == ["too_early"]
    # the public sees it too (docs/supply.md: judged from the dates the notice publishes), but
    # neither the internal findings nor the internal clocks
    public = client.get(f"/api/v1/parcels/HY-2026-006/supply?as_of={AFTER}").json()
    seen = {d["rule"]: d for d in public["deadlines"]}
    assert seen["notice_period"]["status"] == "missed" and seen["notice_period"]["days_early"] == 5
    assert "first_payment" not in seen and "findings" not in public
    # the daily check counts it
    after = client.get(f"/api/v1/supply/idle?as_of={AFTER}", headers=h).json()
    assert after["summary"]["parcels_with_missed"] == before["parcels_with_missed"] + 1
    assert after["summary"]["parcels_with_defects"] == before["parcels_with_defects"] + 1
    # the map: its own risk, found by risk=defect and by risk=overdue, worded as too early
    listed = rows(get(client, f"/maps/supply?as_of={AFTER}&county=411603", h))
    assert "程序瑕疵" in listed["HY-2026-006"] and "按期推进" not in listed["HY-2026-006"]
    defect = rows(get(client, f"/maps/supply?as_of={AFTER}&risk=defect", h))
    assert set(defect) == {"HY-2026-006"}
    assert "HY-2026-006" in rows(get(client, f"/maps/supply?as_of={AFTER}&risk=overdue", h))
    page = get(client, f"/maps/supply?as_of={AFTER}&risk=defect", h)
    assert "3 宗逾期；1 宗过早办理；1 宗履约不达标；2 宗记录矛盾" in text_of(page)
    assert "挂牌早于公告期满 5 天" in page  # the popup's line
    # the listing period is a minimum too: its day is the earliest close, not a due day
    assert "挂牌期 · 最早 2026-12-15 · 余 13 天" in listed["HY-2026-006"]
    # the timeline says it was too early, not late
    tl = text_of(get(client, f"/maps/parcels/HY-2026-006/timeline?as_of={AFTER}", h))
    assert "挂牌早于公告期满 5 天" in tl and "过早办理" in tl
    row = re.search(r"公告期 2026-12-06 (\S+)", tl)
    assert row is not None and row.group(1) == "过早办理", tl
    en = text_of(get(client, f"/maps/parcels/HY-2026-006/timeline?as_of={AFTER}&lang=en", h))
    assert "started 5 days before the notice period ended" in en
    # the API judged as of an earlier day lists only the events recorded by then
    old = client.get("/api/v1/parcels/HY-2026-006/supply?as_of=2026-11-20", headers=h).json()
    assert [e["event"] for e in old["events"]] == ["notice_published"]
    assert old["stage"] == "notice" and old["supply_stage"] == "notice"


def test_the_daily_check_command_lists_the_defect(
    make_client: Any, demo_copy: Engine, demo_copy_url: str
) -> None:
    from tests.helpers import run_cli

    _post_early_sale(make_client(demo_copy_url), token(demo_copy, "bureau"))
    r = run_cli(demo_copy, "supply", "check", "--as-of", AFTER)
    assert r.returncode == 0, r.stderr
    flat = re.sub(r"\s+", " ", r.stdout)
    assert "notice_period 5 d too early" in flat
    assert "with missed deadlines or steps too early 4" in flat


def test_a_breach_parcel_shows_its_shortfalls_and_penalty(
    demo_client: TestClient, bureau: dict[str, str]
) -> None:
    listed = rows(get(demo_client, f"/maps/supply?as_of={DAY}&county=411603", bureau))
    assert "履约不达标" in listed["HY-2026-026"] and "按期推进" not in listed["HY-2026-026"]
    found = get(demo_client, f"/maps/supply?as_of={DAY}&risk=breach", bureau)
    assert set(rows(found)) == {"HY-2026-026"}
    assert "履约不达标：达产核验2 项未达标，违约金 186.33 万元" in found
    en = get(demo_client, f"/maps/supply?as_of={DAY}&risk=breach&lang=en", bureau)
    assert "commitments not kept: 2 short at full production" in en and "186.33" in en


def test_contradicting_records_are_flagged(demo_client: TestClient, bureau: dict[str, str]) -> None:
    check = demo_client.get(f"/api/v1/supply/idle?as_of={DAY}", headers=bureau).json()
    by = {p["parcel"]: p["findings"] for p in check["parcels"]}
    assert [(f["key"], f["project"]) for f in by["HY-2026-059"]] == [
        ("idle_but_building", "XM2026-087")
    ]
    assert [f["key"] for f in by["HY-2026-034"]] == ["suspended_but_compensated"]
    assert check["summary"]["parcels_with_conflicts"] == 2
    conflict = rows(get(demo_client, f"/maps/supply?as_of={DAY}&risk=conflict", bureau))
    assert set(conflict) == {"HY-2026-034", "HY-2026-059"}
    tl = text_of(get(demo_client, f"/maps/parcels/HY-2026-059/timeline?as_of={DAY}", bureau))
    assert "记录矛盾：地块已闲置，但关联项目 XM2026-087 状态为“在建”" in tl
    tl = text_of(get(demo_client, f"/maps/parcels/HY-2026-034/timeline?as_of={DAY}", bureau))
    assert "记录矛盾：自 2026-01-15 因征收补偿中止计时" in tl and "补偿已到位" in tl
    # the 出让台账 says the same in its 核查提示 column, and nothing for a parcel without findings
    import io

    from openpyxl import load_workbook

    r = demo_client.get(f"/api/v1/supply/ledger/export?as_of={DAY}", headers=bureau)
    sheet = list(load_workbook(io.BytesIO(r.content))["出让台账"].iter_rows(values_only=True))
    head = [str(c) for c in sheet[0]]
    said = {row[0]: dict(zip(head, row, strict=True))["核查提示 findings"] for row in sheet[1:]}
    assert "记录矛盾：地块已闲置，但关联项目 XM2026-087 状态为“在建”" in said["HY-2026-059"]
    assert "补偿已到位" in said["HY-2026-034"]
    assert not said["HY-2026-028"]


def test_duties_without_an_event_are_not_shown_as_done(
    demo_client: TestClient, bureau: dict[str, str]
) -> None:
    a = demo_client.get(f"/api/v1/parcels/HY-2026-028/supply?as_of={DAY}", headers=bureau).json()
    refund = next(d for d in a["deadlines"] if d["rule"] == "deposit_refund")
    # CONTRACT.md's statuses: an open clock, marked as not tracked
    assert refund["status"] == "open" and refund["tracked"] is False
    assert refund["days_left"] is None
    listed = rows(get(demo_client, f"/maps/supply?as_of={DAY}&county=411603", bureau))
    assert "保证金退还" not in listed["HY-2026-028"]  # never the "next deadline, 0 days left"
    tl = text_of(get(demo_client, f"/maps/parcels/HY-2026-028/timeline?as_of={DAY}", bureau))
    assert re.search(r"保证金退还 \S+ 无记录（不跟踪）", tl), tl
    # idle marks of a started parcel are met because construction started, and say so
    tl = text_of(get(demo_client, f"/maps/parcels/HY-2026-024/timeline?as_of={DAY}", bureau))
    assert "2026-04-20 已开工，未构成闲置" in tl


def test_readiness_popups_judge_the_pages_day(
    demo_client: TestClient, bureau: dict[str, str]
) -> None:
    day = get(demo_client, f"/maps/readiness?as_of={DAY}", bureau)
    later = get(demo_client, "/maps/readiness?as_of=2026-12-01", bureau)
    assert "逾期 515 天" in day and "逾期 515 天" not in later and "逾期 519 天" in later
    assert f"/timeline?as_of={DAY}" in day  # the timeline link judges the same day
    assert f'<input type="hidden" name="as_of" value="{DAY}">' in day  # and 应用 keeps it
    # without as_of the page judges the last check's day, and so does its timeline link
    plain = get(demo_client, "/maps/readiness", bureau)
    assert f"核查基准日 {DAY}" in plain and f"/timeline?as_of={DAY}" in plain
    # a past day judges the supply lines; the title says the readiness is the last check's
    past = get(demo_client, "/maps/readiness?as_of=2026-03-01", bureau)
    assert f"核查基准日 {DAY}" in past and "供应判断日 2026-03-01" in past
    assert "供应判断日" not in day
    # the two stages say which is which
    assert "登记供应阶段（粗分）" in day and "详细供应进度（按供地事件）" in day


def test_the_chinese_timeline_has_no_raw_keys_or_english_notes(
    demo_client: TestClient, bureau: dict[str, str]
) -> None:
    tl = text_of(get(demo_client, f"/maps/parcels/HY-2026-059/timeline?as_of={DAY}", bureau))
    for raw in ("start_by", "price_wan", "under_construction", "art.", "unverified",
                "written for", "days"):  # fmt: skip
        assert raw not in tl, raw
    assert "约定开工：2025-06-30" in tl and "状态：在建" in tl and "第八条" in tl
    en = text_of(
        get(demo_client, f"/maps/parcels/HY-2026-059/timeline?as_of={DAY}&lang=en", bureau)
    )
    assert "start by: 2025-06-30" in en and "art. 2, 14" in en


def test_the_supply_map_legends_and_csv_name(
    demo_client: TestClient, bureau: dict[str, str]
) -> None:
    en = get(demo_client, f"/maps/supply?as_of={DAY}&lang=en", bureau)
    assert "grade grade" not in en and "亩均 grade (layer" in en
    zh = get(demo_client, f"/maps/supply?as_of={DAY}&county=411603", bureau)
    assert "风险（地块颜色）" in zh and "亩均评价（图层" in zh
    assert f"supply_411603_{DAY}.csv" in zh


def test_the_first_view_fits_the_home_county(
    demo_client: TestClient, bureau: dict[str, str], demo_engine: Engine
) -> None:
    page = get(demo_client, f"/maps/supply?as_of={DAY}", bureau)
    m = re.search(
        r"fitBounds\(\s*\[\[([-\d.]+),\s*([-\d.]+)\],\s*\[([-\d.]+),\s*([-\d.]+)\]\]", page
    )
    assert m is not None
    s, w, n, e = (float(x) for x in m.groups())
    with demo_engine.connect() as c:
        x0, y0, x1, y1 = c.execute(
            text(
                "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT "
                "ST_Extent(geom) AS b FROM parcels WHERE county = '411603') q"
            )
        ).one()
    assert abs(s - y0) < 1e-3 and abs(w - x0) < 1e-3 and abs(n - y1) < 1e-3 and abs(e - x1) < 1e-3


def test_an_earliest_close_that_passed_is_not_shown_as_to_come(demo_client: TestClient) -> None:
    page = demo_client.get("/maps/investors").text
    assert "挂牌期已满最早截止日（2026-11-23），以公告为准" in page
    assert "挂牌截止（最早） 2026-11-23" not in page
    # the plot sheet investors print says the same, in its own table
    sheet = text_of(demo_client.get("/maps/investors/parcels/HY-2026-045").text)
    assert "挂牌截止（最早） 2026-11-23（已过最早截止日，以公告为准）" in sheet
    assert "挂牌期至" not in sheet


def test_the_public_stage_does_not_tell_payment_or_title_progress(
    demo_client: TestClient,
) -> None:
    a = demo_client.get("/api/v1/parcels/HY-2026-034/supply").json()
    assert a["stage"] == "contract"  # internally price_paid


def test_a_missing_step_is_named_as_not_recorded(client: TestClient, clean_engine: Engine) -> None:
    from tests.supply_helpers import CONTRACT, ok, post, seed

    seed(clean_engine, "S-9")
    h = token(clean_engine, "bureau")
    ok(post(client, "S-9", h, "notice_published", "2024-07-01"))
    ok(post(client, "S-9", h, "sale_started", "2024-07-22"))
    ok(post(client, "S-9", h, "sale_closed", "2024-08-05"))
    ok(post(client, "S-9", h, "contract_signed", "2024-08-10", **CONTRACT))
    r = post(client, "S-9", h, "construction_started", "2024-11-15")
    assert r.status_code == 422
    assert "needs handed_over, which is not recorded" in r.json()["detail"]
