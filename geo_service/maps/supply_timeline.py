"""The printable parcel timeline page (bureau, officials): clocks with their status and why,
idle status, suspensions and decisions, commitments, findings, events and linked projects, in
the page's language. Values come raw from ``maps.data.supply.timeline``; the template
(``templates/timeline.html``) escapes every value."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from geo_service.maps.definitions import MapDefinition
from geo_service.maps.explain import local_time, reason_text
from geo_service.maps.panels import panel
from geo_service.maps.supply_text import (
    done_text,
    early_text,
    finding_lines,
    idle_lines,
    rule_text,
    stage_text,
    status_key,
)

#: event keys shown in their own columns (the rest of an event's fields go in its note line)
EVENT_COLUMNS = (
    "id",
    "event",
    "on",
    "document_ref",
    "file_ref",
    "note",
    "recorded_by",
    "recorded_at",
    "corrects",
    "corrected_by",
    "counts",
    "commitments",
    "measured",
)


def _field_value(sd: MapDefinition, key: str, v: Any) -> str:
    """An event field's value in words (rule names, yes/no, an idle decision's outcome)."""
    if isinstance(v, bool):
        return sd.vocab("booleans", "true" if v else "false")
    if key == "rules" and isinstance(v, list):
        return sd.join(rule_text(sd, str(r)) for r in v)
    if key == "outcome":
        return sd.vocab("outcomes", str(v))
    return str(v)


def _event_rows(sd: MapDefinition, events: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    skip = set(EVENT_COLUMNS)
    out = []
    colon = sd.label("colon")
    for e in events:
        extra = ("；" if sd.lang == "zh" else "; ").join(
            f"{sd.vocab('event_fields', k)}{colon}{_field_value(sd, k, v)}"
            for k, v in e.items()
            if k not in skip and v is not None
        )
        out.append(
            {
                "on": e.get("on"),
                "event": sd.vocab("events", e.get("event")),
                "document": e.get("document_ref") or "",
                "file": e.get("file_ref") or "",
                "by": e.get("recorded_by") or "",
                "extra": extra,
                "note": e.get("note") or "",
                "counts": e.get("counts", True),
            }
        )
    return out


def _clock_rows(sd: MapDefinition, deadlines: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for d in sorted(deadlines, key=lambda d: str(d.get("due"))):
        why = []
        status = status_key(d)
        if status == "too_early":
            why.append(early_text(sd, d.get("rule"), d.get("days_early")))
        if status == "not_tracked":
            why.append(sd.label("not_tracked_why"))
        if d.get("days_late") is not None:
            why.append(sd.label("days_late").format(n=d["days_late"]))
        if d.get("days_left") is not None:
            why.append(sd.label("days_left").format(n=d["days_left"]))
        if d.get("done_on"):
            why.append(done_text(sd, d))
        if d.get("suspended_days"):
            why.append(sd.label("paused_days").format(n=d["suspended_days"]))
        if d.get("provisional"):
            reason = d.get("why_provisional") if sd.lang == "en" else sd.label("why_provisional")
            why.append(f"{sd.label('provisional')}{sd.label('colon')}{reason or ''}")
        out.append(
            {
                "rule": rule_text(sd, d.get("rule")),
                "due": d.get("due"),
                "status": status,
                "status_text": sd.vocab("deadline_status", status),
                "provisional": bool(d.get("provisional")),
                "why": ("；" if sd.lang == "zh" else "; ").join(str(x) for x in why),
                "source": source_text(sd, d),
            }
        )
    return out


def source_text(sd: MapDefinition, d: Mapping[str, Any]) -> str:
    """A rule's source in the page's language: the default rules' notes are words in
    ``supply.json`` ("rule_sources"); an override's own source is shown as it was written."""
    words = sd.data.get("rule_sources", {}).get(d.get("rule"))
    if words and d.get("origin") in (None, "default"):
        source = sd.text(words)
    else:
        source = f"{d.get('source') or ''} {d.get('article') or ''}".strip()
    if not d.get("verified") and "unverified" not in source and "未核实" not in source:
        source += " " + sd.label("not_verified")
    return source


def _commitment_rows(sd: MapDefinition, promised: Mapping[str, Any] | None) -> list[Any]:
    """Each measured indicator of each check (completion, 达产) against its commitment."""
    out = []
    for check in (promised or {}).get("checks") or []:
        for r in check.get("indicators") or []:
            if r.get("status") == "not_measured":
                continue
            lo, hi = r.get("min"), r.get("max")
            committed = (
                f"{lo}–{hi}"
                if lo is not None and hi is not None
                else (f"≥ {lo}" if lo is not None else f"≤ {hi}")
            )
            unit = sd.vocab("indicator_units", r.get("unit"))  # as stored if unknown
            out.append(
                {
                    "check": sd.vocab("checks", check.get("check")),
                    "on": check.get("on"),
                    "indicator": sd.vocab("indicators", r.get("key")),
                    "committed": f"{committed} {unit}".strip(),
                    "measured": r.get("measured"),
                    "result": sd.label(str(r.get("status"))),
                    "penalty": "" if r.get("penalty_wan") is None else r["penalty_wan"],
                    "shortfall": r.get("status") == "shortfall",
                }
            )
    return out


def _change_rows(sd: MapDefinition, items: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The readiness history (``readiness.queries.history``) in the page's words."""
    return [
        {
            "at": local_time(i.get("changed_at")),
            "condition": sd.vocab("conditions", i.get("condition")),
            "old": sd.vocab("condition_status", i.get("old_status"))
            if i.get("old_status")
            else "—",
            "new": sd.vocab("condition_status", i.get("new_status")),
            "new_status": i.get("new_status"),
            "method": sd.vocab("methods", i.get("method")),
            "reason": reason_text(sd, i.get("reason")),
            "by": i.get("actor") or "",
        }
        for i in items
    ]


def timeline_html(
    sd: MapDefinition,
    answer: Mapping[str, Any],
    *,
    back_href: str,
    lang_href: str,
    changes: Mapping[str, Any] | None = None,
) -> str:
    """The timeline page's HTML (the template escapes every value); ``changes``: the parcel's
    readiness history, newest first."""
    idle = answer.get("idle") or {}
    items = list((changes or {}).get("items") or [])
    total = int((changes or {}).get("total") or 0)
    return panel(
        "timeline",
        lang=sd.lang,
        colon=sd.label("colon"),
        title=sd.text(sd.section("timeline_title")),
        a=answer,
        stage=stage_text(sd, answer.get("stage")),
        events=_event_rows(sd, list(answer.get("events") or [])),
        clocks=_clock_rows(sd, list(answer.get("deadlines") or [])),
        idle_status=sd.vocab("idle_status", str(idle.get("status") or "none")),
        idle=idle_lines(sd, idle),
        suspensions=idle.get("suspensions") or [],
        decision=idle.get("decision"),
        decision_text=sd.vocab("outcomes", (idle.get("decision") or {}).get("outcome")),
        findings=finding_lines(sd, answer.get("findings")),
        commitments=_commitment_rows(sd, answer.get("commitments")),
        speeds=[
            (sd.vocab("speeds", k), "—" if v is None else v)
            for k, v in (answer.get("speeds") or {}).items()
        ],
        projects=[
            {
                **pr,
                "status_text": sd.vocab("project_statuses", pr.get("status")),
                "problem_list": [
                    {**b, "status_text": sd.vocab("problem_statuses", b.get("status"))}
                    for b in pr.get("problem_list") or []
                ],
            }
            for pr in answer.get("projects") or []
        ],  # fmt: skip
        changes=_change_rows(sd, items),
        changes_heading=sd.label("readiness_history")
        .replace("{n}", str(len(items)))
        .replace("{total}", str(total)),
        printed=date.today().isoformat(),
        back_href=back_href,
        lang_href=lang_href,
        L={k: sd.text(v) for k, v in sd.section("labels").items()}
        | {"language": sd.label("language")},
    )
