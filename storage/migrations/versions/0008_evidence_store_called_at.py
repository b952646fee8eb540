"""The bureau's copy of the evidence (attachment.file_size, sha256, stored_path); ticket.called_at (来电/来访时间,
copied from received_at for the tickets there are) apart from the receipt; ticket.calmed_by_id

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachment") as batch:
        batch.add_column(sa.Column("file_size", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("stored_path", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("called_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("calmed_by_id", sa.Integer(), nullable=True))
    # until now one field held both: the citizen's call and the bureau's receipt were the same moment
    op.execute("UPDATE ticket SET called_at = received_at WHERE called_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("calmed_by_id")
        batch.drop_column("called_at")
    with op.batch_alter_table("attachment") as batch:
        batch.drop_column("stored_path")
        batch.drop_column("sha256")
        batch.drop_column("file_size")
