"""Dependencies: the session, the principal, paging. ``Annotated`` aliases keep routes short."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session

from geo_service.auth.tokens import PUBLIC, Principal, resolve
from geo_service.errors import Forbidden, InvalidInput, Unauthorized
from geo_service.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the route returns without error."""
    factory = request.app.state.sessionmaker
    with factory() as session, session.begin():
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


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
    return resolve(session, token)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: str):  # type: ignore[no-untyped-def]
    """A dependency that admits only the given roles (401 without a token, 403 for others)."""

    def _check(principal: PrincipalDep) -> Principal:
        if principal.role is None:
            raise Unauthorized(f"this needs a bearer token of role {' or '.join(roles)}")
        if principal.role not in roles:
            raise Forbidden(
                f"role {principal.role!r} may not do this; it needs {' or '.join(roles)}"
            )
        return principal

    return Depends(_check)


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
