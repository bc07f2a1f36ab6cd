"""The supply tables read and written as plain rows: the day judged, a parcel's row and its
events, the effective history, JSON conversions, and the projects built on a parcel."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.errors import InvalidInput, NotFound
from geo_service.supply.events import Event, sort_key


def today() -> date:
    return datetime.now(UTC).date()


def judging_day(as_of: date | None) -> date:
    """The day to judge; 422 for a day outside 1990–2100 (no clock runs that far)."""
    if as_of is None:
        return today()
    if not (date(1990, 1, 1) <= as_of <= date(2100, 12, 31)):
        raise InvalidInput(f"as_of = {as_of:%Y-%m-%d} must lie between 1990-01-01 and 2100-12-31")
    return as_of


_PARCEL = (
    "SELECT id, code, name, published, supply_stage, indicators, county FROM parcels "
    "WHERE code = :c"
)
_PARCEL_FOR_UPDATE = _PARCEL + " FOR UPDATE"


def parcel_row(session: Session, code: str, *, lock: bool = False) -> Mapping[str, Any]:
    sql = _PARCEL_FOR_UPDATE if lock else _PARCEL
    row = session.execute(text(sql), {"c": code}).mappings().first()
    if row is None:
        raise NotFound(f"no parcel {code!r}; list parcels with GET /api/v1/parcels")
    return dict(row)


def event_rows(session: Session, parcel_id: int) -> list[Mapping[str, Any]]:
    return [
        dict(r)
        for r in session.execute(
            text(
                "SELECT e.id, e.event, e.occurred_on, e.document_ref, e.file_ref, e.data, "
                "e.corrects_id, e.note, e.recorded_by, e.recorded_at, c.id AS corrected_by "
                "FROM supply_events e LEFT JOIN supply_events c ON c.corrects_id = e.id "
                "WHERE e.parcel_id = :p ORDER BY e.occurred_on, e.id"
            ),
            {"p": parcel_id},
        ).mappings()
    ]


def effective(rows: Iterable[Mapping[str, Any]]) -> list[Event]:
    """The history as it counts: events not corrected by a later one."""
    return sorted(
        (
            Event(r["id"], r["event"], r["occurred_on"], dict(r["data"] or {}))
            for r in rows
            if r["corrected_by"] is None
        ),
        key=sort_key,
    )


def jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    return v


def numbers(v: Any) -> Any:
    """Money and measures as JSON numbers (exact Decimals inside, 2 decimals at most)."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dict):
        return {k: numbers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [numbers(x) for x in v]
    return v


def dumps(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def event_out(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "event": r["event"],
        "on": r["occurred_on"],
        **(r["data"] or {}),
        "document_ref": r["document_ref"],
        "file_ref": r["file_ref"],
        "note": r["note"],
        "recorded_by": r["recorded_by"],
        "recorded_at": r["recorded_at"],
        "corrects": r["corrects_id"],
        "corrected_by": r["corrected_by"],
        "counts": r["corrected_by"] is None,
    }


_PROJECTS = text(
    """
    SELECT j.code, j.name, j.status, j.leader, j.signed_on, j.actual_start, j.actual_completion,
           (SELECT count(*) FROM problems b WHERE b.project_id = j.id) AS problems,
           (SELECT count(*) FROM problems b WHERE b.project_id = j.id
              AND b.status <> 'resolved') AS problems_open,
           (SELECT count(*) FROM visits v WHERE v.project_id = j.id) AS visits,
           (SELECT max(v.visited_on) FROM visits v WHERE v.project_id = j.id) AS last_visit
    FROM projects j WHERE j.parcel_id = :p ORDER BY j.code
    """
)


def projects_on(session: Session, parcel_id: int) -> list[dict[str, Any]]:
    """The key projects built on the parcel (the ledger's linked parcel), with their problems
    and visits: the parcel → project → problems lineage."""
    return [
        {**dict(r), "href": f"/api/v1/projects/{r['code']}"}
        for r in session.execute(_PROJECTS, {"p": parcel_id}).mappings()
    ]
