"""A person opening a staff map without a token meets the sign-in form, not a JSON error."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.helpers import token

HTML = {"Accept": "text/html,application/xhtml+xml"}


def test_browser_without_token_gets_the_sign_in_form(client: TestClient) -> None:
    r = client.get("/maps/readiness", headers=HTML)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("text/html")
    assert 'name="token"' in r.text and 'value="/maps/readiness"' in r.text
    # an API client still gets problem JSON
    r = client.get("/maps/readiness")
    assert r.status_code == 401 and r.json()["status"] == 401


def test_wrong_role_and_wrong_token_say_why_in_the_form(
    client: TestClient, clean_engine: Engine
) -> None:
    r = client.get("/maps/projects", headers={**HTML, **token(clean_engine, "investor")})
    assert r.status_code == 403 and "official" in r.text and 'name="token"' in r.text
    r = client.post("/maps/login", data={"token": "gs_wrong"}, headers=HTML)
    assert r.status_code == 401 and "unknown or revoked" in r.text
    assert "gs_token" not in r.headers.get("set-cookie", "")


def test_the_message_is_escaped(client: TestClient) -> None:
    r = client.get("/maps/login", params={"next": '/maps/"><script>x</script>'})
    assert "<script>x" not in r.text
