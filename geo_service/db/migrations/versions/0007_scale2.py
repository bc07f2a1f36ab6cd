"""Scale, second step: bulk writers may defer the parcel_summary triggers and build it once.

The summary triggers of 0005/0006 stay the one definition of ``parcel_summary``; this revision

* gives each of them ``WHEN (gs_summary_live())``: a transaction that sets
  ``geo_service.summary_deferred = 'on'`` (``SET LOCAL`` / ``set_config(…, true)``, see
  ``geo_service.db.summary.deferred``) writes without them. Every other writer is unchanged;
* adds the set-based builders such a writer must call before it commits, built from the very
  same SQL templates as the triggers (so a deferred write and a live one store the same row):
  - ``gs_parcel_summary_add(ids bigint[])`` — the summary rows of newly inserted parcels;
  - ``gs_parcel_summary_refresh(ids bigint[])`` — the readiness counts of these parcels from
    ``parcel_conditions``.

A readiness run defers its save and its ``needs_check`` reset and refreshes only the parcels whose
status changed (a warm run: none), instead of aggregating every saved parcel in the trigger.

Revision ID: 0007_scale2
Revises: 0006_counties
"""

# ruff: noqa: S608  -- fixed SQL of this migration only

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0007_scale2"
down_revision: str | None = "0006_counties"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "gs_summary_live()"

#: (trigger, table, event, REFERENCING clause, function) of 0005's summary triggers
TRIGGERS = (
    (
        "trg_parcel_conditions_summary_insert",
        "parcel_conditions",
        "INSERT",
        "NEW TABLE AS changed",
        "gs_parcel_summary_conditions_insert",
    ),
    (
        "trg_parcel_conditions_summary_update",
        "parcel_conditions",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "gs_parcel_summary_conditions_update",
    ),
    (
        "trg_parcel_conditions_summary_delete",
        "parcel_conditions",
        "DELETE",
        "OLD TABLE AS changed",
        "gs_parcel_summary_conditions_delete",
    ),
    (
        "trg_parcels_summary_insert",
        "parcels",
        "INSERT",
        "NEW TABLE AS changed",
        "gs_parcel_summary_insert",
    ),
    (
        "trg_parcels_summary_update",
        "parcels",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "gs_parcel_summary_update",
    ),
)


def _load(name: str) -> ModuleType:
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_gs_{name}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _triggers(when: str) -> str:
    out = []
    for name, table, event, ref, func in TRIGGERS:
        out.append(
            f"DROP TRIGGER {name} ON {table};\n"
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {ref}\n"
            f"  FOR EACH STATEMENT {when} EXECUTE FUNCTION {func}();"
        )
    return "\n".join(out)


def upgrade() -> None:
    scale, counties = _load("0005_scale"), _load("0006_counties")
    attrs = (*scale.ATTRS, "county")  # as 0006 left the insert trigger
    insert = f"""
INSERT INTO parcel_summary (parcel_id, {", ".join(attrs)}, {", ".join(scale.GEOMS)},
                            met, unmet, unknown, checked, net_land, fails)
SELECT c.id, {", ".join("c." + a for a in attrs)}, {", ".join(scale.GEOMS.values())},
       0, 0, {scale.N_CONDITIONS}, 0, false, CAST({scale.ALL_CONDITIONS!r} AS text[])
FROM changed c {scale.TRANSFORM};
"""
    # the same text as the insert trigger's (0006 rebuilt it from these templates)
    assert insert.strip() in counties._summary_functions(attrs)
    op.execute(
        f"""
CREATE FUNCTION gs_summary_live() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT current_setting('geo_service.summary_deferred', true) IS DISTINCT FROM 'on' $$;

CREATE FUNCTION gs_parcel_summary_add(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WITH changed AS (SELECT p.* FROM unnest(ids) AS u(id) JOIN parcels p ON p.id = u.id)
  {insert}
END $$;

CREATE FUNCTION gs_parcel_summary_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WITH changed AS (SELECT u.parcel_id FROM unnest(ids) AS u(parcel_id)) {scale._REFRESH}
END $$;
{_triggers(f"WHEN ({LIVE})")}
"""
    )


def downgrade() -> None:
    op.execute(
        f"""{_triggers("")}
DROP FUNCTION gs_parcel_summary_refresh(bigint[]);
DROP FUNCTION gs_parcel_summary_add(bigint[]);
DROP FUNCTION gs_summary_live();
"""
    )
