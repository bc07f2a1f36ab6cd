"""The supply side of the reports, read back as a reader would: the weekly 督查专报 and the monthly
pack list the idle parcels, the 90/30-day warnings, the proposed fees and the missed deadlines
exactly as ``GET /api/v1/supply/idle`` and ``geo-service supply check`` say for the same day; the
reserve chart replays the supply events; the dashboard shows the same figures in zh and en."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.documents import cjk_cmap as _cjk_cmap
from tests.documents import docx_text as _docx_text
from tests.documents import flat as _flat
from tests.documents import fonts as _fonts
from tests.documents import get_ok as _get
from tests.documents import pdf_text as _pdf_text
from tests.documents import points as _points
from tests.helpers import run_cli, token

AS_OF = date(2026, 11, 27)  # the demo's own date: HY-2026-059 idle ≥1 year, HY-2026-024 late
NEAR_1Y = date(2026, 6, 10)  # 20 days before HY-2026-059's one-year mark: the 30-day warning
EARLY = date(2026, 4, 15)  # 76 days before it: the 90-day warning


@pytest.fixture(scope="module")
def official(demo_engine: Engine) -> dict[str, str]:
    return token(demo_engine, "official")


def _check(client: TestClient, headers: dict[str, str], day: date) -> dict[str, Any]:
    """The daily supply check for ``day`` as the API gives it."""
    return _get(client, f"/api/v1/supply/idle?as_of={day}", headers).json()


def _zh(d: str | None) -> str:
    y, m, dd = (int(x) for x in (d or "")[:10].split("-"))
    return f"{y}年{m}月{dd}日"


def _rows_said(check: dict[str, Any]) -> list[str]:
    """The rows a report must carry for the check (flattened, cell after cell): each idle
    parcel with its proposal and fee, each warning with its days left, each missed deadline
    with its due day, when it was done and its days late."""
    rows = []
    for p in check["parcels"]:
        i = p["idle"]
        if i["status"] in ("idle_1y", "idle_2y"):
            zh = "闲置满一年" if i["status"] == "idle_1y" else "闲置满两年"
            row = f"{p['parcel']}{p['name']}{zh}{_zh(i['since'])}起"
            prop = i["proposal"]
            if prop and prop.get("fee_wan") is not None:
                row += f"征收土地闲置费{float(prop['fee_wan']):.2f}万元"
            rows.append(row)
        if w := i.get("warning"):
            mark = "满一年" if w["mark"] == "idle_1y" else "满两年"
            rows.append(
                f"{p['parcel']}{p['name']}闲置{mark}{_zh(w['due'])}{w['days_left']}"
                f"{w['level_days']}天预警"
            )
        for d in p["missed"]:
            done = f"{_zh(d['done_on'])}履行" if d["done_on"] else "尚未履行"
            rule = d["label"].split(" ", 1)[0]
            rows.append(f"{p['parcel']}{p['name']}{rule}{_zh(d['due'])}{done}{d['days_late']}")
    return rows


def _assert_says(flat: str, check: dict[str, Any]) -> None:
    s = check["summary"]
    assert f"拟征收土地闲置费合计{float(s['proposed_fees_wan']):.2f}万元" in flat
    assert f"闲置满一年{s['idle']['idle_1y']}宗、满两年{s['idle']['idle_2y']}宗" in flat
    assert (
        f"逾期未履行的供地期限{s['missed_deadlines']}项（涉及{s['parcels_with_missed']}宗" in flat
    )
    for row in _rows_said(check):
        assert row in flat, f"the report does not list {row!r}"


def test_weekly_pdf_and_docx_list_the_supply_check(
    demo_client: TestClient, demo_engine: Engine, official: dict[str, str]
) -> None:
    check = _check(demo_client, official, AS_OF)
    s = check["summary"]
    # the demo's story, and the command line says the same as the API
    assert s["idle"]["idle_1y"] == 1 and float(s["proposed_fees_wan"]) == 836
    cli = run_cli(demo_engine, "supply", "check", "--as-of", AS_OF.isoformat())
    assert cli.returncode == 0, cli.stderr
    assert f"proposed fees {float(s['proposed_fees_wan']):.2f} 万元" in cli.stdout
    assert f"({s['missed_deadlines']} missed)" in cli.stdout

    r = _get(demo_client, f"/api/v1/reports/weekly?as_of={AS_OF}&format=pdf", official)
    pages, _ = _pdf_text(r.content)
    start = next(i for i, p in enumerate(pages) if "六、土地供应与闲置土地" in _flat(p))
    flat = _flat("".join(pages[start:]))
    assert "六、土地供应与闲置土地" in flat
    # HY-2026-059: idle ≥ 1 year since 2026-07-01, fee 836.00 万元 (20 % of 4180)
    assert "HY-2026-059" in flat and "2026年7月1日起" in flat
    assert "征收土地闲置费836.00万元（出让价款4180万元的20%）" in flat
    # HY-2026-024: start_construction missed by 110 days, done 2026-04-20
    assert "HY-2026-024经开区纬三路北、经五路东地块开工2025年12月31日2026年4月20日履行110" in flat
    _assert_says(flat, check)
    d = _get(demo_client, f"/api/v1/reports/weekly?as_of={AS_OF}&format=docx", official)
    text, _ = _docx_text(d.content)
    assert "六、土地供应与闲置土地" in _flat(text)
    _assert_says(_flat(text), check)


def test_the_pack_warns_30_days_before_a_parcel_becomes_idle(
    demo_client: TestClient, official: dict[str, str]
) -> None:
    check = _check(demo_client, official, NEAR_1Y)
    p059 = next(p for p in check["parcels"] if p["parcel"] == "HY-2026-059")
    assert p059["idle"]["status"] == "warning"
    assert p059["idle"]["warning"]["level_days"] == 30
    left = p059["idle"]["warning"]["days_left"]
    assert left == (date(2026, 6, 30) - NEAR_1Y).days

    r = _get(demo_client, f"/api/v1/reports/monthly?as_of={NEAR_1Y}&format=pdf", official)
    pages, reader = _pdf_text(r.content)
    # the pack too is set in Noto CJK only, every character with a glyph (no tofu)
    assert all("Noto" in f for f in _fonts(reader))
    cmap = _cjk_cmap()
    text = "".join(pages)
    assert not sorted({c for c in text if ord(c) > 0x2000 and ord(c) not in cmap})
    start = next(i for i, p in enumerate(pages) if "三、土地供应与闲置土地" in _flat(p))
    flat = _flat("".join(pages[start:]))
    assert "没有闲置满一年的土地" in flat  # not idle yet
    assert f"闲置满一年2026年6月30日{left}30天预警" in flat
    _assert_says(flat, check)
    # the reserve of that day is replayed from the supply events (HY-2026-016 was sold later)
    svg = _get(demo_client, f"/api/v1/charts/reserve.svg?as_of={NEAR_1Y}", official).text
    then = float(_points(svg, "reserve")[-1][1])
    today = _get(demo_client, "/api/v1/stats", official).json()["land"]["net_land_reserve_mu"]
    assert then > today
    assert f"净地储备{then:.2f}亩" in flat
    target = _get(demo_client, "/api/v1/stats", official).json()["land"]
    target_mu = target["net_land_reserve_target_mu"]  # the city's: the sum of its counties'
    assert f"净地储备≥{target_mu:.0f}亩{then:.2f}亩按供地事件回溯" in _flat("".join(pages[:start]))
    d = _get(demo_client, f"/api/v1/reports/monthly?as_of={NEAR_1Y}&format=docx", official)
    text, _ = _docx_text(d.content)
    _assert_says(_flat(text), check)

    early = _check(demo_client, official, EARLY)
    w = next(p for p in early["parcels"] if p["parcel"] == "HY-2026-059")["idle"]["warning"]
    assert w["level_days"] == 90
    html = _get(demo_client, f"/api/v1/reports/weekly?as_of={EARLY}&format=html", official).text
    assert f'<td class="num">{w["days_left"]}</td><td class="nowrap">90天预警</td>' in html


def test_the_reserve_chart_replays_the_supply_events(
    demo_client: TestClient, official: dict[str, str]
) -> None:
    """A parcel leaves the reserve the day its sale closes (it has a buyer): the first month end
    of the chart minus its last point is the area of the net parcels sold in between (API)."""
    svg = _get(demo_client, f"/api/v1/charts/reserve.svg?as_of={AS_OF}", official).text
    pts = _points(svg, "reserve")
    assert len(pts) == 25  # 24 month ends and the day itself
    stats = _get(demo_client, "/api/v1/stats", official).json()
    assert float(pts[-1][1]) == stats["land"]["net_land_reserve_mu"]
    first = date(2024, 11, 30)
    parcels = _get(demo_client, "/api/v1/parcels?limit=1000", official).json()["features"]
    net = {
        f["properties"]["code"]: f["properties"]["area_mu"]
        for f in parcels
        if f["properties"]["net_land"]
    }
    left = 0.0
    for code, mu in net.items():
        sup = demo_client.get(f"/api/v1/parcels/{code}/supply", headers=official).json()
        for e in sup.get("events", []):
            on = date.fromisoformat(e["on"])
            if e["event"] == "sale_closed" and e.get("counts", True) and first < on <= AS_OF:
                left += mu
    assert left > 0, "the demo sold net parcels in the last two years"
    assert float(pts[0][1]) - float(pts[-1][1]) == pytest.approx(left, abs=0.05)
    assert "按供地事件回溯" in svg and "成交即移出储备" in svg
    en = _get(demo_client, f"/api/v1/charts/reserve.svg?as_of={AS_OF}&lang=en", official).text
    assert "Replayed from supply events" in en and len(_points(en, "reserve")) == 25


def test_the_supply_chart_and_the_dashboard_say_what_the_check_says(
    demo_client: TestClient, official: dict[str, str]
) -> None:
    check = _check(demo_client, official, AS_OF)
    missed = {
        (p["parcel"], d["rule"]): d["days_late"] for p in check["parcels"] for d in p["missed"]
    }
    svg = _get(demo_client, f"/api/v1/charts/supply.svg?as_of={AS_OF}", official).text
    bars = _points(svg, "late", "rect")
    assert sorted(int(v) for _, v in bars) == sorted(missed.values())
    assert ("HY-2026-024 开工", "110") in bars
    s = check["summary"]
    for lang in ("zh", "en"):
        html = _get(demo_client, f"/maps/dashboard?as_of={AS_OF}&lang={lang}", official).text
        assert f'<b data-figure="missed">{s["missed_deadlines"]}</b>' in html
        assert f'<b data-figure="idle_1y">{s["idle"]["idle_1y"]}</b>' in html
        assert f'<b data-figure="fees">{float(s["proposed_fees_wan"]):.2f}</b>' in html
        for parcel, rule in missed:
            assert f'data-parcel="{parcel}" data-rule="{rule}"' in html
        assert html.count('<figure data-chart="') == 8
    en = _get(demo_client, f"/maps/dashboard?as_of={AS_OF}&lang=en", official).text
    assert 'lang="en"' in en and "Missed deadlines" in en and "836.00" in en
