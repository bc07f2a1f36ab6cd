"""``county`` in the OpenAPI document (every route whose county rule takes it declares it), and
exports per county or all, over the API and the command line (issue 14), on the demo city."""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from geo_service.api.openapi import api_routes, gate_of
from geo_service.api.openapi_county import takes_county
from geo_service.auth.tokens import create_token
from geo_service.db.engine import transaction
from tests.helpers import run_cli, token

HY, DC = "411603", "411625"


def test_openapi_declares_county_on_every_walled_route(demo_client: TestClient) -> None:
    doc = demo_client.get("/openapi.json").json()
    walled, checked = [], 0
    for route in api_routes(demo_client.app):  # type: ignore[arg-type]
        if not route.include_in_schema:
            continue
        for method in route.methods or ():
            op = doc["paths"][route.path_format][method.lower()]
            params = [p for p in op.get("parameters", []) if p["name"] == "county"]
            if takes_county(gate_of(route)):
                walled.append(f"{method} {route.path_format}")
                assert len(params) == 1, f"{method} {route.path_format} does not declare county"
                p = params[0]
                assert p["in"] == "query" and not p["required"]
                schemas = p["schema"].get("anyOf") or [p["schema"]]
                assert "^([0-9]{6})?$" in [x.get("pattern") for x in schemas]
                assert "/api/v1/counties" in p["description"]
                assert "422" in op["responses"]
                checked += 1
            else:
                assert not params, f"{method} {route.path_format}: no county rule, no county="
    assert checked > 40
    for must in ("GET /api/v1/parcels", "GET /maps/readiness", "GET /api/v1/stats",
                 "GET /api/v1/exports/{kind}", "GET /maps/supply"):  # fmt: skip
        assert any(w.startswith(must.split("{")[0]) for w in walled), must
    # what the document says holds: an unknown county is 422 naming it
    r = demo_client.get("/api/v1/parcels", params={"county": "999999"})
    assert r.status_code == 422 and "county" in r.json()["detail"]
    # and sent empty (as the document allows: a form left at 全市) it is the whole city
    every = demo_client.get("/api/v1/parcels", params={"limit": 500}).json()["features"]
    empty = demo_client.get("/api/v1/parcels", params={"county": "", "limit": 500})
    assert empty.status_code == 200 and len(empty.json()["features"]) == len(every)


def _codes(csv_text: str, column: str = "code") -> set[str]:
    rows = list(csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))))
    return {r[column] for r in rows}


@pytest.fixture(scope="module")
def official(demo_url: str) -> dict[str, str]:
    from sqlalchemy import create_engine

    eng = create_engine(demo_url)
    try:
        return token(eng, "official")
    finally:
        eng.dispose()


@pytest.mark.parametrize("kind", ["parcels", "projects", "readiness"])
def test_api_exports_per_county_or_all(
    demo_client: TestClient, official: dict[str, str], kind: str
) -> None:
    url = f"/api/v1/exports/{kind}"
    every = demo_client.get(url, params={"format": "csv"}, headers=official)
    assert every.status_code == 200, every.text[:300]
    column = (
        "code"
        if kind != "readiness"
        else next(iter(csv.reader(io.StringIO(every.text.lstrip("\ufeff")))))[0]
    )
    allc = _codes(every.text, column)
    dc = demo_client.get(url, params={"format": "csv", "county": DC}, headers=official)
    hy = demo_client.get(url, params={"format": "csv", "county": HY}, headers=official)
    assert dc.status_code == hy.status_code == 200
    dcc, hyc = _codes(dc.text, column), _codes(hy.text, column)
    assert dcc and hyc and not dcc & hyc  # each county its own rows
    assert dcc | hyc == allc  # and all of them together: the whole city
    if kind != "projects":
        assert all(c.startswith("DC-") for c in dcc) and all(c.startswith("HY-") for c in hyc)
        # a city-wide file says each row's county (a code is unique within its county only)
        head = next(iter(csv.reader(io.StringIO(every.text.lstrip("\ufeff")))))
        col = "county" if "county" in head else "县区代码"
        assert _codes(every.text, col) == {DC, HY} and _codes(dc.text, col) == {DC}
    # and a county's file is named for it
    assert f"{kind}-{DC}.csv" in dc.headers["content-disposition"]
    assert f'filename="{kind}.csv"' in every.headers["content-disposition"]


def test_cli_export_per_county_or_all(demo_engine: Engine, tmp_path: Path) -> None:
    every, dc = tmp_path / "all.csv", tmp_path / "dc.csv"
    r = run_cli(demo_engine, "export", "parcels", "--format", "csv", "--out", str(every))
    assert r.returncode == 0, r.stderr
    r = run_cli(
        demo_engine, "export", "parcels", "--format", "csv", "--out", str(dc), "--county", DC
    )
    assert r.returncode == 0, r.stderr
    assert "12 parcels" in r.stdout
    all_codes = _codes(every.read_text(encoding="utf-8-sig"))
    dc_codes = _codes(dc.read_text(encoding="utf-8-sig"))
    assert dc_codes and all(c.startswith("DC-") for c in dc_codes)
    assert any(c.startswith("HY-") for c in all_codes) and dc_codes < all_codes
    # an unknown county is refused, naming the option, and writes nothing
    bad = tmp_path / "bad.csv"
    r = run_cli(demo_engine, "export", "parcels", "--format", "csv", "--out", str(bad),
                "--county", "999999")  # fmt: skip
    assert r.returncode != 0 and "--county" in (r.stdout + r.stderr) and not bad.exists()


def test_county_token_exports_only_its_county(demo_client: TestClient, demo_engine: Engine) -> None:
    with transaction(demo_engine) as s:
        secret = create_token(
            s, role="bureau", name=f"dc-{uuid.uuid4().hex[:6]}", actor="test", county=DC
        )
    h: dict[str, Any] = {"Authorization": f"Bearer {secret}"}
    r = demo_client.get("/api/v1/exports/parcels", params={"format": "csv"}, headers=h)
    codes = _codes(r.text)
    assert codes and all(c.startswith("DC-") for c in codes)
    r = demo_client.get(
        "/api/v1/exports/parcels", params={"format": "csv", "county": HY}, headers=h
    )
    assert r.status_code == 403


def test_a_countys_weekly_report_is_that_countys(demo_client: TestClient, demo_engine: Engine,
                                                 tmp_path: Path) -> None:  # fmt: skip
    """A city official asks for 郸城县's 督查专报: its title, figures and flagged projects are the
    county's (as /api/v1/stats?county= and the project list say), none of 淮阳区's."""
    from tests.documents import docx_text, flat, pdf_text

    official = token(demo_engine, "official")
    q = f"as_of=2026-11-27&county={DC}"
    stats = demo_client.get(f"/api/v1/stats?{q}", headers=official).json()
    red = demo_client.get(f"/api/v1/projects?{q}&rag=red&limit=1000", headers=official).json()
    red_codes = {f["id"] for f in red["features"]}
    hy = demo_client.get("/api/v1/projects?as_of=2026-11-27&county=411603&rag=red&limit=1000",
                         headers=official).json()  # fmt: skip
    hy_codes = {f["id"] for f in hy["features"]}
    assert red_codes and hy_codes and not red_codes & hy_codes

    r = demo_client.get(f"/api/v1/reports/weekly?{q}&format=pdf", headers=official)
    assert r.status_code == 200, r.text[:300]
    text = flat("\n".join(pdf_text(r.content)[0]))
    assert text.startswith("郸城县重点项目督查专报")
    assert f"重点项目{stats['projects']['count']}个" in text
    assert f"红灯项目{stats['projects']['rag']['red']}个" in text
    assert all(c in text for c in red_codes)
    said_codes = set(re.findall(r"[A-Z]*XM\d{4}-\d{3}", text))
    assert red_codes <= said_codes and not said_codes & hy_codes, "淮阳区's projects are in it"

    # the same from the command line, as Word; an unknown county writes nothing
    out = tmp_path / "dc.docx"
    r2 = run_cli(demo_engine, "report", "weekly", "--as-of", "2026-11-27", "--county", DC,
                 "--out", str(out))  # fmt: skip
    assert r2.returncode == 0, r2.stderr
    said, _doc = docx_text(out.read_bytes())
    assert "郸城县" in said and all(c in said for c in red_codes)
    bad = tmp_path / "bad.pdf"
    r3 = run_cli(demo_engine, "report", "weekly", "--county", "999999", "--out", str(bad))
    assert r3.returncode != 0 and "--county" in (r3.stdout + r3.stderr) and not bad.exists()


def _map_svgs(page: str) -> list[str]:
    """The report's map figures (their SVG), from its HTML form."""
    import base64

    svgs = [
        base64.b64decode(b).decode("utf-8")
        for b in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page)
    ]
    return [s for s in svgs if "项目分布图" in s]


def test_the_report_map_draws_the_counties_reported_on(demo_client: TestClient,
                                                      demo_engine: Engine) -> None:  # fmt: skip
    """郸城县's 督查专报 draws 郸城县's outline (not 淮阳区's) with its projects labelled as its
    own; the city's draws both counties; 郸城县's few crowded points get an enlarged figure."""
    official = token(demo_engine, "official")
    url = "/api/v1/reports/weekly?as_of=2026-11-27&format=html"
    outline = 'fill="#f4f1e8"'
    dc = _map_svgs(demo_client.get(f"{url}&county={DC}", headers=official).text)
    city = _map_svgs(demo_client.get(url, headers=official).text)
    hy = _map_svgs(demo_client.get(f"{url}&county={HY}", headers=official).text)
    assert dc[0].count(outline) == 1 and hy[0].count(outline) >= 1
    assert city[0].count(outline) == dc[0].count(outline) + hy[0].count(outline)
    # the outline drawn for 郸城县 is its own: 郸城县's (5-point) box, not 淮阳区's long ring
    dc_path = re.search(r'<path d="([^"]+)" fill="#f4f1e8"', dc[0])
    assert dc_path and dc_path[1].count("L") == 4
    assert ">DC001<" in dc[0] and ">DC001<" in city[0]
    # a scale bar of a round length and a north arrow on every figure
    assert all(re.search(r">\d+(\.\d)? 公里<", f) and ">N<" in f for f in dc + city)
    assert len(dc) == 2, "郸城县's points sit together in its zone: an enlarged figure follows"


def test_the_city_report_compares_its_counties(demo_client: TestClient, demo_engine: Engine):
    """The city's 督查专报 has a row per county with that county's figures (as
    /api/v1/stats's by_county says); a county's own report has no such table."""
    from tests.documents import docx_text, flat

    official = token(demo_engine, "official")
    stats = demo_client.get("/api/v1/stats?as_of=2026-11-27", headers=official).json()
    url = "/api/v1/reports/weekly?as_of=2026-11-27"
    page = demo_client.get(f"{url}&format=html", headers=official).text
    assert "各县区主要指标" in page
    rows = re.findall(r"<tr>((?:<td[^>]*>[^<]*</td>)+)</tr>", page.split("各县区主要指标", 1)[1])
    cells = {r[0]: r for r in (re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in rows[:2])}
    for code, name in ((HY, "淮阳区"), (DC, "郸城县")):
        p = stats["by_county"][code]["projects"]
        assert cells[name][1:2] + cells[name][4:6] == [str(p["count"]), str(p["rag"]["red"]),
                                                      str(p["overdue"])], cells[name]  # fmt: skip
    said, _ = docx_text(demo_client.get(f"{url}&format=docx", headers=official).content)
    assert "各县区主要指标" in said and "郸城县" in flat(said)
    one = demo_client.get(f"{url}&format=html&county={DC}", headers=official).text
    assert "各县区主要指标" not in one
