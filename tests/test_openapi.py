"""The OpenAPI document: every operation says who may call it and how it fails."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from geo_service.auth import policy

METHODS = ("get", "put", "post", "patch", "delete")


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (m.upper(), path, op)
        for path, item in spec["paths"].items()
        for m, op in item.items()
        if m in METHODS
    ]


def test_every_operation_declares_security_roles_and_problem_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        **spec["components"]["securitySchemes"]["bearer"],
        "type": "http",
        "scheme": "bearer",
    }
    ops = operations(spec)
    assert len(ops) > 40
    failures = []
    for method, path, op in ops:
        where = f"{method} {path}"
        if "security" not in op:
            failures.append(f"{where}: no security requirement")
        if "x-roles" not in op:
            failures.append(f"{where}: no x-roles")
        action = op.get("x-policy-action")
        if isinstance(action, str):
            roles = sorted(policy.ACTIONS[action])
            assert sorted(op["x-roles"]) == roles, where
            want = [{}, {"bearer": []}] if policy.PUBLIC in roles else [{"bearer": []}]
            assert op["security"] == want, where
            assert "401" in op["responses"], where
            if policy.EVERYONE - set(roles):
                assert "403" in op["responses"], where
        responses = op["responses"]
        for code in ("4XX", "5XX"):
            content = responses.get(code, {}).get("content", {})
            if "application/problem+json" not in content:
                failures.append(f"{where}: {code} is not documented as a problem")
        for code, answer in responses.items():
            if code[0] in "45" and "application/problem+json" not in answer.get("content", {}):
                failures.append(f"{where}: {code} is not documented as a problem")
        if (op.get("parameters") or "requestBody" in op) and "422" not in responses:
            failures.append(f"{where}: takes input but documents no 422")
        if "{" in path and "404" not in responses:
            failures.append(f"{where}: has a path parameter but documents no 404")
    assert not failures, "\n".join(failures)


def test_media_types_say_what_is_served(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    def ok(path: str, method: str = "get") -> set[str]:
        responses = paths[path][method]["responses"]
        code = next(c for c in responses if c.startswith("2"))
        return set(responses[code].get("content", {}))

    assert ok("/api/v1/parcels") == {"application/geo+json"}
    assert ok("/api/v1/projects/{code}") == {"application/geo+json"}
    assert ok("/maps/investors") == {"text/html"}
    assert ok("/maps/projects") == {"text/html"}
    assert ok("/tiles/parcels/{z}/{x}/{y}.pbf") == {"application/vnd.mapbox-vector-tile"}
    assert "application/zip" in ok("/api/v1/exports/{what}")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx in ok("/api/v1/exports/{what}") and xlsx in ok("/api/v1/ledger/export")
    # a staff map refused to a browser is the sign-in page (HTML), else a problem
    assert set(paths["/maps/projects"]["get"]["responses"]["401"]["content"]) == {
        "application/problem+json",
        "text/html",
    }


def test_parameters_are_typed_as_the_code_accepts(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    def param(path: str, name: str) -> dict[str, Any]:
        return next(p for p in paths[path]["get"]["parameters"] if p["name"] == name)

    bbox = param("/api/v1/parcels", "bbox")["schema"]["anyOf"][0]
    assert bbox["pattern"].startswith("^") and bbox["type"] == "string"
    assert client.get("/api/v1/parcels", params={"bbox": "000000000000"}).status_code == 422
    as_of = param("/api/v1/stats", "as_of")["schema"]["anyOf"][0]
    assert as_of == {"type": "string", "format": "date"}
    r = client.get("/api/v1/stats", params={"as_of": "0"})
    assert r.status_code == 422 and "as_of" in r.json()["detail"]
    status = param("/maps/projects", "status")["schema"]["anyOf"][0]
    assert status["enum"][0] == "planned"
    limit = param("/api/v1/parcels", "limit")["schema"]["anyOf"][0]
    assert limit["maximum"] == client.app.state.settings.max_page_size
    # demo codes as examples
    code = next(p for p in paths["/api/v1/projects/{code}"]["get"]["parameters"])
    assert code["example"].startswith("XM")


def test_405_lists_every_method_of_the_path(client: TestClient) -> None:
    r = client.request("OPTIONS", "/api/v1/parcels/ANY")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, PATCH"
    assert r.headers["content-type"].startswith("application/problem+json")
    r = client.request("DELETE", "/api/v1/problems/escalate")
    assert r.headers["allow"] == "POST"
    r = client.request("PUT", "/api/v1/parcels")
    assert r.headers["allow"] == "GET, POST"


def test_swagger_ui_has_the_authorize_button(client: TestClient) -> None:
    """Swagger UI shows Authorize when the document declares a security scheme."""
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").json()["components"]["securitySchemes"]
