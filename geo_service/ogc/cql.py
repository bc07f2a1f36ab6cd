"""CQL2 (text and JSON) → a SQLAlchemy condition over the caller's queryables only.

pygeofilter parses both encodings; this module walks its syntax tree itself (rather than using
pygeofilter's SQLAlchemy backend) so that:

* an attribute resolves only through the caller's whitelist: a name the caller may not see is a
  400 naming it, never a silent empty answer that would let the public probe internal fields;
* every literal becomes a bound parameter, type-checked against the field;
* filter geometries are read in ``filter-crs`` (its axis order) and transformed to the storage CRS
  in PostGIS before the spatial predicate, so the GiST index on the stored geometry is used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pygeofilter import ast, values
from pygeofilter.backends.evaluator import Evaluator, handle
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text
from sqlalchemy import and_, func, literal, not_, or_

from geo_service.ogc.collections import Field
from geo_service.ogc.crs import BadParameter, ServedCrs
from geo_service.spatial import STORAGE_SRID

LANGS = ("cql2-text", "cql2-json")
GEOMETRY = "geometry"

_SPATIAL = {
    "INTERSECTS": func.ST_Intersects,
    "DISJOINT": func.ST_Disjoint,
    "CONTAINS": func.ST_Contains,
    "WITHIN": func.ST_Within,
    "TOUCHES": func.ST_Touches,
    "CROSSES": func.ST_Crosses,
    "OVERLAPS": func.ST_Overlaps,
    "EQUALS": func.ST_Equals,
}
_NUMERIC = ("number", "integer")


class _Column:
    """An attribute resolved through the whitelist, with its field (for type checks)."""

    def __init__(self, expr: Any, field: Field | None) -> None:
        self.expr = expr
        self.field = field


class _Geometry:
    def __init__(self, expr: Any) -> None:
        self.expr = expr


def _check_literal(col: Any, value: Any, op: str) -> None:
    if not isinstance(col, _Column) or col.field is None:
        return
    t = col.field.type
    ok = {
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "string": isinstance(value, str),
        "date": isinstance(value, date | str),
        "date-time": isinstance(value, datetime | date | str),
    }.get(t, False)
    if not ok:
        raise BadParameter(
            f"filter: {col.field.name} is a {t}; {op} compares it with {value!r}, which is not"
        )


class _ToSQL(Evaluator):
    def __init__(self, fields: Mapping[str, Field], geom: Any, crs: ServedCrs) -> None:
        self.fields = fields
        self.geom = geom
        self.crs = crs

    def _expr(self, v: Any) -> Any:
        if isinstance(v, _Column | _Geometry):
            return v.expr
        return literal(v)

    @handle(ast.Attribute)
    def attribute(self, node: ast.Attribute) -> Any:
        if node.name == GEOMETRY:
            return _Geometry(self.geom)
        f = self.fields.get(node.name)
        if f is None or f.column is None:
            raise BadParameter(
                f"filter: {node.name[:64]!r} is not a queryable of this collection for you; see "
                "its /queryables (geometry is 'geometry')"
            )
        return _Column(f.column, f)

    @handle(ast.Not)
    def not_(self, node: Any, sub: Any) -> Any:
        return not_(sub)

    @handle(ast.And)
    def and_(self, node: Any, lhs: Any, rhs: Any) -> Any:
        return and_(lhs, rhs)

    @handle(ast.Or)
    def or_(self, node: Any, lhs: Any, rhs: Any) -> Any:
        return or_(lhs, rhs)

    @handle(ast.Comparison, subclasses=True)
    def comparison(self, node: Any, lhs: Any, rhs: Any) -> Any:
        op = node.op.value
        _check_literal(lhs, rhs, op)
        _check_literal(rhs, lhs, op)
        a, b = self._expr(lhs), self._expr(rhs)
        return {
            "=": lambda: a == b,
            "<>": lambda: a != b,
            "<": lambda: a < b,
            "<=": lambda: a <= b,
            ">": lambda: a > b,
            ">=": lambda: a >= b,
        }[op]()

    @handle(ast.Between)
    def between(self, node: Any, lhs: Any, low: Any, high: Any) -> Any:
        _check_literal(lhs, low, "BETWEEN")
        _check_literal(lhs, high, "BETWEEN")
        cond = self._expr(lhs).between(self._expr(low), self._expr(high))
        return not_(cond) if node.not_ else cond

    @handle(ast.Like)
    def like(self, node: Any, lhs: Any) -> Any:
        if not isinstance(node.pattern, str):
            raise BadParameter("filter: LIKE needs a text pattern")
        _check_literal(lhs, node.pattern, "LIKE")
        e = self._expr(lhs)
        cond = e.ilike(node.pattern) if node.nocase else e.like(node.pattern)
        return not_(cond) if node.not_ else cond

    @handle(ast.In)
    def in_(self, node: Any, lhs: Any, *options: Any) -> Any:
        for o in options:
            _check_literal(lhs, o, "IN")
        cond = self._expr(lhs).in_([self._expr(o) for o in options])
        return not_(cond) if node.not_ else cond

    @handle(ast.IsNull)
    def is_null(self, node: Any, lhs: Any) -> Any:
        e = self._expr(lhs)
        return e.is_not(None) if node.not_ else e.is_(None)

    @handle(ast.SpatialComparisonPredicate, subclasses=True)
    def spatial(self, node: Any, lhs: Any, rhs: Any) -> Any:
        fn = _SPATIAL.get(node.op.name)
        if fn is None or not (isinstance(lhs, _Geometry) and isinstance(rhs, _Geometry)):
            raise BadParameter(
                "filter: spatial functions compare 'geometry' with a geometry literal, e.g. "
                "S_INTERSECTS(geometry, POINT(114.9 33.72))"
            )
        return fn(lhs.expr, rhs.expr)

    @handle(ast.BBox)
    def bbox(self, node: Any, lhs: Any) -> Any:
        if not isinstance(lhs, _Geometry):
            raise BadParameter("filter: BBOX applies to 'geometry'")
        return func.ST_Intersects(
            lhs.expr, self._envelope(node.minx, node.miny, node.maxx, node.maxy)
        )

    @handle(values.Geometry)
    def geometry(self, node: Any) -> Any:
        text = json.dumps(node.__geo_interface__)
        g: Any = func.ST_SetSRID(func.ST_GeomFromGeoJSON(literal(text)), self.crs.srid)
        return _Geometry(self._to_storage(g))

    @handle(values.Envelope)
    def envelope(self, node: Any) -> Any:
        return _Geometry(self._envelope(node.x1, node.y1, node.x2, node.y2))

    def _envelope(self, a1: float, b1: float, a2: float, b2: float) -> Any:
        x1, y1, x2, y2 = (b1, a1, b2, a2) if self.crs.north_first else (a1, b1, a2, b2)
        env = func.ST_MakeEnvelope(
            literal(min(x1, x2)), literal(min(y1, y2)), literal(max(x1, x2)), literal(max(y1, y2)),
            self.crs.srid,
        )  # fmt: skip
        if self.crs.srid == STORAGE_SRID:
            return env
        return func.ST_Transform(env, STORAGE_SRID)

    def _to_storage(self, g: Any) -> Any:
        if self.crs.north_first:
            g = func.ST_FlipCoordinates(g)
        if self.crs.srid != STORAGE_SRID:
            g = func.ST_Transform(g, STORAGE_SRID)
        return g

    @handle(*values.LITERALS)
    def literal_(self, node: Any) -> Any:
        return node

    def adopt(self, node: Any, *sub_args: Any) -> Any:
        name = type(node).__name__
        raise BadParameter(
            f"filter: {name} is not supported here; use comparisons, LIKE, BETWEEN, IN, IS NULL, "
            "AND/OR/NOT and the S_* spatial functions"
        )


def _bboxes(node: Any) -> Any:
    """CQL2-JSON ``{"bbox": [minx, miny, maxx, maxy]}`` literals as polygons (pygeofilter 0.4 reads
    their numbers in another order)."""
    if isinstance(node, list):
        return [_bboxes(n) for n in node]
    if not isinstance(node, dict):
        return node
    box = node.get("bbox")
    if set(node) == {"bbox"} and isinstance(box, list) and len(box) in (4, 6):
        x1, y1, x2, y2 = (box[0], box[1], box[3], box[4]) if len(box) == 6 else box
        ring = [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]
        return {"type": "Polygon", "coordinates": [ring]}
    return {k: _bboxes(v) for k, v in node.items()}


def to_condition(
    text: str, lang: str | None, fields: Mapping[str, Field], geom: Any, crs: ServedCrs
) -> Any:
    """The SQL condition of a CQL2 filter; BadParameter for a bad filter or a hidden field."""
    lang = lang or "cql2-text"
    if lang not in LANGS:
        raise BadParameter(f"filter-lang must be one of {', '.join(LANGS)}; got {lang[:30]!r}")
    try:
        tree = parse_text(text) if lang == "cql2-text" else parse_json(_bboxes(json.loads(text)))
    except Exception as e:  # the parsers raise many types (lark, ValueError, KeyError …)
        first = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise BadParameter(
            f"filter is not valid {lang}: {first}; e.g. area_mu > 50 AND zone = 'Z1'"
        ) from None
    cond = _ToSQL(fields, geom, crs).evaluate(tree)
    if isinstance(cond, _Column | _Geometry) or not hasattr(cond, "self_group"):
        raise BadParameter("filter must be a condition (true or false), e.g. area_mu > 50")
    return cond
