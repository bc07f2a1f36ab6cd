"""Reading a served HTML page as a person does: its text, its result list, a GET that must
answer 200 (shared by the supply-map and supply-findings tests)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient


def rows(page: str) -> dict[str, str]:
    """The result list as a person reads it: code → the row's text."""
    out = {}
    for code, cells in re.findall(r'<tr data-gs-code="([^"]+)">(.*?)</tr>', page, re.S):
        out[html.unescape(code)] = html.unescape(re.sub(r"<[^>]+>", " ", cells))
    return out


def text_of(page: str) -> str:
    """The page's visible text, whitespace folded (no scripts, no styles)."""
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def get(client: TestClient, url: str, headers: dict[str, str] | None = None) -> str:
    """The page's HTML; it must answer 200."""
    r = client.get(url, headers=headers or {})
    assert r.status_code == 200, r.text
    return r.text
