"""Other nodes' signed audit checkpoints, as received (issue 7)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 18:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peer_checkpoints",
        sa.Column("node_id", sa.String(length=128), nullable=False),
        sa.Column("last_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("node_id", "last_id", name=op.f("pk_peer_checkpoints")),
    )


def downgrade() -> None:
    op.drop_table("peer_checkpoints")
