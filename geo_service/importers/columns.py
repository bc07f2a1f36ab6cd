"""Header mapping and value parsing: common Chinese and English headers → our field names.

Extra aliases come from configuration (``GEO_SERVICE_IMPORT_COLUMN_ALIASES``) so a bureau whose
surveyors write 宗地代码 or DKBH needs no code change.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pandas as pd

#: field → headers that mean it (compared after :func:`norm`)
ALIASES: dict[str, tuple[str, ...]] = {
    "code": (
        "code",
        "id",
        "parcel_code",
        "parcel",
        "地块编号",
        "地块代码",
        "宗地号",
        "宗地编号",
        "宗地代码",
        "编号",
        "代码",
        "图斑编号",
        "要素编号",
        "dkbh",
        "zdh",
        "zddm",
        "bh",
    ),
    "name": ("name", "地块名称", "宗地名称", "名称", "项目名称", "dkmc", "mc"),
    "zone_code": ("zone", "zone_code", "园区", "园区编号", "所属园区", "片区", "zone_id"),
    "published": ("published", "是否公开", "公开", "是否发布", "发布"),
    "supply_stage": ("supply_stage", "supply_sta", "供地阶段", "供应阶段"),
    "land_use": ("land_use", "用途", "土地用途", "用地性质", "用地类型"),
    "industry": ("industry", "行业", "产业", "产业类型", "产业方向"),
    "indicators": ("indicators", "indicator", "控制指标", "indicato"),
    "contact": ("contact", "联系人", "联系方式", "联系电话"),
    "notes": ("notes", "note", "remark", "备注"),
    "kind": ("kind", "type", "类型", "类别", "种类", "评估类型", "保护类型", "设施类型"),
    "status": ("status", "状态", "建设状态", "现状规划"),
    "diameter_mm": ("diameter_mm", "diameter", "diameter_m", "管径", "口径"),
    "voltage_kv": ("voltage_kv", "voltage", "电压等级", "电压"),
    "road_class": ("road_class", "class", "道路等级", "等级"),
    "valid_from": ("valid_from", "有效期起", "生效日期", "起始日期", "批复日期"),
    "valid_until": ("valid_until", "valid_unti", "有效期至", "截止日期", "有效期"),
    "document_ref": ("document_ref", "document_", "doc_ref", "文号", "批复文号"),
    # boundary-point tables (界址点坐标表)
    "ring": ("ring", "part", "ring_no", "圈号", "环号", "圈", "部件号", "地块圈号"),
    "seq": ("seq", "point", "point_no", "order", "no", "点号", "界址点号", "序号", "点序"),
    "x_north": ("x", "x坐标", "北坐标", "纵坐标", "northing", "north"),
    "y_east": ("y", "y坐标", "东坐标", "横坐标", "easting", "east"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
}

#: attributes each layer takes from a file (besides code and geometry)
FIELDS: dict[str, tuple[str, ...]] = {
    "parcels": (
        "name", "zone_code", "published", "supply_stage", "land_use", "industry", "indicators",
        "contact", "notes",
    ),
    "zones": ("name",),
    "assessments": ("kind", "name", "valid_from", "valid_until", "document_ref"),
    "protected": ("kind", "name"),
    "infrastructure": ("kind", "name", "status", "diameter_mm", "voltage_kv", "road_class"),
}  # fmt: skip

#: fields a file must carry (``kind`` of infrastructure may come from ``--kind`` instead)
REQUIRED: dict[str, tuple[str, ...]] = {
    "parcels": ("code",),
    "zones": ("code",),
    "assessments": ("code", "kind"),
    "protected": ("code", "kind"),
    # planned networks never count for readiness: a file must say which features exist
    "infrastructure": ("code", "kind", "status"),
}

_PAREN = re.compile(r"[(（\[【].*?[)）\]】]")


def norm(header: str) -> str:
    """Compare headers without case, spaces, underscores or a unit in brackets: 'X坐标(m)'."""
    h = _PAREN.sub("", str(header)).strip().lower()
    return re.sub(r"[\s_\-]+", "_", h).strip("_")


def header_map(
    headers: Iterable[str], extra: Mapping[str, list[str]] | None = None
) -> dict[str, str]:
    """Source header → field name for the headers we recognise.

    When several headers could mean one field (``id`` and ``地块编号``), the more specific alias
    wins: configured aliases first, then the order of :data:`ALIASES`.
    """
    rank: dict[str, tuple[str, int]] = {}
    for field, names in ALIASES.items():
        for i, n in enumerate((*(extra or {}).get(field, ()), *names)):
            rank.setdefault(norm(n), (field, i))
    for field, configured in (extra or {}).items():
        for i, n in enumerate(configured):
            rank[norm(n)] = (field, i)  # configured aliases win over the built-in ones
    best: dict[str, tuple[int, str]] = {}
    for h in headers:
        hit = rank.get(norm(h))
        if hit and (hit[0] not in best or hit[1] < best[hit[0]][0]):
            best[hit[0]] = (hit[1], h)
    return {h: field for field, (_, h) in best.items()}


# ------------------------------------------------------------------ values


def blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return bool(v is pd.NaT or (isinstance(v, str) and not v.strip()))


def text_value(v: Any) -> str | None:
    if blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # Excel turns code 1001 into 1001.0
    return str(v).strip()


_TRUE = {"true", "t", "yes", "y", "1", "是", "已公开", "公开", "已发布"}
_FALSE = {"false", "f", "no", "n", "0", "否", "未公开", "不公开", "未发布"}


def bool_value(v: Any) -> bool | None:
    if blank(v):
        return None
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s.endswith(".0"):
        s = s[:-2]
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(f"{v!r} is not yes/no (use true/false, 是/否 or 1/0)")


STATUS_WORDS = {
    "existing": "existing", "现状": "existing", "已建": "existing", "建成": "existing",
    "已建成": "existing", "现有": "existing", "built": "existing",
    "planned": "planned", "规划": "planned", "拟建": "planned", "在建": "planned",
    "计划": "planned", "plan": "planned",
}  # fmt: skip


def status_value(v: Any) -> str | None:
    if blank(v):
        return None
    s = str(v).strip().lower()
    if s in STATUS_WORDS:
        return STATUS_WORDS[s]
    raise ValueError(f"status {v!r} is neither existing (现状/已建) nor planned (规划)")


_NUM = r"([0-9]+(?:\.[0-9]+)?)"


def diameter_mm(v: Any) -> float | None:
    """'DN300', 'Φ300', '300mm', '0.3m', 300 → 300 (mm)."""
    if blank(v):
        return None
    if isinstance(v, int | float):
        return float(v)
    s = str(v).strip().lower().replace(" ", "")
    m = re.fullmatch(rf"(?:dn|de|d|φ|ф|ø|Φ)?{_NUM}(mm|毫米|cm|厘米|m|米)?", s)
    if not m:
        raise ValueError(f"diameter {v!r} is not a size like DN300, 300mm or 0.3m")
    unit = {"cm": 10, "厘米": 10, "m": 1000, "米": 1000}.get(m.group(2) or "", 1)
    return float(m.group(1)) * unit


def voltage_kv(v: Any) -> float | None:
    """'10kV', '110 kV', '380V', '10千伏', 10 → kV."""
    if blank(v):
        return None
    if isinstance(v, int | float):
        return float(v)
    s = str(v).strip().lower().replace(" ", "")
    m = re.fullmatch(rf"{_NUM}(kv|千伏|v|伏)?", s)
    if not m:
        raise ValueError(f"voltage {v!r} is not a value like 10kV or 380V")
    factor = 0.001 if m.group(2) in ("v", "伏") else 1.0
    return float(m.group(1)) * factor


INFRA_KIND_WORDS = {
    "water": "water", "给水": "water", "供水": "water", "水": "water", "供水管": "water",
    "power": "power", "电力": "power", "供电": "power", "电": "power", "电力线": "power",
    "road": "road", "道路": "road", "路": "road",
    "gas": "gas", "燃气": "gas", "heat": "heat", "供热": "heat",
    "telecom": "telecom", "通信": "telecom", "sewer": "sewer", "排水": "sewer", "污水": "sewer",
}  # fmt: skip

PROTECTED_KIND_WORDS = {
    "basic_farmland": "basic_farmland", "基本农田": "basic_farmland",
    "永久基本农田": "basic_farmland",
    "ecological_redline": "ecological_redline", "生态红线": "ecological_redline",
    "生态保护红线": "ecological_redline",
}  # fmt: skip

SUPPLY_STAGE_WORDS = {
    "plan": "plan", "计划": "plan", "储备": "plan",
    "notice": "notice", "公告": "notice",
    "sale": "sale", "出让": "sale", "招拍挂": "sale",
    "contract": "contract", "合同": "contract", "签约": "contract",
    "handed_over": "handed_over", "交地": "handed_over", "已交地": "handed_over",
}  # fmt: skip


def word_value(v: Any, words: Mapping[str, str], what: str) -> str | None:
    if blank(v):
        return None
    s = str(v).strip()
    got = words.get(s) or words.get(s.lower())
    if got is None:
        allowed = sorted(set(words.values()))
        raise ValueError(f"{what} {v!r} is not one of {', '.join(allowed)}")
    return got


def date_value(v: Any) -> date | None:
    if blank(v):
        return None
    if isinstance(v, date):
        return v
    try:
        s = str(v).strip().replace("年", "-").replace("月", "-").rstrip("日")
        return pd.Timestamp(s).date()
    except ValueError:
        raise ValueError(f"date {v!r} is not a date like 2024-03-31") from None


def indicators_value(v: Any) -> list[Any] | None:
    if blank(v):
        return None
    if isinstance(v, list):
        return v
    try:
        parsed = json.loads(str(v))
    except json.JSONDecodeError:
        raise ValueError("indicators must be a JSON list of {key, min, max, unit}") from None
    if not isinstance(parsed, list):
        raise ValueError("indicators must be a JSON list of {key, min, max, unit}")
    return parsed


def parse_field(field: str, v: Any) -> Any:
    """One cell → the stored value; ValueError with a user-facing reason."""
    if field == "published":
        return bool_value(v)
    if field == "status":
        return status_value(v)
    if field == "diameter_mm":
        return diameter_mm(v)
    if field == "voltage_kv":
        return voltage_kv(v)
    if field in ("valid_from", "valid_until"):
        return date_value(v)
    if field == "indicators":
        return indicators_value(v)
    if field == "supply_stage":
        return word_value(v, SUPPLY_STAGE_WORDS, "supply stage")
    return text_value(v)


ASSESSMENT_KIND_WORDS = {
    "土地勘测": "land_survey", "压覆矿产": "mineral_overlay", "地质灾害": "geological_hazard",
    "节能": "energy_saving", "水土保持": "soil_water", "文物保护": "cultural_relics",
    "洪水影响": "flood_impact", "地震安全性": "seismic_safety", "气候可行性": "climate",
    "环境影响评价": "environmental_impact", "环评": "environmental_impact",
}  # fmt: skip


def text_values(col: pd.Series) -> list[str | None]:
    """:func:`text_value` over a column; vectorised when the column holds only strings."""
    present = col.notna()
    if bool(col[present].map(type).eq(str).all()):
        stripped = col.where(present, "").astype(str).str.strip()
        return [v or None for v in stripped.tolist()]
    return [text_value(v) for v in col.tolist()]
