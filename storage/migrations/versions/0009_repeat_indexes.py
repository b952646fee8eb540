"""Repeat matching by index: the normalised address (ticket.address_key) and (phone | name | address_key,
received_at), so a citizen's latest tickets are read without scanning the table

Revision ID: 0009
Revises: 0008
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 1000


def _key(address):
    # storage.models.address_key as of this revision
    if not address:
        return None
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", address)).lower()[:255] or None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.add_column(sa.Column("address_key", sa.String(length=255), nullable=True))
        batch_op.drop_index("ix_ticket_phone")
        batch_op.drop_index("ix_ticket_citizen_name")
    ticket = sa.table("ticket", sa.column("id", sa.Integer), sa.column("address", sa.String),
                      sa.column("address_key", sa.String))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.select(ticket.c.id, ticket.c.address).where(
            ticket.c.id > last, ticket.c.address.is_not(None)).order_by(ticket.c.id).limit(BATCH)).all()
        if not rows:
            break
        for row in rows:
            conn.execute(ticket.update().where(ticket.c.id == row.id).values(address_key=_key(row.address)))
        last = rows[-1].id
    op.create_index("ix_ticket_phone_received", "ticket", ["phone", "received_at"])
    op.create_index("ix_ticket_name_received", "ticket", ["citizen_name", "received_at"])
    op.create_index("ix_ticket_address_key_received", "ticket", ["address_key", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_address_key_received", table_name="ticket")
    op.drop_index("ix_ticket_name_received", table_name="ticket")
    op.drop_index("ix_ticket_phone_received", table_name="ticket")
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.create_index("ix_ticket_citizen_name", ["citizen_name"], unique=False)
        batch_op.create_index("ix_ticket_phone", ["phone"], unique=False)
        batch_op.drop_column("address_key")
