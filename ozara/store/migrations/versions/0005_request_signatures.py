"""Officer signatures of requests between nodes; the inbox processor's attempts and retry time;
the outbox keeps the unsealed document for resealing

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_signatures",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("signature", sa.JSON(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_request_signatures_request_id_requests"),
        ),
        sa.PrimaryKeyConstraint("request_id", "purpose", name=op.f("pk_request_signatures")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("processing_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("document")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("retry_at")
        batch_op.drop_column("processing_attempts")
    op.drop_table("request_signatures")
