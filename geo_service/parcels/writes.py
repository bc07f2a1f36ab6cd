"""Set-based writes of land layers: upsert by code in the caller's transaction.

Rows arrive as dicts with a ``wkb`` key (WKB bytes or hex, lon/lat EPSG:4490) from the demo
loader, the file importers and the API alike, so there is one write path for each layer. Rows are
COPYed into a temporary staging table and merged with ONE ``INSERT … ON CONFLICT (code) DO
UPDATE`` statement, so 100 000 parcels cost one round trip of data and one statement, not 100 000
executes.

A row whose values (and geometry, to within 1e-9°, about 0.1 mm) equal the stored ones is left
alone: its version does not move and it is counted as unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo_service.parcels.layers import LAYERS, SAME_GEOM, ZONE_BY_LOCATION, Col, Layer

#: a mark written again is a new version of its row, even where the parcel was marked already: a
#: readiness run under way keeps it (it clears only the marks as it found them, ``engine``)
REMARK = "ON CONFLICT (parcel_id) DO UPDATE SET parcel_id = EXCLUDED.parcel_id"


@dataclass
class MergeResult:
    """What one merge changed: codes inserted and updated; the rest were unchanged."""

    total: int = 0
    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        return self.total - len(self.inserted) - len(self.updated)

    def counts(self) -> dict[str, int]:
        return {
            "features": self.total,
            "inserted": len(self.inserted),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
        }


def _jsonish(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False)


def _wkb(value: bytes | str) -> bytes:
    """WKB as bytes (callers may hand hex text)."""
    return bytes.fromhex(value) if isinstance(value, str) else value


def columnar(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Rows (dicts) as columns: what :func:`merge_layer` takes."""
    data = list(rows)
    keys = {k: None for r in data for k in r}  # every key, in first-seen order
    return {k: [r.get(k) for r in data] for k in keys}


def _stage(
    session: Session,
    layer: Layer,
    table: Mapping[str, Sequence[Any]],
    n: int,
    *,
    fresh: bool = True,
) -> str:
    """COPY the columns into a temporary table that disappears with the transaction (``fresh``:
    a new one; else appended to the one this transaction has, as a chunked import does)."""
    name = f"_stage_{layer.table}"
    cols = [("code", "text"), ("wkb", "bytea"), *((c.name, c.pg_type) for c in layer.cols)]
    if fresh:
        session.execute(text(f"DROP TABLE IF EXISTS {name}"))
        session.execute(
            text(
                f"CREATE TEMP TABLE {name} ({', '.join(f'{n} {t}' for n, t in cols)}) "
                "ON COMMIT DROP"
            )
        )
    json_cols = {c.name for c in layer.cols if c.pg_type == "jsonb"}
    values: list[Sequence[Any]] = []
    for col, _ in cols:
        v = table.get(col)
        if v is None:
            values.append([None] * n)
        elif col == "wkb":
            values.append([_wkb(w) for w in v])
        elif col in json_cols:
            values.append([_jsonish(x) for x in v])
        else:
            values.append(v)
    # columns the source does not have stay NULL without being sent
    sent = [i for i, (col, _) in enumerate(cols) if table.get(col) is not None]
    dbapi = session.connection().connection.driver_connection
    with (
        dbapi.cursor() as cur,  # type: ignore[union-attr]
        cur.copy(f"COPY {name} ({', '.join(cols[i][0] for i in sent)}) FROM STDIN") as cp,
    ):
        for row in zip(*(values[i] for i in sent), strict=True):
            cp.write_row(row)
    return name


def merge_layer(
    session: Session,
    kind: str,
    table: Mapping[str, Sequence[Any]],
    *,
    columns: Iterable[str] | None = None,
) -> MergeResult:
    """Upsert a land layer by code in ONE statement; ``table`` holds equal-length columns
    (``code``, ``wkb`` and attributes; :func:`columnar` turns rows into that).

    ``columns`` names the attributes the source really has: only those (and the geometry) are
    updated on existing codes, so a surveyor's file with code, name and shape does not wipe the
    bureau's indicators. ``None`` means every attribute (missing values become defaults).
    """
    n = len(table.get("code") or [])
    if not n:
        return MergeResult(total=0)
    stage(session, kind, table)
    return merge_staged(session, kind, n, columns=columns)


def stage(
    session: Session, kind: str, table: Mapping[str, Sequence[Any]], *, fresh: bool = True
) -> None:
    """Stage rows of ``kind`` for :func:`merge_staged` (``fresh=False``: add to those staged)."""
    _stage(session, LAYERS[kind], table, len(table.get("code") or []), fresh=fresh)


def merge_staged(
    session: Session, kind: str, n: int, *, columns: Iterable[str] | None = None
) -> MergeResult:
    """Merge the ``n`` rows staged by :func:`stage` (see :func:`merge_layer`)."""
    layer = LAYERS[kind]
    result = MergeResult(total=n)
    present = {c.name for c in layer.cols} if columns is None else set(columns)
    staged = f"_stage_{layer.table}"
    t = layer.table
    geom = "ST_SetSRID(ST_GeomFromWKB(st.wkb), 4490)"
    if layer.multi:  # invalid input is refused by the CHECK, never silently fixed
        geom = f"ST_Multi({geom})"
    targets = [c.column for c in layer.cols] + ["county"]
    values = [_value(c, present) for c in layer.cols] + ["cc.county"]
    upd = [c.column for c in layer.cols if c.name in present]
    set_cols = [f"{c} = EXCLUDED.{c}" for c in upd] + ["geom = EXCLUDED.geom"]
    same = SAME_GEOM.format(a=f"{t}.geom", b="EXCLUDED.geom")
    changed = f"NOT {same}"
    if upd:
        old = ", ".join(f"{t}.{c}" for c in upd)
        new = ", ".join(f"EXCLUDED.{c}" for c in upd)
        changed = f"(ROW({old}) IS DISTINCT FROM ROW({new}) OR {changed})"
    # the geometry is built once per row (OFFSET 0 keeps the planner from copying its expression
    # into every place that uses it); the county is the transaction's (gs_current_county(), the
    # column's default), looked up once per statement instead of once per row
    select = f"""
        INSERT INTO {t} (code, geom, {", ".join(targets)})
        SELECT s.code, g, {", ".join(values)}
        FROM (SELECT st.*, {geom} AS g FROM {staged} st OFFSET 0) s
        CROSS JOIN (SELECT gs_current_county() AS county) cc"""  # noqa: S608
    # codes already stored in this county: the upsert; new codes: a plain insert (a 100 000-parcel
    # first load spends a quarter less without ON CONFLICT's speculative insertion); one
    # transaction.
    known = f"SELECT 1 FROM {t} x WHERE x.code = s.code AND x.county = cc.county"  # noqa: S608
    upsert = f"""{select}
        WHERE EXISTS ({known})
        ON CONFLICT (county, code) DO UPDATE SET {", ".join(set_cols)},
            updated_at = now(), version = {t}.version + 1
        WHERE {changed}
        RETURNING code, (xmax = 0) AS inserted"""  # noqa: S608 -- fixed fragments only; values bound
    sql = upsert
    if kind == "parcels":
        # a moved parcel is marked for re-checking: its shape before the upsert (the statement's
        # snapshot) against after; a new one needs no mark (never checked: the run takes it)
        moved = SAME_GEOM.format(a="o.geom", b="u.geom")
        sql = f"""WITH o AS (
            SELECT x.id, x.geom FROM parcels x JOIN {staged} st ON st.code = x.code
            WHERE x.county = gs_current_county()),
          u AS ({upsert}, id, geom),
          m AS (INSERT INTO parcel_marks (parcel_id)
            SELECT u.id FROM u JOIN o ON o.id = u.id WHERE NOT {moved}
            {REMARK})
        SELECT code, inserted FROM u"""  # noqa: S608
    # the codes of the layer are matched by hashing, never by a nested loop: within an import
    # the layer's statistics are those of before it (an emptied table looks empty while earlier
    # pieces of the same transaction fill it), and a nested loop over "empty" is quadratic
    prev = session.execute(text("SELECT current_setting('enable_nestloop')")).scalar()
    session.execute(text("SELECT set_config('enable_nestloop', 'off', true)"))
    for code, inserted in session.execute(text(sql)):
        (result.inserted if inserted else result.updated).append(code)
    fresh = f"{select} WHERE NOT EXISTS ({known}) RETURNING code"  # noqa: S608
    result.inserted += session.execute(text(fresh)).scalars().all()
    session.execute(text("SELECT set_config('enable_nestloop', :v, true)"), {"v": prev})
    session.execute(text(f"DROP TABLE {staged}"))
    return result


def _value(col: Col, present: set[str]) -> str:
    """The column's value in the merge. A parcel file without a zone column has no zone codes:
    its zone is found from the location only (the same value, without a lookup per row)."""
    if col.name == "zone_code" and col.name not in present:
        return ZONE_BY_LOCATION
    return col.value()


# --------------------------------------------------------------- the per-layer entry points


def upsert_zones(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    return merge_layer(session, "zones", columnar(rows)).total


def upsert_parcels(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert or update parcels by code; a changed row gets a new version and is re-checked."""
    return merge_layer(session, "parcels", columnar(rows)).total


def upsert_infrastructure(
    session: Session, rows: Iterable[Mapping[str, Any]], *, within_m: float
) -> int:
    """Network features by code; parcels within ``within_m`` of a changed feature (the rules'
    reach, ``readiness.rules.reach_m``) are marked for re-checking."""
    res = merge_layer(session, "infrastructure", columnar(rows))
    mark_near_infrastructure(session, codes=res.inserted + res.updated, within_m=within_m)
    return res.total


def mark_near_infrastructure(session: Session, *, codes: list[str], within_m: float) -> None:
    """Mark parcels within ``within_m`` of these features for re-checking (one statement)."""
    if not codes:
        return
    # the && prefilter uses the parcels' GiST index: the feature's box grown by the distance in
    # degrees of longitude at its poleward edge (the larger of the two); then the exact test in m
    session.execute(
        text(
            f"""INSERT INTO parcel_marks (parcel_id)
            SELECT DISTINCT p.id FROM infrastructure i JOIN parcels p
              ON p.geom && ST_Expand(i.geom, :within / 111000.0
                    / cos(radians(least(80, greatest(abs(ST_YMin(i.geom)), abs(ST_YMax(i.geom)))))))
              AND ST_DWithin(i.geom::geography, p.geom::geography, :within)
            WHERE i.code = ANY(:codes)
            {REMARK}"""  # noqa: S608 -- fixed fragments only; values bound
        ),
        {"codes": codes, "within": within_m},
    )


def upsert_assessments(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    return merge_layer(session, "assessments", columnar(rows)).total


def upsert_protected(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    res = merge_layer(session, "protected", columnar(rows))
    mark_near_protected(session, codes=res.inserted + res.updated)
    return res.total


def mark_near_protected(session: Session, *, codes: list[str]) -> None:
    """Parcels touching these protected areas must have their title re-checked."""
    if codes:
        session.execute(
            text(
                f"""INSERT INTO parcel_marks (parcel_id)
                SELECT DISTINCT p.id FROM protected_areas a JOIN parcels p
                  ON ST_Intersects(a.geom, p.geom)
                WHERE a.code = ANY(:codes)
                {REMARK}"""  # noqa: S608 -- fixed fragments only; values bound
            ),
            {"codes": codes},
        )


def after_merge(session: Session, kind: str, result: MergeResult, *, reach_m: float) -> None:
    """The follow-ups of a merge: parcels near changed networks (within ``reach_m``, the
    readiness rules' longest distance) or protected land re-checked."""
    if kind == "infrastructure":
        mark_near_infrastructure(session, codes=result.inserted + result.updated, within_m=reach_m)
    elif kind == "protected":
        mark_near_protected(session, codes=result.inserted + result.updated)


def replace_records(session: Session, *, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Replace the leveling surveys or title records of the parcels named in ``rows``."""
    columns = {
        "leveling_surveys": (
            "surveyed_on",
            "leveled",
            "earthwork_outstanding_m3",
            "surveyor",
            "document_ref",
        ),
        "title_records": (
            "recorded_on",
            "ownership",
            "requisition_done",
            "compensation_settled",
            "open_disputes",
            "document_ref",
        ),
    }[table]
    data = [dict(r) for r in rows]
    codes = sorted({d["parcel_code"] for d in data})
    session.execute(
        text(
            f"DELETE FROM {table} t USING parcels p "  # noqa: S608 -- fixed fragments only; values bound
            "WHERE t.parcel_id = p.id AND p.code = ANY(:codes)"
        ),
        {"codes": codes},
    )
    if data:
        for d in data:
            for c in columns:
                d.setdefault(c, None)
        session.execute(
            text(
                f"""INSERT INTO {table} (parcel_id, {", ".join(columns)})
                SELECT p.id, {", ".join(":" + c for c in columns)} FROM parcels p
                WHERE p.code = :parcel_code"""  # noqa: S608 -- fixed fragments only; values bound
            ),
            data,
        )
        session.execute(
            text(
                "INSERT INTO parcel_marks (parcel_id) SELECT id FROM parcels "  # noqa: S608
                f"WHERE code = ANY(:codes) {REMARK}"
            ),
            {"codes": codes},
        )
    return len(data)
