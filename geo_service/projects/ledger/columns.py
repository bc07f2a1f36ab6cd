"""The ledger file's columns: sheet names, Chinese headers, and the header matching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SHEET = "项目台账"
PROBLEM_SHEET = "问题清单"
DOMAIN_ZH = {
    "innovation": "创新能力提升",
    "infrastructure": "基础设施建设",
    "industrial_transformation": "产业转型发展",
    "green_low_carbon": "绿色低碳转型",
    "livelihood": "民生和社会事业改善",
}
ZH_DOMAIN = {v: k for k, v in DOMAIN_ZH.items()}
PROBLEM_ZH = {"open": "未整改", "in_progress": "整改中", "resolved": "已解决"}


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: str  # text | int | money | date | bool | domain | status | float
    aliases: tuple[str, ...] = ()
    width: int = 14


#: the one column table of the ledger; ``geo-service export projects`` writes it too.
#: Aliases include older exports' headers (计划开工, 已完成投资(万元), 中心经度 …).
COLUMNS: tuple[Column, ...] = (
    Column("code", "项目编号", "text", ("编号", "项目代码"), 14),
    Column("name", "项目名称", "text", (), 36),
    Column("year", "年度", "int", ("台账年度",), 8),
    Column("domain", "所属领域", "domain", ("领域", "项目类别"), 18),
    Column("industry", "行业", "text", ("所属行业",), 12),
    Column("description", "建设内容", "text", ("建设规模及内容", "建设规模和内容"), 40),
    Column("status", "项目状态", "status", ("状态", "进展状态"), 10),
    Column("total_investment_wan", "总投资(万元)", "money", ("总投资",), 14),
    Column("planned_investment_wan", "年度计划投资(万元)", "money", ("年度计划投资",), 16),
    Column(
        "completed_wan", "累计完成投资(万元)", "money", ("完成投资(万元)", "已完成投资(万元)"), 16
    ),
    Column("leader", "分包领导", "text", ("包联领导", "分包县级领导"), 22),
    Column("responsible_unit", "责任单位", "text", ("牵头单位",), 18),
    Column("signed_on", "签约时间", "date", (), 12),
    Column("planned_start", "计划开工时间", "date", ("计划开工",), 12),
    Column("actual_start", "开工时间", "date", ("实际开工时间", "实际开工"), 12),
    Column("planned_completion", "计划竣工时间", "date", ("计划竣工",), 12),
    Column("actual_completion", "竣工时间", "date", ("实际竣工时间", "实际竣工"), 12),
    Column("in_production_on", "投产时间", "date", (), 12),
    Column("attracted_this_year", "本年招引", "bool", ("是否本年招引",), 10),
    Column("source_region", "来源地区", "text", ("招商来源地",), 10),
    Column("parcel_code", "关联地块", "text", ("地块编号", "parcel"), 14),
    Column("lon", "经度", "float", ("lon", "longitude", "中心经度"), 12),
    Column("lat", "纬度", "float", ("lat", "latitude", "中心纬度"), 12),
)
BY_FIELD = {c.field: c for c in COLUMNS}
REQUIRED_NEW = ("name", "year", "domain", "total_investment_wan")
NOT_NULL = ("name", "year", "domain", "total_investment_wan", "status")


#: the 问题清单 sheet; kind "problem_status" is 未整改/整改中/已解决 (or the API keys).
#: 问题描述, 发现时间 and 项目编号 of a stored problem cannot change (as in the API).
PROBLEM_COLUMNS: tuple[Column, ...] = (
    Column("code", "问题编号", "text", ("编号",), 14),
    Column("project", "项目编号", "text", ("所属项目", "项目代码"), 14),
    Column("description", "问题描述", "text", ("问题", "存在问题", "问题内容"), 40),
    Column("found_on", "发现时间", "date", ("发现日期",), 12),
    Column("assignee_unit", "责任单位", "text", ("整改责任单位",), 18),
    Column("assignee_leader", "责任领导", "text", ("整改责任领导", "包联领导"), 18),
    Column("deadline", "整改时限", "date", ("整改期限", "整改时间"), 12),
    Column("status", "整改状态", "problem_status", ("状态", "问题状态"), 10),
    Column("resolved_on", "解决时间", "date", ("解决日期",), 12),
    Column("resolution", "解决情况", "text", ("整改情况", "解决措施"), 30),
)
PROBLEM_BY_FIELD = {c.field: c for c in PROBLEM_COLUMNS}
ZH_PROBLEM = {v: k for k, v in PROBLEM_ZH.items()} | {"已整改": "resolved"}


def norm(h: Any) -> str:
    s = str(h or "").strip().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", s).lower()


HEADER_MAP: dict[str, Column] = {}
for _c in COLUMNS:
    for _h in (_c.header, _c.field, *_c.aliases):
        HEADER_MAP[norm(_h)] = _c
PROBLEM_HEADER_MAP: dict[str, Column] = {}
for _c in PROBLEM_COLUMNS:
    for _h in (_c.header, _c.field, *_c.aliases):
        PROBLEM_HEADER_MAP[norm(_h)] = _c
