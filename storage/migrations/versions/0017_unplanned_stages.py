"""The open stages whose next warning is not yet worked out, through an index of their own: with statistics
taken when every stage was so (just after 0011), PostgreSQL otherwise walked every stage to find none

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_stage_deadline_unplanned", "stage_deadline", ["id"],
                    sqlite_where=sa.text("open IS 1 AND next_warning_at IS NULL"),
                    postgresql_where=sa.text("open IS true AND next_warning_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_stage_deadline_unplanned", table_name="stage_deadline")
