"""The body that owes each deadline, and indexes that answer the overdue query alone

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN = "met_at IS NULL AND paused_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("request_deadlines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_id", sa.String(length=64), nullable=True))
    # Art. 6 para 4: the requesting body owes the confirmation; Art. 7: the holder the rest.
    op.execute(
        "UPDATE request_deadlines SET body_id = (SELECT CASE WHEN request_deadlines.kind = "
        "'urgent_confirmation' THEN r.requesting_body ELSE r.requested_body END "
        "FROM requests r WHERE r.id = request_deadlines.request_id)"
    )
    with op.batch_alter_table("request_deadlines", schema=None) as batch_op:
        batch_op.alter_column("body_id", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_index(
            "ix_request_deadlines_open_due",
            postgresql_where=sa.text(OPEN),
            sqlite_where=sa.text(OPEN),
        )
        batch_op.create_index(
            "ix_request_deadlines_open_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text(OPEN),
            postgresql_include=["request_id", "kind", "body_id"],
            sqlite_where=sa.text(OPEN),
        )
        batch_op.create_index(
            "ix_request_deadlines_open_body_due",
            ["body_id", "due_at"],
            unique=False,
            postgresql_where=sa.text(OPEN),
            postgresql_include=["request_id", "kind"],
            sqlite_where=sa.text(OPEN),
        )


def downgrade() -> None:
    with op.batch_alter_table("request_deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_request_deadlines_open_body_due")
        batch_op.drop_index("ix_request_deadlines_open_due")
        batch_op.create_index(
            "ix_request_deadlines_open_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text(OPEN),
            sqlite_where=sa.text(OPEN),
        )
        batch_op.drop_column("body_id")
