"""The county wall: every route × every role × county, the expectations READ FROM the policy.

Each route's gate names a policy action (tests/test_roles.py); ``policy.COUNTY_RULES`` says how
that action is scoped by county. So:

* a route whose action has no county rule fails ``test_every_route_has_a_county_rule``;
* ``test_every_route_against_every_county_token`` calls every route with tokens of county A (淮阳区,
  where the seeded records are), of county B (a neighbour) and of the whole city: A's and city
  tokens get what tests/test_roles.py expects; B's tokens never see one of A's records (a record
  route is 404, a list or map leaves them out, a city-wide route is 403);
* writes of one county's records by another county's token are 404 and change nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.auth import policy
from geo_service.auth.tokens import create_token
from geo_service.counties.scope import scoped
from geo_service.counties.service import upsert_county
from geo_service.db.engine import transaction
from tests.helpers import add_parcels, rect_m
from tests.route_matrix import CALLERS, OK, cases, route_gates, sample_path, seed

A, B = "411603", "411625"
#: what only county A's records contain: a county-B caller must never get any of it
A_MARKERS = (
    "PUB-1",
    "PUB-2",
    "HID-1",
    "PRJ-1",
    "PB-1",
    "内部备注甲",
    "内部备注乙",
    "联塑管道",
    "走访记录丙",
)


def county_token(engine: Engine, role: str, county: str | None) -> dict[str, str]:
    with transaction(engine) as s:
        secret = create_token(
            s, role=role, name=f"{role}-{county or 'city'}", actor="test", county=county
        )
    return {"Authorization": f"Bearer {secret}"}


def seed_b(engine: Engine) -> None:
    """County B beside A: its own published and unpublished parcels."""
    with transaction(engine) as s:
        upsert_county(s, code=B, name_zh="郸城县", name_en="Dancheng County")
    with scoped(B):
        add_parcels(
            engine,
            {"code": "DC-1", "geom_m": rect_m(9000, 0, 300, 200), "published": True},
            {"code": "DC-2", "geom_m": rect_m(9500, 0, 100, 100), "published": False},
        )


@pytest.fixture
def walled(client: TestClient, clean_engine: Engine) -> tuple[TestClient, dict[str, Any]]:
    codes = seed(clean_engine)
    seed_b(clean_engine)
    headers: dict[Any, dict[str, str]] = {None: {}}
    for role in CALLERS[1:]:
        assert role is not None
        for county in (A, B, None):
            headers[(role, county)] = county_token(clean_engine, role, county)
    return client, {"codes": codes, "headers": headers}


def test_every_route_has_a_county_rule(client: TestClient) -> None:
    missing = []
    for (method, path), gate in route_gates(client.app).items():
        if gate is None:
            continue
        for action in gate.actions().values():
            if action is not None and action not in policy.COUNTY_RULES:
                missing.append(f"{method} {path} ({action})")
    assert not missing, (
        "routes whose action has no county rule: add it to geo_service.auth.policy."
        "COUNTY_RULES ('county', 'city' or 'none'): " + ", ".join(missing)
    )
    assert set(policy.COUNTY_RULES) == set(policy.ACTIONS)
    assert set(policy.COUNTY_RULES.values()) <= {"county", "city", "none"}


def _good(method: str, r: Any, want: Any) -> bool:
    if want == OK:
        if method == "GET":
            return 200 <= r.status_code < 300
        return r.status_code not in (401, 403) and r.status_code < 500
    return r.status_code == want and r.headers.get("content-type", "").startswith(
        "application/problem+json"
    )


def test_every_route_against_every_county_token(walled: tuple[TestClient, dict[str, Any]]) -> None:
    client, ctx = walled
    failures = []
    all_cases = cases(client.app)
    assert len(all_cases) > 40
    gets = [c for c in all_cases if c[0] == "GET"]
    for method, path, given, expected in gets + [c for c in all_cases if c[0] != "GET"]:
        url = sample_path(path, ctx["codes"], given)
        action = next(iter(route_gates(client.app)[(method, path)].actions().values()), None)
        if given:
            action = dict(route_gates(client.app)[(method, path)].by).get(
                next(iter(given.values()))
            )
        rule = policy.COUNTY_RULES.get(action, "none") if action else "none"
        for role in CALLERS[1:]:
            want = expected[role]
            for county in (A, None, B):
                r = client.request(method, url, headers=ctx["headers"][(role, county)])
                tag = f"{method} {url} as {role} of {county or 'the city'}"
                if county is not None and rule == "city" and want == OK:
                    if r.status_code != 403:  # city-wide only: every county token is refused
                        failures.append(f"{tag}: {r.status_code} (want 403: city-wide only)")
                    continue
                if county != B or rule == "none":
                    if not _good(method, r, want):
                        failures.append(f"{tag}: {r.status_code} (want {want}) {r.text[:160]}")
                    continue
                if want != OK:  # the role gate comes first
                    if not _good(method, r, want):
                        failures.append(f"{tag}: {r.status_code} (want {want})")
                    continue
                if rule == "city":
                    if r.status_code != 403:
                        failures.append(f"{tag}: {r.status_code} (want 403: city-wide only)")
                    continue
                if r.status_code >= 500 or r.status_code in (401, 403):
                    failures.append(f"{tag}: {r.status_code} {r.text[:160]}")
                elif 200 <= r.status_code < 300:
                    body = r.content.decode("utf-8", "replace")
                    leaked = [m for m in A_MARKERS if m in body]
                    if leaked:
                        failures.append(f"{tag}: {r.status_code} shows county A's {leaked}")
    assert not failures, "\n".join(failures)


def test_a_county_token_cannot_change_another_countys_records(
    walled: tuple[TestClient, dict[str, Any]], clean_engine: Engine
) -> None:
    client, ctx = walled
    b_bureau, a_bureau = ctx["headers"][("bureau", B)], ctx["headers"][("bureau", A)]
    r = client.get("/api/v1/parcels/PUB-1", headers=b_bureau)
    assert r.status_code == 404
    r = client.patch(
        "/api/v1/parcels/PUB-1", json={"name": "改名"}, headers={**b_bureau, "If-Match": '"1"'}
    )
    assert r.status_code == 404, r.text
    r = client.delete("/api/v1/parcels/HID-1", headers={**b_bureau, "If-Match": '"1"'})
    assert r.status_code in (404, 405), r.text
    b_official = ctx["headers"][("official", B)]
    r = client.patch(
        "/api/v1/projects/PRJ-1", json={"name": "改名"}, headers={**b_official, "If-Match": '"1"'}
    )
    assert r.status_code == 404, r.text
    with transaction(clean_engine) as s:
        names = dict(s.execute(text("SELECT code, name FROM parcels")).tuples().all())
        project = s.execute(text("SELECT name FROM projects WHERE code = 'PRJ-1'")).scalar()
    assert names["PUB-1"] != "改名" and "HID-1" in names and project != "改名"
    # its own county's parcel: the same token may
    etag = client.get("/api/v1/parcels/DC-1", headers=b_bureau).headers["etag"]
    r = client.patch(
        "/api/v1/parcels/DC-1", json={"name": "郸城一号"}, headers={**b_bureau, "If-Match": etag}
    )
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["county"] == B
    # and A's token may not touch B's
    assert client.get("/api/v1/parcels/DC-1", headers=a_bureau).status_code == 404


def test_the_public_sees_every_countys_public_data_and_county_narrows(
    walled: tuple[TestClient, dict[str, Any]],
) -> None:
    client, ctx = walled
    codes = {f["properties"]["code"]: f for f in client.get("/api/v1/parcels").json()["features"]}
    assert {"PUB-1", "PUB-2", "DC-1"} <= set(codes) and not {"HID-1", "DC-2"} & set(codes)
    assert codes["DC-1"]["properties"]["county"] == B
    assert codes["PUB-1"]["properties"]["county"] == A
    only_b = client.get(f"/api/v1/parcels?county={B}").json()["features"]
    assert [f["properties"]["code"] for f in only_b] == ["DC-1"]
    r = client.get("/api/v1/parcels?county=419999")
    assert r.status_code == 422 and "county" in r.json()["detail"]
    # a county token asking for another county is refused, naming the parameter
    r = client.get(f"/api/v1/parcels?county={A}", headers=ctx["headers"][("bureau", B)])
    assert r.status_code == 403 and "county" in r.json()["detail"]
    # a city token sees both counties' internal records
    city = client.get("/api/v1/parcels?limit=100", headers=ctx["headers"][("bureau", None)])
    assert {"HID-1", "DC-2"} <= {f["properties"]["code"] for f in city.json()["features"]}
