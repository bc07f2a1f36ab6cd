"""The land layers a merge writes (``writes.merge_layer``): each layer's table, its attribute
columns with their staging types, value expressions and insert defaults, and the geometry
equality that decides whether a row changed."""

from __future__ import annotations

from dataclasses import dataclass

#: geometry equality that survives a round trip through text formats (1e-9° ≈ 0.1 mm)
SAME_GEOM = (
    "(ST_OrderingEquals({a}, {b}) OR (ST_NPoints({a}) = ST_NPoints({b}) "
    "AND ST_HausdorffDistance({a}, {b}) < 1e-9))"
)


@dataclass(frozen=True)
class Col:
    """One attribute column: its staging type, target column, value expression, insert default."""

    name: str
    pg_type: str = "text"
    target: str | None = None
    expr: str | None = None  # in terms of ``s.<name>`` and ``g`` (the new geometry)
    default: str | None = None

    @property
    def column(self) -> str:
        return self.target or self.name

    def value(self) -> str:
        v = self.expr or f"s.{self.name}"
        return f"coalesce({v}, {self.default})" if self.default else v


@dataclass(frozen=True)
class Layer:
    table: str
    cols: tuple[Col, ...]
    multi: bool = True

    def col(self, name: str) -> Col:
        return next(c for c in self.cols if c.name == name)


#: the zone a parcel's point on its surface lies in; the point (a GEOS call per parcel) is only
#: computed for parcels whose box meets a zone's (a point in a zone lies in both boxes)
ZONE_BY_LOCATION = (
    "CASE WHEN EXISTS (SELECT 1 FROM zones z WHERE z.geom && g) THEN "
    "(SELECT z.id FROM zones z WHERE ST_Intersects(z.geom, ST_PointOnSurface(g)) "
    "ORDER BY z.code LIMIT 1) END"
)

LAYERS: dict[str, Layer] = {
    "zones": Layer("zones", (Col("name", default="s.code"),)),
    "parcels": Layer(
        "parcels",
        (
            Col("name", default="s.code"),
            Col(
                "zone_code",
                target="zone_id",
                # a blank zone is found from the parcel's location
                expr="(SELECT z.id FROM zones z WHERE z.code = s.zone_code"
                " AND z.county = gs_current_county())",
                default=f"CASE WHEN s.zone_code IS NULL THEN {ZONE_BY_LOCATION} END",
            ),
            Col("published", "boolean", default="false"),
            Col("supply_stage", default="'plan'"),
            Col("land_use", default="'industrial'"),
            Col("industry"),
            Col("indicators", "jsonb", default="'[]'::jsonb"),
            Col("contact"),
            Col("notes"),
        ),
    ),
    "infrastructure": Layer(
        "infrastructure",
        (
            Col("kind"),
            Col("name"),
            Col("status", default="'existing'"),
            Col("diameter_mm", "double precision"),
            Col("voltage_kv", "double precision"),
            Col("road_class"),
            Col("attributes", "jsonb", default="'{}'::jsonb"),
        ),
        multi=False,
    ),
    "assessments": Layer(
        "assessment_areas",
        (
            Col("kind"),
            Col("name"),
            Col("valid_from", "date"),
            Col("valid_until", "date"),
            Col("document_ref"),
        ),
    ),
    "protected": Layer("protected_areas", (Col("kind"), Col("name"))),
}
