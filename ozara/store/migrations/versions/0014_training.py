"""Training events (Art. 5 para 4): events, places per Party, nominations

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host_body", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("nomination_deadline", sa.Date(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("received_from", sa.String(length=128), nullable=True),
        sa.Column("announcement_signature", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_events")),
    )
    op.create_index(op.f("ix_training_events_host_body"), "training_events", ["host_body"])
    op.create_table(
        "training_parties",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["training_events.id"],
            name=op.f("fk_training_parties_event_id_training_events"),
        ),
        sa.PrimaryKeyConstraint("event_id", "party", name=op.f("pk_training_parties")),
    )
    op.create_index(op.f("ix_training_parties_party"), "training_parties", ["party"])


def downgrade() -> None:
    op.drop_table("training_parties")
    op.drop_table("training_events")
