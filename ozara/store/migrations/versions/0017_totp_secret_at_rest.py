"""Room for the TOTP secret encrypted at rest (issue 7)

The secret is stored as ``ozara-at-rest:`` and the base64 of its AES-256-GCM ciphertext
(ozara/store/at_rest.py) when the node has a keyring: more than the 64 characters of a
base32 secret in clear. Secrets already stored stay as they are and still read; ``ozara keys
rotate`` encrypts them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-25 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column(
            "totp_secret",
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
