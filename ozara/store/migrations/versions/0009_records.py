"""Records of information exchanged under Art. 5 para 1, their recipients, persons,
identifiers and consents (Art. 10)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("owner_body", sa.String(length=64), nullable=False),
        sa.Column("owner_party", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("confidentiality", sa.String(length=20), nullable=False),
        sa.Column("onward_sharing", sa.Boolean(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("received_from", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
    )
    op.create_index(op.f("ix_records_owner_body"), "records", ["owner_body"])
    op.create_index(op.f("ix_records_updated_at"), "records", ["updated_at"])
    op.create_table(
        "record_recipients",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("shared_by", sa.String(length=64), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_recipients_record_id_records")
        ),
        sa.PrimaryKeyConstraint("record_id", "party", name=op.f("pk_record_recipients")),
    )
    op.create_index(op.f("ix_record_recipients_party"), "record_recipients", ["party"])
    op.create_table(
        "record_persons",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("person_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("blocks", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_persons_record_id_records")
        ),
        sa.PrimaryKeyConstraint("record_id", "person_index", name=op.f("pk_record_persons")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Person search (ozara/store/search.py): the blocking keys as an array, looked up
        # with && (shares a key); SQLite scans instead.
        op.execute(
            "CREATE INDEX ix_record_persons_blocks ON record_persons "
            "USING gin (string_to_array(blocks, ' '))"
        )
    op.create_table(
        "record_identifiers",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("ip_first", sa.String(length=32), nullable=True),
        sa.Column("ip_last", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_identifiers_record_id_records")
        ),
        sa.PrimaryKeyConstraint("record_id", "kind", "value", name=op.f("pk_record_identifiers")),
    )
    op.create_index(
        op.f("ix_record_identifiers_kind_value"), "record_identifiers", ["kind", "value"]
    )
    op.create_index(
        op.f("ix_record_identifiers_ip"), "record_identifiers", ["ip_first", "ip_last"]
    )
    op.create_table(
        "record_consents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("body_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("asked_by", sa.String(length=128), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by", sa.String(length=128), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_reason", sa.Text(), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_consents_record_id_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_consents")),
    )
    op.create_index(
        op.f("ix_record_consents_record_body"), "record_consents", ["record_id", "body_id"]
    )

    if op.get_bind().dialect.name == "postgresql":
        # Full text in Russian, Kazakh and English (ozara/store/search.py): Russian and
        # English stems; unstemmed forms are in both vectors for words outside each language.
        op.execute(
            "CREATE INDEX ix_records_search_text ON records USING gin "
            "((to_tsvector('russian'::regconfig, search_text) || "
            "to_tsvector('english'::regconfig, search_text)))"
        )


def downgrade() -> None:
    op.drop_table("record_consents")
    op.drop_table("record_identifiers")
    op.drop_table("record_persons")
    op.drop_table("record_recipients")
    op.drop_table("records")
