"""What a fast readiness run rests on: a run over all parcels writes only the condition rows
whose decision changed, yet every parcel it checked says so — its ``checked_at`` in the API and
the export's checked_at (检查时间) move to the new run (``readiness_runs.covers``,
``rules.checked_at_sql``); a partial run moves only its own parcels'. No timing here: the rows'
``xmin`` shows what was written.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.db.engine import transaction
from geo_service.parcels import writes
from geo_service.readiness.engine import RunSummary, run_readiness
from tests.databases import ClientFactory
from tests.helpers import add_infrastructure, add_parcels, line_m, rect_m, settings_for, token

AS_OF = datetime(2024, 6, 30, tzinfo=UTC)
CODES = ("A", "B", "C")


def _district(engine: Engine) -> None:
    """Three parcels 3 km apart; B and C have water 50 m away, A's nearest main is ~2.9 km off;
    power and road reach all three; each has a survey and a title record."""
    add_parcels(engine, *({"code": c, "geom_m": rect_m(3000 * i, 0, 100, 100)}
                          for i, c in enumerate(CODES)))  # fmt: skip
    add_infrastructure(
        engine,
        {"code": "W-B", "kind": "water", "diameter_mm": 150,
         "geom_m": line_m((2900, 150), (6200, 150))},
        {"code": "E", "kind": "power", "voltage_kv": 10,
         "geom_m": line_m((-500, 200), (6600, 200))},
        {"code": "R", "kind": "road", "geom_m": line_m((-500, 120), (6600, 120))},
    )  # fmt: skip
    with transaction(engine) as s:
        writes.replace_records(
            s,
            table="leveling_surveys",
            rows=[{"parcel_code": c, "surveyed_on": date(2024, 6, 1), "leveled": True,
                   "earthwork_outstanding_m3": 0, "surveyor": "测绘院", "document_ref": "PZ-1"}
                  for c in CODES],
        )  # fmt: skip
        writes.replace_records(
            s,
            table="title_records",
            rows=[{"parcel_code": c, "recorded_on": date(2024, 6, 1), "ownership": "state",
                   "requisition_done": True, "compensation_settled": True, "open_disputes": 0,
                   "document_ref": "QS-1"} for c in CODES],
        )  # fmt: skip


def _run(engine: Engine, **kw: Any) -> RunSummary:
    return run_readiness(engine, settings=settings_for(engine), actor="test", as_of=AS_OF, **kw)


def _rows(engine: Engine) -> dict[tuple[str, str], str]:
    """(parcel, condition) → the row version's xmin: it changes when, and only when, the row is
    written."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT p.code, c.condition, CAST(c.xmin AS text) FROM parcel_conditions c "
                "JOIN parcels p ON p.id = c.parcel_id"
            )
        ).all()
    return {(code, cond): x for code, cond, x in rows}


def _history(engine: Engine) -> list[tuple[str, str, str | None, str]]:
    with engine.connect() as c:
        return [
            tuple(r)  # type: ignore[misc]
            for r in c.execute(
                text(
                    "SELECT p.code, h.condition, h.old_status, h.new_status "
                    "FROM condition_history h JOIN parcels p ON p.id = h.parcel_id ORDER BY h.id"
                )
            )
        ]


def _yesterday(engine: Engine) -> None:
    """Move every run and row written so far one day back, as if made yesterday."""
    with engine.begin() as c:
        c.execute(text("UPDATE readiness_runs SET started_at = started_at - interval '1 day'"))
        c.execute(text("UPDATE parcel_conditions SET checked_at = checked_at - interval '1 day'"))


def _started(engine: Engine, run_id: int | None) -> tuple[datetime, str]:
    """The run's start, and as the export shows it (minutes, the database's time zone)."""
    with engine.connect() as c:
        at, shown = c.execute(
            text(
                "SELECT started_at, to_char(started_at, 'YYYY-MM-DD HH24:MI') "
                "FROM readiness_runs WHERE id = :id"
            ),
            {"id": run_id},
        ).one()
    return at, shown


def _api_checked(client: TestClient, headers: dict[str, str]) -> dict[str, datetime]:
    out = {}
    for code in CODES:
        r = client.get(f"/api/v1/parcels/{code}/readiness", headers=headers)
        assert r.status_code == 200, r.text
        out[code] = datetime.fromisoformat(r.json()["checked_at"])
    return out


def _export_checked(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    r = client.get("/api/v1/exports/readiness?format=csv", headers=headers)
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    head = rows[0]
    code = next(i for i, h in enumerate(head) if h in ("code", "地块编号"))
    when = next(i for i, h in enumerate(head) if h in ("checked_at", "检查时间"))
    return {row[code]: row[when] for row in rows[1:]}


def _client(engine: Engine, make_client: ClientFactory) -> tuple[TestClient, dict[str, str]]:
    return make_client(engine.url.render_as_string(hide_password=False)), token(engine, "bureau")


def test_a_run_with_nothing_changed_writes_no_row_yet_every_parcel_shows_it_was_checked(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _district(clean_engine)
    first = _run(clean_engine)
    assert first.written == 15 and first.changed == 15  # a first run stores everything
    _yesterday(clean_engine)
    client, bureau = _client(clean_engine, make_client)
    then, then_shown = _started(clean_engine, first.run_id)
    assert set(_api_checked(client, bureau).values()) == {then}
    before = _rows(clean_engine)
    history = _history(clean_engine)

    again = _run(clean_engine)

    assert again.written == 0 and again.changed == 0
    assert _rows(clean_engine) == before  # not one condition row written
    assert _history(clean_engine) == history
    now, now_shown = _started(clean_engine, again.run_id)
    assert now > then and now_shown != then_shown
    assert _api_checked(client, bureau) == dict.fromkeys(CODES, now)
    assert _export_checked(client, bureau) == dict.fromkeys(CODES, now_shown)


def test_a_new_main_rewrites_exactly_the_rows_and_history_it_changes(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _district(clean_engine)
    _run(clean_engine)
    before = _rows(clean_engine)
    history = _history(clean_engine)
    # a main 50 m north of A: A's water is met now; B's and C's nearest main is still W-B
    add_infrastructure(
        clean_engine,
        {"code": "W-A", "kind": "water", "diameter_mm": 150,
         "geom_m": line_m((-100, 150), (200, 150))},
    )  # fmt: skip

    again = _run(clean_engine)

    assert again.written == 1 and again.changed == 1
    after = _rows(clean_engine)
    assert {k for k in before if after[k] != before[k]} == {("A", "water")}
    assert _history(clean_engine) == [*history, ("A", "water", "unmet", "met")]
    client, bureau = _client(clean_engine, make_client)
    now, now_shown = _started(clean_engine, again.run_id)
    assert _api_checked(client, bureau) == dict.fromkeys(CODES, now)
    assert _export_checked(client, bureau) == dict.fromkeys(CODES, now_shown)
    r = client.get("/api/v1/parcels/A/readiness", headers=bureau).json()
    assert r["conditions"]["water"]["status"] == "met"
    assert r["conditions"]["water"]["evidence"]["nearest"]["code"] == "W-A"


def test_a_partial_run_moves_only_its_own_parcels_checked_at(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _district(clean_engine)
    first = _run(clean_engine)
    _yesterday(clean_engine)
    then, then_shown = _started(clean_engine, first.run_id)
    with clean_engine.begin() as c:
        c.execute(text("DELETE FROM parcel_marks"))
        c.execute(text("INSERT INTO parcel_marks SELECT id FROM parcels WHERE code = 'B'"))

    partial = _run(clean_engine, only_marked=True)

    assert partial.parcels_checked == 1 and partial.written == 5  # B's rows, with their time
    client, bureau = _client(clean_engine, make_client)
    with clean_engine.connect() as c:
        now, now_shown = c.execute(
            text(
                "SELECT max(checked_at), to_char(max(checked_at), 'YYYY-MM-DD HH24:MI') "
                "FROM parcel_conditions c JOIN parcels p ON p.id = c.parcel_id WHERE p.code = 'B'"
            )
        ).one()
        covers = c.execute(
            text("SELECT covers FROM readiness_runs WHERE id = :id"), {"id": partial.run_id}
        ).scalar_one()
    assert covers is None and now > then
    assert _api_checked(client, bureau) == {"A": then, "B": now, "C": then}
    assert _export_checked(client, bureau) == {"A": then_shown, "B": now_shown, "C": then_shown}


def test_a_county_run_moves_the_checked_at_of_that_countys_parcels(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    _district(clean_engine)
    _run(clean_engine)
    _yesterday(clean_engine)
    with clean_engine.connect() as c:
        county = c.execute(text("SELECT DISTINCT county FROM parcels")).scalar_one()

    run = _run(clean_engine, county=county)

    assert run.parcels_checked == 3 and run.written == 0
    client, bureau = _client(clean_engine, make_client)
    now, now_shown = _started(clean_engine, run.run_id)
    assert _api_checked(client, bureau) == dict.fromkeys(CODES, now)
    assert _export_checked(client, bureau) == dict.fromkeys(CODES, now_shown)
    # a run over another county checks none of these, and says nothing about them
    other = _run(clean_engine, county="411602")
    assert other.parcels_checked == 0
    assert _api_checked(client, bureau) == dict.fromkeys(CODES, now)


def test_a_later_run_leaves_unchanged_network_rows_unwritten_and_dates_them_itself(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    """A daily run judges as of a later date: a network condition's evidence date is the run's
    (``rules.verified_at_sql``), so the rows whose decision did not change stay unwritten and
    still show the new date; the records' rows keep their records' dates."""
    _district(clean_engine)
    _run(clean_engine)
    before = _rows(clean_engine)
    later = datetime(2024, 7, 3, tzinfo=UTC)

    again = run_readiness(
        clean_engine, settings=settings_for(clean_engine), actor="test", as_of=later
    )

    assert again.written == 0 and again.changed == 0
    assert _rows(clean_engine) == before
    client, bureau = _client(clean_engine, make_client)
    for code in CODES:
        conds = client.get(f"/api/v1/parcels/{code}/readiness", headers=bureau).json()["conditions"]
        for c in ("water", "power", "road"):
            assert datetime.fromisoformat(conds[c]["verified_at"]) == later, (code, c)
        for c in ("leveling", "title"):
            assert conds[c]["verified_at"].startswith("2024-06-01"), (code, c)
    # a run as of an earlier date dates them so again, as when it wrote them
    _run(clean_engine)
    r = client.get("/api/v1/parcels/A/readiness", headers=bureau).json()["conditions"]
    assert datetime.fromisoformat(r["water"]["verified_at"]) == AS_OF


def test_condition_rows_refer_to_existing_parcels_and_go_with_them(clean_engine: Engine) -> None:
    """The parcel reference of the readiness tables is checked per statement (migration
    0010_readiness), as the foreign key did per row, and deleting a parcel deletes its rows."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    _district(clean_engine)
    _run(clean_engine)
    for table, cols, vals in (
        ("parcel_conditions", "parcel_id, condition, status, method", "'water', 'met', 'spatial'"),
        ("condition_history", "parcel_id, condition, new_status, method, actor",
         "'water', 'met', 'spatial', 't'"),
    ):  # fmt: skip
        with pytest.raises(IntegrityError, match="parcel"), clean_engine.begin() as c:
            c.execute(text(f"INSERT INTO {table} ({cols}) VALUES (987654321, {vals})"))  # noqa: S608
    with pytest.raises(IntegrityError, match="cannot change"), clean_engine.begin() as c:
        c.execute(text("UPDATE parcel_conditions SET parcel_id = parcel_id + 1000"))
    with clean_engine.begin() as c:
        pid = c.execute(text("SELECT id FROM parcels WHERE code = 'A'")).scalar_one()
        c.execute(text("DELETE FROM parcels WHERE id = :p"), {"p": pid})
        left = c.execute(
            text(
                "SELECT (SELECT count(*) FROM parcel_conditions WHERE parcel_id = :p) + "
                "(SELECT count(*) FROM condition_history WHERE parcel_id = :p)"
            ),
            {"p": pid},
        ).scalar_one()
    assert left == 0
    assert {code for code, _ in _rows(clean_engine)} == {"B", "C"}


def test_a_network_row_is_rewritten_when_its_evidence_changes_and_its_status_does_not(
    clean_engine: Engine, make_client: ClientFactory
) -> None:
    """A covering run compares a network row's decision key (migration 0013), not the evidence
    it builds only for the rows it writes: a renamed main changes every water row that names it
    (met or not) without a status change; a row stored without a key is written once."""
    _district(clean_engine)
    _run(clean_engine)
    history = _history(clean_engine)
    before = _rows(clean_engine)
    with clean_engine.begin() as c:
        c.execute(text("UPDATE infrastructure SET name = '槐东干管' WHERE code = 'W-B'"))

    again = _run(clean_engine)

    assert again.written == 3 and again.changed == 0
    after = _rows(clean_engine)
    assert {k for k in before if after[k] != before[k]} == {(c, "water") for c in CODES}
    assert _history(clean_engine) == history
    client, bureau = _client(clean_engine, make_client)
    for code, status in (("A", "unmet"), ("B", "met"), ("C", "met")):
        water = client.get(f"/api/v1/parcels/{code}/readiness", headers=bureau).json()[
            "conditions"
        ]["water"]
        assert water["status"] == status
        assert water["evidence"]["nearest"]["name"] == "槐东干管", code
    # A's water is not met: the reason and the nearest main, as the popup reads them
    a = client.get("/api/v1/parcels/A/readiness", headers=bureau).json()["conditions"]["water"]
    assert a["evidence"]["reason"].startswith("no qualifying water main within")
    assert (
        a["evidence"]["nearest"]["code"] == "W-B" and a["evidence"]["nearest"]["distance_m"] > 2000
    )

    # a county's tighter water rule that changes no status still changes every water row's rule
    with clean_engine.begin() as c:
        c.execute(
            text(
                "UPDATE counties SET readiness = CAST(:r AS jsonb) "
                "WHERE code = (SELECT DISTINCT county FROM parcels)"
            ),
            {"r": '{"water": {"max_distance_m": 150}}'},
        )
    before = _rows(clean_engine)
    tighter = _run(clean_engine)
    assert tighter.written == 3 and tighter.changed == 0
    after = _rows(clean_engine)
    assert {k for k in before if after[k] != before[k]} == {(c, "water") for c in CODES}
    b = client.get("/api/v1/parcels/B/readiness", headers=bureau).json()["conditions"]["water"]
    assert b["status"] == "met" and b["evidence"]["rule"]["max_distance_m"] == 150

    # rows stored before the key existed (or by hand) carry none: the next run writes them once
    with clean_engine.begin() as c:
        c.execute(text("UPDATE parcel_conditions SET decision = NULL"))
    before = _rows(clean_engine)
    once = _run(clean_engine)
    assert once.written == 9 and once.changed == 0
    after = _rows(clean_engine)
    assert {k[1] for k in before if after[k] != before[k]} == {"water", "power", "road"}
    assert _run(clean_engine).written == 0
