"""The deadline ladder: stage_deadline.capped, ticket.calmed_at, hotline_extension; the 962200
contact stages that a recorded reply contact already closed

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The earliest contact time any reply of the ticket recorded (附件3: 与市民沟通的具体时间).
_CONTACT = ("(SELECT MIN(reply.contact_time) FROM reply WHERE reply.ticket_id = {table}.{key} "
            "AND reply.contact_time IS NOT NULL)")


def upgrade() -> None:
    # Existing rows get a value through a server default, which is then dropped to match the models.
    with op.batch_alter_table("stage_deadline") as batch:
        batch.add_column(sa.Column("capped", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("stage_deadline") as batch:
        batch.alter_column("capped", server_default=None)
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("calmed_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "hotline_extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=True),
        sa.Column("old_due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("wanted_due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("needed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("applied_by_id", sa.Integer(), nullable=True),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("granted_due_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["applied_by_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["extension_id"], ["extension.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hotline_extension_ticket_id", "hotline_extension", ["ticket_id"], unique=False)
    # 办法 第十五条: a 962200 department that recorded its contact in the reply had made the contact; its
    # contact stage, which nothing closed before, is done then (no more 「已超期 … 科室联系市民」).
    op.execute(
        "UPDATE ticket SET dept_contacted_at = " + _CONTACT.format(table="ticket", key="id")
        + " WHERE dept_contacted_at IS NULL AND EXISTS (SELECT 1 FROM stage_deadline s WHERE s.ticket_id = ticket.id"
        " AND s.stage = 'dept_first_contact' AND s.open = " + ("true" if _pg() else "1") + ")"
        " AND " + _CONTACT.format(table="ticket", key="id") + " IS NOT NULL")
    op.execute(
        "UPDATE stage_deadline SET open = " + ("false" if _pg() else "0") + ", completed_at = "
        + _CONTACT.format(table="stage_deadline", key="ticket_id")
        + " WHERE stage = 'dept_first_contact' AND open = " + ("true" if _pg() else "1")
        + " AND " + _CONTACT.format(table="stage_deadline", key="ticket_id") + " IS NOT NULL")


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def downgrade() -> None:
    op.drop_index("ix_hotline_extension_ticket_id", table_name="hotline_extension")
    op.drop_table("hotline_extension")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("calmed_at")
    with op.batch_alter_table("stage_deadline") as batch:
        batch.drop_column("capped")
