"""A 督办建议 dismissed with its reason (办法 第十六条), and the assisting departments (协办) of a ticket

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supervision") as batch:
        batch.add_column(sa.Column("dismissed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dismissed_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("dismiss_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.create_foreign_key("fk_supervision_dismissed_by", "member", ["dismissed_by_id"], ["id"])
    op.create_table(
        "assist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("part", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("part_by_id", sa.Integer(), nullable=True),
        sa.Column("part_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"]),
        sa.ForeignKeyConstraint(["added_by_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["part_by_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assist_ticket_id", "assist", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_assist_ticket_id", table_name="assist")
    op.drop_table("assist")
    with op.batch_alter_table("supervision") as batch:
        batch.drop_constraint("fk_supervision_dismissed_by", type_="foreignkey")
        batch.drop_column("dismiss_reason")
        batch.drop_column("dismissed_at")
        batch.drop_column("dismissed_by_id")
