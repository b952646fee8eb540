"""Where a member came from: the organisation file ("config", which is the truth for them) or the bot's join
flow ("bot", kept when the file does not list them)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("source", sa.String(length=8), nullable=False, server_default="config"))
    op.execute("UPDATE member SET source = 'bot' WHERE telegram_user_id IN "
               "(SELECT telegram_user_id FROM join_request WHERE status = 'approved')")


def downgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.drop_column("source")
