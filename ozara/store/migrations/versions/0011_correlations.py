"""Automatic correlation (issue 8): the queue, the terms each subject offers, the links

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 19:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "correlation_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject_type", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correlation_jobs")),
    )
    op.create_index(
        "ix_correlation_jobs_pending",
        "correlation_jobs",
        ["id"],
        postgresql_where=sa.text("done_at IS NULL"),
        sqlite_where=sa.text("done_at IS NULL"),
    )
    op.create_table(
        "correlation_terms",
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("ip_first", sa.String(length=32), nullable=True),
        sa.Column("ip_last", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("subject", "kind", "value", name=op.f("pk_correlation_terms")),
    )
    op.create_index(
        op.f("ix_correlation_terms_kind_value"), "correlation_terms", ["kind", "value"]
    )
    op.create_index(op.f("ix_correlation_terms_ip_first"), "correlation_terms", ["ip_first"])
    op.create_table(
        "correlations",
        sa.Column("subject_a", sa.String(length=80), nullable=False),
        sa.Column("subject_b", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject_a", "subject_b", "kind", name=op.f("pk_correlations")),
    )
    op.create_index(op.f("ix_correlations_subject_b"), "correlations", ["subject_b"])
    op.create_index(op.f("ix_correlations_found_at"), "correlations", ["found_at"])


def downgrade() -> None:
    op.drop_table("correlations")
    op.drop_table("correlation_terms")
    op.drop_table("correlation_jobs")
