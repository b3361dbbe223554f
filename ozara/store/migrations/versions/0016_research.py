"""Joint research (Art. 5 para 6) and the library of exchanged literature

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25 21:00:00
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _instant(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "research_projects",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("lead_body", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("received_from", sa.String(length=128), nullable=True),
        sa.Column("final_signature", sa.JSON(), nullable=True),
        _instant("created_at", nullable=False),
        _instant("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_projects")),
    )
    op.create_index(op.f("ix_research_projects_lead_body"), "research_projects", ["lead_body"])
    op.create_table(
        "research_bodies",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("body_id", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["research_projects.id"],
            name=op.f("fk_research_bodies_project_id_research_projects"),
        ),
        sa.PrimaryKeyConstraint("project_id", "body_id", name=op.f("pk_research_bodies")),
    )
    op.create_index(op.f("ix_research_bodies_body_id"), "research_bodies", ["body_id"])
    op.create_table(
        "literature",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("owner_body", sa.String(length=64), nullable=False),
        sa.Column("owner_party", sa.String(length=3), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_from", sa.String(length=128), nullable=True),
        _instant("created_at", nullable=False),
        _instant("updated_at", nullable=False),
        _instant("withdrawn_at"),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_literature")),
    )
    op.create_index(op.f("ix_literature_owner_body"), "literature", ["owner_body"])
    op.create_index(op.f("ix_literature_updated_at"), "literature", ["updated_at"])
    op.create_table(
        "literature_recipients",
        sa.Column("document_id", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("shared_by", sa.String(length=64), nullable=False),
        _instant("shared_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["literature.id"],
            name=op.f("fk_literature_recipients_document_id_literature"),
        ),
        sa.PrimaryKeyConstraint("document_id", "party", name=op.f("pk_literature_recipients")),
    )
    op.create_index(op.f("ix_literature_recipients_party"), "literature_recipients", ["party"])
    op.create_table(
        "literature_files",
        sa.Column("document_id", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["literature.id"],
            name=op.f("fk_literature_files_document_id_literature"),
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_literature_files")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Full text as for records (0009): Russian and English stems, GIN.
        op.execute(
            "CREATE INDEX ix_literature_search_text ON literature USING gin "
            "((to_tsvector('russian'::regconfig, search_text) || "
            "to_tsvector('english'::regconfig, search_text)))"
        )


def downgrade() -> None:
    op.drop_table("literature_files")
    op.drop_table("literature_recipients")
    op.drop_table("literature")
    op.drop_table("research_bodies")
    op.drop_table("research_projects")
