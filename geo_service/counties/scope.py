"""The county wall: ONE rule, declared per policy action, enforced by the database.

* ``auth.policy.COUNTY_RULES`` says, for every action, how a route gated by it is scoped:
  ``"county"`` (walled: a county token sees and changes only its county; ``county=`` narrows the
  view to one county for everyone), ``"city"`` (city-wide only: a county token gets 403) or
  ``"none"`` (not county data: the list of counties).
* The route's gate (``api.deps.require``) calls :func:`enter` with its action: it checks the
  ``county=`` parameter (422 naming it for an unknown code) and scopes the request's transaction.
* Scoping a transaction = ``SET LOCAL ROLE gs_scoped`` + ``geo_service.county``; the row-level
  security policies of migration 0006 then filter every table by county — every query of every
  module (lists, stats, maps, tiles, exports, OGC, reports), reads and writes alike, without a
  ``WHERE county`` of its own. Rows of another county do not exist for the request: a record is
  404 and cannot be changed, a list leaves it out, an insert lands in the scoped county.
* Work that opens its own connections in the request (exports, imports, readiness runs) gets the
  same scope: :data:`_current` holds it and every transaction begun while it is set is scoped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session

from geo_service.errors import Forbidden, InvalidInput

ROLE = "gs_scoped"
_CODE = re.compile(r"^[0-9]{6}$")

#: the county the current request (or CLI command) is scoped to
_current: ContextVar[str | None] = ContextVar("geo_service_county", default=None)
#: the county of the caller's token (None: a city-wide token or the public), for the switcher
_viewer: ContextVar[str | None] = ContextVar("geo_service_viewer_county", default=None)


def current() -> str | None:
    """The county this request or command is scoped to (None: the whole city)."""
    return _current.get()


def viewer() -> str | None:
    """The county the caller's token is scoped to (None: city-wide or the public)."""
    return _viewer.get()


def in_view(session: Session) -> str | None:
    """The county the open transaction is walled to (the wall's own setting), else the
    request's or command's (:func:`current`); None: the whole city."""
    walled = session.execute(
        text("SELECT nullif(current_setting('geo_service.county', true), '')")
    ).scalar()
    return walled or current()


def apply(session: Session | Connection, county: str) -> None:
    """Scope the open transaction of ``session`` to ``county``."""
    session.execute(text("SELECT set_config('geo_service.county', :c, true)"), {"c": county})
    session.execute(text(f"SET LOCAL ROLE {ROLE}"))


def leave(session: Session | Connection) -> None:
    """Undo :func:`apply` in the open transaction (back to the whole city)."""
    session.execute(text("SELECT set_config('geo_service.county', '', true)"))
    session.execute(text("RESET ROLE"))


@event.listens_for(Engine, "begin")
def _scope_new_transaction(conn: Connection) -> None:
    county = _current.get()
    if county is None:
        return
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute("SELECT set_config('geo_service.county', %s, true)", (county,))
        cur.execute(f"SET LOCAL ROLE {ROLE}")
    finally:
        cur.close()


@contextmanager
def scoped(county: str | None) -> Iterator[None]:
    """Every transaction begun inside the block is scoped to ``county`` (None: no scope)."""
    token = _current.set(county)
    try:
        yield
    finally:
        _current.reset(token)


def check_code(session: Session, code: str, *, field: str = "county") -> str:
    """``code`` if it names a county; InvalidInput (422) naming ``field`` otherwise."""
    value = code.strip()
    if not _CODE.match(value):
        raise InvalidInput(
            f"{field}: {code[:20]!r} is not a division code (6 digits, e.g. 411603); "
            "see GET /api/v1/counties",
            zh=f"县区代码 {code[:20]!r} 不是行政区划代码（6 位数字，如 411603）",
        )
    found = session.execute(text("SELECT 1 FROM counties WHERE code = :c"), {"c": value}).first()
    if found is None:
        raise InvalidInput(
            f"{field}: no county {value!r} on this service; see GET /api/v1/counties for the codes",
            zh=f"本平台没有县区 {value!r}；请在页面的县区选择中选一个",
        )
    return value


def enter(session: Session, rule: str, token_county: str | None, asked: str | None) -> str | None:
    """Scope the request by its action's county ``rule``; returns the county it is scoped to.

    ``token_county``: the caller's token's county (None: city-wide or the public); ``asked``: the
    request's ``county=`` parameter.
    """
    _viewer.set(token_county)
    if asked is not None and not asked.strip():
        asked = None  # ``county=`` sent empty (a form left at 全市) counts as not sent
    if rule == "none":
        if asked is not None:
            check_code(session, asked)
        return None
    if rule == "city":
        if token_county is not None:
            raise Forbidden(
                f"this is city-wide information; the token is scoped to county {token_county} "
                "(ask for a city-wide token: geo-service token create without --county)"
            )
        if asked is not None:
            check_code(session, asked)
        return None
    if rule != "county":
        raise ValueError(f"unknown county rule {rule!r}")
    county = check_code(session, asked) if asked is not None else None
    if token_county is not None and county is not None and county != token_county:
        raise Forbidden(
            f"county: the token is scoped to county {token_county}; it may not read or change "
            f"county {county}"
        )
    county = county or token_county
    if county is not None:
        apply(session, county)
        _current.set(county)
    return county
