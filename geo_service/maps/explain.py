"""A readiness condition in plain words: what was found, against which limit, and why.

From the evidence the readiness engine stores (``readiness/engine.py``), in the map's language
(phrases in ``maps/common.json`` → ``explain``). The same lines serve the popups, the
tile-mode popup route and the plot sheet. Values are raw; the page escapes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from geo_service.maps.definitions import MapDefinition
from geo_service.readiness.rules import ATTRIBUTE, SPATIAL

#: the district's clock: a stored instant is shown as the day it is there
LOCAL = ZoneInfo("Asia/Shanghai")


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _in_beijing(t: datetime) -> datetime:
    return t if t.tzinfo is None else t.astimezone(LOCAL)


def local_day(value: Any) -> str:
    """``2027-01-30T16:00:00+00:00`` → ``2027-01-31`` (the day in Beijing time)."""
    t = _instant(value)
    return str(value)[:10] if t is None else _in_beijing(t).date().isoformat()


def local_time(value: Any) -> str:
    """A stored instant as the minute it was in Beijing time: ``2026-11-27 20:00``."""
    t = _instant(value)
    return str(value or "") if t is None else _in_beijing(t).strftime("%Y-%m-%d %H:%M")


def reason_text(defn: MapDefinition, reason: Any) -> str:
    """A stored reason of the engine (English) in the page's language, part by part (``; ``),
    from ``common.json``'s ``history_reasons``; a part it does not know is kept as stored."""
    table = (defn.common.get("history_reasons") or {}).get(defn.lang) or []
    parts = [x.strip() for x in str(reason or "").split(";") if x.strip()]
    out = []
    for part in parts:
        hit = next(((m, r) for p, r in table if (m := re.fullmatch(p, part))), None)
        out.append(hit[0].expand(hit[1]) if hit else part)
    return ("；" if defn.lang == "zh" else "; ").join(out)


def _num(v: Any) -> str:
    """A measured value as people write it: 234, 14.5, 0.4 (no trailing zeros)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{f:.1f}".rstrip("0").rstrip(".") if f != int(f) else str(int(f))


def _below(value: Any, minimum: Any) -> bool:
    try:
        return minimum is not None and float(value) < float(minimum)
    except (TypeError, ValueError):
        return False


def _too_far(feat: Mapping[str, Any], rule: Mapping[str, Any]) -> bool:
    """A feature that fails by its distance alone: the nearest-qualifying line says so."""
    try:
        return float(feat["distance_m"]) > float(rule["max_distance_m"])
    except (KeyError, TypeError, ValueError):
        return False


def _why(defn: MapDefinition, kind: str, feat: Mapping[str, Any], rule: Mapping[str, Any]) -> str:
    """Why a nearer network feature does not count (status, then the rule's attribute)."""
    why = str(feat.get("why") or "")
    if why == "planned" or why.startswith("planned"):
        return defn.phrase("why_planned")
    attr = ATTRIBUTE.get(kind, "")
    value = feat.get(attr)
    if value is None and attr:
        return defn.phrase("why_unknown", attr=defn.explain_word("attr", attr))
    if kind == "water" and _below(value, rule.get("min_diameter_mm")):
        return defn.phrase("why_diameter", v=_num(value), min=_num(rule["min_diameter_mm"]))
    if kind == "power" and _below(value, rule.get("min_voltage_kv")):
        return defn.phrase("why_voltage", v=_num(value), min=_num(rule["min_voltage_kv"]))
    if kind == "road" and rule.get("road_classes") and value not in rule["road_classes"]:
        classes = defn.join(defn.explain_word("road_classes", c) for c in rule["road_classes"])
        return defn.phrase(
            "why_road_class", v=defn.explain_word("road_classes", value), classes=classes
        )
    return defn.phrase("why_other", text=why)


def _spatial(defn: MapDefinition, kind: str, status: str, ev: Mapping[str, Any]) -> list[str]:
    rule = ev.get("rule") or {}
    noun = defn.explain_word("noun", kind)
    limit = _num(rule.get("max_distance_m"))
    near = ev.get("nearest") or None
    lines: list[str] = []
    if isinstance(near, Mapping):
        values = {
            "noun": noun,
            "code": near.get("code") or "",
            "name": near.get("name") or "",
            "d": _num(near.get("distance_m")),
            "max": limit,
        }
        lines.append(defn.phrase("spatial_met" if status == "met" else "spatial_far", **values))
    elif status != "met":
        lines.append(defn.phrase("spatial_none", noun=noun, max=limit))
    failing = ev.get("nearest_failing")
    # a nearer feature that does not count, and why; not the nearest qualifying one itself,
    # nor one beyond the limit anyway (the first line already says how far the nearest is)
    same = (
        isinstance(near, Mapping)
        and isinstance(failing, Mapping)
        and (failing.get("code") == near.get("code"))
    )
    if (
        status != "met"
        and isinstance(failing, Mapping)
        and not same
        and not _too_far(failing, rule)
    ):
        lines.append(
            defn.phrase(
                "spatial_failing",
                noun=noun,
                code=failing.get("code") or "",
                name=failing.get("name") or "",
                d=_num(failing.get("distance_m")),
                why=_why(defn, kind, failing, rule),
            )
        )
    return lines


def _source(defn: MapDefinition, who: Any, doc: Any) -> list[str]:
    source = " ".join(str(x).strip() for x in (who, doc) if x and str(x).strip())
    return [defn.phrase("record_source", source=source)] if source else []


def _leveling(defn: MapDefinition, status: str, ev: Mapping[str, Any], max_age: int) -> list[str]:
    s = ev.get("survey")
    if not isinstance(s, Mapping):
        return [defn.phrase("leveling_none")]
    on = s.get("surveyed_on") or ""
    m3 = _num(s.get("earthwork_outstanding_m3") or 0)
    if ev.get("reason") == "stale":
        line = defn.phrase("stale", on=on, days=max_age)
    elif status == "met":
        line = defn.phrase("leveling_met", on=on)
    elif not s.get("leveled"):
        line = defn.phrase("leveling_not", on=on, m3=m3)
    else:
        line = defn.phrase("leveling_outstanding", on=on, m3=m3)
    return [line, *_source(defn, s.get("surveyor"), s.get("document_ref"))]


def _title(defn: MapDefinition, status: str, ev: Mapping[str, Any], max_age: int) -> list[str]:
    lines: list[str] = []
    for o in ev.get("protected_overlaps") or []:
        kind = defn.explain_word("protected_kinds", o.get("kind"))
        lines.append(
            defn.phrase("title_protected", kind=kind, code=o.get("code"), m2=o.get("overlap_m2"))
        )
    for o in ev.get("parcel_overlaps") or []:
        lines.append(defn.phrase("title_parcel", code=o.get("code"), m2=o.get("overlap_m2")))
    r = ev.get("record")
    if not isinstance(r, Mapping):
        return [*lines, defn.phrase("title_none")]
    on = r.get("recorded_on") or ""
    if ev.get("reason") == "stale":
        lines.append(defn.phrase("stale", on=on, days=max_age))
    elif status == "met":
        lines.append(defn.phrase("title_met", on=on))
    else:
        if r.get("ownership") not in (None, "state"):
            own = defn.explain_word("ownership", r.get("ownership"))
            lines.append(defn.phrase("title_ownership", own=own))
        if r.get("requisition_done") is False:
            lines.append(defn.phrase("title_requisition"))
        if r.get("compensation_settled") is False:
            lines.append(defn.phrase("title_compensation"))
        if (r.get("open_disputes") or 0) > 0:
            lines.append(defn.phrase("title_disputes", n=r.get("open_disputes")))
    return [*lines, *_source(defn, None, r.get("document_ref"))]


def explain(
    defn: MapDefinition,
    condition: str,
    status: str,
    evidence: Mapping[str, Any] | None,
    *,
    max_age_days: int,
) -> list[str]:
    """The lines that say why ``condition`` is ``status`` (an override first, with its terms)."""
    ev: Mapping[str, Any] = evidence or {}
    ov = ev.get("override")
    if isinstance(ov, Mapping):
        computed = ev.get("computed") or {}
        when = (
            defn.phrase("override_until", date=local_day(ov["expires_at"]))
            if ov.get("expires_at")
            else defn.phrase("override_open")
        )
        lines = [
            defn.phrase(
                "override",
                status=defn.vocab("condition_status", ov.get("status")),
                reason=ov.get("reason") or "",
            ),
            defn.phrase(
                "override_doc", doc=ov.get("document_ref") or "—", by=ov.get("by") or "—", when=when
            ),
        ]
        if computed.get("status"):
            lines.append(
                defn.phrase(
                    "override_computed",
                    status=defn.vocab("condition_status", computed.get("status")),
                )
            )
        return lines
    if condition in SPATIAL:
        return _spatial(defn, condition, status, ev)
    if condition == "leveling":
        return _leveling(defn, status, ev, max_age_days)
    if condition == "title":
        return _title(defn, status, ev, max_age_days)
    return []
