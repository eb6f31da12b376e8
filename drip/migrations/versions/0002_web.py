"""The web app's tables: console logins and saved template versions.

Revision ID: 0002_web
Revises: 0001_subscribers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_web"
down_revision = "0001_subscribers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.CheckConstraint("role IN ('admin', 'marketer')", name="ck_users_role"),
    )
    op.create_table(
        "template_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(200), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_template_versions"),
    )
    op.create_index("ix_template_versions_name_id", "template_versions", ["name", "id"])


def downgrade() -> None:
    op.drop_index("ix_template_versions_name_id", table_name="template_versions")
    op.drop_table("template_versions")
    op.drop_table("users")
