"""The six collections: their query, their fields (the queryables) and who may read them.

Every collection is a SQLAlchemy ``Select`` from the service's own data layer (the parcels and
projects repositories, the land models) plus a whitelist of fields: a field is a name the client
sees, its JSON Schema type and the SQL expression behind it. Filters can only ever name these
expressions, and only those the caller may see (``auth.policy.visible_fields``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select

from geo_service.auth import policy
from geo_service.auth.tokens import Principal
from geo_service.parcels import repository as parcels_repo
from geo_service.parcels.models import (
    SUPPLY_STAGES,
    AssessmentArea,
    InfrastructureFeature,
    Parcel,
    ProtectedArea,
    Zone,
)
from geo_service.projects import repository as projects_repo
from geo_service.projects.models import DOMAINS, STATUSES, Project
from geo_service.settings import Settings
from geo_service.spatial import SQM_PER_MU

#: a SQL expression: a mapped column (InstrumentedAttribute) or a ColumnElement
Expr = Any

#: JSON Schema type and format per field type
SCHEMA_TYPES: dict[str, dict[str, str]] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "date-time": {"type": "string", "format": "date-time"},
    "array": {"type": "array"},
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # a key of SCHEMA_TYPES
    title: str
    column: Expr | None = None  # None: shown but not queryable (arrays, JSON)
    enum: tuple[str, ...] | None = None

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, **SCHEMA_TYPES[self.type]}
        if self.enum:
            out["enum"] = list(self.enum)
        return out


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    kind: str  # the policy kind: which fields the caller sees
    read_action: str | None  # None: everybody reads it (the public view)
    write_action: str | None
    geometry_type: str  # for the queryables' geometry schema
    geom: Expr
    code: Expr
    fields: tuple[Field, ...]
    #: (start, end) fields of the feature's time, for ``datetime``; end may equal start
    temporal: tuple[str, str] | None
    #: the query for a caller: published_only, settings -> Select (ordered, stable)
    query: Callable[[bool, Settings], Select[Any]]
    #: a row of ``query`` -> (code, every property)
    properties: Callable[[Any], dict[str, Any]]
    published: Expr | None = None  # the column that hides records from the public
    keywords: tuple[str, ...] = field(default_factory=tuple)

    def may_read(self, principal: Principal) -> bool:
        return self.read_action is None or policy.can(principal, self.read_action)

    def visible(self, principal: Principal, settings: Settings) -> tuple[Field, ...]:
        """The fields the caller sees, in order (all of them for staff)."""
        shown = policy.visible_fields(principal, self.kind, settings)
        return tuple(f for f in self.fields if shown is None or f.name in shown)


def _plain(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    return v


# ------------------------------------------------------------------ parcels


def _parcel_query(published_only: bool, _: Settings) -> Select[Any]:
    return parcels_repo.select_parcels(published_only=published_only)


def _parcel_props(row: Any) -> dict[str, Any]:
    return parcels_repo.parcel_feature(row)["properties"]  # type: ignore[no-any-return]


_S = "string"
PARCEL_FIELDS = (
    Field("code", _S, "地块编号 code", Parcel.code),
    Field("county", _S, "县区 county (division code)", Parcel.county),
    Field("name", _S, "地块名称 name", Parcel.name),
    Field("zone", _S, "园区 zone code", Zone.code),
    Field("zone_name", _S, "园区名称 zone name", Zone.name),
    Field("area_m2", "number", "面积 area (m², on the ellipsoid)", Parcel.area_m2),
    Field("area_mu", "number", "面积 area (亩)", Parcel.area_m2 / SQM_PER_MU),
    Field("land_use", _S, "用途 land use", Parcel.land_use),
    Field("industry", _S, "产业 industry", Parcel.industry),
    Field("supply_stage", _S, "供地阶段 supply stage", Parcel.supply_stage, SUPPLY_STAGES),
    Field("indicators", "array", "控制指标 control indicators"),
    Field("contact", _S, "联系方式 contact", Parcel.contact),
    Field("net_land", "boolean", "净地 net land", parcels_repo.NET_LAND.element),
    Field("published", "boolean", "已发布 published", Parcel.published),
    Field("notes", _S, "内部备注 internal notes", Parcel.notes),
    Field(
        "needs_check",
        "boolean",
        "待复核 needs a readiness check",
        parcels_repo.NEEDS_CHECK.element,
    ),
    Field("version", "integer", "版本 version", Parcel.version),
    Field("updated_at", "date-time", "更新时间 updated", Parcel.updated_at),
)

# ------------------------------------------------------------------ projects


def _project_query(_: bool, settings: Settings) -> Select[Any]:
    return projects_repo.select_projects(projects_repo.ProjectFilter(rules=settings.projects))


def _project_props(row: Any) -> dict[str, Any]:
    return projects_repo.project_feature(row)["properties"]  # type: ignore[no-any-return]


PROJECT_FIELDS = (
    Field("code", _S, "项目编号 code", Project.code),
    Field("county", _S, "县区 county (division code)", Project.county),
    Field("name", _S, "项目名称 name", Project.name),
    Field("year", "integer", "年度 year", Project.year),
    Field("domain", _S, "领域 domain", Project.domain, DOMAINS),
    Field("industry", _S, "产业 industry", Project.industry),
    Field("description", _S, "建设内容 description", Project.description),
    Field("status", _S, "状态 status", Project.status, STATUSES),
    Field("total_investment_wan", "number", "总投资 (万元)", Project.total_investment_wan),
    Field("total_investment_yi", "number", "总投资 (亿元)", Project.total_investment_wan / 10000),
    Field(
        "planned_investment_wan", "number", "年度计划投资 (万元)", Project.planned_investment_wan
    ),
    Field("completed_wan", "number", "已完成投资 (万元)", Project.completed_wan),
    Field("leader", _S, "分包领导 leader", Project.leader),
    Field("responsible_unit", _S, "责任单位 responsible unit", Project.responsible_unit),
    Field("parcel", _S, "地块 parcel code", Parcel.code),
    Field("planned_start", "date", "计划开工 planned start", Project.planned_start),
    Field("actual_start", "date", "实际开工 actual start", Project.actual_start),
    Field("planned_completion", "date", "计划竣工", Project.planned_completion),
    Field("actual_completion", "date", "实际竣工", Project.actual_completion),
    Field("signed_on", "date", "签约日期 signed on", Project.signed_on),
    Field("in_production_on", "date", "投产日期 in production on", Project.in_production_on),
    Field("attracted_this_year", "boolean", "当年招商", Project.attracted_this_year),
    Field("source_region", _S, "来源地区 source region", Project.source_region),
    Field("overdue", "boolean", "逾期 overdue"),
    Field("rag", _S, "红黄绿 RAG"),
    Field("reasons", "array", "原因 reasons"),
    Field("version", "integer", "版本 version", Project.version),
)

# ------------------------------------------------------------------ context layers


def _simple(model: Any, names: tuple[str, ...]) -> Callable[[bool, Settings], Select[Any]]:
    def query(_: bool, __: Settings) -> Select[Any]:
        cols = [getattr(model, n).label(n) for n in names]
        return select(*cols).order_by(model.code)

    return query


def _simple_props(names: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    def props(row: Any) -> dict[str, Any]:
        return {n: _plain(getattr(row, n)) for n in names}

    return props


def _fields(model: Any, spec: tuple[tuple[str, str, str], ...]) -> tuple[Field, ...]:
    return tuple(Field(n, t, title, getattr(model, n)) for n, t, title in spec)


_ZONE: tuple[tuple[str, str, str], ...] = (
    ("code", _S, "园区编号 code"),
    ("county", _S, "县区 county (division code)"),
    ("name", _S, "园区名称 name"),
    ("version", "integer", "版本 version"),
    ("updated_at", "date-time", "更新时间 updated"),
)
_INFRA = (
    ("code", _S, "编号 code"),
    ("county", _S, "县区 county (division code)"),
    ("kind", _S, "类别 kind"),
    ("name", _S, "名称 name"),
    ("status", _S, "状态 status (existing/planned)"),
    ("diameter_mm", "number", "管径 diameter (mm)"),
    ("voltage_kv", "number", "电压等级 voltage (kV)"),
    ("road_class", _S, "道路等级 road class"),
    ("version", "integer", "版本 version"),
    ("updated_at", "date-time", "更新时间 updated"),
)
_ASSESS = (
    ("code", _S, "编号 code"),
    ("county", _S, "县区 county (division code)"),
    ("kind", _S, "评估类别 kind"),
    ("name", _S, "名称 name"),
    ("valid_from", "date", "有效期起 valid from"),
    ("valid_until", "date", "有效期止 valid until"),
    ("document_ref", _S, "文号 document"),
    ("version", "integer", "版本 version"),
)
_PROTECTED = (
    ("code", _S, "编号 code"),
    ("county", _S, "县区 county (division code)"),
    ("kind", _S, "类别 kind (basic_farmland/ecological_redline)"),
    ("name", _S, "名称 name"),
    ("version", "integer", "版本 version"),
)


def _names(spec: tuple[tuple[str, str, str], ...]) -> tuple[str, ...]:
    return tuple(n for n, _, _ in spec)


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            id="parcels",
            title="标准地 Standard-land parcels",
            description="Industrial standard-land parcels (标准地) with area, supply stage, "
            "control indicators and net-land status; the public sees published parcels only.",
            kind="parcel",
            read_action=None,
            write_action="parcels.write",
            geometry_type="MultiPolygon",
            geom=Parcel.geom,
            code=Parcel.code,
            fields=PARCEL_FIELDS,
            temporal=("updated_at", "updated_at"),
            query=_parcel_query,
            properties=_parcel_props,
            published=Parcel.published,
            keywords=("标准地", "parcels", "industrial land"),
        ),
        Collection(
            id="zones",
            title="园区 Development zones",
            description="Development zones (园区) the parcels lie in.",
            kind="zone",
            read_action=None,
            write_action=None,
            geometry_type="MultiPolygon",
            geom=Zone.geom,
            code=Zone.code,
            fields=_fields(Zone, _ZONE),
            temporal=("updated_at", "updated_at"),
            query=_simple(Zone, _names(_ZONE) + ("geom",)),
            properties=_simple_props(_names(_ZONE)),
        ),
        Collection(
            id="infrastructure",
            title="管网道路 Networks",
            description="Water mains, power lines, roads and other networks used by the "
            "readiness checks.",
            kind="infrastructure",
            read_action="layers.read_internal",
            write_action=None,
            geometry_type="Geometry",
            geom=InfrastructureFeature.geom,
            code=InfrastructureFeature.code,
            fields=_fields(InfrastructureFeature, _INFRA),
            temporal=("updated_at", "updated_at"),
            query=_simple(InfrastructureFeature, _names(_INFRA) + ("geom",)),
            properties=_simple_props(_names(_INFRA)),
        ),
        Collection(
            id="assessments",
            title="区域评估 Regional assessments",
            description="Areas covered by regional assessments (区域评估) with their validity.",
            kind="assessment",
            read_action="layers.read_internal",
            write_action=None,
            geometry_type="MultiPolygon",
            geom=AssessmentArea.geom,
            code=AssessmentArea.code,
            fields=_fields(AssessmentArea, _ASSESS),
            temporal=("valid_from", "valid_until"),
            query=_simple(AssessmentArea, _names(_ASSESS) + ("geom",)),
            properties=_simple_props(_names(_ASSESS)),
        ),
        Collection(
            id="protected",
            title="保护区 Protected land",
            description="Basic farmland (基本农田) and ecological red lines (生态红线).",
            kind="protected",
            read_action="layers.read_internal",
            write_action=None,
            geometry_type="MultiPolygon",
            geom=ProtectedArea.geom,
            code=ProtectedArea.code,
            fields=_fields(ProtectedArea, _PROTECTED),
            temporal=None,
            query=_simple(ProtectedArea, _names(_PROTECTED) + ("geom",)),
            properties=_simple_props(_names(_PROTECTED)),
        ),
        Collection(
            id="projects",
            title="重点项目 Key projects",
            description="Key projects (重点项目) of the ledger with status, investment, leader "
            "and RAG.",
            kind="project",
            read_action="projects.read",
            write_action="projects.write",
            geometry_type="Geometry",
            geom=Project.geom,
            code=Project.code,
            fields=PROJECT_FIELDS,
            temporal=("planned_start", "planned_start"),
            query=_project_query,
            properties=_project_props,
        ),
    )
}
