"""The events of one action in a period (返工: fail_review) read through (action, at), not through every
event of the period; the messages being sent now, per chat, through (chat_id, status, claimed_until), not
through every message the chat ever got

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
    op.create_index("ix_outbox_chat_status_claim", "outbox", ["chat_id", "status", "claimed_until"])


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_status_claim", table_name="outbox")
    op.drop_index("ix_ticket_event_action_at", table_name="ticket_event")
