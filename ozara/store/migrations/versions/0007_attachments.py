"""The files attached to a request; the statistics reports kept by the Secretariat

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_attachments_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("request_id", "sha256", name=op.f("pk_attachments")),
    )


    op.create_table(
        "statistics_reports",
        sa.Column("node_id", sa.String(length=128), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_statistics_reports")),
    )


def downgrade() -> None:
    op.drop_table("statistics_reports")
    op.drop_table("attachments")
