"""Signed receipts: the receiving node's proof that it accepted a document (non-repudiation).

A receipt is itself a document (type ``receipt``) from the receiving node back to the sender,
``in_reply_to`` the document it acknowledges, with the body::

    {"document_id": "<uuid>", "content_sha256": "<hex>", "received_at": "...Z"}

It is sealed with ``ozara.documents.seal`` like any other document: signed with the receiving
node's key and encrypted to the sender, so a duplicate answered with the original receipt
tells a third party nothing, and the sender verifies it with ``open_sealed`` against its own
trust list (the receiving node's listed key, valid now). The sender keeps the sealed bytes;
decrypting them with its own key yields the signed envelope, verifiable by anyone holding the
receiving node's public key.

``content_sha256`` is the SHA-256 of the canonical JSON (RFC 8785) of the envelope without
its signature (``Document.to_json()``): both sides compute it from the document alone,
whatever the randomness of the encryption, and attachments are bound through their hashes
in the envelope.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from ozara.documents import (
    Document,
    DocumentRejected,
    DocumentType,
    NodeKeys,
    TrustEntry,
    TrustState,
    canonicalize,
    open_sealed,
    seal,
)
from ozara.documents.fields import format_time

#: Receipt ids are derived from the receiving node and the document (one receipt each).
RECEIPT_NAMESPACE = uuid.UUID("5b0c7d52-8f7e-4c1a-9d0b-2f6e1f4f7a10")


class ReceiptInvalid(Exception):
    """A receipt that does not prove delivery of the document it should acknowledge."""


def content_hash(document: Document) -> str:
    """SHA-256 (hex) of the canonical envelope without its node signature."""
    return hashlib.sha256(canonicalize(document.to_json())).hexdigest()


def make_receipt(
    document: Document,
    digest: str,
    keys: NodeKeys,
    trust: TrustState,
    now: datetime,
) -> bytes:
    """The sealed receipt for ``document``, from this node (its recipient) to its sender."""
    entry = recipient_entry(trust, document.sender, now)
    receipt = Document(
        id=uuid.uuid5(RECEIPT_NAMESPACE, f"{keys.node_id}/{document.id}"),
        type=DocumentType.RECEIPT,
        sender=keys.node_id,
        recipient=document.sender,
        created_at=now,
        in_reply_to=document.id,
        trust_list_version=trust.current.version,
        body={
            "document_id": str(document.id),
            "content_sha256": digest,
            "received_at": format_time(now),
        },
    )
    return seal(receipt, keys, entry.encryption_key, recipient_suite=entry.suite)


def verify_receipt(
    blob: bytes,
    *,
    keys: NodeKeys,
    trust: TrustState,
    now: datetime,
    recipient: str,
    document_id: uuid.UUID,
    digest: str,
) -> Document:
    """Open a receipt and check that ``recipient`` signed it for this very document.

    Raises ``ReceiptInvalid`` with the reason; returns the verified receipt document.
    """
    try:
        receipt = open_sealed(blob, keys, trust, now)
    except DocumentRejected as exc:
        raise ReceiptInvalid(f"receipt refused: {exc}") from None
    if receipt.type is not DocumentType.RECEIPT:
        raise ReceiptInvalid(f"a {receipt.type.value} document came back instead of a receipt")
    if receipt.sender != recipient:
        raise ReceiptInvalid(f"receipt signed by {receipt.sender}, not by {recipient}")
    if receipt.in_reply_to != document_id or receipt.body.get("document_id") != str(document_id):
        raise ReceiptInvalid(f"the receipt acknowledges another document, not {document_id}")
    if receipt.body.get("content_sha256") != digest:
        raise ReceiptInvalid("the receipt names other content (content_sha256 differs)")
    return receipt


def recipient_entry(trust: TrustState, node_id: str, now: datetime) -> TrustEntry:
    """The trust-list entry to encrypt to: valid now, the most recent key if several."""
    valid = [e for e in trust.current.entries_for(node_id) if e.is_valid_at(now)]
    if not valid:
        raise UnknownRecipient(
            f"{node_id} has no key valid now on trust list version {trust.current.version}"
        )
    return max(valid, key=lambda e: e.valid_from)


class UnknownRecipient(LookupError):
    """No node of that id, with a key valid now, on the current trust list."""
