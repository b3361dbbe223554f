"""Coordinated operations (Art. 5 para 3): the operations, their bodies and links

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("lead_body", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("received_from", sa.String(length=128), nullable=True),
        sa.Column("summary_signature", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
    )
    op.create_index(op.f("ix_operations_lead_body"), "operations", ["lead_body"])
    op.create_table(
        "operation_bodies",
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column("body_id", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_operation_bodies_operation_id_operations"),
        ),
        sa.PrimaryKeyConstraint("operation_id", "body_id", name=op.f("pk_operation_bodies")),
    )
    op.create_index(op.f("ix_operation_bodies_body_id"), "operation_bodies", ["body_id"])
    op.create_table(
        "operation_links",
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_operation_links_operation_id_operations"),
        ),
        sa.PrimaryKeyConstraint("operation_id", "kind", "ref", name=op.f("pk_operation_links")),
    )
    op.create_index(op.f("ix_operation_links_kind_ref"), "operation_links", ["kind", "ref"])


def downgrade() -> None:
    op.drop_table("operation_links")
    op.drop_table("operation_bodies")
    op.drop_table("operations")
