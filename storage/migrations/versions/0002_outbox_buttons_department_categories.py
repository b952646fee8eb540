"""outbox.buttons_open, department.categories

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows get a value through a server default, which is then dropped to match the models.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("buttons_open", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("buttons_open", server_default=None)
    with op.batch_alter_table("department") as batch:
        batch.add_column(sa.Column("categories", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    with op.batch_alter_table("department") as batch:
        batch.alter_column("categories", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("department") as batch:
        batch.drop_column("categories")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("buttons_open")
