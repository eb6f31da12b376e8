"""Subscribers and the suppression list.

Revision ID: 0001_subscribers
Revises:
Create Date: 2026-03-01

Portable to SQLite and PostgreSQL: plain VARCHARs with CHECK constraints for the
statuses (no native ENUM types to alter later), timestamps with time zone (which
drip.columns.UTCDateTime keeps UTC on both). CHECK constraints are named by the short
name the naming convention of drip.db expands (ck_subscribers_status...).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_subscribers"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = ("pending", "active", "paused", "completed", "unsubscribed", "bounced", "complained")
REASONS = ("unsubscribed", "bounced", "complained", "erased")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _instant(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("send_hour", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lessons_sent", sa.Integer, nullable=False),
        _instant("last_sent_at"),
        _instant("next_due_at"),
        _instant("paused_at"),
        _instant("suppressed_at"),
        sa.Column("opt_in", sa.String(16), nullable=False),
        sa.Column("consent_source", sa.String(200), nullable=False),
        sa.Column("consent_form", sa.String(200), nullable=False),
        sa.Column("consent_text", sa.Text, nullable=False),
        sa.Column("consent_ip", sa.String(45), nullable=True),
        sa.Column("consent_user_agent", sa.String(500), nullable=True),
        _instant("subscribed_at", nullable=False),
        _instant("confirmation_sent_at"),
        _instant("confirmed_at"),
        _instant("created_at", nullable=False),
        _instant("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscribers"),
        sa.UniqueConstraint("key", name="uq_subscribers_key"),
        sa.UniqueConstraint("email_key", name="uq_subscribers_email_key"),
        sa.CheckConstraint(_one_of("status", STATUSES), name="status"),
        sa.CheckConstraint(_one_of("opt_in", ("double", "attested")), name="opt_in"),
        sa.CheckConstraint("send_hour BETWEEN 0 AND 23", name="send_hour"),
        sa.CheckConstraint("lessons_sent >= 0", name="lessons_sent"),
    )
    # What the scheduler claims on: WHERE status = 'active' AND next_due_at <= now.
    op.create_index("ix_subscribers_due", "subscribers", ["status", "next_due_at"])

    op.create_table(
        "suppressions",
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        _instant("created_at", nullable=False),
        _instant("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("address_hash", name="pk_suppressions"),
        sa.CheckConstraint(_one_of("reason", REASONS), name="reason"),
    )


def downgrade() -> None:
    op.drop_table("suppressions")
    op.drop_index("ix_subscribers_due", table_name="subscribers")
    op.drop_table("subscribers")
