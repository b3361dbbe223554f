"""Adopted trust lists, applied notices; the inbox processor's error column and index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UNPROCESSED = "processed_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "trust_lists",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("issuer", sa.String(length=128), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed", sa.JSON(), nullable=False),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_trust_lists")),
    )
    op.create_table(
        "applied_notices",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_applied_notices")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processing_error", sa.Text(), nullable=True))
        batch_op.create_index(
            "ix_inbox_unprocessed",
            ["document_type", "received_at"],
            unique=False,
            postgresql_where=sa.text(UNPROCESSED),
            sqlite_where=sa.text(UNPROCESSED),
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_unprocessed")
        batch_op.drop_column("processing_error")
    op.drop_table("applied_notices")
    op.drop_table("trust_lists")
