"""Counties: several counties of one city on one service, each walled off from the others.

* ``counties`` — one row per county or district (division code, names, boundary, ledger year,
  targets, readiness and supply overrides). The register's existing rows belong to the *home*
  county, 淮阳区 411603, made here (its boundary is loaded by ``geo-service demo load`` or
  ``geo-service county set``).
* ``county`` (NOT NULL, FK) on every register table that has codes: zones, parcels, assessment and
  protected areas, networks, projects, visits, problems, the ledger baselines and the tiles'
  ``parcel_summary``; backfilled to the home county; codes unique within a county
  (``UNIQUE (county, code)``). Default ``gs_current_county()``: the county the transaction is
  scoped to, else the home county — so every insert path fills it without knowing about it.
* ``api_tokens.county`` — a token scoped to one county (NULL: the whole city).
* **The county wall**: row-level security policies for the role ``gs_scoped``. A request scoped
  to a county runs ``SET LOCAL ROLE gs_scoped`` and sets ``geo_service.county``
  (``geo_service.counties.scope``); every query of that transaction then sees and changes only
  that county's rows — the register tables by their ``county``, their child tables (conditions,
  records, supply events, rounds, funding, …) through their parcel or project. Unscoped
  transactions (the service's own role, the table owner) are not affected.

Revision ID: 0006_counties
Revises: 0005_scale
"""

# ruff: noqa: S608  -- fixed SQL of this migration only

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_counties"
down_revision: str | None = "0005_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOME = ("411603", "淮阳区", "Huaiyang District")
#: register tables with codes: unique (county, code) instead of (code)
CODED = (
    "zones",
    "parcels",
    "assessment_areas",
    "protected_areas",
    "infrastructure",
    "projects",
    "visits",
    "problems",
)
#: child tables walled through their parent: table -> (column, parent table)
CHILDREN = {
    "leveling_surveys": ("parcel_id", "parcels"),
    "title_records": ("parcel_id", "parcels"),
    "parcel_conditions": ("parcel_id", "parcels"),
    "condition_overrides": ("parcel_id", "parcels"),
    "condition_history": ("parcel_id", "parcels"),
    "supply_events": ("parcel_id", "parcels"),
    "project_rounds": ("project_id", "projects"),
    "project_funding": ("project_id", "projects"),
    "investment_reports": ("project_id", "projects"),
    "milestones": ("project_id", "projects"),
}
ROLE = "gs_scoped"
WALL = "current_setting('geo_service.county', true)"


def _scale() -> ModuleType:
    """Migration 0005 (its trigger SQL templates), loaded from its file."""
    path = Path(__file__).with_name("0005_scale.py")
    spec = importlib.util.spec_from_file_location("_gs_0005_scale", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _summary_functions(attrs: Sequence[str]) -> str:
    """The parcel_summary insert/update trigger functions of 0005, copying ``attrs``."""
    m = _scale()
    insert = f"""
INSERT INTO parcel_summary (parcel_id, {", ".join(attrs)}, {", ".join(m.GEOMS)},
                            met, unmet, unknown, checked, net_land, fails)
SELECT c.id, {", ".join("c." + a for a in attrs)}, {", ".join(m.GEOMS.values())},
       0, 0, {m.N_CONDITIONS}, 0, false, CAST({m.ALL_CONDITIONS!r} AS text[])
FROM changed c {m.TRANSFORM};
"""
    update = f"""
UPDATE parcel_summary s SET {", ".join(f"{a} = n.{a}" for a in attrs)}
FROM new_rows n
WHERE s.parcel_id = n.id
  AND ({", ".join("s." + a for a in attrs)}) IS DISTINCT FROM ({", ".join("n." + a for a in attrs)});
WITH c AS (SELECT n.id, n.geom FROM new_rows n JOIN old_rows o ON o.id = n.id
           WHERE NOT ST_OrderingEquals(o.geom, n.geom))
UPDATE parcel_summary s SET {", ".join(f"{k} = {v}" for k, v in m.GEOMS.items())}
FROM c {m.TRANSFORM} WHERE s.parcel_id = c.id;
"""
    return f"""
CREATE OR REPLACE FUNCTION gs_parcel_summary_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {insert} RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION gs_parcel_summary_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {update} RETURN NULL; END $$;
"""


def upgrade() -> None:
    op.create_table(
        "counties",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column(
            "boundary",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                spatial_index=False,
            ),
            nullable=True,
        ),
        sa.Column("ledger_year", sa.Integer(), nullable=True),
        sa.Column(
            "targets",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "readiness",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "supply_overrides",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("home", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("code ~ '^[0-9]{6}$'", name=op.f("ck_counties_code_digits")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_counties")),
    )
    op.create_index(
        "idx_counties_boundary", "counties", ["boundary"], unique=False, postgresql_using="gist"
    )
    op.execute("CREATE UNIQUE INDEX uq_counties_one_home ON counties (home) WHERE home")
    op.execute(
        sa.text(
            "INSERT INTO counties (code, name_zh, name_en, home) VALUES (:c, :zh, :en, true)"
        ).bindparams(c=HOME[0], zh=HOME[1], en=HOME[2])
    )
    op.execute(
        f"""CREATE FUNCTION gs_current_county() RETURNS varchar LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif({WALL}, ''),
                  (SELECT code FROM counties WHERE home ORDER BY code LIMIT 1)) $$"""
    )

    county_default = "gs_current_county()"
    for table in (*CODED, "ledger_baselines", "parcel_summary"):
        # a stable default: evaluated once here (the home county) and stored without a rewrite
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN county varchar(6) NOT NULL DEFAULT {county_default}"
        )
        if table != "parcel_summary":
            op.create_foreign_key(
                op.f(f"fk_{table}_county_counties"),
                table,
                "counties",
                ["county"],
                ["code"],
                onupdate="CASCADE",
            )
        if table != "ledger_baselines":
            op.create_index(op.f(f"ix_{table}_county"), table, ["county"], unique=False)
    for table in CODED:
        op.drop_constraint(op.f(f"uq_{table}_code"), table, type_="unique")
        op.create_unique_constraint(op.f(f"uq_{table}_county"), table, ["county", "code"])
    op.drop_constraint(op.f("pk_ledger_baselines"), "ledger_baselines", type_="primary")
    op.create_primary_key(op.f("pk_ledger_baselines"), "ledger_baselines", ["county", "year"])

    op.add_column("api_tokens", sa.Column("county", sa.String(length=6), nullable=True))
    op.create_foreign_key(
        op.f("fk_api_tokens_county_counties"),
        "api_tokens",
        "counties",
        ["county"],
        ["code"],
        onupdate="CASCADE",
    )

    # tiles filter by county: parcel_summary copies it like the other tile attributes
    op.execute(_summary_functions((*_scale().ATTRS, "county")))

    # the wall: row-level security for the scoped role
    op.execute(
        f"""DO $$ BEGIN CREATE ROLE {ROLE} NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
            GRANT {ROLE} TO current_user;
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE};
            GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {ROLE};
            ALTER DEFAULT PRIVILEGES IN SCHEMA public
              GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE};
            ALTER DEFAULT PRIVILEGES IN SCHEMA public
              GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {ROLE};"""
    )
    for table in (*CODED, "ledger_baselines", "parcel_summary"):
        op.execute(
            f"""ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
            CREATE POLICY county_wall ON {table} TO {ROLE}
              USING (county = {WALL}) WITH CHECK (county = {WALL});"""
        )
    for table, (col, parent) in CHILDREN.items():
        op.execute(
            f"""ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
            CREATE POLICY county_wall ON {table} TO {ROLE}
              USING ({col} IN (SELECT id FROM {parent}))
              WITH CHECK ({col} IN (SELECT id FROM {parent}));"""
        )


def downgrade() -> None:
    for table in (*CODED, "ledger_baselines", "parcel_summary", *CHILDREN):
        op.execute(
            f"DROP POLICY IF EXISTS county_wall ON {table}; "
            f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"
        )
    op.execute(
        f"""ALTER DEFAULT PRIVILEGES IN SCHEMA public
              REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {ROLE};
            ALTER DEFAULT PRIVILEGES IN SCHEMA public
              REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM {ROLE};
            REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE};
            REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE};"""
    )
    op.execute(_summary_functions(_scale().ATTRS))
    op.drop_constraint(op.f("fk_api_tokens_county_counties"), "api_tokens", type_="foreignkey")
    op.drop_column("api_tokens", "county")
    op.drop_constraint(op.f("pk_ledger_baselines"), "ledger_baselines", type_="primary")
    op.execute(
        "DELETE FROM ledger_baselines WHERE county <> (SELECT code FROM counties WHERE home)"
    )
    op.create_primary_key(op.f("pk_ledger_baselines"), "ledger_baselines", ["year"])
    for table in CODED:
        op.drop_constraint(op.f(f"uq_{table}_county"), table, type_="unique")
        op.create_unique_constraint(op.f(f"uq_{table}_code"), table, ["code"])
    for table in (*CODED, "ledger_baselines", "parcel_summary"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN county")
    op.execute("DROP FUNCTION gs_current_county()")
    op.drop_table("counties")
