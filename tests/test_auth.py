"""Tokens and roles: created once, stored as a hash, sent as Bearer (or cookie), revocable."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geo_service.auth import policy
from geo_service.auth.tokens import PUBLIC, Principal, create_token, resolve, revoke_token
from geo_service.db.engine import transaction
from geo_service.errors import Conflict, InvalidInput, Unauthorized
from geo_service.settings import Settings
from tests.helpers import add_parcels, rect_m, run_cli, token


def test_only_the_hash_of_a_token_is_stored(clean_engine: Engine) -> None:
    with transaction(clean_engine) as s:
        secret = create_token(s, role="bureau", name="alice", actor="test")
    with clean_engine.connect() as c:
        rows = c.execute(text("SELECT * FROM api_tokens")).mappings().all()
    assert len(rows) == 1
    assert secret not in " ".join(str(v) for v in rows[0].values())
    assert rows[0]["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    with transaction(clean_engine) as s:
        assert resolve(s, secret) == Principal(role="bureau", name="alice")
        with pytest.raises(Unauthorized):
            resolve(s, secret + "x")


def test_unknown_role_is_refused(clean_engine: Engine) -> None:
    with transaction(clean_engine) as s, pytest.raises(InvalidInput, match="bureau"):
        create_token(s, role="admin", name="x", actor="test")


def test_cli_create_list_revoke(client: TestClient, clean_engine: Engine) -> None:
    add_parcels(clean_engine, {"code": "H-1", "geom_m": rect_m(0, 0, 50, 50), "published": False})
    made = run_cli(clean_engine, "token", "create", "--role", "bureau", "--name", "ops")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("gs_") and "not shown again" in made.stderr
    h = {"Authorization": f"Bearer {secret}"}
    # the bureau sees the unpublished parcel; the public does not know it exists
    assert client.get("/api/v1/parcels/H-1", headers=h).status_code == 200
    assert client.get("/api/v1/parcels/H-1").status_code == 404

    listed = run_cli(clean_engine, "token", "list")
    assert listed.returncode == 0 and secret not in listed.stdout
    assert listed.stdout.split()[:2] == ["ops", "bureau"]

    revoked = run_cli(clean_engine, "token", "revoke", "--name", "ops")
    assert revoked.returncode == 0 and "revoked 1" in revoked.stdout
    r = client.get("/api/v1/parcels/H-1", headers=h)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "revoked" in run_cli(clean_engine, "token", "list").stdout
    # revoking again says what is wrong and exits non-zero
    again = run_cli(clean_engine, "token", "revoke", "--name", "ops")
    assert again.returncode != 0 and "no live token" in (again.stderr + again.stdout)


def test_cli_refuses_a_bad_role(clean_engine: Engine) -> None:
    r = run_cli(clean_engine, "token", "create", "--role", "root", "--name", "x")
    assert r.returncode != 0 and "bureau" in (r.stderr + r.stdout)
    with clean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 0


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc", "Bearer gs_unknown"],
)
def test_a_malformed_or_unknown_token_is_401_not_the_public_view(
    client: TestClient, authorization: str
) -> None:
    r = client.get("/api/v1/parcels", headers={"Authorization": authorization})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert "token" in r.json()["detail"].lower() or "Bearer" in r.json()["detail"]


def test_the_cookie_works_like_the_header(client: TestClient, clean_engine: Engine) -> None:
    add_parcels(clean_engine, {"code": "H-1", "geom_m": rect_m(0, 0, 50, 50), "published": False})
    secret = token(clean_engine, "official")["Authorization"].split()[1]
    client.cookies.set("gs_token", secret)
    try:
        assert client.get("/api/v1/parcels/H-1").status_code == 200
        assert client.get("/api/v1/problems").status_code == 200
    finally:
        client.cookies.clear()
    assert client.get("/api/v1/problems").status_code == 401


def test_policy_is_one_table() -> None:
    settings = Settings(public_parcel_fields=["code", "name"])
    investor = Principal(role="investor", name="i")
    bureau = Principal(role="bureau", name="b")
    official = Principal(role="official", name="o")
    assert policy.visible_fields(PUBLIC, "parcel", settings) == {"code", "name"}
    assert policy.visible_fields(investor, "parcel", settings) == {"code", "name"}
    assert policy.visible_fields(bureau, "parcel", settings) is None
    # a kind nobody configured shows the public nothing
    assert policy.visible_fields(PUBLIC, "something_new", settings) == frozenset()
    assert policy.filter_properties({"code": "A", "notes": "n"}, investor, "parcel", settings) == {
        "code": "A"
    }
    assert policy.can(bureau, "parcels.write") and not policy.can(official, "parcels.write")
    assert policy.can(official, "projects.write") and not policy.can(bureau, "projects.write")
    assert policy.can(bureau, "audit.read") and not policy.can(investor, "audit.read")
    assert not policy.can(PUBLIC, "audit.read")
    assert policy.published_only(investor) and not policy.published_only(official)


def test_a_second_live_token_with_the_same_name_is_refused(clean_engine: Engine) -> None:
    with transaction(clean_engine) as s:
        create_token(s, role="bureau", name="王芳", actor="test")
    with pytest.raises(Conflict, match="revoke"), transaction(clean_engine) as s:
        create_token(s, role="official", name="王芳", actor="test")
    with transaction(clean_engine) as s:
        assert revoke_token(s, name="王芳", actor="test") == 1  # only the one


def test_a_token_records_when_it_was_last_used(client: TestClient, clean_engine: Engine) -> None:
    h = token(clean_engine, "bureau", name="last-used")

    def last_used() -> object:
        with clean_engine.connect() as c:
            return c.execute(
                text("SELECT last_used_at FROM api_tokens WHERE name = 'last-used'")
            ).scalar()

    assert last_used() is None
    assert client.get("/api/v1/parcels", headers=h).status_code == 200
    first = last_used()
    assert first is not None
    client.get("/api/v1/parcels", headers=h)
    assert last_used() == first  # not rewritten on every request
