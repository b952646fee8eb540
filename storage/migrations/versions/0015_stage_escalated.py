"""An overdue reply looked at for supervision is marked (stage_deadline.escalated_at) and the scan reads only
those not yet looked at, through a partial index; the replies of tickets already supervised are marked now

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stage_deadline") as batch:
        batch.add_column(sa.Column("escalated_at", UTCDateTime(timezone=True), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    is_open = "open IS true" if postgres else "open IS 1"
    op.execute(f"UPDATE stage_deadline SET escalated_at = started_at WHERE {is_open} AND stage = 'reply' "
               "AND EXISTS (SELECT 1 FROM supervision WHERE supervision.ticket_id = stage_deadline.ticket_id)")
    op.create_index("ix_stage_deadline_to_escalate", "stage_deadline", ["stage", "due_at"],
                    sqlite_where=sa.text("open IS 1 AND escalated_at IS NULL"),
                    postgresql_where=sa.text("open IS true AND escalated_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_stage_deadline_to_escalate", table_name="stage_deadline")
    with op.batch_alter_table("stage_deadline") as batch:
        batch.drop_column("escalated_at")
