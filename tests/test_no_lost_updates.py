"""Two people editing the same project or problem: the second edit is refused, never lost."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.helpers import token
from tests.samples import project


def _setup(client: TestClient, h: dict[str, str]) -> None:
    assert client.post("/api/v1/projects", json=project("C-1"), headers=h).status_code == 201
    r = client.post(
        "/api/v1/problems",
        json={"code": "CQ-1", "project": "C-1", "description": "供电未接入",
              "found_on": "2026-11-01", "deadline": "2026-12-01",
              "assignee_unit": "区供电公司", "assignee_leader": "王五"},
        headers=h,
    )  # fmt: skip
    assert r.status_code == 201, r.text


def test_same_etag_twice_gives_one_412(client: TestClient, clean_engine: Engine) -> None:
    h = token(clean_engine, "official")
    _setup(client, h)
    for url, first, second in (
        ("/api/v1/projects/C-1", {"leader": "甲"}, {"leader": "乙"}),
        ("/api/v1/problems/CQ-1", {"assignee_leader": "甲"}, {"assignee_leader": "乙"}),
    ):
        etag = client.get(url, headers=h).headers["etag"]
        assert client.patch(url, json=first, headers={**h, "If-Match": etag}).status_code == 200
        r = client.patch(url, json=second, headers={**h, "If-Match": etag})
        assert r.status_code == 412, url
        assert r.json()["current_version"] == 2
        # the first edit survives
        body = client.get(url, headers=h).json()
        value = body["properties"]["leader"] if "properties" in body else body["assignee_leader"]
        assert value == "甲"


def test_an_edit_without_if_match_is_428(client: TestClient, clean_engine: Engine) -> None:
    h = token(clean_engine, "official")
    _setup(client, h)
    for url in ("/api/v1/projects/C-1", "/api/v1/problems/CQ-1"):
        r = client.patch(url, json={"leader": "丙"} if "projects" in url else {}, headers=h)
        assert r.status_code == 428, url
        assert "If-Match" in r.json()["detail"]
