"""The popup's plain words for a network condition, from the evidence the engine stores: the
reason a nearer feature does not count is said only when it is true (the demo's 郸城县 plots
were told a 400 mm main was "below the required 100 mm", when it was only too far)."""

from __future__ import annotations

from typing import Any

import pytest

from geo_service.maps.definitions import load_definition
from geo_service.maps.explain import explain, reason_text
from geo_service.settings import Settings


def _lines(kind: str, evidence: dict[str, Any], lang: str = "zh") -> list[str]:
    defn = load_definition(Settings().maps_dir, "readiness", lang)
    return explain(defn, kind, "unmet", evidence, max_age_days=90)


WATER_RULE = {"kind": "water", "status": "existing", "max_distance_m": 200.0,
              "min_diameter_mm": 100.0}  # fmt: skip
FAR_MAIN = {"code": "DC-WS-001", "name": "集聚区供水主管", "distance_m": 610.0, "diameter_mm": 400}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_main_only_too_far_is_said_to_be_too_far_and_nothing_else(lang: str) -> None:
    ev = {"rule": WATER_RULE, "nearest": FAR_MAIN,
          "nearest_failing": {**FAR_MAIN, "why": "distance 610.0 m > 200 m"}}  # fmt: skip
    lines = _lines("water", ev, lang)
    assert len(lines) == 1, lines
    assert "610" in lines[0] and "200" in lines[0]
    assert "400" not in lines[0] and "100 mm" not in lines[0]


def test_a_nearer_thin_main_is_named_with_its_diameter() -> None:
    thin = {"code": "WS-9", "name": "支管", "distance_m": 40.0, "diameter_mm": 80,
            "why": "diameter 80 mm < 100 mm"}  # fmt: skip
    lines = _lines("water", {"rule": WATER_RULE, "nearest": FAR_MAIN, "nearest_failing": thin})
    assert lines[1] == "更近的供水管 WS-9 支管（40 m）不计入：管径 80 mm 小于要求的 100 mm"


def test_a_line_at_the_required_voltage_is_not_called_below_it() -> None:
    rule = {"kind": "power", "status": "existing", "max_distance_m": 500.0, "min_voltage_kv": 10.0}
    line = {"code": "PW-1", "name": "10kV 线", "distance_m": 700.0, "voltage_kv": 10}
    ev = {"rule": rule, "nearest": line, "nearest_failing": {**line, "why": "distance"}}
    lines = _lines("power", ev)
    assert lines == ["最近的合格电力线路或变电站 PW-1 10kV 线 距地块 700 m，超过限值 500 m"], lines


def test_the_engines_reasons_read_in_chinese_part_by_part() -> None:
    zh = load_definition(Settings().maps_dir, "readiness", "zh")
    en = load_definition(Settings().maps_dir, "readiness", "en")
    stored = "ownership collective, not state; requisition not done; 2 open dispute(s); odd"
    assert reason_text(zh, stored) == "权属为集体，不是国有；征收未完成；2 起权属争议未解决；odd"
    assert reason_text(zh, "water main DC-WS-001 at 59.9 m") == "供水管 DC-WS-001 距地块 59.9 m"
    assert reason_text(en, stored) == stored  # English pages keep the engine's words
    # the list's words are the popup's for the same finding
    for reason, phrase in (
        ("compensation not settled", zh.phrase("title_compensation")),
        ("ownership collective, not state", zh.phrase("title_ownership", own="集体")),
        ("2 open dispute(s)", zh.phrase("title_disputes", n=2)),
        ("requisition not done", zh.phrase("title_requisition")),
    ):
        assert reason_text(zh, reason) == phrase


def test_a_survey_not_leveled_says_the_earthwork_left_and_a_title_its_source_once() -> None:
    """The list's CSV reads the engine's reason: "not leveled" alone dropped the earthwork the
    popup gives; a title record's source line had a space where the surveyor would stand."""
    zh = load_definition(Settings().maps_dir, "readiness", "zh")
    stored = "not leveled; 18500 m³ earthwork outstanding"
    assert reason_text(zh, stored) == "场地未平整；剩余土方 18500 m³"
    title = {
        "record": {
            "recorded_on": "2024-06-01",
            "ownership": "state",
            "requisition_done": True,
            "compensation_settled": True,
            "open_disputes": 0,
            "document_ref": "QS-1",
        }
    }
    lines = explain(zh, "title", "met", title, max_age_days=90)
    assert "依据：QS-1" in lines, lines
    survey = {
        "survey": {
            "surveyed_on": "2024-06-01",
            "leveled": True,
            "earthwork_outstanding_m3": 0,
            "surveyor": "测绘院",
            "document_ref": "",
        }
    }
    assert explain(zh, "leveling", "met", survey, max_age_days=90)[-1] == "依据：测绘院"
