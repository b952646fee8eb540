"""The scan's next-warning moment per open stage (partial index on open rows), and full-text search made for
Chinese on tickets and the knowledge base (SQLite FTS5 trigram, PostgreSQL pg_trgm; storage/fulltext.py)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from storage import fulltext
from storage.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # None: the next scan works the moment out (every open stage once, then only those due)
    op.add_column("stage_deadline", sa.Column("next_warning_at", UTCDateTime(), nullable=True))
    op.create_index("ix_stage_deadline_next_warning", "stage_deadline", ["next_warning_at"],
                    sqlite_where=sa.text("open IS 1"), postgresql_where=sa.text("open IS true"))
    fulltext.create(op.get_bind())


def downgrade() -> None:
    fulltext.drop(op.get_bind())
    op.drop_index("ix_stage_deadline_next_warning", table_name="stage_deadline")
    with op.batch_alter_table("stage_deadline") as batch:
        batch.drop_column("next_warning_at")
