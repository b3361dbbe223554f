"""Each audit entry stored as the bytes its hash covers; the other columns generated

``canonical`` (BYTEA on PostgreSQL, BLOB on SQLite) takes the RFC 8785 text each entry's
``entry_hash`` was computed over, rebuilt here from the columns; then every hashed column
but ``id`` becomes a column the database generates from it (ozara/store/audit_schema.py).
Hashes do not change: checkpoints already signed, and held by other nodes, still hold. An
entry whose columns no longer give its hash keeps the text they give now, so verification
still names it.

The encoding is written out here rather than imported, so that this migration keeps doing
what it did whatever the application code becomes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 04:00:00
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import rfc8785
import sqlalchemy as sa
from alembic import op

from ozara.store import audit_schema

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BATCH = 2000
_NAMES = ("action", "actor_id", "at", "body_id", "details", "id", "object_id", "object_type",
          "prev_hash", "ruleset")  # fmt: skip
_OLD = ("id", "at", "actor_id", "body_id", "action", "object_type", "object_id", "details",
        "ruleset", "prev_hash", "entry_hash")  # fmt: skip


def _time(value: datetime) -> str:
    """As ozara.documents.fields.format_time: UTC, ``Z``, microseconds only if any."""
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _canonical(row: Any) -> bytes:
    """The entry's RFC 8785 bytes; the details as stored (canonical text since 0008), or
    re-encoded where only that gives the stored hash (the same values spelled otherwise)."""
    values = dict(zip(_OLD, row, strict=True))
    if isinstance(values["at"], str):  # SQLite's text
        values["at"] = datetime.fromisoformat(values["at"])
    values["at"] = _time(values["at"])
    stored = values["details"]
    members = {n: rfc8785.dumps(values[n]).decode() for n in _NAMES if n != "details"}

    def text(details: str) -> bytes:
        inner = ",".join(f'"{n}":{details if n == "details" else members[n]}' for n in _NAMES)
        return ("{" + inner + "}").encode("utf-8")

    verbatim = text(stored)
    if hashlib.sha256(verbatim).hexdigest() == values["entry_hash"]:
        return verbatim
    try:
        respelled = text(rfc8785.dumps(json.loads(stored)).decode())
    except (ValueError, rfc8785.CanonicalizationError):
        return verbatim
    return respelled if hashlib.sha256(respelled).hexdigest() == values["entry_hash"] else verbatim


def _pages(conn: sa.Connection, table: str) -> Iterator[Sequence[Any]]:
    details = "details::text" if conn.dialect.name == "postgresql" else "details"
    columns = ", ".join(details if c == "details" else c for c in _OLD)
    after = 0
    while True:
        rows = conn.exec_driver_sql(
            f"SELECT {columns} FROM {table} WHERE id > {after} ORDER BY id LIMIT {BATCH}"
        ).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.add_column("audit_log", sa.Column("canonical", sa.LargeBinary(), nullable=True))
        fill = sa.text("UPDATE audit_log SET canonical = :c WHERE id = :id")
        for rows in _pages(conn, "audit_log"):
            conn.execute(fill, [{"id": r[0], "c": _canonical(r)} for r in rows])
        conn.exec_driver_sql(audit_schema.PG_CREATE_FUNCTION)
        dropped = ", ".join(f"DROP COLUMN {name}" for name, _ in audit_schema.MEMBERS)
        conn.exec_driver_sql(
            "ALTER TABLE audit_log ALTER COLUMN canonical SET NOT NULL, "
            f"{dropped}, {audit_schema.pg_columns()}"
        )
    else:
        conn.exec_driver_sql("ALTER TABLE audit_log RENAME TO audit_log_0017")
        conn.exec_driver_sql(audit_schema.SQLITE_TABLE)
        fill = sa.text("INSERT INTO audit_log (id, canonical, entry_hash) VALUES (:id, :c, :h)")
        for rows in _pages(conn, "audit_log_0017"):
            conn.execute(fill, [{"id": r[0], "c": _canonical(r), "h": r[10]} for r in rows])
        conn.exec_driver_sql("DROP TABLE audit_log_0017")
    op.create_index("ix_audit_log_object_id", "audit_log", ["object_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_object_id", table_name="audit_log")
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        kept = ", ".join(f"ALTER COLUMN {name} DROP EXPRESSION" for name, _ in audit_schema.MEMBERS)
        conn.exec_driver_sql(f"ALTER TABLE audit_log {kept}, DROP COLUMN canonical")
        conn.exec_driver_sql(f"DROP FUNCTION {audit_schema.PG_FUNCTION}(bytea)")
        return
    conn.exec_driver_sql("ALTER TABLE audit_log RENAME TO audit_log_0018")
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=128), nullable=False),
        sa.Column("body_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=128), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("ruleset", sa.String(length=32), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    columns = ", ".join(_OLD)
    conn.exec_driver_sql(f"INSERT INTO audit_log ({columns}) SELECT {columns} FROM audit_log_0018")
    conn.exec_driver_sql("DROP TABLE audit_log_0018")
