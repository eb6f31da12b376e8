"""An index for claiming queued deliveries of one lesson in id order.

A run claims batches with `status = 'queued' AND course = ? AND lesson = ? AND id > ?
ORDER BY id LIMIT 1000`; with (status, course, lesson, id) indexed, each claim reads
its thousand rows in order instead of sorting every queued row of the lesson.

Revision ID: 0004_claim_queue_index
Revises: 0003_deliveries
"""

from __future__ import annotations

from alembic import op

revision = "0004_claim_queue_index"
down_revision = "0003_deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_queue", "deliveries", ["status", "course", "lesson", "id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_queue", table_name="deliveries")
