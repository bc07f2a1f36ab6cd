"""The readiness engine against the real PostGIS, with geometry built at the edges of the rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, text

from geo_service.db.engine import transaction
from geo_service.parcels import writes
from geo_service.readiness.engine import run_readiness
from geo_service.settings import Settings
from tests.helpers import add_infrastructure, add_parcels, line_m, point_m, rect_m, settings_for

AS_OF = datetime(2024, 6, 30, tzinfo=UTC)


def _run(engine: Engine, as_of: datetime = AS_OF, **kw: Any) -> Any:
    return run_readiness(engine, settings=settings_for(engine), actor="test", as_of=as_of, **kw)


def _cond(engine: Engine, code: str, condition: str) -> dict[str, Any]:
    with engine.connect() as c:
        row = (
            c.execute(
                text(
                    """SELECT c.status, c.method, c.evidence, c.verified_at
                    FROM parcel_conditions c JOIN parcels p ON p.id = c.parcel_id
                    WHERE p.code = :code AND c.condition = :cond"""
                ),
                {"code": code, "cond": condition},
            )
            .mappings()
            .one()
        )
    return dict(row)


def _parcel_north_edge_at(code: str, y: float = 0) -> dict[str, Any]:
    """A 100 × 100 m parcel whose north edge lies at ``y`` metres."""
    return {"code": code, "geom_m": rect_m(0, y - 100, 100, 100)}


def _main(code: str, y: float, **attrs: Any) -> dict[str, Any]:
    """An east-west water main at ``y`` metres north of the origin."""
    return {
        "code": code,
        "kind": "water",
        "geom_m": line_m((-500, y), (600, y)),
        "diameter_mm": 150,
        "status": "existing",
        **attrs,
    }


# ------------------------------------------------------------------------------ water


def test_a_main_at_199_m_counts(clean_engine: Engine) -> None:
    add_parcels(clean_engine, _parcel_north_edge_at("P"))
    add_infrastructure(clean_engine, _main("W-199", 199, name="人民路给水管"))
    _run(clean_engine)
    c = _cond(clean_engine, "P", "water")
    assert c["status"] == "met" and c["method"] == "spatial"
    assert c["evidence"]["nearest"]["code"] == "W-199"
    assert c["evidence"]["nearest"]["name"] == "人民路给水管"
    assert c["evidence"]["nearest"]["distance_m"] == pytest.approx(199.0, abs=0.15)
    assert c["evidence"]["nearest"]["diameter_mm"] == 150
    assert c["evidence"]["rule"]["max_distance_m"] == 200
    assert "nearest_failing" not in c["evidence"]


def test_a_main_at_201_m_does_not_count_and_says_why(clean_engine: Engine) -> None:
    add_parcels(clean_engine, _parcel_north_edge_at("P"))
    add_infrastructure(clean_engine, _main("W-201", 201))
    _run(clean_engine)
    c = _cond(clean_engine, "P", "water")
    assert c["status"] == "unmet"
    failing = c["evidence"]["nearest_failing"]
    assert failing["code"] == "W-201"
    assert failing["distance_m"] == pytest.approx(201.0, abs=0.15)
    assert failing["why"].startswith("distance 201.0 m > 200 m") or failing["why"].startswith(
        "distance 200.9 m > 200 m"
    )
    # the nearest qualifying main is still named, with its distance
    assert c["evidence"]["nearest"]["code"] == "W-201"


def test_a_90_mm_main_next_to_the_parcel_does_not_count(clean_engine: Engine) -> None:
    add_parcels(clean_engine, _parcel_north_edge_at("P"))
    add_infrastructure(clean_engine, _main("W-90", 10, diameter_mm=90))
    _run(clean_engine)
    c = _cond(clean_engine, "P", "water")
    assert c["status"] == "unmet"
    assert c["evidence"]["nearest_failing"]["why"] == "diameter 90 mm < 100 mm"
    assert c["evidence"]["nearest"] is None  # no qualifying main anywhere


def test_a_planned_line_does_not_count(clean_engine: Engine) -> None:
    add_parcels(clean_engine, _parcel_north_edge_at("P"))
    add_infrastructure(
        clean_engine,
        {
            "code": "PL-1",
            "kind": "power",
            "geom_m": line_m((-500, 20), (600, 20)),
            "voltage_kv": 110,
            "status": "planned",
        },
        {"code": "SUB-1", "kind": "power", "geom_m": point_m(50, 520), "voltage_kv": 10},
    )
    _run(clean_engine)
    c = _cond(clean_engine, "P", "power")
    assert c["status"] == "unmet"
    assert c["evidence"]["nearest_failing"] == {
        "code": "PL-1",
        "name": None,
        "distance_m": pytest.approx(20.0, abs=0.1),
        "voltage_kv": 110,
        "why": "planned",
    }
    assert c["evidence"]["nearest"]["code"] == "SUB-1"
    assert c["evidence"]["nearest"]["distance_m"] == pytest.approx(520.0, abs=0.2)


def test_power_substation_within_500_m_counts_and_road_within_50(clean_engine: Engine) -> None:
    add_parcels(clean_engine, _parcel_north_edge_at("P"))
    add_infrastructure(
        clean_engine,
        {"code": "SUB-1", "kind": "power", "geom_m": point_m(50, 480), "voltage_kv": 10},
        {"code": "R-49", "kind": "road", "geom_m": line_m((-500, 49), (600, 49))},
        {
            "code": "R-PL",
            "kind": "road",
            "geom_m": line_m((-500, 5), (600, 5)),
            "status": "planned",
        },
    )
    _run(clean_engine)
    power = _cond(clean_engine, "P", "power")
    assert power["status"] == "met"
    assert power["evidence"]["nearest"]["voltage_kv"] == 10
    road = _cond(clean_engine, "P", "road")
    assert road["status"] == "met"
    assert road["evidence"]["nearest"]["code"] == "R-49"


def test_distances_are_metres_on_the_ellipsoid_not_degrees(clean_engine: Engine) -> None:
    # 150 m north is ~0.00135° of latitude: a degree-based check would call it 0.0 m
    add_parcels(clean_engine, _parcel_north_edge_at("P"))
    add_infrastructure(clean_engine, _main("W-150", 150))
    _run(clean_engine)
    assert _cond(clean_engine, "P", "water")["evidence"]["nearest"]["distance_m"] == pytest.approx(
        150.0, abs=0.15
    )


# ------------------------------------------------------------------------------ records


def _survey(code: str, on: date, *, leveled: bool = True, outstanding: float = 0) -> dict[str, Any]:
    return {
        "parcel_code": code,
        "surveyed_on": on,
        "leveled": leveled,
        "earthwork_outstanding_m3": outstanding,
        "surveyor": "测绘院",
        "document_ref": "PZ-1",
    }


def _title(code: str, on: date, **kw: Any) -> dict[str, Any]:
    return {
        "parcel_code": code,
        "recorded_on": on,
        "ownership": "state",
        "requisition_done": True,
        "compensation_settled": True,
        "open_disputes": 0,
        "document_ref": "QS-1",
        **kw,
    }


def _records(engine: Engine, table: str, *rows: dict[str, Any]) -> None:
    with transaction(engine) as s:
        writes.replace_records(s, table=table, rows=rows)


def test_leveling_from_the_latest_survey(clean_engine: Engine) -> None:
    add_parcels(
        clean_engine,
        {"code": "A", "geom_m": rect_m(0, 0, 100, 100)},
        {"code": "B", "geom_m": rect_m(200, 0, 100, 100)},
        {"code": "C", "geom_m": rect_m(400, 0, 100, 100)},
    )
    _records(
        clean_engine,
        "leveling_surveys",
        _survey("A", date(2024, 1, 10), leveled=False, outstanding=3000),
        _survey("A", date(2024, 5, 10)),  # the latest one counts
        _survey("B", date(2024, 5, 10), outstanding=120.5),
    )
    _run(clean_engine)
    a = _cond(clean_engine, "A", "leveling")
    assert a["status"] == "met" and a["method"] == "record"
    assert a["evidence"]["survey"]["surveyed_on"] == "2024-05-10"
    b = _cond(clean_engine, "B", "leveling")
    assert b["status"] == "unmet"
    assert b["evidence"]["reason"] == "120.5 m³ earthwork outstanding"  # as typed, not 120.50
    c = _cond(clean_engine, "C", "leveling")
    assert c["status"] == "unknown"  # a missing record is unknown, not unmet
    assert c["evidence"]["reason"] == "no site survey on record"


def test_stale_evidence_is_unknown(clean_engine: Engine) -> None:
    add_parcels(clean_engine, {"code": "A", "geom_m": rect_m(0, 0, 100, 100)})
    _records(clean_engine, "leveling_surveys", _survey("A", date(2024, 1, 2)))  # 180 days
    _records(clean_engine, "title_records", _title("A", date(2024, 1, 1)))  # 181 days
    _run(clean_engine)
    assert _cond(clean_engine, "A", "leveling")["status"] == "met"
    title = _cond(clean_engine, "A", "title")
    assert title["status"] == "unknown"
    assert title["evidence"]["reason"] == "stale"
    # the same evidence a day later: stale too
    _run(clean_engine, as_of=AS_OF + timedelta(days=1))
    lev = _cond(clean_engine, "A", "leveling")
    assert (lev["status"], lev["evidence"]["reason"]) == ("unknown", "stale")


def test_title_record_decides_and_a_missing_one_is_unknown(clean_engine: Engine) -> None:
    add_parcels(
        clean_engine,
        {"code": "OK", "geom_m": rect_m(0, 0, 100, 100)},
        {"code": "DISPUTE", "geom_m": rect_m(200, 0, 100, 100)},
        {"code": "NONE", "geom_m": rect_m(400, 0, 100, 100)},
    )
    _records(
        clean_engine,
        "title_records",
        _title("OK", date(2024, 6, 1)),
        _title("DISPUTE", date(2024, 6, 1), open_disputes=2, compensation_settled=False),
    )
    _run(clean_engine)
    assert _cond(clean_engine, "OK", "title")["status"] == "met"
    d = _cond(clean_engine, "DISPUTE", "title")
    assert d["status"] == "unmet"
    assert d["evidence"]["reason"] == "compensation not settled; 2 open dispute(s)"
    assert _cond(clean_engine, "NONE", "title")["status"] == "unknown"


def test_a_1_m2_overlap_with_basic_farmland_fails_title(clean_engine: Engine) -> None:
    from tests.helpers import to_lonlat

    add_parcels(
        clean_engine,
        {"code": "P", "geom_m": rect_m(0, 0, 100, 100)},
        {"code": "Q", "geom_m": rect_m(300, 0, 100, 100)},
    )
    _records(
        clean_engine,
        "title_records",
        _title("P", date(2024, 6, 1)),
        _title("Q", date(2024, 6, 1)),
    )
    with transaction(clean_engine) as s:
        writes.upsert_protected(
            s,
            [
                # 1 m × 1 m inside P's north-east corner
                {
                    "code": "JBNT-1",
                    "kind": "basic_farmland",
                    "wkb": to_lonlat(rect_m(99, 99, 5, 5)).wkb_hex,
                },
                # touches Q along its west edge only: no overlap
                {
                    "code": "JBNT-2",
                    "kind": "basic_farmland",
                    "wkb": to_lonlat(rect_m(250, 0, 50, 100)).wkb_hex,
                },
            ],
        )
    _run(clean_engine)
    p = _cond(clean_engine, "P", "title")
    assert p["status"] == "unmet"
    assert p["evidence"]["protected_overlap_m2"] == pytest.approx(1.0, abs=0.05)
    assert p["evidence"]["protected_overlaps"][0]["code"] == "JBNT-1"
    assert p["evidence"]["reason"].startswith("overlaps protected land by 1.0 m²")
    assert _cond(clean_engine, "Q", "title")["status"] == "met"


def test_overlapping_parcels_fail_title_with_the_area(clean_engine: Engine) -> None:
    add_parcels(
        clean_engine,
        {"code": "A", "geom_m": rect_m(0, 0, 100, 100)},
        {"code": "B", "geom_m": rect_m(90, 0, 100, 100)},  # 10 × 100 m overlap
    )
    _records(clean_engine, "title_records", _title("A", date(2024, 6, 1)))
    _run(clean_engine)
    a = _cond(clean_engine, "A", "title")
    assert a["status"] == "unmet"
    assert a["evidence"]["parcel_overlap_m2"] == pytest.approx(1000, rel=1e-3)
    assert a["evidence"]["parcel_overlaps"][0]["code"] == "B"
    # an overlap is unmet even without a title record
    assert _cond(clean_engine, "B", "title")["status"] == "unmet"


# ------------------------------------------------------------------------------ overrides


def _override(engine: Engine, code: str, condition: str, status: str, **kw: Any) -> None:
    with engine.begin() as c:
        c.execute(
            text(
                """INSERT INTO condition_overrides (parcel_id, condition, status, reason,
                    document_ref, verified_at, expires_at, created_by)
                SELECT id, :cond, :status, :reason, 'DOC-1', :verified_at, :expires_at, 'bureau:t'
                FROM parcels WHERE code = :code"""
            ),
            {
                "code": code,
                "cond": condition,
                "status": status,
                "reason": kw.get("reason", "现场核查"),
                "verified_at": kw.get("verified_at", AS_OF - timedelta(days=1)),
                "expires_at": kw.get("expires_at"),
            },
        )


def test_an_override_counts_until_it_expires(clean_engine: Engine) -> None:
    add_parcels(clean_engine, {"code": "A", "geom_m": rect_m(0, 0, 100, 100)})
    _override(clean_engine, "A", "leveling", "met", expires_at=AS_OF + timedelta(days=10))
    _run(clean_engine)
    c = _cond(clean_engine, "A", "leveling")
    assert (c["status"], c["method"]) == ("met", "override")
    assert c["evidence"]["override"]["reason"] == "现场核查"
    assert c["evidence"]["computed"]["status"] == "unknown"
    _run(clean_engine, as_of=AS_OF + timedelta(days=11))
    c = _cond(clean_engine, "A", "leveling")
    assert (c["status"], c["method"]) == ("unknown", "record")
    with clean_engine.connect() as conn:
        hist = conn.execute(
            text(
                "SELECT old_status, new_status, reason FROM condition_history "
                "WHERE condition = 'leveling' ORDER BY id"
            )
        ).all()
    assert [(h[0], h[1]) for h in hist] == [(None, "met"), ("met", "unknown")]
    assert hist[1][2].startswith("override expired or revoked")


# ------------------------------------------------------------------------------ runs


def _full_parcel(engine: Engine, code: str, x: float) -> None:
    add_parcels(engine, {"code": code, "geom_m": rect_m(x, 0, 100, 100)})
    _records(engine, "leveling_surveys", _survey(code, date(2024, 6, 1)))
    _records(engine, "title_records", _title(code, date(2024, 6, 1)))


def test_net_land_summary_and_history(clean_engine: Engine) -> None:
    _full_parcel(clean_engine, "NET", 0)  # 15 亩
    _full_parcel(clean_engine, "FAR", 5000)
    add_infrastructure(
        clean_engine,
        _main("W", 120),
        {"code": "E", "kind": "power", "geom_m": line_m((-500, 130), (600, 130)), "voltage_kv": 10},
        {"code": "R", "kind": "road", "geom_m": line_m((-500, 110), (600, 110))},
    )
    summary = _run(clean_engine)
    assert summary.parcels_checked == 2
    assert summary.net_land == 1
    assert summary.net_land_mu == pytest.approx(15.0, abs=0.01)
    assert summary.missing == {"water": 1, "power": 1, "road": 1, "leveling": 0, "title": 0}
    assert str(summary).startswith("2 parcels checked, 1 net land (15.00 亩), missing: water 1")
    # a second run with the same facts changes nothing and writes no history
    before = _history_count(clean_engine)
    again = _run(clean_engine)
    assert again.changed == 0 and _history_count(clean_engine) == before
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM parcel_marks")).scalar() == 0
        assert (
            c.execute(
                text("SELECT count(*) FROM audit_events WHERE action = 'readiness.run'")
            ).scalar()
            == 2
        )


def _history_count(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT count(*) FROM condition_history")).scalar_one())


def test_only_marked_rechecks_what_a_network_change_affects(clean_engine: Engine) -> None:
    _full_parcel(clean_engine, "NEAR", 0)
    _full_parcel(clean_engine, "FAR", 20_000)
    _run(clean_engine)
    assert _cond(clean_engine, "NEAR", "water")["status"] == "unmet"
    add_infrastructure(clean_engine, _main("W-new", 150))  # marks NEAR, not FAR
    summary = _run(clean_engine, only_marked=True)
    assert summary.parcels_checked == 1
    assert _cond(clean_engine, "NEAR", "water")["status"] == "met"


def test_a_failed_run_leaves_the_previous_results(clean_engine: Engine) -> None:
    _full_parcel(clean_engine, "A", 0)
    _run(clean_engine)
    assert _cond(clean_engine, "A", "water")["status"] == "unmet"
    add_infrastructure(clean_engine, _main("W", 50))

    def boom(step: str, i: int, n: int) -> None:
        if step == "summary":  # after the results were written inside the transaction
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        _run(clean_engine, progress=boom)
    assert _cond(clean_engine, "A", "water")["status"] == "unmet"
    with clean_engine.connect() as c:
        assert (
            c.execute(text("SELECT status FROM readiness_runs ORDER BY id DESC LIMIT 1")).scalar()
            == "failed"
        )
        marked = "SELECT count(*) FROM parcel_marks m JOIN parcels p ON p.id = m.parcel_id"
        assert c.execute(text(f"{marked} WHERE p.code = 'A'")).scalar() == 1


def test_progress_is_reported_between_steps(clean_engine: Engine) -> None:
    _full_parcel(clean_engine, "A", 0)
    seen: list[str] = []
    _run(clean_engine, progress=lambda step, i, n: seen.append(step))
    assert seen[:4] == ["select parcels", "water", "power", "road"]
    assert seen[-1] == "done"


def test_nonsense_rules_refuse_to_start_naming_the_setting() -> None:
    with pytest.raises(ValidationError, match="max_distance_m"):
        Settings(readiness={"water": {"kind": "water", "max_distance_m": -5}})
    with pytest.raises(ValidationError, match="GEO_SERVICE_READINESS__POWER__KIND"):
        Settings(readiness={"power": {"kind": "gas", "max_distance_m": 100}})
