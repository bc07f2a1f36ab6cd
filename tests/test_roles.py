"""Every route × every role, the expectations READ FROM the policy table.

Each route declares its gate (``require("action")``, ``require_by(param, {value: action})`` or
``open_route()`` in geo_service/api/deps.py); the roles an action admits are
``geo_service.auth.policy.ACTIONS``. So:

* a route added without a gate fails ``test_every_route_names_a_policy_action``;
* editing ``ACTIONS`` changes who gets through (``test_editing_actions_changes_behaviour``);
* ``test_every_route_against_every_role`` calls every route as every caller and checks the
  answer against what the policy says: ``OK`` (a GET answers 2xx; another method anything but
  401/403/5xx — requests carry no body, so an admitted write usually answers 422), or 401 / 403
  with a problem JSON body, never a partial answer.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from geo_service.api.deps import Gate
from geo_service.auth import policy
from geo_service.db.engine import transaction
from tests.helpers import token
from tests.route_matrix import (
    CALLERS,
    FRAMEWORK,
    OK,
    Caller,
    app_routes,
    cases,
    route_gates,
    sample_path,
    seed,
)


@pytest.fixture
def seeded(client: TestClient, clean_engine: Engine) -> tuple[TestClient, dict[str, Any]]:
    codes = seed(clean_engine)
    headers: dict[Caller, dict[str, str]] = {None: {}}
    for role in CALLERS[1:]:
        assert role is not None
        headers[role] = token(clean_engine, role)
    return client, {"codes": codes, "headers": headers}


def test_every_route_names_a_policy_action(client: TestClient) -> None:
    gates = route_gates(client.app)
    missing = [f"{m} {p}" for (m, p), g in gates.items() if g is None and p not in FRAMEWORK]
    assert not missing, (
        "routes without exactly one policy gate: give each `dependencies=[require(ACTION)]` "
        "(geo_service/api/deps.py; the action in geo_service/auth/policy.py ACTIONS), or "
        "`open_route()` if it never looks at the caller: " + ", ".join(missing)
    )
    served = {mp for mp in app_routes(client.app) if mp[1] not in FRAMEWORK}
    assert served == {mp for mp in gates if mp[1] not in FRAMEWORK}


def test_internal_lists_are_never_public() -> None:
    """The policy table itself: what the public must never reach stays internal."""
    for action, roles in policy.ACTIONS.items():
        if action.split(".")[0] in ("projects", "problems", "visits", "audit", "imports"):
            assert not roles & {policy.PUBLIC, "investor"}, action
        if action.endswith((".write", ".internal", ".read_internal")):
            assert not roles & {policy.PUBLIC, "investor"}, action


def _check(
    client: TestClient, ctx: dict[str, Any], want_by_case: list[Any], callers: tuple[Caller, ...]
) -> list[str]:
    failures = []
    # reads first: a write (e.g. a readiness run) may change what the reads find
    for method, path, given, expected in sorted(want_by_case, key=lambda c: c[0] != "GET"):
        url = sample_path(path, ctx["codes"], given)
        for caller in callers:
            r = client.request(method, url, headers=ctx["headers"][caller])
            want = expected[caller]
            if want == OK:
                good = (
                    (200 <= r.status_code < 300)
                    if method == "GET"
                    else (r.status_code not in (401, 403) and r.status_code < 500)
                )
            else:
                good = r.status_code == want and r.headers.get("content-type", "").startswith(
                    "application/problem+json"
                )
            if not good:
                failures.append(
                    f"{method} {url} as {caller or 'public'}: {r.status_code} "
                    f"(want {want}) {r.text[:160]}"
                )
    return failures


def test_every_route_against_every_role(seeded: tuple[TestClient, dict[str, Any]]) -> None:
    client, ctx = seeded
    all_cases = cases(client.app)
    assert len(all_cases) > 40
    failures = _check(client, ctx, all_cases, CALLERS)
    assert not failures, "\n".join(failures)


def test_editing_actions_changes_behaviour(
    seeded: tuple[TestClient, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table is the gate: give investors audit.read and exports.internal, take parcels.read
    from the public, and the same app instance answers accordingly (and documents it)."""
    client, ctx = seeded
    investor = ctx["headers"]["investor"]
    assert client.get("/api/v1/audit", headers=investor).status_code == 403
    assert client.get("/api/v1/exports/projects?format=csv", headers=investor).status_code == 403
    assert client.get("/api/v1/parcels").status_code == 200

    staff = policy.ACTIONS["audit.read"]
    monkeypatch.setitem(policy.ACTIONS, "audit.read", staff | {"investor"})
    monkeypatch.setitem(policy.ACTIONS, "exports.internal", staff | {"investor"})
    monkeypatch.setitem(policy.ACTIONS, "parcels.read", frozenset({"bureau", "official"}))

    assert client.get("/api/v1/audit", headers=investor).status_code == 200
    assert client.get("/api/v1/exports/projects?format=csv", headers=investor).status_code == 200
    r = client.get("/api/v1/parcels")
    assert r.status_code == 401 and "parcels.read" in r.json()["detail"]
    assert client.get("/api/v1/parcels", headers=investor).status_code == 403
    # the whole matrix follows the edited table too
    changed = [c for c in cases(client.app) if c[1] in ("/api/v1/audit", "/api/v1/parcels")]
    assert not _check(client, ctx, changed, CALLERS)

    client.app.openapi_schema = None  # the document is built from the table as it is now
    op = client.app.openapi()["paths"]["/api/v1/audit"]["get"]
    assert "investor" in op["x-roles"]
    op = client.app.openapi()["paths"]["/api/v1/parcels"]["get"]
    assert op["security"] == [{"bearer": []}] and "public" not in op["x-roles"]
    client.app.openapi_schema = None


def test_a_bad_or_revoked_token_is_401_everywhere_never_the_public_view(
    seeded: tuple[TestClient, dict[str, Any]], clean_engine: Engine
) -> None:
    client, ctx = seeded
    from geo_service.auth.tokens import revoke_token

    revoked = token(clean_engine, "bureau", "leaver")
    with transaction(clean_engine) as s:
        revoke_token(s, name="leaver", actor="test")
    bad_headers = [
        {"Authorization": "Bearer gs_not-a-real-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        revoked,
    ]
    failures = []
    gates = route_gates(client.app)
    for method, path in app_routes(client.app):
        if path in FRAMEWORK or gates[(method, path)] == Gate(None):
            continue  # open routes never look at the caller
        url = sample_path(path, ctx["codes"])
        for h in bad_headers:
            r = client.request(method, url, headers=h)
            if r.status_code != 401 or r.headers.get("www-authenticate") != "Bearer":
                failures.append(f"{method} {url} with {h}: {r.status_code}")
    assert not failures, "\n".join(failures)
