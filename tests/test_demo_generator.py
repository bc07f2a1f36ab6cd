"""The demo generator (tools/demo/, a developer's tool outside the package) rewrites the committed
files in data/demo/ byte for byte, and its readiness self-check follows the service's settings."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import geopandas as gpd

from geo_service.settings import PROJECT_DIR, NetworkRule, ReadinessRules
from tools.demo import generate
from tools.demo.readiness_check import check_readiness

DEMO = PROJECT_DIR / "data" / "demo"
#: kept by hand (the dated supply histories); every other file there is generated
HAND_KEPT = {"supply_events.csv"}


def test_regenerating_gives_the_committed_files(tmp_path: Path) -> None:
    generate.main(
        [
            "--out", str(tmp_path),
            "--events", str(DEMO / "supply_events.csv"),
            "--boundary", str(PROJECT_DIR / "data" / "huaiyang-boundary.geojson"),
        ]
    )  # fmt: skip
    written = {p.name for p in tmp_path.iterdir()}
    committed = {p.name for p in DEMO.iterdir()} - HAND_KEPT
    assert written == committed
    changed = [n for n in sorted(written) if (tmp_path / n).read_bytes() != (DEMO / n).read_bytes()]
    assert changed == [], f"run `make demo-data` and commit data/demo: {changed} differ"


def test_the_generator_is_outside_the_service() -> None:
    # (and no package module imports tools: tests/test_layering.py)
    assert importlib.util.find_spec("geo_service.demo.generate") is None


def _rows(name: str) -> list[dict[str, str]]:
    with (DEMO / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_self_check_takes_the_thresholds_from_the_settings() -> None:
    layers = [
        gpd.read_file(DEMO / f, engine="pyogrio")
        for f in ("parcels.geojson", "infrastructure.geojson", "protected.geojson")
    ]
    records = (_rows("leveling.csv"), _rows("titles.csv"))
    default = {r.code: r.status for r in check_readiness(*layers, *records)}
    assert default["HY-2026-018"]["water"] == "unmet"  # only DN80 mains within 200 m
    # any main counts: the DN80 mains beside HY-2026-018 now serve it
    any_main = ReadinessRules(water=NetworkRule(kind="water", max_distance_m=200))
    relaxed = {r.code: r.status for r in check_readiness(*layers, *records, rules=any_main)}
    changed = {c for c in default if relaxed[c] != default[c]}
    assert changed == {"HY-2026-018"} and relaxed["HY-2026-018"]["water"] == "met"
