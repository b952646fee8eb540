"""The petition's acceptance notice recorded (who, how), the city system's reference number, and 附件1 备注

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("acceptance_notice_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("acceptance_notice_manner", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch.add_column(sa.Column("city_system_ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    with op.batch_alter_table("reply") as batch:
        batch.add_column(sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reply") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("city_system_ref")
        batch.drop_column("acceptance_notice_manner")
        batch.drop_column("acceptance_notice_by_id")
