"""The register stage of the parcels with a supply history: ``data/demo/supply_events.csv`` (kept
by hand: the dated notices, sales, contracts, hand-overs) read through the service's own stage
functions (``geo_service.supply.events``), as ``geo-service demo load`` syncs it, so the written
``supply_stage`` is what the loader would set and a reload rewrites nothing."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from geo_service.supply.events import Event, coarse, stage_of


def register_stages(events_csv: Path) -> dict[str, str]:
    """parcel code -> the register's ``supply_stage`` its events lead to (parcels with events)."""
    by_code: dict[str, list[Event]] = {}
    with events_csv.open(encoding="utf-8", newline="") as f:
        for i, r in enumerate(csv.DictReader(f)):
            event = Event(i, r["event"], date.fromisoformat(r["on"]), json.loads(r["data"] or "{}"))
            by_code.setdefault(r["parcel_code"], []).append(event)
    out: dict[str, str] = {}
    for code, events in by_code.items():
        stage = stage_of(events)
        if stage is not None:
            out[code] = coarse(stage)
    return out
