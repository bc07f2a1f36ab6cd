"""The ``county`` query parameter in the OpenAPI document (issue 14).

Every route whose policy action has the county rule ``county`` (``auth.policy.COUNTY_RULES``)
takes ``county=CODE``: the same answer narrowed to one county (the gate reads it from the query,
``counties.scope.enter``, so FastAPI does not see it as a parameter). :func:`document_county`
declares it on those operations, with what it does and what an unknown or foreign code answers.
"""

from __future__ import annotations

from typing import Any

from geo_service.api.deps import Gate
from geo_service.auth import policy

COUNTY_PARAMETER: dict[str, Any] = {
    "name": "county",
    "in": "query",
    "required": False,
    # sent empty it counts as not sent (the whole city), on every method
    "schema": {"type": "string", "pattern": "^([0-9]{6})?$", "examples": ["411603"]},
    "description": (
        "one county (its administrative division code, see GET /api/v1/counties): the same "
        "answer narrowed to that county; without it the whole city (every county the caller "
        "may see). An unknown code is 422 naming `county`; a county token asking for another "
        "county is 403."
    ),
}


def takes_county(gate: Gate | None) -> bool:
    """Whether the route's county rule narrows by ``county=`` (rule ``county``)."""
    if gate is None:
        return False
    actions = [a for a in gate.actions().values() if a is not None]
    return any(policy.COUNTY_RULES.get(a) == "county" for a in actions)


def document_county(op: dict[str, Any], gate: Gate | None) -> None:
    """Declare ``county`` on ``op`` when its gate's county rule takes it (once)."""
    if not takes_county(gate):
        return
    params = op.setdefault("parameters", [])
    if not any(p.get("name") == "county" and p.get("in") == "query" for p in params):
        params.append(dict(COUNTY_PARAMETER))
