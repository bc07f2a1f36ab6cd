"""Bulk writes that build ``parcel_summary`` once, set-based, instead of through its triggers.

``parcel_summary`` is kept by triggers (migrations 0005, 0006); migration 0007 lets a transaction
skip them (``geo_service.summary_deferred``) and gives the builders made from the same SQL. A
bulk writer wraps its statements in :func:`deferred` and calls :func:`add` for the parcels it
inserted and :func:`refresh` for the parcels whose conditions it changed, in the same
transaction: the stored summary is then the one the triggers would have stored
(``tests/test_tiles_scale.py`` compares it with the computed one after every kind of write).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

SETTING = "geo_service.summary_deferred"


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """The summary triggers are off for the statements inside (this transaction only); the
    previous value comes back after, so a deferred block may sit inside another."""
    before = session.execute(
        text("SELECT coalesce(current_setting(:k, true), '')"), {"k": SETTING}
    ).scalar_one()
    session.execute(text("SELECT set_config(:k, 'on', true)"), {"k": SETTING})
    try:
        yield
    finally:
        session.execute(text("SELECT set_config(:k, :v, true)"), {"k": SETTING, "v": before})


def add(session: Session, parcel_ids: Sequence[int]) -> None:
    """The summary rows of parcels inserted while the triggers were deferred."""
    if parcel_ids:
        session.execute(
            text("SELECT gs_parcel_summary_add(CAST(:ids AS bigint[]))"), {"ids": list(parcel_ids)}
        )


def refresh_from(session: Session, query: str) -> None:
    """Refresh the readiness counts of the parcels ``query`` (``SELECT parcel_id …``) names."""
    session.execute(text(f"SELECT gs_parcel_summary_refresh(ARRAY({query}))"))
