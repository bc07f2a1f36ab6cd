"""The OpenAPI document, generated from the routes' own types and the policy table.

Nothing here is a hand-kept copy of a route: for every operation it reads the route's gate
(``require("action")`` / ``require_by`` / ``open_route`` in api/deps.py) and writes

* ``security``: ``[{"bearer": []}]`` when a token is needed, ``[{}, {"bearer": []}]`` when it is
  optional (public routes: a token widens the view, a bad one is 401), ``[]`` when the route
  never looks at the caller; the ``bearer`` scheme is declared, so /docs shows *Authorize*;
* ``x-policy-action`` and ``x-roles`` (from ``auth.policy.ACTIONS``), and a "Who may call it"
  line in the description;
* the error answers it can give, each an RFC 9457 problem (``application/problem+json``): 401,
  403, 404, 412/428 (If-Match), 413, 422, 503 as they apply, plus ``4XX``/``5XX``;
* ``examples`` for path and query parameters from the demo district's codes, when its files are
  there; ``maximum`` of ``limit`` from the settings; and, on GET, that an empty optional query
  parameter counts as absent (api/params.py).

A route added later gets the same treatment by declaring its gate; one without a gate gets no
``security`` (tests/test_openapi.py and tests/test_roles.py fail on it).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from geo_service.api.deps import GATE_ATTR, Gate, get_session
from geo_service.api.errors import PROBLEM_JSON, document_problems
from geo_service.api.openapi_county import document_county
from geo_service.auth import policy
from geo_service.settings import Settings

BEARER = "bearer"
SECURITY_SCHEMES = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "an API token (`geo-service token create --role bureau|official|investor "
        "--name NAME`); no token = the public view. Map pages also take the `gs_token` cookie "
        "set by /maps/login.",
    }
}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


# ------------------------------------------------------------------ reading the gates


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every FastAPI route of the app (included routers flattened), with its ``dependant``."""
    for route in iter_route_contexts(app.routes):
        if getattr(route, "dependant", None) is not None:
            yield route


def _dependencies(route: Any) -> Iterator[Any]:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        yield dep
        stack.extend(dep.dependencies)


def gates_of(route: Any) -> list[Gate]:
    """The distinct gates a route declares (a route should declare exactly one)."""
    found: list[Gate] = []
    for dep in _dependencies(route):
        gate = getattr(dep.call, GATE_ATTR, None)
        if gate is not None and gate not in found:
            found.append(gate)
    return found


def gate_of(route: Any) -> Gate | None:
    """The route's gate; ``None`` when it has none or several different ones."""
    gates = gates_of(route)
    return gates[0] if len(gates) == 1 else None


def _uses(route: Any, func: Callable[..., Any]) -> bool:
    return any(dep.call is func for dep in _dependencies(route))


def roles_by_value(gate: Gate) -> dict[str | None, list[str]]:
    """Path-parameter value (``None``: any) → roles admitted, ``public`` first."""
    out: dict[str | None, list[str]] = {}
    for value, action in gate.actions().items():
        roles = policy.EVERYONE if action is None else policy.roles_for(action)
        out[value] = sorted(roles, key=lambda r: (r != policy.PUBLIC, r))
    return out


def _who(roles: list[str]) -> str:
    if policy.PUBLIC in roles:
        return "anyone (no token needed; a token widens the view, a bad token is 401)"
    return "a bearer token of role " + " or ".join(roles)


# ------------------------------------------------------------------ writing the document


def _problem(description: str, *, html: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    if html:
        content["text/html"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def _document_gate(op: dict[str, Any], route: Any) -> None:
    gates = gates_of(route)
    if len(gates) != 1:
        op["x-policy-action"] = None
        op["description"] = (op.get("description") or "") + (
            "\n\n**No policy gate declared** (a bug: give the route `require(action)`)."
        )
        return
    gate = gates[0]
    by_value = roles_by_value(gate)
    html = route.path.startswith("/maps/")
    responses = op.setdefault("responses", {})
    if gate.action is None and gate.param is None:  # an open route: never looks at the caller
        op["security"] = []
        op["x-policy-action"] = None
        op["x-roles"] = sorted(policy.EVERYONE, key=lambda r: (r != policy.PUBLIC, r))
        op["description"] = (op.get("description") or "") + "\n\n**Who may call it:** anyone."
        return
    optional = any(policy.PUBLIC in roles for roles in by_value.values())
    op["security"] = [{}, {BEARER: []}] if optional else [{BEARER: []}]
    if gate.param is None:
        op["x-policy-action"] = gate.action
        op["x-roles"] = by_value[None]
        who = f"{_who(by_value[None])} (policy action `{gate.action}`)."
    else:
        op["x-policy-action"] = {v: a for v, a in gate.by}
        op["x-roles"] = {str(v): roles for v, roles in by_value.items()}
        who = "; ".join(
            f"`{gate.param}={v}`: {_who(roles)} (policy action `{a}`)"
            for (v, a), roles in zip(gate.by, by_value.values(), strict=True)
        )
    op["description"] = (op.get("description") or "") + f"\n\n**Who may call it:** {who}"
    responses.setdefault(
        "401",
        _problem("no token where one is needed, or a bad or revoked token", html=html),
    )
    if any(set(policy.EVERYONE) - set(roles) for roles in by_value.values()):
        responses.setdefault("403", _problem("the token's role may not do this", html=html))


def _document_errors(op: dict[str, Any], route: Any) -> None:
    responses = op.setdefault("responses", {})
    for code, answer in responses.items():  # a route's own error lines: the body is a problem
        if code[0] in "45" and not answer.get("content"):
            answer["content"] = _problem("")["content"]
    params = op.get("parameters", [])
    if "{" in route.path:
        responses.setdefault("404", _problem("no such record (or not visible to the caller)"))
    headers = {p["name"].lower(): p for p in params if p.get("in") == "header"}
    if "if-match" in headers:
        responses.setdefault("412", _problem("If-Match names an old version; GET again"))
        if "optional" not in headers["if-match"].get("description", ""):
            responses.setdefault("428", _problem("If-Match is missing (or `*`)"))
            headers["if-match"]["required"] = True  # the 428 says so; FastAPI cannot
    if "requestBody" in op:
        responses.setdefault("413", _problem("request body or upload over the size limit"))
    if "requestBody" in op:
        responses["422"] = _problem(
            "invalid input, or a rule that depends on the stored data (lifecycle order, a "
            "project's total investment, a file's contents): `detail` says which and how to fix it"
        )
    elif params:
        responses["422"] = _problem("invalid parameter: `detail` names it and how to fix it")
    if _uses(route, get_session) or gate_of(route) not in (None, Gate(None)):
        responses.setdefault(
            "503", _problem("the database is not answering (with Retry-After); try again")
        )


_ANNOTATIONS = ("title", "description", "default")


def _lenient_empty(op: dict[str, Any]) -> None:
    """On GET, an optional query parameter sent empty counts as absent: say so in its schema."""
    for p in op.get("parameters", []):
        if p.get("in") != "query" or p.get("required"):
            continue
        schema = p.get("schema", {})
        outer = {k: v for k, v in schema.items() if k not in _ANNOTATIONS}
        alts = [s for s in schema.get("anyOf", [outer]) if s.get("type") != "null"]
        base = alts[0] if len(alts) == 1 else {"anyOf": alts}
        if "anyOf" in schema:  # keywords beside anyOf (pattern, examples) belong to the value
            base = {**base, **{k: v for k, v in outer.items() if k != "anyOf"}}
        plain_string = base.get("type") == "string" and not (
            {"enum", "pattern", "format", "minLength", "const"} & set(base)
        )
        keep = {k: v for k, v in schema.items() if k in _ANNOTATIONS}
        base = {k: v for k, v in base.items() if k not in _ANNOTATIONS}
        if plain_string:
            p["schema"] = {**keep, **base}
            continue
        p["schema"] = {**keep, "anyOf": [base, {"type": "string", "maxLength": 0}]}
        said = p.get("description") or schema.get("description") or ""
        p["description"] = (said + " " if said else "") + (
            "(sent empty, e.g. by an HTML form, it counts as not sent)"
        )


def _limit_maximum(op: dict[str, Any], settings: Settings) -> None:
    for p in op.get("parameters", []):
        if p.get("in") == "query" and p.get("name") == "limit":
            for s in p["schema"].get("anyOf", [p["schema"]]):
                if s.get("type") == "integer":
                    s["maximum"] = settings.max_page_size
            p["description"] = (
                f"page size, 1..{settings.max_page_size} (GEO_SERVICE_MAX_PAGE_SIZE); "
                f"default {settings.default_page_size}"
            )


# ------------------------------------------------------------------ examples from the demo


def demo_examples(demo_dir: Path) -> dict[str, str]:
    """First codes of the demo district's layers (empty when its files are not there)."""
    out: dict[str, str] = {}
    try:
        parcels = json.loads((demo_dir / "parcels.geojson").read_text(encoding="utf-8"))
        published = [
            f["properties"] for f in parcels["features"] if f["properties"].get("published")
        ]
        if published:
            out["parcels"] = str(published[0]["code"])
            out["zone"] = str(published[0].get("zone_code") or "")
        for kind, file in (("projects", "projects.csv"), ("problems", "problems.csv")):
            with (demo_dir / file).open(encoding="utf-8-sig") as fh:
                row = next(csv.DictReader(fh))
            out[kind] = str(row.get("code") or next(iter(row.values())))
    except (OSError, ValueError, KeyError, StopIteration):
        return {k: v for k, v in out.items() if v}
    return {k: v for k, v in out.items() if v}


def _kind_of(path: str) -> str:
    parts = path.split("/")
    if path.startswith("/api/v1/") and len(parts) > 3:
        return parts[3]
    return "parcels"


def _examples(op: dict[str, Any], path: str, demo: dict[str, str]) -> None:
    for p in op.get("parameters", []):
        value = None
        if p.get("in") == "path" and p["name"] == "code":
            value = demo.get(_kind_of(path))
        elif p.get("in") == "query" and p["name"] == "project":
            value = demo.get("projects")
        elif p.get("in") == "query" and p["name"] == "zone":
            value = demo.get("zone")
        if value:
            p.setdefault("schema", {})
            p["example"] = value


# ------------------------------------------------------------------ the whole document


def document(app: FastAPI, schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Add security, roles, error answers, examples and leniency to FastAPI's document."""
    document_problems(schema)
    schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    demo = demo_examples(settings.demo_dir)
    paths = schema.get("paths", {})
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        item = paths.get(route.path_format, {})
        for method in route.methods or ():
            op = item.get(method.lower())
            if op is None:
                continue
            _document_gate(op, route)
            document_county(op, gate_of(route))  # county= of the county wall
            _document_errors(op, route)
            _limit_maximum(op, settings)
            if method == "GET":
                _lenient_empty(op)
            _examples(op, route.path_format, demo)
    return schema


def install(app: FastAPI, settings: Settings) -> None:
    """Serve :func:`document` as /openapi.json (built once per app, on first request)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, original(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
