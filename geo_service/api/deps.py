"""Dependencies of the routes, in one import: the request's context (``api/context.py``: settings,
session, principal, paging), the role gate (here), If-Match (``api/if_match.py``) and the body
size limit (``api/body_size.py``).

``Annotated`` aliases keep routes short: ``SessionDep``, ``SettingsDep``, ``PrincipalDep``,
``PageDep``, ``IfMatchDep``; ``require("parcels.write")`` is a route's gate: it admits the roles
the policy table lists for that action (401 without a token, 403 for the wrong role).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from geo_service.api.body_size import BodySizeLimit
from geo_service.api.context import (
    Page,
    PageDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    get_principal,
    get_session,
    get_settings,
)
from geo_service.api.if_match import (
    IF_MATCH_PATTERN,
    OPTIONAL_IF_MATCH_PATTERN,
    IfMatch,
    IfMatchDep,
    OptionalIfMatchDep,
    check_if_match,
    etag,
    optional_if_match,
)
from geo_service.auth import policy
from geo_service.auth.tokens import ROLES, Principal
from geo_service.counties import scope as county_scope
from geo_service.errors import (
    ConfigurationError,
    Forbidden,
    Unauthorized,
)

__all__ = [
    "GATE_ATTR", "IF_MATCH_PATTERN", "OPTIONAL_IF_MATCH_PATTERN", "BodySizeLimit", "Gate",
    "IfMatch", "IfMatchDep", "OptionalIfMatchDep", "Page", "PageDep", "PrincipalDep",
    "SessionDep", "SettingsDep", "admit", "admit_scoped", "check_if_match", "etag",
    "get_principal", "get_session", "get_settings", "open_route", "optional_if_match",
    "require", "require_action", "require_by",
]  # fmt: skip


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
