"""ONE map from exceptions to HTTP: RFC 9457 problem details, never a stack trace or SQL."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo_service.errors import DatabaseUnavailable, GeoServiceError

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


def _db_down() -> JSONResponse:
    err = DatabaseUnavailable(
        "the database is not answering; the service retries by itself, try again shortly"
    )
    return problem(err.status, err.title, err.public, headers={"Retry-After": "5"})


def install(app: FastAPI) -> None:
    @app.exception_handler(GeoServiceError)
    async def _domain(_: Request, e: GeoServiceError) -> JSONResponse:
        headers = {"Retry-After": "5"} if e.status == 503 else None
        if e.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return problem(e.status, e.title, e.public, headers=headers, **e.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, e: RequestValidationError) -> JSONResponse:
        errors = [
            {"where": _where(tuple(err.get("loc", ()))), "message": err.get("msg", "")}
            for err in e.errors()
        ]
        detail = "; ".join(f"{x['where']}: {x['message']}" for x in errors)
        return problem(422, "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        detail = e.detail if isinstance(e.detail, str) else "request refused"
        if e.status_code == 404 and detail == "Not Found":
            detail = "no such route; see /docs for the API"
        if e.status_code == 405:
            detail = "method not allowed on this route; see /docs"
        return problem(e.status_code, "HTTP error", detail, headers=e.headers)

    @app.exception_handler(sa_exc.OperationalError)
    @app.exception_handler(sa_exc.InterfaceError)
    @app.exception_handler(sa_exc.TimeoutError)
    async def _db(_: Request, e: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(e).__name__)
        return _db_down()

    @app.exception_handler(Exception)
    async def _any(_: Request, e: Exception) -> JSONResponse:
        # DBAPI errors raised while the database goes away come as several types
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return _db_down()
        log.exception("unhandled error")
        return problem(500, "Internal error", "an internal error occurred; it has been logged")
