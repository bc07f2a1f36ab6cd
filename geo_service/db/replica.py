"""Which database a read goes to: the read replica when it answers and is fresh enough, else the
primary.

``ReadRouter.read_session(min_lsn)`` hands out a session on the replica unless

* no replica is configured (``GEO_SERVICE_READ_REPLICA_URL`` unset),
* the replica failed to connect less than ``GEO_SERVICE_READ_REPLICA_RETRY_S`` ago (then reads go
  to the primary; the first read after that window tries the replica again, so a standby that
  comes back is used again without a restart), or
* the caller has written and carries the primary's WAL position after its write (``min_lsn``,
  see :mod:`geo_service.api.read_your_writes`) and the replica has not replayed that far yet.

``ReadRouter.report()`` is the replica part of ``/readyz``: in use or not, and its lag.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

log = logging.getLogger("geo_service.db")

#: a WAL position as PostgreSQL prints it (pg_lsn): ``16/B374D848``
LSN_PATTERN = re.compile(r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$")


class ReadRouter:
    """Routes reads between the primary and an optional replica (see the module docstring)."""

    def __init__(self, primary: Engine, replica: Engine | None, retry_s: float = 5.0) -> None:
        self.primary = primary
        self.replica = replica
        self.retry_s = retry_s
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _replica_due(self) -> bool:
        return self.replica is not None and time.monotonic() >= self._down_until

    def _mark_down(self, exc: BaseException) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.retry_s
        log.warning(
            "read replica unavailable (%s); reads go to the primary for %.0f s",
            type(exc).__name__,
            self.retry_s,
        )

    def read_session(self, min_lsn: str | None = None) -> Session:
        """A session for a read: on the replica if it answers and has replayed ``min_lsn``."""
        if self.replica is not None and self._replica_due():
            session = Session(self.replica, expire_on_commit=False)
            try:
                if min_lsn is None or LSN_PATTERN.match(min_lsn) is None:
                    session.connection()  # check out now: a dead replica fails here, not later
                    return session
                caught_up = session.execute(
                    text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"),
                    {"lsn": min_lsn},
                ).scalar()
                if caught_up:
                    return session
                session.close()  # behind the caller's own write: read it from the primary
            except DBAPIError as exc:
                session.close()
                self._mark_down(exc)
        return Session(self.primary, expire_on_commit=False)

    def failed(self, session: Session, exc: DBAPIError) -> None:
        """A read failed: when it lost its replica connection, skip the replica for a while."""
        replica = self.replica
        if exc.connection_invalidated and replica is not None and session.get_bind() is replica:
            self._mark_down(exc)

    def write_lsn(self, session: Session) -> str | None:
        """The primary's WAL position now (after a commit), or None without a replica."""
        if self.replica is None:
            return None
        lsn = session.execute(text("SELECT pg_current_wal_insert_lsn()::text")).scalar()
        return str(lsn) if lsn is not None else None

    def report(self) -> dict[str, Any] | None:
        """The replica's state for ``/readyz``: ``None`` without a replica."""
        if self.replica is None:
            return None
        out: dict[str, Any] = {
            "configured": True,
            "in_use": False,
            "in_recovery": None,
            "replay_paused": None,
            "lag_bytes": None,
            "lag_s": None,
        }
        try:
            with self.replica.connect() as conn:
                row = conn.execute(
                    text(
                        "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
                        "CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END, "
                        # no lag while everything received is applied (an idle primary would
                        # otherwise look like a growing lag)
                        "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                        "ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"
                    )
                ).one()
        except DBAPIError as exc:
            self._mark_down(exc)
            out["error"] = "the replica does not answer; reads go to the primary"
            return out
        in_recovery, replay_lsn, paused, lag_s = row
        out.update(in_recovery=bool(in_recovery), replay_paused=paused)
        out["lag_s"] = round(float(lag_s), 3) if lag_s is not None else None
        if replay_lsn is not None:
            try:
                with self.primary.connect() as conn:
                    lag = conn.execute(
                        text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), CAST(:l AS pg_lsn))"),
                        {"l": replay_lsn},
                    ).scalar()
                out["lag_bytes"] = max(int(lag), 0) if lag is not None else None
            except SQLAlchemyError:
                pass  # the primary's own state is the rest of /readyz
        with self._lock:
            self._down_until = 0.0  # it answered: use it again now
        out["in_use"] = True
        return out
