"""Correlation notifications (issue 8): what each officer has not yet seen

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("officers", sa.Column("email", sa.String(length=254), nullable=True))
    op.create_table(
        "correlation_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("officer_id", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("other", sa.String(length=80), nullable=False),
        sa.Column("other_body", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mail_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mail_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("mail_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["officers.id"],
            name=op.f("fk_correlation_notifications_officer_id_officers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correlation_notifications")),
        sa.UniqueConstraint(
            "officer_id",
            "subject",
            "other",
            name=op.f("uq_correlation_notifications_officer_id_subject_other"),
        ),
    )
    op.create_index(
        "ix_correlation_notifications_unread",
        "correlation_notifications",
        ["officer_id"],
        postgresql_where=sa.text("read_at IS NULL"),
        sqlite_where=sa.text("read_at IS NULL"),
    )
    op.create_index(
        "ix_correlation_notifications_officer_id_id",
        "correlation_notifications",
        ["officer_id", "id"],
    )
    op.create_index(
        "ix_correlation_notifications_subject", "correlation_notifications", ["subject"]
    )
    op.create_index("ix_correlation_notifications_other", "correlation_notifications", ["other"])
    op.create_index(
        "ix_correlation_notifications_mail_due",
        "correlation_notifications",
        ["mail_due_at"],
        postgresql_where=sa.text("mail_due_at IS NOT NULL"),
        sqlite_where=sa.text("mail_due_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("correlation_notifications")
    with op.batch_alter_table("officers") as batch:
        batch.drop_column("email")
