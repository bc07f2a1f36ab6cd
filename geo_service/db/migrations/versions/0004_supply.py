"""supply: dated supply and performance events of parcels (append-only)

Revision ID: 0004_supply
Revises: 0003_parcels_geog
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_supply"
down_revision: str | None = "0003_parcels_geog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = (
    "notice_published",
    "sale_started",
    "sale_closed",
    "result_published",
    "contract_signed",
    "first_payment",
    "price_paid",
    "handed_over",
    "certificate_issued",
    "permit_issued",
    "suspension_started",
    "suspension_ended",
    "construction_started",
    "construction_stopped",
    "construction_resumed",
    "completed",
    "performance_checked",
    "idle_decided",
    "annual_figures",
)


def upgrade() -> None:
    op.create_table(
        "supply_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("parcel_id", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("document_ref", sa.String(length=200), nullable=False),
        sa.Column("file_ref", sa.String(length=500), nullable=True),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("corrects_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "event IN (" + ", ".join(repr(e) for e in EVENTS) + ")",
            name=op.f("ck_supply_events_event"),
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["supply_events.id"],
            name=op.f("fk_supply_events_corrects_id_supply_events"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["parcel_id"],
            ["parcels.id"],
            name=op.f("fk_supply_events_parcel_id_parcels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_events")),
        sa.UniqueConstraint("corrects_id", name=op.f("uq_supply_events_corrects_id")),
    )
    op.create_index(
        "ix_supply_events_parcel_on", "supply_events", ["parcel_id", "occurred_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_supply_events_parcel_on", table_name="supply_events")
    op.drop_table("supply_events")
