"""Dependencies: the session, the principal, roles, If-Match, paging, body size.

``Annotated`` aliases keep routes short: ``SessionDep``, ``SettingsDep``, ``PrincipalDep``,
``PageDep``, ``IfMatchDep``; ``require("parcels.write")`` is a route's gate: it admits the roles
the policy table lists for that action (401 without a token, 403 for the wrong role).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

from fastapi import Depends, Header, Query, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo_service.api import read_your_writes
from geo_service.auth import policy
from geo_service.auth.tokens import PUBLIC, ROLES, Principal, TouchThrottle, resolve, touch
from geo_service.counties import scope as county_scope
from geo_service.db.replica import ReadRouter
from geo_service.errors import (
    ConfigurationError,
    Forbidden,
    InvalidInput,
    PreconditionRequired,
    TooLarge,
    Unauthorized,
    check_version,
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


# ------------------------------------------------------------------ the role gate

#: attribute on a gate's dependency callable holding its :class:`Gate` (read by api/openapi.py
#: to write ``security`` and ``x-roles``, and by tests/test_roles.py to build the route matrix)
GATE_ATTR = "__policy_gate__"


@dataclass(frozen=True)
class Gate:
    """What a route asks of ``auth.policy``.

    ``action``: the policy action every caller needs (``None``: the route never looks at the
    caller). ``param``/``by``: the action depends on a path parameter's value (``by``: value →
    action), e.g. the exports route: ``parcels`` is public, ``projects`` is internal.
    """

    action: str | None
    param: str | None = None
    by: tuple[tuple[str, str], ...] = ()

    def actions(self) -> dict[str | None, str | None]:
        """Path-parameter value (``None``: any) → action."""
        if self.param is None:
            return {None: self.action}
        return dict(self.by)


def admit(principal: Principal, action: str) -> Principal:
    """``principal`` if the policy lets it do ``action``; else 401 without a token, 403."""
    if policy.can(principal, action):
        return principal
    _refuse(principal, action)


def admit_scoped(
    request: Request, session: Session, principal: Principal, action: str
) -> Principal:
    """:func:`admit`, then the county wall: the request scoped by the action's county rule."""
    admit(principal, action)
    county_scope.enter(
        session,
        policy.county_rule(action),
        principal.county,
        request.query_params.get("county"),
    )
    return principal


def _refuse(principal: Principal, action: str) -> NoReturn:
    wanted = " or ".join(sorted(policy.roles_for(action)))
    if principal.role is None:
        raise Unauthorized(
            f"this needs a bearer token of role {wanted} (policy action {action!r}): "
            "send 'Authorization: Bearer <token>'"
        )
    raise Forbidden(
        f"role {principal.role!r} may not do this (policy action {action!r}); it needs {wanted}"
    )


def _mark(func: Any, gate: Gate) -> Any:
    setattr(func, GATE_ATTR, gate)
    return Depends(func)


def require(action: str, *more: str) -> Any:
    """The route's gate: admits the roles ``auth.policy.ACTIONS[action]`` lists.

    The table is read at request time (editing ``ACTIONS`` changes behaviour); an unknown action
    fails at import. Use it as ``dependencies=[require("parcels.write")]`` or
    ``principal: Annotated[Principal, require("projects.write")]``.
    """
    if more or action in ROLES:
        raise ConfigurationError(
            f"require({', '.join(map(repr, (action, *more)))}): a gate names ONE policy action "
            "(e.g. require('projects.read')); the roles live in geo_service.auth.policy.ACTIONS"
        )
    policy.roles_for(action)  # fails at import time for an unknown action
    policy.county_rule(action)

    async def _gate(request: Request, principal: PrincipalDep, session: SessionDep) -> Principal:
        # async: the county scope it sets (a context variable) holds for the whole request
        return admit_scoped(request, session, principal, action)

    return _mark(_gate, Gate(action))


#: the older name of :func:`require`
require_action = require


def require_by(param: str, actions: dict[str, str]) -> Any:
    """A gate whose action depends on the value of path parameter ``param``.

    A value missing from ``actions`` passes the gate (the route's own type refuses it, 422).
    """
    for action in actions.values():
        policy.roles_for(action)
        policy.county_rule(action)

    async def _gate(request: Request, principal: PrincipalDep, session: SessionDep) -> Principal:
        action = actions.get(str(request.path_params.get(param)))
        return principal if action is None else admit_scoped(request, session, principal, action)

    return _mark(_gate, Gate(None, param, tuple(actions.items())))


def open_route() -> Any:
    """The gate of a route that never looks at the caller (probes, docs, the sign-in form)."""

    def _open() -> None:
        return None

    return _mark(_open, Gate(None))


# ------------------------------------------------------------------ concurrent edits


def etag(version: int) -> str:
    """The strong ETag of a record version: ``"<version>"``."""
    return f'"{version}"'


#: an ETag list as If-Match takes it: ``"3"``, ``W/"3"``, ``3``, or several separated by commas
IF_MATCH_PATTERN = r'^(?:W/)?"?[0-9]{1,18}"?(?: *, *(?:W/)?"?[0-9]{1,18}"?)*$'
OPTIONAL_IF_MATCH_PATTERN = r"^(?:|\*|" + IF_MATCH_PATTERN[1:-1] + ")$"
_ETAG = re.compile(r'(?:W/)?"?([0-9]{1,18})"?')


def _parse_if_match(value: str) -> frozenset[int]:
    versions = set()
    for part in value.split(","):
        tag = part.strip()
        if tag.strip('"') == "*":
            raise PreconditionRequired(
                "If-Match: * would overwrite any version; send the ETag of your last GET, "
                'e.g. If-Match: "3"'
            )
        m = _ETAG.fullmatch(tag)
        if m is None:
            raise InvalidInput(
                f'If-Match must be the ETag of your last GET of this record, e.g. "3"; '
                f"got {value[:50]!r}"
            )
        versions.add(int(m.group(1)))
    return frozenset(versions)


class IfMatch:
    """The versions named by the request's ``If-Match`` header (428 when it is missing)."""

    def __init__(
        self,
        if_match: Annotated[
            str | None,
            Header(
                max_length=200,
                description='the ETag of your last GET of this record, e.g. "3" (required: '
                "428 without it, 412 when it is not the current version)",
                json_schema_extra={"pattern": IF_MATCH_PATTERN},
            ),
        ] = None,
    ) -> None:
        if if_match is None or not if_match.strip():
            raise PreconditionRequired(
                "this update needs an If-Match header with the ETag of your last GET of the "
                'record (e.g. If-Match: "3"), so that nobody\'s change is overwritten'
            )
        self.versions = _parse_if_match(if_match)

    def check(self, current_version: int) -> None:
        """StaleVersion (412, with the current version) unless the header names it."""
        check_version(current_version, self.versions)


IfMatchDep = Annotated[IfMatch, Depends(IfMatch)]


def optional_if_match(
    if_match: Annotated[
        str | None,
        Header(
            max_length=200,
            description='optional: the ETag of your last GET, e.g. "3"; `*` or empty = any',
            json_schema_extra={"pattern": OPTIONAL_IF_MATCH_PATTERN},
        ),
    ] = None,
) -> frozenset[int] | None:
    """For appends that lose nothing (an attestation adds a record): checked only when sent."""
    if if_match is None or if_match.strip() in ("", "*"):
        return None
    return _parse_if_match(if_match)


OptionalIfMatchDep = Annotated[frozenset[int] | None, Depends(optional_if_match)]


def check_if_match(request: Request, current_version: int) -> None:
    """428 without If-Match, 412 (with the current version in the body) when it is stale."""
    IfMatch(request.headers.get("if-match")).check(current_version)


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


# ------------------------------------------------------------------ body size


class BodySizeLimit:
    """Refuse request bodies over the configured size with 413 before reading them.

    ``Settings.max_body_bytes`` for JSON and other bodies, ``Settings.max_upload_bytes`` for
    ``multipart/form-data`` uploads. Works with and without ``Content-Length`` (chunked bodies are
    counted as they arrive).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings: Settings = scope["app"].state.settings
        headers = dict(scope.get("headers") or [])
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = settings.max_upload_bytes if upload else settings.max_body_bytes
        what = "upload" if upload else "request body"
        length = headers.get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            await _send_413(send, what, limit)
            return

        if length is None and scope.get("method") in ("POST", "PUT", "PATCH"):
            # a chunked body: read it here, up to the limit, so the answer is a clean 413 (a
            # limit hit inside the framework's body parser would surface as a vague 400)
            messages: list[Message] = []
            received = 0
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                received += len(message.get("body", b""))
                if received > limit:
                    await _send_413(send, what, limit)
                    return
                if not message.get("more_body", False):
                    break

            async def replay() -> Message:
                return messages.pop(0) if messages else await receive()

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)


async def _send_413(send: Send, what: str, limit: int) -> None:
    err = TooLarge(
        f"the {what} is larger than the limit of {limit} bytes "
        f"(GEO_SERVICE_MAX_{'UPLOAD' if what == 'upload' else 'BODY'}_BYTES); "
        "send less, e.g. split the file or fewer features per request"
    )
    body = json.dumps(
        {
            "type": "about:blank",
            "title": err.title,
            "status": err.status,
            "detail": err.public,
            "limit_bytes": limit,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
