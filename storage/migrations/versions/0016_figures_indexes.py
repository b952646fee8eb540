"""Statistics of a long period read from indexes that hold what they count: the tickets received in the
period (every column the cube and the rates group or sum), and the stages of one kind started in it

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TICKET = ["received_at", "channel", "kind", "service_category", "business_category", "department_id", "status",
          "emergency", "handling_class", "satisfaction", "redo_count", "overall_due_at", "closed_at"]
STAGE = ["stage", "started_at", "department_id", "completed_at", "due_at", "cancelled_at"]


def upgrade() -> None:
    op.create_index("ix_ticket_figures", "ticket", TICKET)
    op.create_index("ix_stage_deadline_stage_started", "stage_deadline", STAGE)


def downgrade() -> None:
    op.drop_index("ix_stage_deadline_stage_started", table_name="stage_deadline")
    op.drop_index("ix_ticket_figures", table_name="ticket")
