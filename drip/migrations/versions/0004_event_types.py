"""Room for SendGrid's longer event names (group_unsubscribe, group_resubscribe).

Revision ID: 0004_event_types
Revises: 0003_deliveries
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_event_types"
down_revision = "0003_deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot alter a column: batch mode copies the table (it is new and small).
    with op.batch_alter_table("delivery_events") as batch:
        batch.alter_column("type", type_=sa.String(32), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery_events") as batch:
        batch.alter_column("type", type_=sa.String(16), existing_nullable=False)
