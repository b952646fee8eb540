"""Several processes, one truth: outbox claims (claimed_by, claimed_until), the Telegram messages a row became
and how many went out; a lease table for one-at-a-time duties; the inbox of updates stored before they are
acknowledged

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("messages", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("outbox") as batch:  # the default filled old rows; new ones get theirs from the model
        batch.alter_column("messages", server_default=None)
        batch.alter_column("parts_sent", server_default=None)
    op.create_index("ix_outbox_sent", "outbox", ["sent_at"])
    op.create_table(
        "lease",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("until", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
    )
    op.create_index("ix_inbox_pending", "inbox", ["done_at", "update_id"])


def downgrade() -> None:
    op.drop_index("ix_inbox_pending", table_name="inbox")
    op.drop_table("inbox")
    op.drop_table("lease")
    op.drop_index("ix_outbox_sent", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        for name in ("parts_sent", "messages", "claimed_until", "claimed_by"):
            batch.drop_column(name)
