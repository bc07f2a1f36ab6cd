"""ONE map from exceptions to HTTP: RFC 9457 problem details, never a stack trace or SQL.

Every error answer is ``application/problem+json`` with ``type``, ``title``, ``status`` and
``detail`` (what was wrong and how to fix it) plus optional members (``errors``,
``current_version``, ``limit_bytes`` …). The database going away is 503 with ``Retry-After``;
the pool reconnects by itself once it is back (``pool_pre_ping``), nothing needs a restart.
``install`` also documents the problem shape in the OpenAPI and installs the body-size limit.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from geo_service.api.deps import BodySizeLimit
from geo_service.api.html_pages import login_page, map_error_page, validation_text
from geo_service.api.params import EmptyQueryIsAbsent
from geo_service.db.migrate import schema_mismatch
from geo_service.errors import DatabaseUnavailable, GeoServiceError, ServiceBusy

log = logging.getLogger("geo_service.api")

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _where(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "request"
    kind, *rest = loc
    name = ".".join(str(p) for p in rest) or str(kind)
    return {"query": "query parameter", "path": "path parameter", "header": "header"}.get(
        str(kind), "body field" if kind == "body" else str(kind)
    ) + f" {name!r}"


def _describe(err: Any) -> dict[str, str]:
    """Where and what, in words; a broken JSON body is about the body, not a field."""
    loc = tuple(err.get("loc", ()))
    if err.get("type") == "json_invalid":
        at = f" at character {loc[1]}" if len(loc) > 1 else ""
        reason = (err.get("ctx") or {}).get("error", "")
        return {
            "where": "request body",
            "message": f"not valid JSON{at}{': ' + str(reason) if reason else ''}",
        }
    message = str(err.get("msg", ""))
    if str(err.get("type", "")).startswith(("date_", "datetime_")):
        message += "; write the date as YYYY-MM-DD, e.g. 2026-11-27"
    return {"where": _where(loc), "message": message}


def _db_down() -> JSONResponse:
    err = DatabaseUnavailable(
        "the database is not answering; the service retries by itself, try again shortly"
    )
    return problem(err.status, err.title, err.public, headers={"Retry-After": "5"})


def _busy() -> JSONResponse:
    err = ServiceBusy(
        "the service is busy: every database connection stayed in use for the configured wait "
        "(GEO_SERVICE_DB_POOL_WAIT_S); the database is up, retry after the Retry-After seconds"
    )
    return problem(err.status, err.title, err.public, headers={"Retry-After": "2"})


#: sqlstate class → (status, title, safe detail) for database refusals caused by the input
_SQLSTATE: dict[str, tuple[int, str, str]] = {
    "23505": (409, "Conflict", "a record with this code already exists; nothing was written"),
    "23503": (
        422,
        "Invalid input",
        "the change refers to a record that does not exist; nothing was written",
    ),
    "23514": (
        422,
        "Invalid input",
        "a value breaks a rule of the register (e.g. an invalid geometry or an unknown "
        "status); nothing was written",
    ),
    "22": (422, "Invalid input", "a value is out of range for its field; nothing was written"),
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `detail` says what was wrong and how to fix it",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
    },
    "additionalProperties": True,
}


def _problem_response(description: str) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Problem"}
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": ref}},
    }


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI say what the service does: every error is a Problem (RFC 9457)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path_item in schema.get("paths", {}).values():
        for op in path_item.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            if "422" in responses:
                responses["422"] = _problem_response("Invalid input (RFC 9457 problem)")
            responses.setdefault("4XX", _problem_response("Refused (RFC 9457 problem)"))
            responses.setdefault("5XX", _problem_response("Server trouble (RFC 9457 problem)"))
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    return schema


def _map_words(request: Request) -> dict[str, Any]:
    """The maps' parameter labels and validation phrases (maps/common.json)."""
    from geo_service.maps.definitions import load_definition

    settings = getattr(request.app.state, "settings", None)
    if settings is None:
        return {}
    try:
        return load_definition(settings.maps_dir, "readiness").common
    except GeoServiceError:
        return {}


def allowed_methods(request: Request) -> list[str]:
    """Every method the request's path takes (the Allow header of a 405).

    Starlette names only the first route whose path matched; the path may have more (GET and
    PATCH of one record are two routes). Where several path templates match (``/problems/
    escalate`` and ``/problems/{code}``), the most literal one is the path meant.
    """
    by_path: dict[str, set[str]] = {}
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            by_path.setdefault(getattr(route, "path", ""), set()).update(
                getattr(route, "methods", None) or ()
            )
    if not by_path:
        return []
    return sorted(by_path[min(by_path, key=lambda p: (p.count("{"), -len(p)))])


def _browser_on_a_map(request: Request) -> bool:
    return request.url.path.startswith("/maps/") and "text/html" in request.headers.get(
        "accept", ""
    )


def install(app: FastAPI) -> None:
    app.add_middleware(BodySizeLimit)
    app.add_middleware(EmptyQueryIsAbsent)

    @app.exception_handler(GeoServiceError)
    async def _domain(request: Request, e: GeoServiceError) -> Response:
        if e.status in (401, 403) and _browser_on_a_map(request):
            # a person opening a map gets the sign-in form (same status), not a JSON body
            next_ = request.url.path if request.method == "GET" else None
            return login_page(message=e.public, next_=next_, status=e.status)
        if e.status in (400, 404, 422) and _browser_on_a_map(request):
            lang = request.query_params.get("lang", "zh")
            return map_error_page(
                path=request.url.path,
                lang=lang,
                status=e.status,
                detail=e.public_zh if lang != "en" and e.public_zh else e.public,
            )
        headers = {"Retry-After": "5"} if e.status == 503 else None
        if e.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return problem(e.status, e.title, e.public, headers=headers, **e.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, e: RequestValidationError) -> Response:
        errors = [_describe(err) for err in e.errors()]
        detail = "; ".join(f"{x['where']}: {x['message']}" for x in errors)
        if _browser_on_a_map(request):
            lang = "en" if request.query_params.get("lang") == "en" else "zh"
            raw = list(e.errors())
            bad = {str(x["loc"][-1]) for x in raw if x.get("loc")}
            keep = {k: v for k, v in request.query_params.items() if k not in bad}
            return map_error_page(
                path=request.url.path,
                lang=lang,
                status=422,
                detail=validation_text(raw, _map_words(request), lang),
                keep=keep,
            )
        return problem(422, "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException) -> JSONResponse:
        detail = e.detail if isinstance(e.detail, str) else "request refused"
        if e.status_code == 404 and detail == "Not Found":
            detail = "no such route; see /docs for the API"
        if e.status_code == 405:
            detail = "method not allowed on this route; see /docs"
        headers = dict(e.headers) if e.headers else None
        if e.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem(e.status_code, "HTTP error", detail, headers=headers)

    @app.exception_handler(sa_exc.TimeoutError)
    async def _pool_busy(_: Request, e: Exception) -> JSONResponse:
        # raised only by the pool: no connection came free within db_pool_wait_s (load, not an
        # outage: a dead database fails the connect itself, an OperationalError)
        log.warning("pool exhausted: answered busy")
        return _busy()

    @app.exception_handler(sa_exc.OperationalError)
    @app.exception_handler(sa_exc.InterfaceError)
    async def _db(_: Request, e: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(e).__name__)
        return _db_down()

    @app.exception_handler(sa_exc.IntegrityError)
    @app.exception_handler(sa_exc.DataError)
    async def _refused(_: Request, e: Exception) -> JSONResponse:
        code = str(getattr(getattr(e, "orig", None), "sqlstate", "") or "")
        status, title, detail = _SQLSTATE.get(code) or _SQLSTATE.get(
            code[:2], (422, "Invalid input", "the database refused a value; nothing was written")
        )
        log.info("database refused input: sqlstate %s", code)
        return problem(status, title, detail)

    @app.exception_handler(sa_exc.ProgrammingError)
    async def _schema(request: Request, e: sa_exc.ProgrammingError) -> JSONResponse:
        if getattr(e.orig, "sqlstate", None) in ("42P01", "42703"):  # table / column missing
            log.warning("schema not current: %s", type(e.orig).__name__)
            try:  # behind (migrate) or ahead of this server (run the newer code), as /readyz says
                why = schema_mismatch(request.app.state.engine)
            except Exception:  # noqa: BLE001 -- the database may be going away as well
                why = None
            return problem(
                503,
                "Schema out of date",
                why
                or "the database schema is not what this server expects; run `geo-service db "
                "migrate` (the service does it at start when its role may)",
                headers={"Retry-After": "30"},
            )
        log.exception("database programming error")
        return problem(500, "Internal error", "an internal error occurred; it has been logged")

    @app.exception_handler(Exception)
    async def _any(_: Request, e: Exception) -> JSONResponse:
        # DBAPI errors raised while the database goes away come as several types
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return _db_down()
        log.exception("unhandled error")
        return problem(500, "Internal error", "an internal error occurred; it has been logged")
