"""Land supply: events in order, clocks to the day, idle land, commitments, roles (real PostGIS).

Working-day dates below were counted by hand against the State Council's 2026 holiday notice
(国办发明电〔2025〕 2026 年部分节假日安排), which chinesecalendar 1.11 encodes: 中秋 9-25…9-27,
国庆 10-1…10-7 with 9-20 (Sun) and 10-10 (Sat) worked; 春节 2-15…2-23 with 2-14 (Sat) and
2-28 (Sat) worked.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.supply.calendar import add_period
from tests.helpers import patch_current, run_cli, token
from tests.supply_helpers import CONTRACT, ok, post, sold
from tests.supply_helpers import seed as _seed

# ------------------------------------------------------------------ the calendar, by hand


def test_ten_working_days_across_mid_autumn_and_national_day() -> None:
    # from 2026-09-25 (a holiday), first day not counted: 9-28, 9-29, 9-30, 10-8, 10-9,
    # 10-10 (make-up Saturday), 10-12, 10-13, 10-14, 10-15
    due = add_period(date(2026, 9, 25), 10, "working_days")
    assert due.on == date(2026, 10, 15)
    assert not due.provisional


def test_ten_working_days_across_the_spring_festival() -> None:
    # from Friday 2026-02-13: 2-14 (make-up Saturday), 2-24, 2-25, 2-26, 2-27,
    # 2-28 (make-up Saturday), 3-2, 3-3, 3-4, 3-5
    assert add_period(date(2026, 2, 13), 10, "working_days").on == date(2026, 3, 5)


def test_a_month_ending_on_national_day_rolls_to_the_first_day_after_the_holiday() -> None:
    # 民法典 art. 203: 2026-09-01 + 1 month = 10-01, a holiday through 10-07
    assert add_period(date(2026, 9, 1), 1, "months").on == date(2026, 10, 8)
    # a month without the matching day ends on its last day (art. 202); 2-28 is a worked Saturday
    assert add_period(date(2026, 1, 31), 1, "months").on == date(2026, 2, 28)


def test_a_deadline_in_a_year_the_calendar_does_not_cover_is_provisional() -> None:
    due = add_period(date(2026, 12, 24), 10, "working_days")
    assert due.provisional
    assert due.why is not None and "2027" in due.why
    # inside the covered years nothing is provisional
    assert not add_period(date(2026, 11, 2), 10, "working_days").provisional


# ------------------------------------------------------------------ API helpers


def supply(client: TestClient, code: str, h: dict[str, str], as_of: str | None = None) -> Any:
    q = f"?as_of={as_of}" if as_of else ""
    r = client.get(f"/api/v1/parcels/{code}/supply{q}", headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def deadline(answer: dict[str, Any], rule: str) -> dict[str, Any]:
    return next(d for d in answer["deadlines"] if d["rule"] == rule)


def stage_in_register(engine: Engine, code: str) -> str:
    with engine.connect() as c:
        sql = text("SELECT supply_stage FROM parcels WHERE code = :c")
        return str(c.execute(sql, {"c": code}).scalar())


# ------------------------------------------------------------------ events and stage


def test_an_event_out_of_order_is_refused_with_the_reason_and_nothing_written(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine, "S-1")
    h = token(clean_engine, "bureau")
    with clean_engine.connect() as c:
        audits = c.execute(text("SELECT count(*) FROM audit_events")).scalar()
    r = post(client, "S-1", h, "sale_started", "2026-03-01")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "notice_published" in r.json()["detail"]
    assert supply(client, "S-1", h)["events"] == []
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM audit_events")).scalar() == audits
    assert stage_in_register(clean_engine, "S-1") == "plan"

    sold(client, "S-1", h)
    # started before the land was handed over: the reason names both dates
    r = post(client, "S-1", h, "construction_started", "2024-11-15")
    assert r.status_code == 422
    assert "handed_over" in r.json()["detail"] and "2024-12-01" in r.json()["detail"]
    # the certificate only once the whole price is paid (交地即交证, price first)
    r = post(client, "S-1", h, "certificate_issued", "2024-12-01")
    assert r.status_code == 422 and "price_paid" in r.json()["detail"]
    # twice the same once-only event: a correction is the way
    r = post(client, "S-1", h, "handed_over", "2024-12-02")
    assert r.status_code == 422 and "corrects" in r.json()["detail"]
    # a date in the future, a contract without its dates
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert post(client, "S-1", h, "price_paid", tomorrow).status_code == 422
    _seed(clean_engine, "S-2")
    ok(post(client, "S-2", h, "notice_published", "2024-07-01"))
    ok(post(client, "S-2", h, "sale_started", "2024-07-22"))
    ok(post(client, "S-2", h, "sale_closed", "2024-08-05"))
    r = post(client, "S-2", h, "contract_signed", "2024-08-10", price_wan=100)
    assert r.status_code == 422 and "start_by" in r.json()["detail"]
    assert len(supply(client, "S-1", h)["events"]) == 5


def test_the_derived_stage_and_the_registers_supply_stage_agree(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine, "S-1")
    h = token(clean_engine, "bureau")
    etag0 = client.get("/api/v1/parcels/S-1", headers=h).headers["etag"]
    steps = [
        ("notice_published", "2024-07-01", {}, "notice", "notice"),
        ("sale_started", "2024-07-22", {}, "sale", "sale"),
        ("sale_closed", "2024-08-05", {}, "confirmation", "contract"),
        ("contract_signed", "2024-08-12", CONTRACT, "contract", "contract"),
        ("price_paid", "2024-10-08", {}, "price_paid", "contract"),
        ("handed_over", "2024-11-01", {}, "handed_over", "handed_over"),
        ("certificate_issued", "2024-11-01", {}, "certificate", "handed_over"),
        ("construction_started", "2025-03-01", {}, "started", "handed_over"),
    ]
    for event, on, kw, stage, register in steps:
        answer = ok(post(client, "S-1", h, event, on, **kw))
        assert answer["stage"] == stage
        assert answer["supply_stage"] == register == stage_in_register(clean_engine, "S-1")
        feature = client.get("/api/v1/parcels/S-1", headers=h).json()
        assert feature["properties"]["supply_stage"] == register
    # the register's record changed version with it (maps and exports read it)
    assert client.get("/api/v1/parcels/S-1", headers=h).headers["etag"] != etag0
    # once events drive it, the register's stage is not typed over by hand
    r = patch_current(client, "/api/v1/parcels/S-1", json={"supply_stage": "plan"}, headers=h)
    assert r.status_code == 422 and "supply/events" in r.json()["detail"]
    assert stage_in_register(clean_engine, "S-1") == "handed_over"
    # judged as of an earlier day, the stage is the one reached then
    assert supply(client, "S-1", h, as_of="2024-08-20")["stage"] == "contract"


def test_a_correction_is_a_new_event_and_history_is_kept(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine, "S-1")
    h = token(clean_engine, "bureau")
    sold(client, "S-1", h)
    events = supply(client, "S-1", h)["events"]
    contract = next(e for e in events if e["event"] == "contract_signed")
    assert contract["start_by"] == "2025-03-31" and contract["recorded_by"]
    # the contract's start date was typed wrong: correct it
    answer = ok(
        post(
            client,
            "S-1",
            h,
            "contract_signed",
            "2024-09-20",
            corrects=contract["id"],
            **{**CONTRACT, "start_by": "2025-06-30"},
        )
    )
    assert deadline(answer, "start_construction")["due"] == "2025-06-30"
    old = next(e for e in answer["events"] if e["id"] == contract["id"])
    assert old["counts"] is False and old["corrected_by"] == answer["recorded"]["id"]
    assert old["start_by"] == "2025-03-31"  # never rewritten
    # a correction that would put the contract after the handover is refused too
    r = post(
        client,
        "S-1",
        h,
        "contract_signed",
        "2024-12-15",
        corrects=answer["recorded"]["id"],
        **CONTRACT,
    )
    assert r.status_code == 422 and "handed_over" in r.json()["detail"]
    # correcting the already-corrected one is refused, naming the newer one
    r = post(client, "S-1", h, "contract_signed", "2024-09-20", corrects=contract["id"], **CONTRACT)
    assert r.status_code == 422 and str(answer["recorded"]["id"]) in r.json()["detail"]
    # every accepted event is audited with who recorded it; the refused ones are not
    items = client.get("/api/v1/audit?entity_code=S-1&limit=100", headers=h).json()["items"]
    actions = [a["action"] for a in items]
    assert actions.count("supply.event") == 5 and actions.count("supply.correct") == 1
    correction = next(a for a in items if a["action"] == "supply.correct")
    assert correction["after"]["start_by"] == "2025-06-30" and correction["actor"]


# ------------------------------------------------------------------ clocks to the day


def test_listing_period_across_national_day_and_result_deadline_across_spring_festival(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine, "L-1", "L-2")
    h = token(clean_engine, "bureau")
    ok(post(client, "L-1", h, "notice_published", "2026-09-04"))
    a = ok(post(client, "L-1", h, "sale_started", "2026-09-25"))
    # ≥ 20 calendar days: 9-04 + 20 = 9-24; the sale started on 9-25 → met
    assert deadline(a, "notice_period")["due"] == "2026-09-24"
    assert deadline(a, "notice_period")["status"] == "met"
    # the listing must run ≥ 10 working days: it may close on 2026-10-15 at the earliest
    a = ok(post(client, "L-1", h, "sale_closed", "2026-10-14"))
    listing = deadline(a, "listing_period")
    assert (listing["due"], listing["status"], listing["unit"]) == (
        "2026-10-15",
        "missed",
        "working_days",
    )
    assert listing["source"] and listing["verified"] is False
    # result published within 10 working days of 10-14: 10-15 … 10-28
    assert deadline(a, "result_publication")["due"] == "2026-10-28"

    ok(post(client, "L-2", h, "notice_published", "2026-01-05"))
    ok(post(client, "L-2", h, "sale_started", "2026-01-26"))
    a = ok(post(client, "L-2", h, "sale_closed", "2026-02-13"))
    result = deadline(supply(client, "L-2", h, as_of="2026-03-05"), "result_publication")
    assert (result["due"], result["status"]) == ("2026-03-05", "open")
    assert (
        deadline(supply(client, "L-2", h, as_of="2026-03-06"), "result_publication")["status"]
        == "missed"
    )
    a = ok(post(client, "L-2", h, "result_published", "2026-03-05"))
    assert deadline(a, "result_publication")["status"] == "met"


def test_a_deadline_in_2027_is_provisional_and_says_why(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine, "P-1")
    h = token(clean_engine, "bureau")
    ok(post(client, "P-1", h, "notice_published", "2026-09-04"))
    ok(post(client, "P-1", h, "sale_started", "2026-09-25"))
    ok(post(client, "P-1", h, "sale_closed", "2026-10-16"))
    a = ok(
        post(
            client,
            "P-1",
            h,
            "contract_signed",
            "2026-10-20",
            start_by="2027-04-30",
            complete_by="2028-12-31",
            price_wan=500,
        )
    )
    full = deadline(a, "full_payment")
    assert full["due"] == "2027-10-20" and full["provisional"] is True
    assert "2027" in full["why_provisional"]
    first = deadline(a, "first_payment")  # 2026-11-20: a Friday in a covered year
    assert first["due"] == "2026-11-20" and first["provisional"] is False


# ------------------------------------------------------------------ idle land


def test_idle_warnings_at_90_and_30_days_then_one_and_two_years_and_the_fee(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine, "I-1")
    h = token(clean_engine, "bureau")
    sold(client, "I-1", h)  # start by 2025-03-31, never started

    # one full year after 2025-03-31 ends on 2026-03-31; idle from 2026-04-01
    def idle(as_of: str) -> dict[str, Any]:
        return supply(client, "I-1", h, as_of=as_of)["idle"]  # type: ignore[no-any-return]

    assert idle("2025-12-30")["status"] == "none"  # 91 days before the mark
    w = idle("2025-12-31")  # 90 days before
    assert w["status"] == "warning" and w["warning"]["level_days"] == 90
    assert w["warning"]["mark"] == "idle_1y" and w["warning"]["days_left"] == 90
    w = idle("2026-03-01")  # 30 days before
    assert w["status"] == "warning" and w["warning"]["level_days"] == 30
    assert idle("2026-03-31")["status"] == "warning"
    i = idle("2026-04-01")
    assert (i["status"], i["since"], i["trigger"]) == ("idle_1y", "2026-04-01", "A")
    # the fee: 20 % of the price (1234.5 万元), proposed, not decided
    assert i["proposal"]["action"] == "fee" and i["proposal"]["fee_wan"] == pytest.approx(246.9)
    assert i["decision"] is None
    # two years: the warnings again before the mark, then recovery
    w = idle("2027-01-01")
    assert w["status"] == "idle_1y" and w["warning"]["mark"] == "idle_2y"
    assert w["warning"]["level_days"] == 90
    assert idle("2027-04-01")["status"] == "idle_2y"
    assert idle("2027-04-01")["proposal"]["action"] == "recovery"
    mark = deadline(supply(client, "I-1", h, as_of="2026-06-01"), "idle_1y")
    assert (mark["due"], mark["status"]) == ("2026-03-31", "missed")
    # the bureau decides: a decision is an event too
    a = ok(post(client, "I-1", h, "idle_decided", "2026-06-15", outcome="fee", fee_wan=246.9))
    assert a["idle"]["decision"]["outcome"] == "fee" and a["stage"] == "idle_case"


def test_a_government_suspension_moves_the_idle_clock_by_its_days(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine, "G-1", "G-2")
    h = token(clean_engine, "bureau")
    sold(client, "G-1", h)
    sold(client, "G-2", h)
    ok(
        post(
            client,
            "G-2",
            h,
            "suspension_started",
            "2025-02-01",
            reason="规划调整（政府原因，第八条）",
        )
    )
    a = ok(post(client, "G-2", h, "suspension_ended", "2025-05-12"))  # 100 days
    assert a["idle"]["suspended_days"] == 100
    plain = supply(client, "G-1", h, as_of="2026-04-15")
    paused = supply(client, "G-2", h, as_of="2026-04-15")
    assert deadline(plain, "idle_1y")["due"] == "2026-03-31"
    assert deadline(paused, "idle_1y")["due"] == "2026-07-09"  # 2026-03-31 + 100 days
    assert deadline(paused, "start_construction")["due"] == "2025-07-09"
    assert plain["idle"]["status"] == "idle_1y"
    assert paused["idle"]["status"] == "warning"  # 85 days left
    assert paused["idle"]["suspensions"][0]["reason"].startswith("规划调整")


def test_started_then_stopped_with_under_a_quarter_invested_is_idle_after_a_year(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine, "B-1", "B-2")
    h = token(clean_engine, "bureau")
    for code, invested in (("B-1", 2000), ("B-2", 6000)):
        sold(client, code, h, investment_total_wan=10000)
        ok(post(client, code, h, "construction_started", "2025-03-01"))
        ok(
            post(
                client,
                code,
                h,
                "construction_stopped",
                "2025-05-10",
                invested_wan=invested,
                developed_share=0.5,
            )
        )
    low = supply(client, "B-1", h, as_of="2026-05-11")["idle"]
    assert (low["status"], low["trigger"], low["since"]) == ("idle_1y", "B", "2026-05-11")
    assert supply(client, "B-1", h, as_of="2026-05-10")["idle"]["status"] == "warning"
    high = supply(client, "B-2", h, as_of="2026-05-11")["idle"]  # 60 % invested, half built
    assert high["status"] == "none" and "thresholds" in high["note"]


# ------------------------------------------------------------------ commitments


def test_a_commitment_shortfall_and_its_penalty_figure(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine, "C-1")
    h = token(clean_engine, "bureau")
    sold(client, "C-1", h)
    ok(post(client, "C-1", h, "construction_started", "2025-03-01"))
    a = ok(
        post(
            client,
            "C-1",
            h,
            "completed",
            "2026-06-30",
            measured={"investment_intensity": 240, "far": 1.2},
        )
    )
    promised = a["commitments"]
    assert [c["key"] for c in promised["commitments"]] == ["investment_intensity", "far"]
    check = promised["checks"][0]
    assert check["check"] == "completion" and check["shortfalls"] == 1
    row = next(r for r in check["indicators"] if r["key"] == "investment_intensity")
    assert row["status"] == "shortfall" and row["shortfall"] == 60
    # price × shortfall ÷ committed = 1234.5 × 60 / 300
    assert row["penalty_wan"] == pytest.approx(246.9)
    assert next(r for r in check["indicators"] if r["key"] == "far")["status"] == "kept"


# ------------------------------------------------------------------ roles and the public


def test_roles_bureau_writes_and_the_public_sees_nothing_internal(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine, "R-1")
    _seed(clean_engine, "R-HID", published=False)
    h = token(clean_engine, "bureau")
    sold(client, "R-1", h)
    for who, want in ((None, 401), ("investor", 403), ("official", 403)):
        hh = token(clean_engine, who) if who else {}
        assert post(client, "R-1", hh, "price_paid", "2025-01-10").status_code == want
    public = client.get("/api/v1/parcels/R-1/supply").json()
    assert public["idle"] is None
    assert [e["event"] for e in public["events"]] == [
        "notice_published",
        "sale_started",
        "sale_closed",
    ]
    text_ = str(public)
    for secret in ("price_wan", "1234.5", "recorded_by", "document_ref", "start_construction"):
        assert secret not in text_
    assert client.get("/api/v1/parcels/R-HID/supply").status_code == 404
    official = client.get("/api/v1/parcels/R-1/supply", headers=token(clean_engine, "official"))
    assert official.json()["idle"] is not None
    assert client.get("/api/v1/supply/idle").status_code == 401


def test_supply_check_command_prints_the_table_and_summary(
    client: TestClient, clean_engine: Engine
) -> None:
    _seed(clean_engine, "I-1")
    h = token(clean_engine, "bureau")
    sold(client, "I-1", h)
    r = run_cli(clean_engine, "supply", "check", "--as-of", "2026-04-01")
    assert r.returncode == 0, r.stderr
    assert "I-1" in r.stdout and "idle_1y" in r.stdout and "246.90" in r.stdout
    assert "idle ≥1 year 1" in r.stdout
    # piped (cron, mail): one tab-separated line a parcel, the code and the proposal whole
    lines = {ln.split("\t")[0]: ln.split("\t") for ln in r.stdout.splitlines() if "\t" in ln}
    assert lines["parcel"][:2] == ["parcel", "stage"]
    assert lines["I-1"][4].startswith("idle_1y since") and "246.90 万元" in lines["I-1"][5]
    r = run_cli(clean_engine, "supply", "check", "--as-of", "2026-13-01")
    assert r.returncode != 0 and "YYYY-MM-DD" in r.stderr
    api = client.get("/api/v1/supply/idle?as_of=2026-04-01", headers=h).json()
    assert api["summary"]["idle"]["idle_1y"] == 1


# ------------------------------------------------------------------ the demo district


def test_demo_histories_make_sense_on_the_demo_date(
    demo_client: TestClient, demo_engine: Engine
) -> None:
    h = token(demo_engine, "official")
    check = demo_client.get("/api/v1/supply/idle?as_of=2026-11-27", headers=h).json()
    by = {p["parcel"]: p for p in check["parcels"]}
    assert by["HY-2026-059"]["idle"]["status"] == "idle_1y"
    assert by["HY-2026-059"]["idle"]["proposal"]["fee_wan"] == pytest.approx(836.0)
    assert [d["rule"] for d in by["HY-2026-024"]["missed"]] == ["start_construction"]
    assert not by["HY-2026-007"]["missed"]
    assert by["HY-2026-034"]["idle"]["suspended_days"] > 0
    # speeds from the events (demo CSV): HY-2026-007 contract 2025-04-18, permit 2025-08-20,
    # handover and certificate 2025-08-01, start 2025-10-15
    assert by["HY-2026-007"]["speeds"] == {
        "contract_to_permit": (date(2025, 8, 20) - date(2025, 4, 18)).days,
        "handover_to_certificate": 0,
        "handover_to_start": (date(2025, 10, 15) - date(2025, 8, 1)).days,
    }
    # district median of handover → certificate over 007 (0), 024 (34), 059 (14)
    assert check["summary"]["median_days"]["handover_to_certificate"] == 14
    # lineage: the parcel's supply answer names the key project built on it
    answer = demo_client.get("/api/v1/parcels/HY-2026-059/supply", headers=h).json()
    assert answer["projects"] and answer["projects"][0]["href"].startswith("/api/v1/projects/")
    project = demo_client.get(answer["projects"][0]["href"], headers=h)
    assert project.status_code == 200
    assert "HY-2026-059" in project.text
    for code in by:  # the register's stage follows the events
        answer = demo_client.get(f"/api/v1/parcels/{code}/supply?as_of=2026-11-27", headers=h)
        assert answer.json()["supply_stage"] == stage_in_register(demo_engine, code)


def test_rules_are_overridden_per_province_then_county_and_bad_overrides_refused(
    client: TestClient, clean_engine: Engine, make_client: Any
) -> None:
    from pydantic import ValidationError

    from geo_service.supply.config import SupplyConfig

    overrides = {
        "41": {"listing_period": {"unit": "calendar_days", "length": 10}},
        "411603": {"listing_period": {"length": 12, "source": "淮阳区规定"}},
    }
    rules = {r.key: r for r in SupplyConfig(overrides=overrides).rules_for("411603")}
    assert (rules["listing_period"].length, rules["listing_period"].unit) == (12, "calendar_days")
    assert rules["listing_period"].origin == "411603"
    other = {r.key: r for r in SupplyConfig(overrides=overrides).rules_for("410102")}
    assert (other["listing_period"].length, other["listing_period"].origin) == (10, "41")
    with pytest.raises(ValidationError, match="unknown rule"):
        SupplyConfig(overrides={"41": {"no_such_rule": {"length": 1}}})
    # the API judges with the overridden rule: 12 calendar days from 2026-09-25 = 10-07,
    # a holiday, but a minimum period does not roll over
    _seed(clean_engine, "O-1")
    c = make_client(
        clean_engine.url.render_as_string(hide_password=False),
        supply=SupplyConfig(overrides=overrides),
    )
    h = token(clean_engine, "bureau")
    ok(post(c, "O-1", h, "notice_published", "2026-09-04"))
    a = ok(post(c, "O-1", h, "sale_started", "2026-09-25"))
    listing = deadline(a, "listing_period")
    assert (listing["due"], listing["unit"], listing["origin"]) == (
        "2026-10-07",
        "calendar_days",
        "411603",
    )


def test_mu_figures_and_grades_by_rank_shares_and_by_thresholds(
    client: TestClient, clean_engine: Engine, make_client: Any
) -> None:
    from geo_service.supply.config import GradingConfig, SupplyConfig

    codes = ["M-1", "M-2", "M-3", "M-4", "M-5"]
    _seed(clean_engine, *codes)  # each 200 m × 100 m = 30.00 亩
    h = token(clean_engine, "bureau")
    for i, code in enumerate(codes):
        sold(client, code, h)
        ok(post(client, code, h, "construction_started", "2025-03-01"))
        if code != "M-5":  # still building at the end of 2025: listed, not graded
            ok(post(client, code, h, "completed", "2025-10-01"))
        ok(
            post(
                client,
                code,
                h,
                "annual_figures",
                "2026-03-15",
                year=2025,
                tax_wan=30 * (4 - i) * 5,
                value_added_wan=30 * (4 - i) * 20,
            )
        )
    r = client.get("/api/v1/supply/grades?year=2025", headers=h).json()
    by = {p["parcel"]: p for p in r["parcels"]}
    assert by["M-1"]["area_mu"] == pytest.approx(30.0, abs=0.01)
    assert by["M-1"]["tax_per_mu"] == pytest.approx(20.0, abs=0.01)
    assert by["M-1"]["value_added_per_mu"] == pytest.approx(80.0, abs=0.02)
    # 4 graded: A top 25 % (1), B next 45 % (round(4 × 0.70) = 3 → 2), C next 25 % (1)
    assert [by[c]["grade"] for c in codes] == ["A", "B", "B", "C", "building"]
    assert r["summary"] == {"A": 1, "B": 2, "C": 1, "D": 0, "building": 1}
    # thresholds on the score (each figure ÷ the mean of the graded, 12.5 and 50 per 亩):
    # M-1 1.6, M-2 1.2, M-3 0.8, M-4 0.4
    grading = GradingConfig(mode="thresholds", thresholds={"A": 1.1, "B": 0.7, "C": 0.5})
    c = make_client(
        clean_engine.url.render_as_string(hide_password=False),
        supply=SupplyConfig(grading=grading),
    )
    t = {
        p["parcel"]: p
        for p in c.get("/api/v1/supply/grades?year=2025", headers=h).json()["parcels"]
    }
    assert [t[c]["score"] for c in codes[:4]] == pytest.approx([1.6, 1.2, 0.8, 0.4], abs=0.01)
    assert [t[c]["grade"] for c in codes[:4]] == ["A", "A", "B", "D"]
    # a year without figures grades nobody
    assert client.get("/api/v1/supply/grades?year=2024", headers=h).json()["parcels"] == []


def test_supply_ledger_exports_and_imports_back_all_or_nothing(
    client: TestClient, clean_engine: Engine
) -> None:
    import io

    from openpyxl import load_workbook

    _seed(clean_engine, "X-1")
    h = token(clean_engine, "bureau")
    sold(client, "X-1", h)
    r = client.get("/api/v1/supply/ledger/export?as_of=2025-01-10", headers=h)
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    summary = list(wb["出让台账"].iter_rows(values_only=True))
    head = [str(c) for c in summary[0]]
    row = dict(zip(head, summary[1], strict=True))
    assert row["地块编号 parcel"] == "X-1" and row["阶段 stage"] == "handed_over"
    assert row["价款(万元) price_wan"] == 1234.5
    assert str(row["挂牌开始 sale_started"])[:10] == "2024-07-22"  # the listing's first day
    events = wb["供地事件"]
    header = [str(c.value) for c in events[1]]
    assert events.max_row == 6  # the header and five events

    def add_rows(*rows: dict[str, Any]) -> bytes:
        for values in rows:
            events.append([values.get(h_.rsplit(" ", 1)[-1]) for h_ in header])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    def upload(data: bytes, **params: Any) -> Any:
        files = {"file": ("ledger.xlsx", data, "application/octet-stream")}
        return client.post("/api/v1/supply/ledger/import", files=files, params=params, headers=h)

    # row 7 is fine, row 8 comes before its handover: both refused together, nothing written
    bad = add_rows(
        {"parcel": "X-1", "event": "price_paid", "on": "2025-01-05", "document_ref": "缴款 1"},
        {
            "parcel": "X-1",
            "event": "certificate_issued",
            "on": "2024-11-01",
            "document_ref": "证 1",
        },
    )
    r = upload(bad)
    assert r.status_code == 422, r.text
    problems = r.json()["problems"]
    assert len(problems) == 1 and "row 8" in problems[0] and "handed_over" in problems[0]
    assert len(supply(client, "X-1", h)["events"]) == 5
    # fixed: the certificate after the payment; a dry run writes nothing, the import does
    events.delete_rows(8)
    good = add_rows(
        {
            "parcel": "X-1",
            "event": "certificate_issued",
            "on": "2025-01-08",
            "document_ref": "证 1",
        },
    )
    assert upload(good, dry_run="true").json()["recorded"] == 2
    assert len(supply(client, "X-1", h)["events"]) == 5
    r = upload(good)
    assert r.status_code == 200 and r.json() == {
        "recorded": 2,
        "skipped_existing": 5,
        "dry_run": False,
    }
    answer = supply(client, "X-1", h)
    assert answer["stage"] == "certificate" and len(answer["events"]) == 7
    assert upload(b"not a workbook").status_code == 422


def test_supply_ledger_from_the_command_line(
    client: TestClient, clean_engine: Engine, tmp_path: Any
) -> None:
    _seed(clean_engine, "X-1")
    sold(client, "X-1", token(clean_engine, "bureau"))
    out = tmp_path / "出让台账.xlsx"
    r = run_cli(clean_engine, "supply", "export", "--out", str(out), "--as-of", "2025-01-10")
    assert r.returncode == 0, r.stderr
    r = run_cli(clean_engine, "supply", "import", str(out))
    assert r.returncode == 0, r.stderr
    assert "recorded 0 events, 5 rows already recorded" in r.stdout
    r = run_cli(clean_engine, "supply", "import", str(tmp_path / "missing.xlsx"))
    assert r.returncode != 0 and "no such file" in r.stderr
