"""Representatives (Art. 8), consultations (Art. 11) and cost agreements (Art. 12) on requests

They are actions of the request's lifecycle (docs/request-cooperation.md): each leaves an
event, and their current value is kept with the request, in one JSON column, so that the
core decides on the request as it is loaded (a representative not agreed, a proposal
already answered) without replaying its history.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("requests", sa.Column("cooperation", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("cooperation")
