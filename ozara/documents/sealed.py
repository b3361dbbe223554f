"""Sealing and opening documents: sign, then encrypt to the receiving node.

A sealed blob is::

    b"OZS1" || uint16 header length || header || ciphertext

* ``header`` is canonical JSON ``{"document_id", "recipient", "sender", "suite", "v"}``, in
  clear so that the receiver can route, refuse a wrong recipient and look up duplicates before
  decrypting. Everything before the ciphertext (magic, length, header) is the associated data
  of the encryption, so the recipient id, and the rest of the header, are bound to it.
* ``ciphertext`` is the suite's encryption (HPKE for the default suite) of::

      uint32 envelope length || envelope (canonical JSON, signed) || attachment contents

  The contents follow one another in the envelope's order; the signed envelope gives each
  one's size and SHA-256, so they are bound by the node signature too.

``open_sealed`` refuses with ``DocumentRejected`` and a ``RejectReason``; it does not detect
replays (the inbox does, by ``Document.id``; ``peek_header`` gives the id before opening).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from ozara.crypto import CryptoError, DecryptionFailed, UnknownSuite, get_suite

from . import fields as f
from .canonical import CanonicalJSONError, JSONObject, canonicalize, parse_object
from .errors import DocumentInvalid, DocumentRejected
from .errors import RejectReason as R
from .model import Attachment, Document, NodeSignature, parse_envelope
from .signing import (
    DOCUMENT_LABEL,
    NodeKeys,
    check_officer_signatures,
    signed_bytes,
)
from .trust import TrustState

MAGIC = b"OZS1"
HEADER_VERSION = 1
_HEADER_KEYS = ("document_id", "recipient", "sender", "suite", "v")


@dataclass(frozen=True, slots=True)
class SealedHeader:
    """The clear header of a sealed blob. Unauthenticated until ``open_sealed`` succeeds."""

    document_id: UUID
    sender: str
    recipient: str
    suite: str


def seal(
    document: Document,
    sender_keys: NodeKeys,
    recipient_public: bytes,
    *,
    recipient_suite: str | None = None,
) -> bytes:
    """Sign ``document`` with the sender node's key and encrypt it to the recipient node.

    ``recipient_public`` is the recipient's encryption key from the trust list; its suite is
    ``recipient_suite`` (by default the sender's). Raises ``DocumentInvalid`` for a document
    that the receiver would refuse for its form.
    """
    if document.sender != sender_keys.node_id:
        raise DocumentInvalid(f"the document's sender is not this node ({sender_keys.node_id})")
    envelope = document.to_json()
    try:
        parse_envelope(envelope)
        check_officer_signatures(document)
        unsigned = signed_bytes(DOCUMENT_LABEL, envelope)
    except (f.FieldError, CanonicalJSONError, CryptoError) as exc:
        raise DocumentInvalid(str(exc)) from exc
    signing_suite = get_suite(sender_keys.suite_id)
    signature = NodeSignature(
        suite=signing_suite.suite_id,
        key=sender_keys.signing_key_fingerprint,
        value=signing_suite.sign(sender_keys.signing.private, unsigned),
    )
    envelope_bytes = canonicalize({**envelope, "signature": signature.to_json()})
    plaintext = b"".join(
        [struct.pack(">I", len(envelope_bytes)), envelope_bytes]
        + [a.content for a in document.attachments]
    )
    encryption_suite = get_suite(recipient_suite or sender_keys.suite_id)
    header = canonicalize(
        {
            "document_id": str(document.id),
            "recipient": document.recipient,
            "sender": document.sender,
            "suite": encryption_suite.suite_id,
            "v": HEADER_VERSION,
        }
    )
    aad = MAGIC + struct.pack(">H", len(header)) + header
    return aad + encryption_suite.encrypt(recipient_public, plaintext, aad)


def peek_header(blob: bytes) -> SealedHeader:
    """Read the clear header; raise ``DocumentRejected`` (malformed)."""
    header, _ = _split(blob)
    return header


def _split(blob: bytes) -> tuple[SealedHeader, int]:
    """The header and the offset where the ciphertext starts."""
    if len(blob) < 6 or blob[:4] != MAGIC:
        raise DocumentRejected(R.MALFORMED, "not a sealed Ozara document")
    (length,) = struct.unpack(">H", blob[4:6])
    end = 6 + length
    if len(blob) < end:
        raise DocumentRejected(R.MALFORMED, "truncated header")
    try:
        raw = parse_object(blob[6:end])
        f.check_keys(raw, _HEADER_KEYS, "header")
        if f.get_int(raw, "v") != HEADER_VERSION:
            raise f.FieldError(f"v: only header version {HEADER_VERSION} is understood")
        header = SealedHeader(
            document_id=f.get_uuid(raw, "document_id"),
            sender=f.get_identifier(raw, "sender"),
            recipient=f.get_identifier(raw, "recipient"),
            suite=f.get_str(raw, "suite", max_length=128),
        )
    except (CanonicalJSONError, f.FieldError) as exc:
        raise DocumentRejected(R.MALFORMED, f"header: {exc}") from None
    return header, end


def open_sealed(
    blob: bytes, recipient_keys: NodeKeys, trust: TrustState, now: datetime
) -> Document:
    """Decrypt and verify a sealed document addressed to this node.

    ``now`` (timezone-aware) is when the document is received: the sender's key must be
    valid then. Raises ``DocumentRejected`` with the reason; returns the verified document.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    header, start = _split(blob)
    ctx = _Context(header.document_id, header.sender)
    try:
        suite = get_suite(header.suite)
    except UnknownSuite:
        raise ctx.reject(
            R.UNSUPPORTED_SUITE, f"suite {header.suite!r} is not implemented"
        ) from None
    if header.suite != recipient_keys.suite_id:
        raise ctx.reject(
            R.UNSUPPORTED_SUITE, f"this node's encryption key is not of {header.suite}"
        )
    if header.recipient != recipient_keys.node_id:
        raise ctx.reject(R.WRONG_RECIPIENT, f"addressed to {header.recipient}, not this node")
    try:
        plaintext = suite.decrypt(recipient_keys.encryption.private, blob[start:], blob[:start])
    except DecryptionFailed as exc:
        raise ctx.reject(R.TAMPERED_CIPHERTEXT, str(exc)) from None

    envelope, signature, contents = _read_plaintext(plaintext, ctx)
    try:
        parsed = parse_envelope(envelope)
    except f.FieldError as exc:
        raise ctx.reject(R.MALFORMED, f"envelope: {exc}") from None
    document = parsed.document
    if document.recipient != recipient_keys.node_id:
        raise ctx.reject(R.WRONG_RECIPIENT, f"envelope addressed to {document.recipient}")
    if document.id != header.document_id or document.sender != header.sender:
        raise ctx.reject(R.HEADER_MISMATCH, "header and signed envelope differ")

    _check_sender(document, signature, envelope, trust, now)

    if sum(m.size for m in parsed.attachments) != len(contents):
        raise ctx.reject(R.ATTACHMENT_MISMATCH, "attachment sizes do not add up")
    attachments: list[Attachment] = []
    offset = 0
    for meta in parsed.attachments:
        content = contents[offset : offset + meta.size]
        offset += meta.size
        if hashlib.sha256(content).hexdigest() != meta.sha256:
            raise ctx.reject(R.ATTACHMENT_MISMATCH, f"attachment {meta.name!r}: SHA-256 differs")
        attachments.append(Attachment(meta.name, meta.media_type, content))
    document = replace(document, attachments=tuple(attachments))

    try:
        check_officer_signatures(document)
    except CryptoError as exc:
        raise ctx.reject(R.BAD_OFFICER_SIGNATURE, str(exc)) from None
    except DocumentInvalid as exc:
        raise ctx.reject(R.MISSING_OFFICER_SIGNATURE, str(exc)) from None
    return document


def _read_plaintext(plaintext: bytes, ctx: _Context) -> tuple[JSONObject, NodeSignature, bytes]:
    """The envelope (without its signature), the signature, and the attachment bytes."""
    if len(plaintext) < 4:
        raise ctx.reject(R.MALFORMED, "truncated plaintext")
    (length,) = struct.unpack(">I", plaintext[:4])
    if len(plaintext) < 4 + length:
        raise ctx.reject(R.MALFORMED, "truncated envelope")
    try:
        envelope = parse_object(plaintext[4 : 4 + length])
        signature = NodeSignature.from_json(envelope.pop("signature", None))
    except (CanonicalJSONError, f.FieldError) as exc:
        raise ctx.reject(R.MALFORMED, f"envelope: {exc}") from None
    return envelope, signature, plaintext[4 + length :]


@dataclass(frozen=True, slots=True)
class _Context:
    """What is known of a document being opened, for the rejection's log line."""

    document_id: UUID
    sender: str

    def reject(self, reason: R, detail: str) -> DocumentRejected:
        return DocumentRejected(reason, detail, document_id=self.document_id, sender=self.sender)


def _check_sender(
    document: Document,
    signature: NodeSignature,
    envelope: JSONObject,
    trust: TrustState,
    now: datetime,
) -> None:
    """The sender is on the current trust list, with a valid key that signed the envelope."""
    ctx = _Context(document.id, document.sender)
    current = trust.current
    entries = current.entries_for(document.sender)
    if not entries:
        if document.sender in trust.formerly_listed:
            raise ctx.reject(
                R.SENDER_NOT_ON_TRUST_LIST,
                f"{document.sender} is not on trust list version {current.version}",
            )
        raise ctx.reject(R.UNKNOWN_SENDER, f"{document.sender} is not known")
    if document.trust_list_version < current.version:
        raise ctx.reject(
            R.SUPERSEDED_TRUST_LIST,
            f"the sender holds trust list version {document.trust_list_version}; "
            f"version {current.version} supersedes it",
        )
    matching = [e for e in entries if e.signing_key_fingerprint == signature.key]
    if not matching:
        raise ctx.reject(R.UNKNOWN_SIGNING_KEY, f"key {signature.key[:16]}… is not listed")
    entry = matching[0]
    if not entry.is_valid_at(now):
        raise ctx.reject(
            R.KEY_NOT_VALID,
            f"the key is valid from {f.format_time(entry.valid_from)} "
            f"until {f.format_time(entry.valid_until)}",
        )
    if signature.suite != entry.suite:
        raise ctx.reject(
            R.UNSUPPORTED_SUITE, f"signed with {signature.suite}, listed as {entry.suite}"
        )
    try:
        get_suite(signature.suite).verify(
            entry.signing_key, signed_bytes(DOCUMENT_LABEL, envelope), signature.value
        )
    except (CryptoError, CanonicalJSONError) as exc:
        raise ctx.reject(R.BAD_SIGNATURE, str(exc)) from None
