"""What a route gets about its request: the settings, a session (a read replica for reads, one
committed transaction for writes), the caller (``Principal``) and limit/offset paging, as
``Annotated`` aliases (``SettingsDep``, ``SessionDep``, ``PrincipalDep``, ``PageDep``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from geo_service.api import read_your_writes
from geo_service.auth.tokens import PUBLIC, Principal, TouchThrottle, resolve, touch
from geo_service.db.replica import ReadRouter
from geo_service.errors import (
    InvalidInput,
    Unauthorized,
)
from geo_service.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the route returns without error.

    Reads (GET/HEAD) use the read replica when GEO_SERVICE_READ_REPLICA_URL is set (see
    db/replica.py and api/read_your_writes.py). Scope "function": the commit is done before the
    answer is sent, so a client that got its 2xx reads its write.
    """
    state = request.app.state
    router: ReadRouter | None = getattr(state, "read_router", None)
    if request.method in ("GET", "HEAD") and router is not None:
        with router.read_session(read_your_writes.client_lsn(request)) as session:
            try:
                yield session
            except DBAPIError as exc:
                router.failed(session, exc)  # a replica lost mid-read: the next read skips it
                raise
            session.commit()
        return
    with state.sessionmaker() as session:
        with session.begin():
            yield session
        if router is not None and (lsn := router.write_lsn(session)):
            setattr(request.state, read_your_writes.STATE_ATTR, lsn)


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """The caller: no token is the public; a bad token is 401, never a silent downgrade."""
    token = None
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("Authorization must be 'Bearer <token>'")
        token = value.strip()
    elif "gs_token" in request.cookies:
        token = request.cookies["gs_token"]
    if token is None:
        return PUBLIC
    principal = resolve(session, token)
    state = request.app.state
    throttle: TouchThrottle | None = getattr(state, "touch_throttle", None)
    if throttle is None:
        throttle = state.touch_throttle = TouchThrottle()
    if throttle.due(token, time.monotonic()):
        if request.method not in ("GET", "HEAD") or session.get_bind() is state.engine:
            # the request's own connection and transaction: no second pooled connection
            touch(session, token)
        else:
            # reads are on a replica: last use goes to the primary, at most once a minute
            with state.sessionmaker() as primary, primary.begin():
                touch(primary, token)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


class Page:
    """limit/offset paging bounded by the configured maximum."""

    def __init__(
        self,
        settings: SettingsDep,
        limit: Annotated[int | None, Query(ge=1, description="page size")] = None,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> None:
        if limit is not None and limit > settings.max_page_size:
            raise InvalidInput(
                f"limit may be at most {settings.max_page_size}; page with offset for more"
            )
        self.limit = limit or settings.default_page_size
        self.offset = offset


PageDep = Annotated[Page, Depends(Page)]
