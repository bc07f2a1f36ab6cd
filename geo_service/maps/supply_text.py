"""Supply in words (``maps/supply.json``): stage, clocks, idle status and grade lines for the
supply map, the readiness and projects popups and the timeline. No database, no HTML: values
come raw from ``geo_service.supply`` and are escaped where they are written."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from geo_service.maps.definitions import MapDefinition


def stage_text(sd: MapDefinition, stage: str | None) -> str:
    return sd.vocab("stages", stage)


def rule_text(sd: MapDefinition, rule: str | None) -> str:
    return sd.vocab("rules", rule)


def _fmt(sd: MapDefinition, key: str, **values: Any) -> str:
    return sd.label(key).format(**values)


def early_text(sd: MapDefinition, rule: Any, days: Any) -> str:
    """A broken minimum period: "挂牌早于公告期满 5 天"."""
    key = f"early_{rule}"
    return _fmt(sd, key if key in sd.data.get("labels", {}) else "early", n=days)


def status_key(d: Mapping[str, Any]) -> str:
    """The deadline status shown: a broken minimum is "too early", not late; a duty with no
    event of its own (``tracked`` false) is "not tracked"."""
    if d.get("tracked") is False:
        return "not_tracked"
    if d.get("status") == "missed" and d.get("kind") == "minimum":
        return "too_early"
    return str(d.get("status") or "")


def done_text(sd: MapDefinition, d: Mapping[str, Any]) -> str:
    """How a met clock was met: the day, or the event that made it met (an idle mark)."""
    if d.get("met_by") and d.get("done_on"):
        return _fmt(sd, f"met_by_{d['met_by']}", d=d["done_on"])
    return _fmt(sd, "done_on", d=d["done_on"]) if d.get("done_on") else ""


def clock_text(sd: MapDefinition, d: Mapping[str, Any]) -> str:
    """One deadline: "开工 · 应于 2025-12-31 · 逾期 110 天 · 暂定"; a broken minimum:
    "公告期 · 最早 2026-12-06 · 挂牌早于公告期满 5 天"."""
    if status_key(d) == "too_early":
        return " · ".join(
            (
                rule_text(sd, d.get("rule")),
                _fmt(sd, "earliest_on", d=d.get("due")),
                early_text(sd, d.get("rule"), d.get("days_early")),
            )
        )
    # a minimum period's day is the earliest the next step may come, not a due day
    day = "earliest_on" if d.get("kind") == "minimum" else "due_on"
    parts = [rule_text(sd, d.get("rule")), _fmt(sd, day, d=d.get("due"))]
    if status_key(d) == "not_tracked":
        parts.append(sd.vocab("deadline_status", "not_tracked"))
    elif d.get("status") == "missed" and d.get("days_late") is not None:
        parts.append(_fmt(sd, "days_late", n=d["days_late"]))
    elif d.get("status") == "open" and d.get("days_left") is not None:
        parts.append(_fmt(sd, "days_left", n=d["days_left"]))
    elif d.get("done_on"):
        parts.append(done_text(sd, d))
    if d.get("suspended_days"):
        parts.append(_fmt(sd, "paused_days", n=d["suspended_days"]))
    if d.get("provisional"):
        parts.append(sd.label("provisional"))
    return " · ".join(str(p) for p in parts if p)


def idle_lines(sd: MapDefinition, idle: Mapping[str, Any] | None) -> list[str]:
    """Idle status, a running warning, a proposal, and a running suspension, as lines."""
    if not idle:
        return []
    out = []
    status = str(idle.get("status") or "none")
    if status in ("idle_1y", "idle_2y"):
        out.append(
            _fmt(sd, "idle_since", status=sd.vocab("idle_status", status), d=idle.get("since"))
        )
    w = idle.get("warning")
    if w:
        out.append(
            _fmt(sd, "warning_line", mark=rule_text(sd, w.get("mark")), n=w.get("days_left"),
                 level=w.get("level_days"))
        )  # fmt: skip
    p = idle.get("proposal")
    if p:
        action = sd.label(str(p.get("action")))
        fee = "" if p.get("fee_wan") is None else f"{float(p['fee_wan']):.2f}"
        out.append(_fmt(sd, "proposal", action=action, fee=fee))
    for s in idle.get("suspensions") or []:
        if s.get("to") is None:
            out.append(_fmt(sd, "paused_since", d=s.get("from"), reason=s.get("reason") or ""))
    return out


def finding_text(sd: MapDefinition, f: Mapping[str, Any]) -> str:
    """One finding of ``supply.findings`` as a sentence."""
    key = f.get("key")
    if key == "too_early":
        text = early_text(sd, f.get("rule"), f.get("days"))
        return _fmt(sd, "finding_too_early", text=text, rule=rule_text(sd, f.get("rule")),
                    earliest=f.get("earliest"), on=f.get("on"))  # fmt: skip
    if key == "shortfall":
        penalty = f.get("penalty_wan")
        return _fmt(sd, "finding_shortfall", check=sd.vocab("checks", f.get("check")),
                    n=f.get("shortfalls"), d=f.get("on"),
                    penalty="—" if penalty is None else f"{float(penalty):.2f}")  # fmt: skip
    if key == "idle_but_building":
        return _fmt(sd, "finding_idle_but_building", project=f.get("project"),
                    status=sd.vocab("project_statuses", f.get("status")))  # fmt: skip
    if key == "suspended_but_compensated":
        return _fmt(sd, "finding_suspended_but_compensated", since=f.get("since"),
                    title_on=f.get("title_on"), ref=f.get("title_ref") or "—")  # fmt: skip
    return str(key)


def finding_lines(sd: MapDefinition, found: Any) -> list[str]:
    return [finding_text(sd, f) for f in found or []]


def risk_text(sd: MapDefinition, risk: str) -> str:
    return sd.vocab("risks", risk)


def grade_text(sd: MapDefinition, grade: str | None) -> str:
    return sd.vocab("grades", grade or "none")


def timeline_href(code: Any, lang: str) -> str:
    """The timeline page of a parcel (its code URL-quoted; the caller escapes for HTML)."""
    suffix = "?lang=en" if lang == "en" else ""
    return f"/maps/parcels/{quote(str(code), safe='')}/timeline{suffix}"


def popup_fields(sd: MapDefinition, row: Mapping[str, Any] | None) -> dict[str, Any]:
    """The supply lines a parcel popup shows (readiness map): stage, risk, missed and next
    clocks, idle, and the timeline link's key (the URL-quoted code)."""
    if row is None:
        return {"supply_risk": risk_text(sd, "no_events"), "supply_clocks": []}
    colon = sd.label("colon")
    lines = [f"{sd.label('missed')}{colon}{clock_text(sd, d)}" for d in row.get("missed") or []]
    if row.get("next"):
        lines.append(f"{sd.label('next')}{colon}{clock_text(sd, row['next'])}")
    lines += idle_lines(sd, row.get("idle"))
    lines += finding_lines(sd, row.get("findings"))
    return {
        "supply_detail": stage_text(sd, row.get("stage")),
        "supply_risk": risk_text(sd, str(row.get("risk") or "on_track")),
        "supply_clocks": lines,
        "risk": row.get("risk"),
        "overdue": bool(row.get("missed")),
    }


def popup_rows(sd: MapDefinition) -> list[list[str]]:
    """Rows for a popup spec (``GS.popupHtml``) showing :func:`popup_fields`."""
    return [
        ["supply_detail", sd.label("stage_detail")],
        ["supply_risk", sd.label("risk")],
        ["supply_clocks", sd.label("clocks"), "list"],
    ]


def finding_describer(maps_dir: Path, lang: str = "zh") -> Callable[[Mapping[str, Any]], str]:
    """``finding_text`` with the supply map's words, for documents outside the maps (the
    出让台账's 核查提示 column): one wording for the popup, the timeline and the ledger."""
    from geo_service.maps.definitions import load_definition

    sd = load_definition(maps_dir, "supply", lang)
    return lambda f: finding_text(sd, f)
