"""Reading back what the service renders: PDF text and fonts (pypdf), DOCX text (python-docx),
SVG chart points, the CJK font's glyphs; for the report and dashboard tests."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

SVG = "{http://www.w3.org/2000/svg}"
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def get_ok(client: TestClient, url: str, headers: dict[str, str]) -> Any:
    r = client.get(url, headers=headers)
    assert r.status_code == 200, f"{url}: {r.status_code} {r.text[:300]}"
    return r


def pdf_text(data: bytes) -> tuple[list[str], Any]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return [p.extract_text() or "" for p in reader.pages], reader


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fonts(reader: Any) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font") or {}
        for f in fonts.values():
            names.add(str(f.get_object()["/BaseFont"]))
    return names


def cjk_cmap() -> set[int]:
    from fontTools.ttLib import TTCollection

    return set(TTCollection(str(CJK_FONT)).fonts[0].getBestCmap())


def docx_text(data: bytes) -> tuple[str, Any]:
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts), doc


def points(svg: str, series: str, tag: str = "circle") -> list[tuple[str, str]]:
    root = ET.fromstring(svg)
    return [
        (el.get("data-x") or "", el.get("data-value") or "")
        for el in root.iter(f"{SVG}{tag}")
        if el.get("data-series") == series
    ]
