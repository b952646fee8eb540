"""The events of one action in a period (返工: fail_review) read through (action, at), not through every
event of the period

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ticket_event_action_at", "ticket_event", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_event_action_at", table_name="ticket_event")
