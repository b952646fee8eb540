"""Outbox indexes by chat: a group's pace (chat_id, sent_at) and the message a button was pressed on
(chat_id, telegram_message_id), so neither reads the whole outbox

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_chat_sent", "outbox", ["chat_id", "sent_at"])
    op.create_index("ix_outbox_chat_message", "outbox", ["chat_id", "telegram_message_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_message", table_name="outbox")
    op.drop_index("ix_outbox_chat_sent", table_name="outbox")
