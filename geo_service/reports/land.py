"""The land side of the reports: supply clocks, idle land, and the net-land reserve over time.

Nothing is judged here. The overdue clocks, idle parcels, warnings and proposed fees are those of
``supply.service.check_all`` (the daily check behind ``GET /api/v1/supply/idle`` and
``geo-service supply check``) as of the report's day; this module only picks and labels them.
The reserve over time replays each parcel's supply events with ``supply.events.stage_of`` and
``coarse`` (the same mapping that sets the register's ``supply_stage``), so the reserve of the
report's day is the one ``land_stats`` gives when the register is in step with the events.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo_service.counties.targets import reserve_target_mu
from geo_service.parcels.models import Parcel
from geo_service.parcels.repository import NET_LAND
from geo_service.parcels.stats import land_stats
from geo_service.reports import labels as L
from geo_service.settings import Settings
from geo_service.spatial import m2_to_mu
from geo_service.supply.events import coarse, stage_of
from geo_service.supply.service import check_all, effective

#: coarse supply stages that are still in the reserve (``parcels.stats.land_stats``)
RESERVE_STAGES = ("plan", "notice", "sale")
IDLE_ZH = {"idle_1y": "闲置满一年", "idle_2y": "闲置满两年", "warning": "临近闲置认定"}
ACTION_ZH = {"fee": "征收土地闲置费", "recovery": "无偿收回土地使用权"}
MARK_ZH = {"idle_1y": "满一年", "idle_2y": "满两年"}
IDLE_EN = {"idle_1y": "idle ≥ 1 year", "idle_2y": "idle ≥ 2 years", "warning": "near idle"}


def rule_name(label: str, lang: str = "zh") -> str:
    """A rule's name in the language: the supply rules' labels read "中文 English…"."""
    zh, _, en = label.partition(" ")
    return zh if lang != "en" else (en or zh)


def supply_figures(session: Session, settings: Settings, *, as_of: date) -> dict[str, Any]:
    """The supply check as of the day, as the reports list it: missed deadlines (most days
    late first), idle parcels (≥2 years first) with the proposal, parcels near an idle mark."""
    check = check_all(session, settings=settings, as_of=as_of)
    missed, idle, warnings = [], [], []
    for p in check["parcels"]:
        for d in p["missed"]:
            missed.append(
                {
                    "parcel": p["parcel"],
                    "name": p["name"],
                    "rule": d["rule"],
                    "rule_zh": rule_name(d["label"]),
                    "rule_en": rule_name(d["label"], "en"),
                    "due": d["due"],
                    "due_zh": L.zh_date(d["due"]),
                    "done_on": d["done_on"],
                    "done_zh": L.zh_date(d["done_on"]) if d["done_on"] else "尚未履行",
                    "days_late": d["days_late"],
                    "provisional": d["provisional"],
                }
            )
        i = p["idle"]
        if i["status"] in ("idle_1y", "idle_2y"):
            prop = i.get("proposal") or {}
            idle.append(
                {
                    "parcel": p["parcel"],
                    "name": p["name"],
                    "status": i["status"],
                    "status_zh": IDLE_ZH[i["status"]],
                    "since": i["since"],
                    "since_zh": L.zh_date(i["since"]),
                    "clock_from_zh": L.zh_date(i["clock_from"]),
                    "action": prop.get("action"),
                    "proposal_zh": _proposal_zh(prop),
                    "status_en": IDLE_EN[i["status"]],
                    "proposal_en": _proposal_en(prop),
                    "fee_wan": prop.get("fee_wan"),
                    "price_wan": prop.get("price_wan"),
                    "decision": i.get("decision"),
                }
            )
        if i.get("warning"):
            w = i["warning"]
            warnings.append(
                {
                    "parcel": p["parcel"],
                    "name": p["name"],
                    "status": i["status"],
                    "mark": w["mark"],
                    "mark_zh": MARK_ZH.get(w["mark"], w["mark"]),
                    "due": w["due"],
                    "due_zh": L.zh_date(w["due"]),
                    "days_left": w["days_left"],
                    "level_days": w["level_days"],
                }
            )
    missed.sort(key=lambda m: (-(m["days_late"] or 0), m["parcel"], m["rule"]))
    idle.sort(key=lambda x: (x["status"] != "idle_2y", x["since"], x["parcel"]))
    warnings.sort(key=lambda x: (x["days_left"], x["parcel"]))
    return {
        "as_of": check["as_of"],
        "summary": check["summary"],
        "missed": missed,
        "idle": idle,
        "warnings": warnings,
    }


def _proposal_zh(prop: dict[str, Any]) -> str:
    if not prop:
        return ""
    what = ACTION_ZH.get(prop["action"], prop["action"])
    if prop.get("fee_wan") is not None:
        share = float(prop.get("fee_share") or 0) * 100
        return f"{what}{prop['fee_wan']:.2f}万元（出让价款{prop['price_wan']:g}万元的{share:g}%）"
    return what


def _proposal_en(prop: dict[str, Any]) -> str:
    if not prop:
        return ""
    if prop.get("fee_wan") is not None:
        share = float(prop.get("fee_share") or 0) * 100
        return f"idle fee, {share:g} % of the price ({prop['price_wan']:g} 万元)"
    return "recovery without compensation" if prop["action"] == "recovery" else prop["action"]


def _month_ends(as_of: date, months: int) -> list[date]:
    """The last day of each of the ``months`` months before ``as_of``'s month, then ``as_of``."""
    out = []
    first = as_of.replace(day=1)
    for _ in range(months):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    ends = [(d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1) for d in out]
    return sorted(ends) + [as_of]


_EVENTS = text(
    "SELECT e.parcel_id, e.id, e.event, e.occurred_on, e.data, c.id AS corrected_by "
    "FROM supply_events e LEFT JOIN supply_events c ON c.corrects_id = e.id "
    "ORDER BY e.parcel_id, e.occurred_on, e.id"
)


def reserve_history(
    session: Session, settings: Settings, *, as_of: date, months: int = 24
) -> dict[str, Any]:
    """The net-land reserve at each month end of the last ``months`` months and on ``as_of``.

    Built from: the parcels that are net land today (the five conditions as last checked:
    condition changes carry no usable dates, so a parcel's readiness is not replayed), and their
    supply stage on each day, replayed from their supply events (a parcel leaves the reserve when
    its sale closes, re-enters it on recovery; before its first event it was reserve land). Parcels
    without events keep the stage the register gives today.
    """
    parcels = session.execute(
        select(Parcel.id, Parcel.area_m2, Parcel.supply_stage).where(
            NET_LAND.expression == True  # type: ignore[attr-defined]  # noqa: E712
        )
    ).all()
    by_parcel: dict[int, list[dict[str, Any]]] = {}
    for r in session.execute(_EVENTS).mappings():
        by_parcel.setdefault(r["parcel_id"], []).append(dict(r))
    histories = {pid: effective(rows) for pid, rows in by_parcel.items()}
    days = _month_ends(as_of, months)
    points = []
    for d in days:
        m2 = 0.0
        for pid, area, stage_now in parcels:
            events = histories.get(pid)
            if events is None:
                stage = stage_now
            else:
                detailed = stage_of([e for e in events if e.on <= d])
                stage = "plan" if detailed is None else coarse(detailed)
            if stage in RESERVE_STAGES:
                m2 += float(area or 0)
        points.append({"date": d.isoformat(), "label": L.md(d), "reserve_mu": m2_to_mu(m2)})
    land = land_stats(session, reserve_target_mu=reserve_target_mu(session, settings))
    return {
        "points": points,
        "reserve_today_mu": land["net_land_reserve_mu"],
        "target_mu": land["net_land_reserve_target_mu"],
        "replayed_parcels": sum(1 for pid, _, _ in parcels if pid in histories),
        "net_parcels": len(parcels),
    }


def summary_zh(figs: dict[str, Any], land: dict[str, Any] | None) -> str:
    """The supply section's opening sentence (the PDF, the Word file and the pack say it)."""
    sm = figs["summary"]
    text_ = (
        f"截至{L.zh_date(figs['as_of'])}，有供地记录的地块{sm['parcels']}宗；逾期未履行的供地期限"
        f"{len(figs['missed'])}项（涉及{sm['parcels_with_missed']}宗地块）；闲置满一年"
        f"{sm['idle']['idle_1y']}宗、满两年{sm['idle']['idle_2y']}宗；临近闲置认定（提前90天、30天"
        f"预警）{len(figs['warnings'])}宗；拟征收土地闲置费合计{float(sm['proposed_fees_wan']):.2f}"
        "万元（由自然资源部门决定）。"
    )
    if land:
        met = "已达标" if land["net_land_reserve_met"] else "未达标"
        text_ += (
            f"净地储备{land['net_land_reserve_mu']:.2f}亩，目标"
            f"{land['net_land_reserve_target_mu']:.0f}亩，{met}。"
        )
    return text_


def headline_rows(figs: dict[str, Any]) -> list[dict[str, Any]]:
    """The supply figures as rows of the headline table (指标, 目标, 实际, 说明, 是否达标); no
    target is set for them (none is given in the rules), so no 达标 is said."""
    sm = figs["summary"]
    return [
        {
            "label": "供地期限（逾期未履行）",
            "target": "",
            "actual": f"{len(figs['missed'])}项",
            "note": f"涉及{sm['parcels_with_missed']}宗地块",
            "met": None,
        },
        {
            "label": "闲置土地（满一年/满两年）",
            "target": "",
            "actual": f"{sm['idle']['idle_1y']}/{sm['idle']['idle_2y']}宗",
            "note": f"临近认定{len(figs['warnings'])}宗；拟征闲置费"
            f"{float(sm['proposed_fees_wan']):.2f}万元",
            "met": None,
        },
    ]
