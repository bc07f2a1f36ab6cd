"""Chinese labels for the codes a person reads in an Excel export (the codes stay in CSV/GIS).

Supply-stage labels are words the parcel importer maps back to the code
(``importers.columns.SUPPLY_STAGE_WORDS``), so a label never turns into a new value.
"""

from __future__ import annotations

import json
from typing import Any

LAND_USE_ZH = {
    "industrial": "工业",
    "warehouse": "仓储",
    "logistics": "物流",
    "commercial": "商业",
    "mixed": "混合",
}
SUPPLY_STAGE_ZH = {
    "plan": "计划",
    "notice": "公告",
    "sale": "出让",
    "contract": "签约",
    "handed_over": "已交地",
}
#: control indicators (控制指标): key → short Chinese name
INDICATOR_ZH = {
    "investment_intensity": "投资强度",
    "far": "容积率",
    "building_coverage": "建筑系数",
    "green_ratio": "绿地率",
    "admin_ratio": "行政办公及生活服务设施用地比例",
    "tax_per_mu": "亩均税收",
    "energy_per_unit": "单位能耗",
    "emission_standard": "排放标准",
    "output_intensity": "产出强度",
}


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _with_unit(v: Any, unit: str | None) -> str:
    if not unit:
        return _num(v)
    return f"{_num(v)}{unit}" if unit == "%" else f"{_num(v)} {unit}"


def indicator_text(item: Any) -> str:
    """``{"key": "far", "min": 1.2, "max": 2.5}`` → ``容积率 1.2–2.5``."""
    if not isinstance(item, dict):
        return str(item)
    key = str(item.get("key") or "")
    name = INDICATOR_ZH.get(key, key or "指标")
    lo, hi, val, unit = item.get("min"), item.get("max"), item.get("value"), item.get("unit")
    if lo is not None and hi is not None:
        return f"{name} {_num(lo)}–{_with_unit(hi, unit)}"
    if lo is not None:
        return f"{name} ≥ {_with_unit(lo, unit)}"
    if hi is not None:
        return f"{name} ≤ {_with_unit(hi, unit)}"
    if val is not None:
        return f"{name} = {_with_unit(val, unit)}"
    return name


def indicators_text(value: Any) -> Any:
    """A parcel's indicator list (JSON text or list) as one readable line; anything else as is."""
    items = value
    if isinstance(value, str):
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            return value
    if not isinstance(items, list):
        return value
    return "; ".join(indicator_text(i) for i in items) or None
