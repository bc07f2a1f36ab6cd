"""Browser-test helpers: the app served on a free loopback port, and a page opened in headless
Chromium that records script errors and dialogs (the ``browser`` fixture is in conftest)."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import uvicorn

from geo_service.api.app import create_app
from geo_service.settings import Settings

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(url: str, **overrides: Any) -> Iterator[str]:
    """The app on ``url``, served by uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    app = create_app(Settings(database_url=url, **{"tile_url": "none", **overrides}))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def signed_in(token: str, url: str) -> dict[str, Any]:
    """The cookie ``/maps/login`` sets (path ``/``): sent with the page and with its tile and
    detail requests alike (a cookie set for the page's URL alone would stay off ``/tiles/``)."""
    return {"name": "gs_token", "value": token, "domain": urlsplit(url).hostname, "path": "/"}


def open_page(browser: Any, url: str, cookie: str | None = None) -> tuple[Any, list[str], Any]:
    ctx = browser.new_context()
    if cookie:
        ctx.add_cookies([signed_in(cookie, url)])
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector(".leaflet-container")
    return page, errors, dialogs


def query_of(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def pdf_facts(pdf: bytes, tmp_path: Path) -> tuple[int, str, str]:
    """Pages, page size and text of a PDF (poppler's pdfinfo / pdftotext)."""
    f = tmp_path / "out.pdf"
    f.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(f)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    size = re.search(r"Page size:\s+(.*)", info).group(1)  # type: ignore[union-attr]
    body = subprocess.run(
        ["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True, check=True
    ).stdout
    return pages, size, body


def follow_popup_link(page: Any, name: str, timeout: float = 90_000) -> None:
    """Click a link in the open popup as a person does, once the map has stopped panning it into
    view (a click during the pan lands beside the link), and wait for the page it opens. A click
    that opened nothing (the popup was redrawn under it, e.g. by the marker clusters) is made
    again, as a person would; a click that did ask for the page waits for it, however slow."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    start = page.url
    asked: list[str] = []

    def on_request(r: Any) -> None:
        if r.resource_type == "document" and r.frame == page.main_frame:
            asked.append(r.url)

    page.on("request", on_request)
    try:
        for attempt in range(3):
            page.wait_for_function(
                "() => !(window.GS && GS.map && GS.map._panAnim && GS.map._panAnim._inProgress)"
            )
            link = page.locator(".leaflet-popup-content").get_by_role("link", name=name)
            link.wait_for()
            before = len(asked)
            link.click(no_wait_after=True)
            try:
                page.wait_for_url(lambda u: u != start, timeout=15_000)
            except PlaywrightTimeout:
                if len(asked) == before and attempt < 2:
                    continue  # nothing was asked for: click again
                page.wait_for_url(lambda u: u != start, timeout=timeout)
            page.wait_for_load_state("load", timeout=timeout)
            return
    finally:
        page.remove_listener("request", on_request)


#: resolves at the map's next ``moveend`` (folium names the map variable map_<hex>)
NEXT_MOVEEND = """() => {
  const m = window[Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))];
  window.__gsMoved = new Promise(r => m.once('moveend', () => r(true))); }"""


def drag(page: Any, start: tuple[float, float], end: tuple[float, float], *, step_ms: int) -> None:
    """Drag the map with the mouse from ``start`` to ``end`` in 20 moves ``step_ms`` apart, and
    wait until it has settled (its ``moveend``, after any glide; at most 5 s)."""
    page.evaluate(NEXT_MOVEEND)
    page.mouse.move(*start)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(
            start[0] + (end[0] - start[0]) * i / 20, start[1] + (end[1] - start[1]) * i / 20
        )
        if step_ms:
            page.wait_for_timeout(step_ms)
    page.mouse.up()
    page.wait_for_function("() => window.__gsMoved", timeout=5000)
