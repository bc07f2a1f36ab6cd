"""What each export selects: the column specs (key, Chinese header, SQL) of parcels, projects
(the ledger's columns) and readiness, and ``build_query``, the one builder of an export's SQL from
those fixed fragments (the role's filter and every value are bound, never interpolated)."""

from __future__ import annotations

from dataclasses import dataclass

from geo_service.errors import InvalidInput
from geo_service.projects.ledger import COLUMNS as LEDGER_COLUMNS
from geo_service.projects.ledger import Column as LedgerColumn
from geo_service.readiness.rules import checked_at_sql
from geo_service.spatial import SQM_PER_MU

WHATS = ("parcels", "projects", "readiness")

_PARCEL_COLS: tuple[tuple[str, str, str], ...] = (
    ("code", "p.code", "地块编号"),
    ("name", "p.name", "地块名称"),
    ("county", "p.county", "县区代码"),  # a code is unique within its county only
    ("zone", "z.code", "园区"),
    ("area_m2", "round(p.area_m2::numeric, 1)::float8", "面积(平方米)"),
    ("area_mu", f"round((p.area_m2 / {SQM_PER_MU!r})::numeric, 2)::float8", "面积(亩)"),
    ("land_use", "p.land_use", "用途"),
    ("industry", "p.industry", "产业"),
    ("supply_stage", "p.supply_stage", "供地阶段"),
    ("indicators", "p.indicators::text", "控制指标"),
    ("contact", "p.contact", "联系人"),
    ("net_land", "coalesce(nl.net_land, false)", "是否净地"),
    ("published", "p.published", "是否公开"),
    ("notes", "p.notes", "备注"),
)
_NET_LAND = """LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE c.status = 'met') = 5 AS net_land
    FROM parcel_conditions c WHERE c.parcel_id = p.id) nl ON true"""


def _project_expr(c: LedgerColumn) -> str:
    if c.field == "parcel_code":
        return "pa.code"
    if c.field in ("lon", "lat"):
        fn = "ST_X" if c.field == "lon" else "ST_Y"
        return f"round({fn}(ST_PointOnSurface(p.geom))::numeric, 7)::float8"
    if c.kind == "date":
        return f"to_char(p.{c.field}, 'YYYY-MM-DD')"
    if c.kind == "money":
        return f"p.{c.field}::float8"
    return f"p.{c.field}"


#: the ledger's own columns (projects/ledger/columns.py): an exported file is a ledger that
#: ``geo-service import projects`` reads back (XLSX headers 项目编号 …, CSV/GIS keys code …)
PROJECT_COLUMNS: tuple[tuple[str, str, str], ...] = tuple(
    (c.field, _project_expr(c), c.header) for c in LEDGER_COLUMNS
)
PROJECT_KINDS = {c.field: c.kind for c in LEDGER_COLUMNS}

CONDITION_ZH = {
    "water": "通水",
    "power": "通电",
    "road": "通路",
    "leveling": "场地平整",
    "title": "权属清晰",
}
STATUS_ZH = {"met": "已满足", "unmet": "未满足", "unknown": "未知"}
_READINESS_COLS: tuple[tuple[str, str, str], ...] = (
    ("code", "p.code", "地块编号"),
    ("name", "p.name", "地块名称"),
    ("county", "p.county", "县区代码"),
    ("zone", "z.code", "园区"),
    ("area_mu", f"round((p.area_m2 / {SQM_PER_MU!r})::numeric, 2)::float8", "面积(亩)"),
    ("net_land", "coalesce(r.met = 5, false)", "是否净地"),
    *((k, f"coalesce(r.{k}, 'unknown')", zh) for k, zh in CONDITION_ZH.items()),
    ("checked_at", f"to_char({checked_at_sql('r.checked_at')}, 'YYYY-MM-DD HH24:MI')", "检查时间"),
)
_READINESS_JOIN = (
    "LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE c.status = 'met') AS met, max(c.checked_at)"  # noqa: S608 -- fixed fragments only; values bound
    " AS checked_at, "
    + ", ".join(f"max(c.status) FILTER (WHERE c.condition = '{k}') AS {k}" for k in CONDITION_ZH)
    + " FROM parcel_conditions c WHERE c.parcel_id = p.id) r ON true"
)

SHP_NAMES = {  # Shapefile field names are at most 10 characters
    "supply_stage": "supply_sta",
    "total_investment_wan": "total_wan",
    "planned_investment_wan": "plan_wan",
    "completed_wan": "done_wan",
    "responsible_unit": "resp_unit",
    "planned_start": "plan_start",
    "actual_start": "act_start",
    "planned_completion": "plan_compl",
    "actual_completion": "act_compl",
    "checked_at": "checked",
    "in_production_on": "in_prod_on",
    "attracted_this_year": "attracted",
    "source_region": "src_region",
    "parcel_code": "parcel",
}


@dataclass
class Query:
    what: str
    cols: tuple[tuple[str, str, str], ...]
    sql: str
    geometry_type: str


#: DBF text holds at most 254 bytes: long JSON and free text stay out of Shapefiles (an absent
#: column is kept as it is on re-import, so the round trip still changes nothing)
_NOT_IN_SHP = {"indicators", "notes", "description"}


#: the parcels tables (XLSX/CSV) also carry each condition's status (通水 … 权属清晰); GIS files
#: keep the importer's own fields only
_PARCEL_CONDITION_COLS: tuple[tuple[str, str, str], ...] = tuple(
    (k, f"coalesce(r.{k}, 'unknown')", zh) for k, zh in CONDITION_ZH.items()
)


def build_query(
    what: str, *, public: bool, fields: list[str], shp: bool = False, table: bool = False
) -> Query:
    """The SELECT of one export; the public gets published parcels and public fields only.

    ``table`` (XLSX/CSV) adds the per-condition status columns to the parcels.
    """
    if what == "parcels":
        cols = _PARCEL_COLS
        join = _NET_LAND
        if table:
            at = [k for k, _, _ in cols].index("net_land") + 1
            cols = (*cols[:at], *_PARCEL_CONDITION_COLS, *cols[at:])
            join = f"{_NET_LAND} {_READINESS_JOIN}"
        if public:
            cols = tuple(c for c in cols if c[0] in fields)
        if shp:
            cols = tuple(c for c in cols if c[0] not in _NOT_IN_SHP)
        where = "WHERE p.published" if public else ""
        frm = f"FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {join} {where}"
        geom, gtype = "p.geom", "MultiPolygon"
    elif what == "readiness":
        cols = _READINESS_COLS
        frm = f"FROM parcels p LEFT JOIN zones z ON z.id = p.zone_id {_READINESS_JOIN}"
        geom, gtype = "p.geom", "MultiPolygon"
    elif what == "projects":
        cols = PROJECT_COLUMNS
        if shp:
            cols = tuple(c for c in cols if c[0] not in _NOT_IN_SHP)
        frm = "FROM projects p LEFT JOIN parcels pa ON pa.id = p.parcel_id"
        # a Shapefile holds one geometry type: projects become points there
        geom = "ST_PointOnSurface(p.geom)" if shp else "p.geom"
        gtype = "Point" if shp else "Unknown"
    else:
        raise InvalidInput(f"cannot export {what!r}; choose one of {', '.join(WHATS)}")
    select = ", ".join(f"{expr} AS {key}" for key, expr, _ in cols)
    sql = (
        f"SELECT {select}, ST_AsBinary({geom}) AS _wkb, "
        f"ST_X(ST_PointOnSurface({geom})) AS _lon, ST_Y(ST_PointOnSurface({geom})) AS _lat "
        f"{frm} ORDER BY p.county, p.code"
    )
    return Query(what, cols, sql, gtype)
