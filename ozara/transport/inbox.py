"""The idempotent inbox: every document accepted once, answered with a signed receipt.

``Inbox.accept(blob)``:

1. ``peek_header`` reads the document id in clear; if that id is in the inbox already, the
   blob is a duplicate (a retry or a replay): it is dropped, logged in ``rejections`` as
   ``duplicate``, and answered with the ORIGINAL receipt, byte for byte.
2. Otherwise ``open_sealed`` decrypts and verifies it against the trust list at ``now``.
   A ``DocumentRejected`` is logged in ``rejections`` (reason and detail) and re-raised;
   nothing else of the document is stored.
3. The document, the blob (for evidence and attachments) and the sealed receipt are written
   in ONE transaction; the receipt is returned. Two deliveries of one id racing each other
   meet at the primary key: the loser answers with the winner's receipt.

The verified document is kept encrypted at rest under the node's keyring (ozara/store/
at_rest.py, bound to its document id): every read goes through ``stored_document``. The blob
is already encrypted to this node's transport key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from ozara.documents import (
    DocumentRejected,
    NodeKeys,
    RejectReason,
    TrustState,
    open_sealed,
    peek_header,
)
from ozara.store import at_rest
from ozara.store.tables import inbox, rejections

from .receipts import content_hash, make_receipt

#: The default limit on one sealed document, attachments included.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
#: Reasons logged in ``rejections`` besides ``RejectReason``'s.
DUPLICATE = "duplicate"
TOO_LARGE = "too_large"
_MAX_DETAIL = 2000

#: Refusals for the document's form (HTTP 400); all others concern trust (HTTP 403).
FORM_REASONS = frozenset(
    {
        RejectReason.MALFORMED,
        RejectReason.UNSUPPORTED_SUITE,
        RejectReason.TAMPERED_CIPHERTEXT,
        RejectReason.HEADER_MISMATCH,
        RejectReason.ATTACHMENT_MISMATCH,
        RejectReason.MISSING_OFFICER_SIGNATURE,
    }
)


def rejection_status(reason: RejectReason) -> int:
    """The HTTP status that answers a refusal: 400 for the form, 403 for trust."""
    return 400 if reason in FORM_REASONS else 403


class DocumentTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes; at most {limit} are accepted")
        self.size = size
        self.limit = limit


def inbox_place(document_id: object) -> str:
    """Where a document belongs: ``at_rest_rotation.ENCRYPTED`` binds it the same way."""
    return f"inbox.document:{document_id}"


def stored_document(conn: Connection, document_id: object, stored: Any) -> Any:
    """The verified envelope of an inbox row, in clear (one stored in clear reads as it is)."""
    return at_rest.unseal_json(conn, stored, inbox_place(document_id))


@dataclass(frozen=True, slots=True)
class Accepted:
    document_id: UUID
    receipt: bytes
    duplicate: bool


class Inbox:
    """A node's receiving side: its keys, its trust list (as held now) and its clock."""

    def __init__(
        self,
        engine: Engine,
        keys: NodeKeys,
        trust: Callable[[], TrustState],
        clock: Callable[[], datetime],
        *,
        max_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        self.engine = engine
        self.keys = keys
        self.trust = trust
        self.clock = clock
        self.max_bytes = max_bytes

    def accept(self, blob: bytes) -> Accepted:
        """Accept a sealed document; raise ``DocumentRejected`` or ``DocumentTooLarge``."""
        now = self.clock()
        if len(blob) > self.max_bytes:
            error = DocumentTooLarge(len(blob), self.max_bytes)
            self._log(now, None, None, TOO_LARGE, str(error))
            raise error
        try:
            header = peek_header(blob)
        except DocumentRejected as exc:
            self._log(now, exc.sender, exc.document_id, exc.reason.value, exc.detail)
            raise
        original = self._original(header.document_id, now, header.sender)
        if original is not None:
            return original
        trust = self.trust()
        try:
            document = open_sealed(blob, self.keys, trust, now)
        except DocumentRejected as exc:
            sender = exc.sender or header.sender
            self._log(now, sender, exc.document_id or header.document_id, exc.reason, exc.detail)
            raise
        digest = content_hash(document)
        receipt = make_receipt(document, digest, self.keys, trust, now)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(inbox).values(
                        document_id=str(document.id),
                        sender=document.sender,
                        document_type=document.type.value,
                        content_sha256=digest,
                        received_at=now,
                        receipt=receipt,
                        document=at_rest.seal_json(
                            conn, document.to_json(), inbox_place(document.id)
                        ),
                        sealed=blob,
                        processed_at=None,
                    )
                )
        except IntegrityError:
            original = self._original(document.id, now, document.sender)
            if original is None:
                raise
            return original
        return Accepted(document.id, receipt, duplicate=False)

    def _original(self, document_id: UUID, now: datetime, sender: str) -> Accepted | None:
        """The original receipt if the document is in the inbox already (and log the drop)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(inbox.c.receipt, inbox.c.sender, inbox.c.received_at).where(
                    inbox.c.document_id == str(document_id)
                )
            ).first()
        if row is None:
            return None
        detail = (
            f"document {document_id} was received from {row.sender} at "
            f"{row.received_at.isoformat()}; dropped and answered with the original receipt"
        )
        self._log(now, sender, document_id, DUPLICATE, detail)
        return Accepted(document_id, row.receipt, duplicate=True)

    def _log(
        self,
        now: datetime,
        sender: str | None,
        document_id: UUID | None,
        reason: str,
        detail: str,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(rejections).values(
                    at=now,
                    sender_claimed=None if sender is None else sender[:128],
                    document_id=None if document_id is None else str(document_id),
                    reason=str(reason),
                    detail=detail[:_MAX_DETAIL],
                )
            )


@dataclass(frozen=True, slots=True)
class Rejection:
    at: datetime
    sender_claimed: str | None
    document_id: str | None
    reason: str
    detail: str


def rejection_log(engine: Engine) -> list[Rejection]:
    """Every refusal and dropped duplicate, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(rejections).order_by(rejections.c.id)).mappings().all()
    return [
        Rejection(r["at"], r["sender_claimed"], r["document_id"], r["reason"], r["detail"])
        for r in rows
    ]
