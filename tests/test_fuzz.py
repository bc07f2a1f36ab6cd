"""`schemathesis run --checks all` against the served app, as the public and as each role.

The service runs (uvicorn, on a free loopback port) on this module's OWN copy of the demo
district, so the fuzzer's writes touch nothing else. schemathesis reads the repository's
schemathesis.toml (what the document cannot say: no NUL characters in text, 412/422 answers of
writes that depend on the stored data, 428 for a missing If-Match). Derandomised
(``--generation-deterministic``): the same run every time. The OpenAPI carries the demo's
codes as examples, so the requests reach real records. Every check must pass: no 5xx, status
codes, media types, headers and bodies as documented, schema-valid requests accepted and
invalid ones refused, auth enforced where declared, ``Allow`` on 405.

Bounded by ``MAX_EXAMPLES`` (2 per operation and phase): about a minute per caller.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine

from geo_service.api.app import create_app
from geo_service.db import migrate
from geo_service.settings import Settings
from tests.databases import fresh_database
from tests.helpers import token

MAX_EXAMPLES = 2
ROOT = Path(__file__).resolve().parents[1]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CALLERS = ("public", "investor", "bureau", "official")

#: both callers' runs on one xdist worker (`make test` uses --dist loadgroup): one served demo,
#: and never two schemathesis runs at once on two cores
pytestmark = pytest.mark.xdist_group("fuzz")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    """The app on a private copy of the demo district, served over HTTP; plus tokens."""
    from geo_service.demo.load import load_demo

    for url in fresh_database():
        eng = create_engine(url)
        migrate.upgrade(eng)
        # maps in vector-tile mode: pages render fast, so the fuzzer's time goes to checking
        # (the embedded mode is tested in test_maps.py)
        settings = Settings(database_url=url, map_max_embedded_features=50)
        load_demo(eng, settings.demo_dir)
        headers: dict[str, dict[str, str]] = {"public": {}}
        for role in CALLERS[1:]:
            headers[role] = token(eng, role, f"fuzz-{role}")
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        try:
            yield {"base": base, "headers": headers}
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            eng.dispose()


@pytest.mark.parametrize("caller", CALLERS)
def test_schemathesis_checks_all(caller: str, served: dict[str, Any]) -> None:
    cmd = [
        str(SCHEMATHESIS),
        "run",
        served["base"] + "/openapi.json",
        "--checks",
        "all",
        "--generation-deterministic",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--no-color",
    ]
    for name, value in served["headers"][caller].items():
        cmd += ["--header", f"{name}: {value}"]
    run = subprocess.run(  # noqa: S603
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=540, check=False
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, f"schemathesis as {caller}:\n{out[-12000:]}"
    assert "passed" in out and " 0 passed" not in out
