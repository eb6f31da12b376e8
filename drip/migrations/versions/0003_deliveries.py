"""The send ledger (deliveries) and the provider's events (delivery_events).

Revision ID: 0003_deliveries
Revises: 0002_web
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_deliveries"
down_revision = "0002_web"
branch_labels = None
depends_on = None


def _instant(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(100), nullable=False),
        sa.Column("lesson", sa.String(100), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _instant("due_at", nullable=False),
        _instant("lease_until"),
        sa.Column("worker", sa.String(64), nullable=True),
        sa.Column("provider_message_id", sa.String(255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _instant("sent_at"),
        _instant("created_at", nullable=False),
        _instant("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name="fk_deliveries_subscriber_id_subscribers",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("subscriber_id", "course", "lesson", name="uq_deliveries_lesson"),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed')", name="ck_deliveries_status"
        ),
    )
    op.create_index("ix_deliveries_claim", "deliveries", ["status", "lease_until"])
    op.create_index("ix_deliveries_subscriber_id", "deliveries", ["subscriber_id"])
    op.create_index("ix_deliveries_provider_message_id", "deliveries", ["provider_message_id"])
    op.create_table(
        "delivery_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(32), nullable=False),
        _instant("occurred_at", nullable=False),
        sa.Column("sg_event_id", sa.String(100), nullable=True),
        sa.Column("dedupe_key", sa.String(400), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        _instant("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_events"),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name="fk_delivery_events_delivery_id_deliveries",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name="fk_delivery_events_subscriber_id_subscribers",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("sg_event_id", name="uq_delivery_events_sg_event_id"),
        sa.UniqueConstraint("dedupe_key", name="uq_delivery_events_dedupe_key"),
    )
    op.create_index("ix_delivery_events_delivery_id", "delivery_events", ["delivery_id"])
    op.create_index("ix_delivery_events_subscriber_id", "delivery_events", ["subscriber_id"])


def downgrade() -> None:
    op.drop_table("delivery_events")
    op.drop_table("deliveries")
