"""The audit log as a hash chain: prev_hash and entry_hash, the chain's head, checkpoints

Existing entries are chained here, in id order: each gets the hash of the one before (64
zeros for the first) and its own hash, SHA-256 over the RFC 8785 canonical JSON of its
members (ozara/store/audit.py, docs/audit.md); its details are rewritten as canonical text
(the same values). Ids are renumbered 1, 2, 3, ... in their order where the database left
gaps (rolled-back inserts on PostgreSQL): from now on ids come from the head without gaps,
and a gap means a removed entry.

The encoding is written out here rather than imported, so that this migration keeps doing
what it did whatever the application code becomes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import rfc8785
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 1000

_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.String()),
    sa.column("body_id", sa.String()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("details", sa.JSON()),
    sa.column("ruleset", sa.String()),
)


def _time(value: datetime) -> str:
    """As ozara.documents.fields.format_time: UTC, ``Z``, microseconds only if any."""
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _chain_existing(conn: sa.Connection) -> tuple[int, str]:
    """Chain every entry in id order; return the last id and hash (the head)."""
    details = "CAST(:details AS json)" if conn.dialect.name == "postgresql" else ":details"
    update = sa.text(
        f"UPDATE audit_log SET id = :new_id, details = {details}, prev_hash = :prev_hash, "
        "entry_hash = :entry_hash WHERE id = :old_id"
    )
    position, prev, after = 0, GENESIS, 0
    while True:
        rows = conn.execute(
            sa.select(_log).where(_log.c.id > after).order_by(_log.c.id).limit(BATCH)
        ).all()
        if not rows:
            return position, prev
        changes: list[dict[str, Any]] = []
        for row in rows:
            # Renumbering in id order never collides: every id below ``position`` is taken
            # by an entry already renumbered, every id above the old one is still to come.
            position += 1
            text = rfc8785.dumps(row.details).decode("utf-8")
            entry = {
                "id": position,
                "at": _time(row.at),
                "actor_id": row.actor_id,
                "body_id": row.body_id,
                "action": row.action,
                "object_type": row.object_type,
                "object_id": row.object_id,
                "details": row.details,
                "ruleset": row.ruleset,
                "prev_hash": prev,
            }
            digest = hashlib.sha256(rfc8785.dumps(entry)).hexdigest()
            changes.append(
                {"new_id": position, "old_id": row.id, "details": text, "prev_hash": prev,
                 "entry_hash": digest}  # fmt: skip
            )
            prev = digest
        conn.execute(update, changes)
        after = rows[-1].id


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("entry_hash", sa.String(length=64), nullable=True))
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("node_id", sa.String(length=128), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index(
        "ix_audit_checkpoints_last_id", "audit_checkpoints", ["last_id"], unique=False
    )
    last_id, last_hash = _chain_existing(op.get_bind())
    assert head is not None
    op.bulk_insert(head, [{"id": 1, "last_id": last_id, "last_hash": last_hash}])
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    op.drop_index("ix_audit_checkpoints_last_id", table_name="audit_checkpoints")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("prev_hash")
