"""Load the demo district from data/demo/ (idempotent; one transaction)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine

from geo_service import audit
from geo_service.counties.models import HOME
from geo_service.counties.service import read_outline, upsert_county
from geo_service.db.engine import transaction
from geo_service.demo import second_county
from geo_service.errors import InvalidInput
from geo_service.parcels import writes as land
from geo_service.projects import writes as ledger
from geo_service.readiness.rules import reach_m
from geo_service.settings import PROJECT_DIR, ReadinessRules
from geo_service.supply import service as supply

#: the district's outline (the home county's boundary)
DISTRICT_BOUNDARY = PROJECT_DIR / "data" / "huaiyang-boundary.geojson"

#: the demo district's "today": its surveys, titles and ledger are dated up to this day
DEMO_DATE = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def demo_as_of(now: datetime | None = None) -> datetime:
    """When to judge the demo's evidence: now, but never later than the demo's own date, so a
    demo loaded months later still shows the district as it was built (not all of it stale)."""
    now = now or datetime.now(UTC)
    return min(now, DEMO_DATE)


def _clean(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, str):
        if v == "":
            return None
        if v.lower() in ("true", "false"):
            return v.lower() == "true"
    return v


def _layer(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise InvalidInput(f"demo file missing: {path}; regenerate with `make demo-data`")
    gdf = gpd.read_file(path, engine="pyogrio")
    rows = []
    for rec, geom in zip(
        gdf.drop(columns="geometry").to_dict("records"), gdf.geometry.to_wkb(hex=True), strict=True
    ):
        row = {k: _clean(v) for k, v in rec.items()}
        row["wkb"] = geom
        rows.append(row)
    return rows


def _table(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise InvalidInput(f"demo file missing: {path}; regenerate with `make demo-data`")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict("records")]


def load_demo(
    engine: Engine,
    demo_dir: Path,
    *,
    actor: str = "cli:demo",
    progress: Callable[[str], None] | None = None,
    boundary: Path | None = DISTRICT_BOUNDARY,
) -> dict[str, int]:
    """Upsert every demo layer and table in one transaction; returns counts per layer.

    Then the district's boundary (``boundary``) becomes the home county's, and the second county
    (``demo.second_county``) is loaded beside it: counts ``411625.parcels`` etc.
    """
    say = progress or (lambda _msg: None)
    d = demo_dir
    counts: dict[str, int] = {}
    with transaction(engine) as s:
        say("zones")
        counts["zones"] = land.upsert_zones(s, _layer(d / "zones.geojson"))
        say("parcels")
        counts["parcels"] = land.upsert_parcels(s, _layer(d / "parcels.geojson"))
        say("leveling surveys")
        counts["leveling_surveys"] = land.replace_records(
            s, table="leveling_surveys", rows=_table(d / "leveling.csv")
        )
        say("title records")
        counts["title_records"] = land.replace_records(
            s, table="title_records", rows=_table(d / "titles.csv")
        )
        say("infrastructure")
        counts["infrastructure"] = land.upsert_infrastructure(
            s, _layer(d / "infrastructure.geojson"), within_m=reach_m(ReadinessRules())
        )
        say("assessment areas")
        counts["assessments"] = land.upsert_assessments(s, _layer(d / "assessments.geojson"))
        say("protected areas")
        counts["protected"] = land.upsert_protected(s, _layer(d / "protected.geojson"))
        say("projects")
        baselines = _table(d / "baseline.csv")
        # the ledger's year follows the newest baseline year
        year = max(int(b["year"]) for b in baselines) + 1
        projects = [{"year": year, **p} for p in _table(d / "projects.csv")]
        counts["projects"] = ledger.upsert_projects(s, projects)
        counts["visits"] = ledger.upsert_visits(s, _table(d / "visits.csv"))
        counts["problems"] = ledger.upsert_problems(s, _table(d / "problems.csv"))
        for table, file, cols in (
            ("milestones", "milestones.csv", ("seq", "name", "due_on", "done_on")),
            ("investment_reports", "investment_reports.csv", ("month", "completed_wan")),
            ("project_rounds", "rounds.csv", ("round_no", "round_date", "list")),
            ("project_funding", "funding.csv", ("source", "amount_wan")),
        ):
            counts[table] = ledger.replace_children(
                s, table=table, columns=cols, rows=_table(d / file)
            )
        # a project's "started" round feeds its later "in production" round (三个一批)
        ledger.link_rounds(s)
        counts["baselines"] = ledger.upsert_baselines(s, baselines)
        say("supply events")
        counts["supply_events"] = supply.replace_demo_events(s, _table(d / "supply_events.csv"))
        say("counties")
        if boundary is not None and Path(boundary).is_file():
            upsert_county(
                s,
                code=HOME[0],
                name_zh=HOME[1],
                name_en=HOME[2],
                boundary_wkb=read_outline(Path(boundary)),
                ledger_year=year,
            )
        # the second county beside the district (a city roll-up); its own figures
        counts.update(
            {f"{second_county.CODE}.{k}": v for k, v in second_county.load(s, year=year).items()}
        )
        audit.record(
            s,
            actor=actor,
            action="demo.load",
            entity_type="dataset",
            entity_code=str(demo_dir.name),
            after=dict(counts),
        )
    return counts
