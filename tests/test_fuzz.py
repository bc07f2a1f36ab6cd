"""Schemathesis against the app's own OpenAPI, with the demo district behind it.

Every operation, each generated request sent four times (no token, investor, bureau, official):
no 5xx, and every answer matches its documented schema and media type. Bounded (few examples
per operation) so it runs in about a minute; writes go to this module's OWN demo database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy import create_engine

from geo_service.api.app import create_app
from geo_service.db import migrate
from geo_service.settings import Settings
from tests.conftest import fresh_database
from tests.helpers import token

MAX_EXAMPLES = 15
#: operations that render whole documents (seconds each): fewer examples keep the run short
FEW_EXAMPLES = {"/api/v1/reports/weekly": 3, "/api/v1/reports/monthly": 3,
                "/api/v1/charts/{name}.svg": 5, "/maps/dashboard": 3}  # fmt: skip
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def fuzz_env() -> Iterator[dict[str, Any]]:
    """The app on a private copy of the demo district (the fuzzer writes), plus tokens."""
    from geo_service.demo.load import load_demo

    for url in fresh_database():
        eng = create_engine(url)
        migrate.upgrade(eng)
        settings = Settings(database_url=url)
        load_demo(eng, settings.demo_dir)
        headers = {
            "public": {},
            **{
                role: token(eng, role, f"fuzz-{role}")
                for role in ("investor", "bureau", "official")
            },
        }
        app = create_app(settings)
        with TestClient(app):  # runs the lifespan: engine and sessions on app.state
            yield {"app": app, "headers": headers}
        eng.dispose()


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the OpenAPI (building it needs no database)."""
    spec = create_app(Settings(database_url="postgresql://collect@127.0.0.1/none")).openapi()
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


@pytest.fixture(scope="module")
def api_schema(fuzz_env: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_env["app"])


@pytest.mark.parametrize(("method", "path"), _operations())
def test_operation(method: str, path: str, api_schema: Any, fuzz_env: dict[str, Any]) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=FEW_EXAMPLES.get(path, MAX_EXAMPLES),
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        for headers in fuzz_env["headers"].values():
            response = case.call(headers=headers, allow_redirects=False)
            case.validate_response(response, checks=CHECKS, headers=headers)

    run()
