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

import math
from datetime import date
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.api.deps import Gate
from geo_service.api.openapi import api_routes, gates_of
from geo_service.auth import policy
from geo_service.db.engine import transaction
from geo_service.parcels import writes as land
from geo_service.projects import writes as ledger
from tests.helpers import ORIGIN, add_parcels, rect_m, to_lonlat, token

OK = "ok"
Caller = str | None  # None = no token
CALLERS: tuple[Caller, ...] = (None, "investor", "bureau", "official")

#: FastAPI's own routes (not ours to gate): they never look at the caller
FRAMEWORK = {"/openapi.json", "/docs/oauth2-redirect", "/redoc"}
#: mounted static assets are not routes with a policy
STATIC_PREFIXES = ("/static", "/maps/static", "/assets")


def expectation(action: str | None) -> dict[Caller, Any]:
    """What each caller gets from a route gated by ``action`` (``None``: an open route)."""
    if action is None:
        return dict.fromkeys(CALLERS, OK)
    roles = policy.roles_for(action)
    return {
        c: OK if (c or policy.PUBLIC) in roles else (401 if c is None else 403) for c in CALLERS
    }


def route_gates(app: Any) -> dict[tuple[str, str], Gate | None]:
    """(method, path) → the route's one gate (``None``: none, or several different ones)."""
    out: dict[tuple[str, str], Gate | None] = {}
    for r in api_routes(app):
        if r.path.startswith(STATIC_PREFIXES):
            continue
        gates = gates_of(r)
        for m in r.methods or {"GET"}:
            if m not in ("HEAD", "OPTIONS"):
                out[(m, r.path)] = gates[0] if len(gates) == 1 else None
    return out


def cases(app: Any) -> list[tuple[str, str, dict[str, str], dict[Caller, Any]]]:
    """(method, path, path values, expectation) for every route; a ``require_by`` gate gives
    one case per value of its parameter."""
    out = []
    for (method, path), gate in sorted(route_gates(app).items(), key=lambda kv: kv[0][::-1]):
        assert gate is not None, f"{method} {path} declares no single policy gate"
        if gate.param is None:
            out.append((method, path, {}, expectation(gate.action)))
        else:
            for value, action in gate.by:
                out.append((method, path, {gate.param: value}, expectation(action)))
    return out


def public_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of the gated routes the public passes (with sample_path's values)."""
    out = set()
    for (method, path), gate in route_gates(app).items():
        if gate is None or gate == Gate(None):
            continue
        action = gate.action if gate.param is None else dict(gate.by).get(SAMPLE[gate.param])
        if expectation(action)[None] == OK:
            out.add((method, path))
    return out


def app_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, HEAD/OPTIONS aside."""
    out = set()
    for r in iter_route_contexts(app.routes):
        path = r.path or ""
        if path.startswith(STATIC_PREFIXES):
            continue
        for m in r.methods or {"GET"}:
            if m not in ("HEAD", "OPTIONS"):
                out.add((m, path))
    return sorted(out, key=lambda mp: (mp[1], mp[0]))


#: sample values of path parameters (tile x/y are computed from the seeded data)
SAMPLE = {
    "condition": "water",
    "month": "2023-03",
    "seq": "1",
    "what": "parcels",
    "kind": "water",
    "z": "14",
    "name": "start-rate",
    "collectionId": "parcels",
    "tileMatrixSetId": "WebMercatorQuad",
    "tileMatrix": "14",
}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def sample_path(path: str, codes: dict[str, str], given: dict[str, str] | None = None) -> str:
    """Fill a route's path parameters with values that exist in the seeded database."""
    for k, v in (given or {}).items():
        path = path.replace("{" + k + "}", v)
    if "{code}" in path:
        kind = path.split("/")[3] if path.startswith("/api/v1/") else "parcels"
        path = path.replace("{code}", codes[kind])
    path = path.replace("{featureId}", codes["parcels"])
    x, y = tile_of(*ORIGIN, 14)
    values = {**SAMPLE, "x": str(x), "y": str(y), "tileRow": str(y), "tileCol": str(x)}
    for k, v in values.items():
        path = path.replace("{" + k + "}", v)
    assert "{" not in path, f"add a sample value for {path} in tests/test_roles.py::sample_path"
    return path


def seed(engine: Engine) -> dict[str, str]:
    """One zone, published and unpublished parcels, a project with a visit and a problem."""
    zone = to_lonlat(rect_m(-2000, -2000, 6000, 6000))
    with transaction(engine) as s:
        land.upsert_zones(s, [{"code": "Z1", "name": "开发区", "wkb": zone.wkb_hex}])
    add_parcels(
        engine,
        {
            "code": "PUB-1",
            "geom_m": rect_m(0, 0, 200, 100),
            "published": True,
            "zone_code": "Z1",
            "notes": "内部备注甲: 价格待议",
            "contact": "招商局 0394-1234567",
            "indicators": [{"key": "far", "min": 1.0, "max": 2.5}],
        },
        {"code": "PUB-2", "geom_m": rect_m(400, 0, 200, 200), "published": True},
        {
            "code": "HID-1",
            "geom_m": rect_m(0, 400, 150, 100),
            "published": False,
            "notes": "内部备注乙: 权属争议",
        },
        {"code": "HID-2", "geom_m": rect_m(400, 400, 100, 100), "published": False},
    )
    with transaction(engine) as s:  # PUB-1 and HID-1 are net land: all five conditions met
        s.execute(
            text(
                """INSERT INTO parcel_conditions (parcel_id, condition, status, method, verified_at)
                SELECT p.id, c, 'met', 'record', now() FROM parcels p,
                  unnest(ARRAY['water', 'power', 'road', 'leveling', 'title']) c
                WHERE p.code IN ('PUB-1', 'HID-1')"""
            )
        )
    pt = to_lonlat(rect_m(50, 50, 1, 1)).centroid
    with transaction(engine) as s:
        ledger.upsert_projects(
            s,
            [
                {
                    "code": "PRJ-1",
                    "name": "联塑管道项目",
                    "year": 2023,
                    "domain": "industrial_transformation",
                    "status": "started",
                    "total_investment_wan": 100000,
                    "planned_investment_wan": 40000,
                    "completed_wan": 12000,
                    "leader": "王领导甲",
                    "responsible_unit": "产业集聚区管委会",
                    "lon": pt.x,
                    "lat": pt.y,
                    "parcel_code": "PUB-1",
                }
            ],
        )
        ledger.upsert_visits(
            s,
            [
                {
                    "code": "V-1",
                    "project_code": "PRJ-1",
                    "leader": "王领导甲",
                    "visited_on": date(2023, 3, 1),
                    "notes": "走访记录丙",
                }
            ],
        )
        ledger.upsert_problems(
            s,
            [
                {
                    "code": "PB-1",
                    "project_code": "PRJ-1",
                    "visit_code": "V-1",
                    "description": "问题描述丁: 用电增容未批",
                    "found_on": date(2023, 3, 1),
                    "assignee_unit": "供电公司",
                    "assignee_leader": "李领导乙",
                    "deadline": date(2023, 4, 1),
                    "status": "open",
                }
            ],
        )
    return {"parcels": "PUB-1", "projects": "PRJ-1", "problems": "PB-1", "visits": "V-1"}


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
