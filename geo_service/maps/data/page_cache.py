"""Per-process memory of what map pages compute over every parcel, keyed by the data's version.

A map page at 100 000 parcels spends most of its build on figures over all parcels (the extent
the map opens on, the investor map's plots on offer, the readiness count and list) that change
only when the data does. Each worker keeps them here, keyed by :func:`page_version`, read from
the database on every page (one short statement), so the first page after a write — on any
worker, on any host — computes them anew, and losing this memory only costs recomputing:

* ``data_version`` — bumped in the same transaction by every write to parcels, conditions,
  zones, projects (migration ``0005_scale``) and assessment areas (``0009_tile_store``; the plots
  on offer depend on them; docs/scale.md);
* the database's ``current_date``: an assessment lapses at midnight without any write;
* the county the transaction is walled to (row-level security: another county's rows do not
  exist for the request) and the database the session is bound to.

Callers add what else their figure depends on (filters, settings) to the key.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.counties import scope

T = TypeVar("T")

#: at most this many figures per process (the oldest used is dropped first)
MAX_ENTRIES = 128

VERSION_SQL = "SELECT (SELECT version FROM data_version WHERE id = 1), current_date"

_lock = threading.Lock()
_memory: OrderedDict[Hashable, Any] = OrderedDict()
_SESSION_KEY = "gs_page_version"


def page_version(session: Session) -> tuple[Hashable, ...]:
    """What every cached page figure depends on besides its own inputs (see the module doc);
    read once per transaction of ``session``."""
    tx = session.get_transaction()
    memo = session.info.get(_SESSION_KEY)
    if tx is not None and memo is not None and memo[0] is tx:
        key: tuple[Hashable, ...] = memo[1]
        return key
    version, today = session.execute(text(VERSION_SQL)).one()
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    key = (url, scope.in_view(session), version, today)
    session.info[_SESSION_KEY] = (session.get_transaction(), key)
    return key


def cached(session: Session, name: str, inputs: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave before for ``name`` and ``inputs`` under the same
    :func:`page_version` (a copy: a caller may change what it gets)."""
    key = (name, inputs, page_version(session))
    with _lock:
        if key in _memory:
            _memory.move_to_end(key)
            return copy.deepcopy(_memory[key])  # type: ignore[no-any-return]
    value = compute()
    with _lock:
        _memory[key] = copy.deepcopy(value)
        _memory.move_to_end(key)
        while len(_memory) > MAX_ENTRIES:
            _memory.popitem(last=False)
    return value


def forget() -> None:
    """Drop every remembered figure (tests; never needed for correctness)."""
    with _lock:
        _memory.clear()
