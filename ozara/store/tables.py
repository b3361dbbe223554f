"""The database schema (SQLAlchemy Core). Alembic migrations must match it; a test checks.

Instants are stored as timezone-aware UTC. Deadlines live in their own table with a
partial index on the open ones, so "what is overdue now" is an index range scan
however many finished requests the node holds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from ozara.store import audit_schema


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _instant(name: str, nullable: bool = True) -> Column[object]:
    return Column(name, UTCDateTime(), nullable=nullable)


class _Member(ColumnElement[Any]):
    """A generated column's expression, as each database spells it (audit_schema.py)."""

    inherit_cache = True

    def __init__(self, name: str) -> None:
        self.name = name


@compiles(_Member, "postgresql")
def _member_on_postgresql(element: _Member, *_: Any, **__: Any) -> str:
    return audit_schema.PG_EXPRESSIONS[element.name]


@compiles(_Member)
def _member_on_sqlite(element: _Member, *_: Any, **__: Any) -> str:
    return audit_schema.SQLITE_EXPRESSIONS[element.name]


_GENERATED_TYPES: dict[str, Any] = {
    "at": UTCDateTime(), "actor_id": String(128), "body_id": String(64), "action": String(64),
    "object_type": String(32), "object_id": String(128), "details": JSON(),
    "ruleset": String(32), "prev_hash": String(64),
}  # fmt: skip


competent_bodies = Table(
    "competent_bodies",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("party", String(3), nullable=False),
    Column("name_ru", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("timezone", String(64), nullable=False),
    _instant("designated_from", nullable=False),
    _instant("designated_until"),
)

officers = Table(
    "officers",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("name", Text, nullable=False),
    Column("body_id", String(64), ForeignKey("competent_bodies.id"), nullable=True),
    Column("roles", String(200), nullable=False),  # comma-separated Role values
    Column("post", Text, nullable=False, server_default=""),
    _instant("created_at", nullable=False),
    #: Where new correlations are announced by e-mail (issue 8; NULL: the web inbox only).
    Column("email", String(254)),
)

treaty_notifications = Table(
    "treaty_notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("party", String(3), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("effective_on", Date, nullable=True),
)

requests = Table(
    "requests",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("state", String(32), nullable=False),
    Column("requesting_body", String(64), ForeignKey("competent_bodies.id"), nullable=False),
    #: The body now holding the request (changes on forwarding, Art. 7 para 4).
    Column("requested_body", String(64), ForeignKey("competent_bodies.id"), nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("crime_category", String(1), nullable=False),
    Column("content", JSON, nullable=False),
    _instant("created_at", nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("signed_by", String(128)),
    _instant("signed_at"),
    _instant("sent_at"),
    _instant("received_at"),
    _instant("confirmed_at"),
    Column("conditions", Text),
    Column("conditions_accepted", Boolean),
    _instant("postponed_at"),
    Column("partially_refused", Boolean, nullable=False, server_default=text("false")),
    Column("outcome", String(32)),
    #: Representatives, consultations, costs (Art. 8, 11, 12): ``core.cooperation_forms``.
    Column("cooperation", JSON),
    Column("version", Integer, nullable=False),
    _instant("updated_at", nullable=False),
    Index("ix_requests_requesting_body_state", "requesting_body", "state"),
    Index("ix_requests_requested_body_state", "requested_body", "state"),
)

request_deadlines = Table(
    "request_deadlines",
    metadata,
    Column("request_id", String(64), ForeignKey("requests.id"), primary_key=True),
    Column("kind", String(32), primary_key=True),
    #: The body that must act before the deadline (it changes when a request is forwarded).
    Column("body_id", String(64), nullable=False),
    _instant("due_at", nullable=False),
    _instant("met_at"),
    _instant("paused_at"),
    # Only running clocks are indexed, and the index carries what the overdue listing shows,
    # so "what is overdue now" reads the index alone however many finished requests exist.
    Index(
        "ix_request_deadlines_open_due",
        "due_at",
        postgresql_where=text("met_at IS NULL AND paused_at IS NULL"),
        postgresql_include=["request_id", "kind", "body_id"],
        sqlite_where=text("met_at IS NULL AND paused_at IS NULL"),
    ),
    Index(
        "ix_request_deadlines_open_body_due",
        "body_id",
        "due_at",
        postgresql_where=text("met_at IS NULL AND paused_at IS NULL"),
        postgresql_include=["request_id", "kind"],
        sqlite_where=text("met_at IS NULL AND paused_at IS NULL"),
    ),
)

request_events = Table(
    "request_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), ForeignKey("requests.id"), nullable=False),
    Column("name", String(64), nullable=False),
    _instant("at", nullable=False),
    Column("actor_id", String(128), nullable=False),
    Column("body_id", String(64)),
    Column("state_from", String(32), nullable=False),
    Column("state_to", String(32), nullable=False),
    Column("articles", JSON, nullable=False),
    Column("details", JSON, nullable=False),
    Column("notify", String(16)),
    Column("ruleset", String(32), nullable=False),
    Index("ix_request_events_request_id", "request_id", "id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    # Ids are not left to the database: ``AuditRepository.record`` takes the next one from
    # ``audit_head``, so they run without gaps and a gap means a removed entry.
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The entry as hashed: RFC 8785 of its members, ``prev_hash`` (the hash of the entry
    # before; 64 zeros for the first) included; ``entry_hash`` is SHA-256 over these bytes
    # (ozara/store/audit.py). Every other column is generated from them (audit_schema.py).
    Column("canonical", LargeBinary(), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    *(
        Column(
            name,
            _GENERATED_TYPES[name],
            Computed(_Member(name)),
            nullable=name in audit_schema.NULLABLE,
        )
        for name, _ in audit_schema.MEMBERS
    ),
    Index("ix_audit_log_object_id", "object_id"),
)

#: The chain's head: one row (id 1), the last entry's id and hash. Every append updates it
#: in its own transaction, which serializes appends (PostgreSQL's row lock; SQLite's BEGIN
#: IMMEDIATE), so two transactions never chain onto the same entry.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

#: Checkpoints this node signed over its chain's head, each as signed (the JSON to send).
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("node_id", String(128), nullable=False),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
    _instant("at", nullable=False),
    Column("signed", JSON, nullable=False),
    Index("ix_audit_checkpoints_last_id", "last_id"),
)

#: Other nodes' checkpoints as they sent them (ozara/federation/checkpoints.py): kept so
#: that a node cannot rewrite its history without contradicting a signature it no longer
#: holds. One per node and entry; a second, different one for the same entry is refused.
peer_checkpoints = Table(
    "peer_checkpoints",
    metadata,
    Column("node_id", String(128), primary_key=True),
    Column("last_id", Integer, primary_key=True, autoincrement=False),
    Column("last_hash", String(64), nullable=False),
    _instant("at", nullable=False),
    Column("signed", JSON, nullable=False),
    _instant("received_at", nullable=False),
    Column("document_id", String(36), nullable=False),
)

#: Per body and year, the last number given to a request (reference numbers).
request_counters = Table(
    "request_counters",
    metadata,
    Column("body_id", String(64), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)


# -- the federation's reliable delivery (issue 3, point 3; ozara/transport) ------------

#: Documents this node sends: sealed once, in the transaction of the change that made them.
outbox = Table(
    "outbox",
    metadata,
    Column("document_id", String(36), primary_key=True),
    Column("recipient", String(128), nullable=False),
    Column("document_type", String(64), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    #: SHA-256 of the canonical envelope without its signature (the receipt names it).
    Column("content_sha256", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False),
    _instant("next_attempt_at", nullable=False),
    Column("last_error", Text),
    _instant("created_at", nullable=False),
    _instant("delivered_at"),
    Column("receipt", LargeBinary),  # the recipient's signed receipt, sealed to this node
    #: The document before sealing (no attachments), so that the worker can seal it again
    #: under a newer trust list than the one it was queued under (ozara/transport/worker.py).
    Column("document", JSON),
    CheckConstraint("state IN ('pending', 'delivered', 'failed')", name="state"),
    # The worker's query: pending rows by due time; finished rows are not indexed.
    Index(
        "ix_outbox_pending_due",
        "next_attempt_at",
        postgresql_where=text("state = 'pending'"),
        sqlite_where=text("state = 'pending'"),
    ),
    Index("ix_outbox_state_created_at", "state", "created_at"),
)

#: Documents this node received and accepted: one row per document id (duplicates dropped).
inbox = Table(
    "inbox",
    metadata,
    Column("document_id", String(36), primary_key=True),
    Column("sender", String(128), nullable=False),
    Column("document_type", String(64), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    _instant("received_at", nullable=False),
    #: The receipt returned the first time, returned again for every duplicate.
    Column("receipt", LargeBinary, nullable=False),
    Column("document", JSON, nullable=False),  # the verified envelope (no signature)
    #: The blob as received: the sender's signature and the attachments, for evidence.
    Column("sealed", LargeBinary, nullable=False),
    _instant("processed_at"),  # set by the service that acts on the document
    #: Why the document was processed without effect (e.g. a designation not from the
    #: Secretariat): set together with ``processed_at`` (ozara/federation).
    Column("processing_error", Text),
    #: Passes that could not process the document yet (out of order, a handler error):
    #: at ``MAX_ATTEMPTS`` it is set aside as a dead letter (ozara/federation/dispatch.py).
    Column("processing_attempts", Integer, nullable=False, server_default="0"),
    _instant("retry_at"),  # not before: a deferred or failed document waits until then
    Index("ix_inbox_received_at", "received_at"),
    # The inbox processor's query: documents still to act on, by type, oldest first.
    Index(
        "ix_inbox_unprocessed",
        "document_type",
        "received_at",
        postgresql_where=text("processed_at IS NULL"),
        sqlite_where=text("processed_at IS NULL"),
    ),
)

#: Refused documents (and dropped duplicates): the reason is logged, nothing else is kept.
rejections = Table(
    "rejections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _instant("at", nullable=False),
    Column("sender_claimed", String(128)),
    Column("document_id", String(36)),  # as claimed, unauthenticated
    Column("reason", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_rejections_at", "at"),
)

#: Trust lists this node adopted from the Secretariat (ozara/federation), each as signed:
#: the highest version is the current one, the others give the formerly listed nodes.
trust_lists = Table(
    "trust_lists",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("issuer", String(128), nullable=False),
    _instant("issued_at", nullable=False),
    Column("signed", JSON, nullable=False),  # the list with its signature, as received
    _instant("adopted_at", nullable=False),
    Column("document_id", String(36)),  # the trust_list document it came in, if any
)

#: Per registry entry a broadcast overwrites (``body:<id>``), the Secretariat's time of the
#: notice last applied: a notice delivered late (retries reorder) never undoes a newer one.
applied_notices = Table(
    "applied_notices",
    metadata,
    Column("key", String(128), primary_key=True),
    _instant("as_of", nullable=False),
    Column("document_id", String(36), nullable=False),
)


#: The officer signatures a request carries between nodes (Art. 6 para 5): made when the
#: head or deputy signs (or confirms an urgent request in writing, Art. 6 para 4), over the
#: exact document body that is later sent, so that the signature travels unchanged.
request_signatures = Table(
    "request_signatures",
    metadata,
    Column("request_id", String(64), ForeignKey("requests.id"), primary_key=True),
    Column("purpose", String(20), primary_key=True),  # request | confirmation
    Column("body", JSON, nullable=False),
    Column("signature", JSON, nullable=False),
    _instant("signed_at", nullable=False),
)


#: Sign-in to the web application (issue 4): one account per officer of this node.
accounts = Table(
    "accounts",
    metadata,
    Column("officer_id", String(128), ForeignKey("officers.id"), primary_key=True),
    Column("password_hash", Text, nullable=False),  # Argon2id, with its parameters
    #: Base32, NULL until a second factor is enrolled; encrypted at rest under the node's
    #: keyring (``ozara-at-rest:`` + base64, ozara/store/at_rest.py), hence the room.
    Column("totp_secret", String(255)),
    Column("language", String(8), nullable=False, server_default="ru"),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    _instant("locked_until"),
    _instant("password_set_at", nullable=False),
    #: The TOTP time step last accepted: a code is never accepted twice (RFC 6238 §5.2).
    Column("last_totp_step", Integer),
)

#: Signed-in sessions. Only the SHA-256 of the session token is stored: a copy of the
#: database does not let anyone take over a session.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("officer_id", String(128), ForeignKey("officers.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    _instant("created_at", nullable=False),
    _instant("last_seen_at", nullable=False),
    _instant("expires_at", nullable=False),  # absolute end, whatever the activity
    Index("ix_web_sessions_officer", "officer_id"),
)

#: The files a request carries (Art. 6 para 2: "documents attached"), kept with it and sent
#: with it, hashed and encrypted, to the other side's node. Their SHA-256 is in the request's
#: content, so the signatory's signature covers them.
attachments = Table(
    "attachments",
    metadata,
    Column("request_id", String(64), ForeignKey("requests.id"), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("filename", Text, nullable=False),
    Column("media_type", String(255), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
)

#: On the Secretariat's node: the latest figures each Party node reported (aggregates only,
#: no case; ozara/federation/statistics.py).
statistics_reports = Table(
    "statistics_reports",
    metadata,
    Column("node_id", String(128), primary_key=True),
    _instant("as_of", nullable=False),
    Column("body", JSON, nullable=False),
    Column("document_id", String(36), nullable=False),
)


# --- Information exchange (Art. 5 para 1, Art. 10) ---------------------------------------

#: Records of information, the node's own and those received. The content is kept as the
#: providing body wrote it (``ozara.core.records.RecordContent.to_dict``); the columns
#: beside it are what lists, filters and Art. 10 checks need without parsing it.
records = Table(
    "records",
    metadata,
    Column("id", String(64), primary_key=True),  # chosen by the providing node, kept everywhere
    Column("owner_body", String(64), nullable=False),
    Column("owner_party", String(3), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("title", Text, nullable=False),
    Column("confidentiality", String(20), nullable=False),
    Column("onward_sharing", Boolean, nullable=False),
    Column("content", JSON, nullable=False),
    #: The providing body's version: an update travels with the next one, and a receiver
    #: keeps only the highest it has seen (deliveries may be reordered).
    Column("version", Integer, nullable=False),
    #: Title, summary, names and identifiers as one text, for the full-text index.
    Column("search_text", Text, nullable=False),
    #: NULL for a record made on this node; else the node it came from.
    Column("received_from", String(128)),
    _instant("created_at", nullable=False),
    _instant("updated_at", nullable=False),
    _instant("revoked_at"),
    Column("revocation_reason", Text),
    Index("ix_records_owner_body", "owner_body"),
    Index("ix_records_updated_at", "updated_at"),
)
#: PostgreSQL only: full text over the Russian and the English stems (ozara/store/search.py).
Index(
    "ix_records_search_text",
    text(
        "(to_tsvector('russian'::regconfig, search_text) || "
        "to_tsvector('english'::regconfig, search_text))"
    ),
    postgresql_using="gin",
    _table=records,
).ddl_if(dialect="postgresql")

#: The Parties a record was provided to (Art. 10: the owner chooses), and by whom: the
#: providing body, or a receiving Party's body passing it on where onward sharing is allowed.
record_recipients = Table(
    "record_recipients",
    metadata,
    Column("record_id", String(64), ForeignKey("records.id"), primary_key=True),
    Column("party", String(3), primary_key=True),
    Column("shared_by", String(64), nullable=False),  # body id
    _instant("shared_at", nullable=False),
    Index("ix_record_recipients_party", "party"),
)

#: One row per person of a record, for person search (ozara/store/search.py). ``blocks``
#: holds the blocking keys of all the person's names (``ozara.core.names.blocking_keys``),
#: space-separated; PostgreSQL indexes them with a GIN index.
record_persons = Table(
    "record_persons",
    metadata,
    Column("record_id", String(64), ForeignKey("records.id"), primary_key=True),
    Column("person_index", Integer, primary_key=True, autoincrement=False),
    Column("names", JSON, nullable=False),  # the names as written, original script first
    Column("birth_date", Date),
    Column("blocks", Text, nullable=False),
)
#: PostgreSQL only (SQLite scans): the blocking keys as an array, for ``&&``.
Index(
    "ix_record_persons_blocks",
    text("string_to_array(blocks, ' ')"),
    postgresql_using="gin",
    _table=record_persons,
).ddl_if(dialect="postgresql")

#: Online identifiers of a record and its persons in normal form (ozara/core/identifiers.py);
#: for addresses and ranges, the first and last address as 32 hex digits (IPv4 mapped into
#: IPv6), so "which ranges hold this address" is one range query on any backend.
record_identifiers = Table(
    "record_identifiers",
    metadata,
    Column("record_id", String(64), ForeignKey("records.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("value", String(300), primary_key=True),
    Column("ip_first", String(32)),
    Column("ip_last", String(32)),
    Index("ix_record_identifiers_kind_value", "kind", "value"),
    Index("ix_record_identifiers_ip", "ip_first", "ip_last"),
)

#: Requests for the providing body's consent to use a record for a purpose not permitted
#: (Art. 10 para 2), and the answers. Kept on both nodes, under the same id.
record_consents = Table(
    "record_consents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("record_id", String(64), ForeignKey("records.id"), nullable=False),
    Column("body_id", String(64), nullable=False),  # the body asking
    Column("purpose", String(20), nullable=False),
    Column("justification", Text, nullable=False),
    Column("state", String(10), nullable=False),  # requested | granted | refused
    Column("asked_by", String(128), nullable=False),  # officer id (remote ones as id@node)
    _instant("asked_at", nullable=False),
    Column("answered_by", String(128)),
    _instant("answered_at"),
    Column("answer_reason", Text),
    _instant("valid_until"),
    Index("ix_record_consents_record_body", "record_id", "body_id"),
)


# --- Automatic correlation (issue 8; ozara/services/correlation.py) ------------------------


#: The correlation queue: a subject to (re)correlate, written in the transaction that stored
#: or changed it (one insert); the worker sets ``done_at`` in the job's own transaction.
correlation_jobs = Table(
    "correlation_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject_type", String(10), nullable=False),  # record | request
    Column("subject_id", String(64), nullable=False),
    _instant("enqueued_at", nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    _instant("done_at"),
    # The worker's query: pending jobs, oldest first; finished ones are not indexed.
    Index(
        "ix_correlation_jobs_pending",
        "id",
        postgresql_where=text("done_at IS NULL"),
        sqlite_where=text("done_at IS NULL"),
    ),
)

#: What each correlated subject offers to be matched (``ozara.core.correlation.Term``):
#: identifiers in normal form, files' SHA-256 and the parents of its domains; addresses and
#: ranges with their first and last address as in ``record_identifiers``.
correlation_terms = Table(
    "correlation_terms",
    metadata,
    Column("subject", String(80), primary_key=True),  # record:<id> | request:<id>
    Column("kind", String(20), primary_key=True),
    Column("value", String(300), primary_key=True),
    Column("field", String(100), nullable=False),
    Column("ip_first", String(32)),
    Column("ip_last", String(32)),
    Index("ix_correlation_terms_kind_value", "kind", "value"),
    Index("ix_correlation_terms_ip_first", "ip_first"),
)

#: Links between two subjects, stored once (``subject_a`` < ``subject_b``) per kind of match,
#: with every piece of evidence of that kind (``ozara.core.correlation.Evidence``).
correlations = Table(
    "correlations",
    metadata,
    Column("subject_a", String(80), primary_key=True),
    Column("subject_b", String(80), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("evidence", JSON, nullable=False),
    Column("score", Float, nullable=False),
    _instant("found_at", nullable=False),
    Index("ix_correlations_subject_b", "subject_b"),
    Index("ix_correlations_found_at", "found_at"),
)

#: One row per officer and new correlation of a case of their body (ozara/services/
#: notifications.py): written in the transaction that writes the link, so the alert is
#: visible exactly when the link is. It names the two subjects and the body holding the
#: other one, nothing of the match itself. One row per officer and pair of subjects, however
#: many kinds of match link them; a pair no longer linked loses its rows. The ``mail_``
#: columns are the e-mail outbox: due (``mail_due_at``) only for an officer with an address,
#: sent by ``ozara serve``'s mailer outside any storing transaction.
correlation_notifications = Table(
    "correlation_notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("officer_id", String(128), ForeignKey("officers.id"), nullable=False),
    Column("subject", String(80), nullable=False),  # the officer's case: record:<id> | ...
    Column("other", String(80), nullable=False),  # what it was found to match
    Column("other_body", String(64), nullable=False),  # the body that holds the other
    _instant("created_at", nullable=False),
    _instant("read_at"),
    _instant("mail_due_at"),
    _instant("mailed_at"),
    Column("mail_attempts", Integer, nullable=False, server_default="0"),
    Column("mail_error", Text),
    UniqueConstraint("officer_id", "subject", "other"),
    # The badge on every page: an officer's unread ones (read ones are not indexed).
    Index(
        "ix_correlation_notifications_unread",
        "officer_id",
        postgresql_where=text("read_at IS NULL"),
        sqlite_where=text("read_at IS NULL"),
    ),
    Index("ix_correlation_notifications_officer_id_id", "officer_id", "id"),
    Index("ix_correlation_notifications_subject", "subject"),
    Index("ix_correlation_notifications_other", "other"),
    # The mailer's query: rows still to send, by due time.
    Index(
        "ix_correlation_notifications_mail_due",
        "mail_due_at",
        postgresql_where=text("mail_due_at IS NOT NULL"),
        sqlite_where=text("mail_due_at IS NOT NULL"),
    ),
)

# --- Coordinated operations (Art. 5 para 3) -----------------------------------------------

#: A coordinated operation as this node holds it: the lead body's node holds the operation
#: of record, each invited body's node a copy that follows it action by action. The whole
#: operation (plan, answers, tasks, reports, links, summary) is kept as one document
#: (``ozara.core.operations.Operation.to_dict``); the columns beside it are for lists.
operations = Table(
    "operations",
    metadata,
    Column("id", String(64), primary_key=True),  # chosen by the lead's node, kept everywhere
    Column("lead_body", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("state", String(12), nullable=False),
    Column("period_from", Date, nullable=False),
    Column("period_to", Date, nullable=False),
    Column("content", JSON, nullable=False),
    #: One more per action; a node's copy applies the lead node's actions in this order.
    Column("version", Integer, nullable=False),
    #: NULL on the lead's node; else the node the operation came from.
    Column("received_from", String(128)),
    #: The head's (or deputy's) signature over the closing document (Art. 5 para 3, as for
    #: a request, Art. 6 para 5), where the summary left this node or came from another.
    Column("summary_signature", JSON),
    _instant("created_at", nullable=False),
    _instant("updated_at", nullable=False),
    Index("ix_operations_lead_body", "lead_body"),
)

#: The bodies invited to an operation and their answers, for "the operations of my body".
operation_bodies = Table(
    "operation_bodies",
    metadata,
    Column("operation_id", String(64), ForeignKey("operations.id"), primary_key=True),
    Column("body_id", String(64), primary_key=True),
    Column("answer", String(10), nullable=False),  # invited | accepted | declined
    Index("ix_operation_bodies_body_id", "body_id"),
)

#: Requests and records linked to an operation, for "which operations is this part of".
operation_links = Table(
    "operation_links",
    metadata,
    Column("operation_id", String(64), ForeignKey("operations.id"), primary_key=True),
    Column("kind", String(10), primary_key=True),  # request | record
    Column("ref", String(64), primary_key=True),
    Index("ix_operation_links_kind_ref", "kind", "ref"),
)

# --- Training events (Art. 5 para 4) ------------------------------------------------------

#: A training event as this node holds it: the host body's node holds the event of record,
#: each invited Party's node a copy that follows it action by action. The whole event
#: (announcement, nominations, decisions) is one document
#: (``ozara.core.training.TrainingEvent.to_dict``); the columns beside it are for lists.
training_events = Table(
    "training_events",
    metadata,
    Column("id", String(64), primary_key=True),  # chosen by the host's node, kept everywhere
    Column("host_body", String(64), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("title", Text, nullable=False),
    Column("state", String(12), nullable=False),
    Column("date_from", Date, nullable=False),
    Column("date_to", Date, nullable=False),
    Column("nomination_deadline", Date, nullable=False),
    Column("content", JSON, nullable=False),
    #: One more per action; a node's copy applies the host node's actions in this order.
    Column("version", Integer, nullable=False),
    #: NULL on the host's node; else the node the event came from.
    Column("received_from", String(128)),
    #: The host's head (or deputy) signature over the announcement (as over a request,
    #: Art. 6 para 5), where it left this node or came from another.
    Column("announcement_signature", JSON),
    _instant("created_at", nullable=False),
    _instant("updated_at", nullable=False),
    Index("ix_training_events_host_body", "host_body"),
)

#: The Parties invited to an event and their places, for "the events open to my Party".
training_parties = Table(
    "training_parties",
    metadata,
    Column("event_id", String(64), ForeignKey("training_events.id"), primary_key=True),
    Column("party", String(3), primary_key=True),
    Column("places", Integer, nullable=False),
    Index("ix_training_parties_party", "party"),
)


# --- Joint research and the library of exchanged literature (Art. 5 para 6) --------------

#: A joint research project as this node holds it: the lead body's node holds the project
#: of record and sends the whole of it to every invited body's node after each change
#: (ozara/federation/research.py). Kept whole as ``core.research_forms.project_json``.
research_projects = Table(
    "research_projects",
    metadata,
    Column("id", String(64), primary_key=True),  # chosen by the lead's node, kept everywhere
    Column("lead_body", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("state", String(12), nullable=False),
    Column("period_from", Date, nullable=False),
    Column("period_to", Date, nullable=False),
    Column("content", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    #: NULL on the lead's node; else the node the project came from.
    Column("received_from", String(128)),
    #: The head's (or deputy's) signature over the document that completed the project.
    Column("final_signature", JSON),
    _instant("created_at", nullable=False),
    _instant("updated_at", nullable=False),
    Index("ix_research_projects_lead_body", "lead_body"),
)

#: The bodies invited to a project and their answers, for "the projects of my body".
research_bodies = Table(
    "research_bodies",
    metadata,
    Column("project_id", String(64), ForeignKey("research_projects.id"), primary_key=True),
    Column("body_id", String(64), primary_key=True),
    Column("answer", String(10), nullable=False),  # invited | accepted | declined
    Index("ix_research_bodies_body_id", "body_id"),
)

#: Documents of the library: the metadata as the adding body wrote it
#: (``core.literature.LiteratureMeta.to_dict``), the file's description and hash; the file
#: itself is in ``literature_files``. Kept on the owner's node and on every node of a Party
#: it was shared with.
literature = Table(
    "literature",
    metadata,
    Column("id", String(64), primary_key=True),  # chosen by the owner's node
    Column("owner_body", String(64), nullable=False),
    Column("owner_party", String(3), nullable=False),
    Column("title", Text, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("language", String(3), nullable=False),
    Column("year", Integer, nullable=False),
    Column("meta", JSON, nullable=False),
    #: Title, authors, keywords and abstract as one text, for the full-text index.
    Column("search_text", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("media_type", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("received_from", String(128)),
    _instant("created_at", nullable=False),
    _instant("updated_at", nullable=False),
    _instant("withdrawn_at"),
    Column("withdrawal_reason", Text),
    Index("ix_literature_owner_body", "owner_body"),
    Index("ix_literature_updated_at", "updated_at"),
)
#: PostgreSQL only: full text as for records (ozara/store/search.py).
Index(
    "ix_literature_search_text",
    text(
        "(to_tsvector('russian'::regconfig, search_text) || "
        "to_tsvector('english'::regconfig, search_text))"
    ),
    postgresql_using="gin",
    _table=literature,
).ddl_if(dialect="postgresql")

#: The Parties a document of the library was shared with.
literature_recipients = Table(
    "literature_recipients",
    metadata,
    Column("document_id", String(64), ForeignKey("literature.id"), primary_key=True),
    Column("party", String(3), primary_key=True),
    Column("shared_by", String(64), nullable=False),  # body id
    _instant("shared_at", nullable=False),
    Index("ix_literature_recipients_party", "party"),
)

#: The files of the library, encrypted at rest like request files (ozara/store/at_rest.py).
literature_files = Table(
    "literature_files",
    metadata,
    Column("document_id", String(64), ForeignKey("literature.id"), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)
