"""Documents between nodes: the envelope, its attachments and its signatures.

The envelope on the wire (``Document.to_json`` plus a ``signature`` member) is::

    {"v": 1, "id": "<uuid>", "type": "request", "sender": "<node id>",
     "recipient": "<node id>", "created_at": "2026-01-30T07:00:00Z", "in_reply_to": null,
     "trust_list_version": 3, "body": {...},
     "attachments": [{"name", "media_type", "size", "sha256"}],
     "officer_signatures": [{"officer_id", "signer_role", "suite", "public_key", "value"}],
     "signature": {"suite", "key", "value"}}

Attachment contents are not in the envelope: they travel, encrypted, in the same sealed blob
(see ``sealed.py``), and the envelope's signed ``sha256`` and ``size`` bind them.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from ozara.crypto import b64url_encode, fingerprint

from . import fields as f
from .canonical import JSONObject, JSONValue

ENVELOPE_VERSION = 1
MAX_ATTACHMENTS = 64


class DocumentType(enum.StrEnum):
    """Every kind of message between nodes (issue 3, point 2)."""

    REQUEST = "request"
    RECEIPT = "receipt"  # the transport's signed receipt of any document
    ACKNOWLEDGEMENT = "acknowledgement"  # the requested body took a request in (Art. 7)
    FORWARDING_NOTICE = "forwarding_notice"
    REQUEST_HANDOVER = "request_handover"  # a forwarded request, to the new holder's node
    INFO_REQUEST = "info_request"
    INFO_ANSWER = "info_answer"
    POSTPONEMENT = "postponement"
    CONDITIONS_PROPOSAL = "conditions_proposal"
    CONDITIONS_ANSWER = "conditions_answer"
    DELAY_NOTICE = "delay_notice"
    EXECUTION_REPORT = "execution_report"
    REFUSAL = "refusal"
    WITHDRAWAL = "withdrawal"
    STATUS_NOTICE = "status_notice"  # execution started, request closed
    PARTICIPATION_REQUEST = "participation_request"  # representatives to take part (Art. 8)
    PARTICIPATION_ANSWER = "participation_answer"
    PARTICIPATION_RECORD = "participation_record"  # who took part
    CONSULTATION_RECORD = "consultation_record"  # Art. 11
    COST_PROPOSAL = "cost_proposal"  # Art. 12
    COST_ANSWER = "cost_answer"
    INFORMATION_SHARE = "information_share"  # a record of Art. 5 para 1, or its new version
    INFORMATION_REVOCATION = "information_revocation"  # the provider withdraws a record
    CONSENT_REQUEST = "consent_request"
    CONSENT_ANSWER = "consent_answer"
    DESIGNATION_NOTICE = "designation_notice"
    TREATY_NOTIFICATION = "treaty_notification"
    TRUST_LIST = "trust_list"
    STATISTICS_REPORT = "statistics_report"  # a Party node's aggregates, to the Secretariat
    AUDIT_CHECKPOINT = "audit_checkpoint"  # a node's signed audit chain head, for its peers
    OPERATION_PROPOSAL = "operation_proposal"  # a coordinated operation (Art. 5 para 3)
    OPERATION_ACTION = "operation_action"  # a participant's action, to the lead's node
    OPERATION_UPDATE = "operation_update"  # an action as the lead's node applied it, to all
    RESEARCH_PROJECT = "research_project"  # a joint research project as its lead's node holds it
    RESEARCH_ACTION = "research_action"  # a participant's action, to the lead's node
    LITERATURE_SHARE = "literature_share"  # a document of the library, with its file
    LITERATURE_WITHDRAWAL = "literature_withdrawal"  # its owner withdraws it
    TRAINING_ANNOUNCEMENT = "training_announcement"  # a training event (Art. 5 para 4)
    TRAINING_ACTION = "training_action"  # a nomination or its withdrawal, to the host's node
    TRAINING_UPDATE = "training_update"  # an action as the host's node applied it, to all


class SignerRole(enum.StrEnum):
    """The role an officer claims when signing. The claim is signed; whether the officer
    really holds the role is decided by the core against its registry (Art. 6 para 5)."""

    HEAD = "head"
    DEPUTY = "deputy"
    OFFICER = "officer"


#: Roles that may sign a request (Art. 6 para 5: the head of the body or a deputy).
REQUEST_SIGNER_ROLES = frozenset({SignerRole.HEAD, SignerRole.DEPUTY})


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    media_type: str
    content: bytes = field(repr=False)
    size: int = field(init=False)
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", len(self.content))
        object.__setattr__(self, "sha256", hashlib.sha256(self.content).hexdigest())

    def to_json(self) -> JSONObject:
        return {
            "name": self.name,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True, slots=True)
class AttachmentMeta:
    """What the signed envelope says about an attachment before its content is matched."""

    name: str
    media_type: str
    size: int
    sha256: str

    @classmethod
    def from_json(cls, value: JSONValue) -> AttachmentMeta:
        if not isinstance(value, dict):
            raise f.FieldError("attachment: expected an object")
        f.check_keys(value, ("name", "media_type", "size", "sha256"), "attachment")
        return cls(
            name=f.get_str(value, "name", max_length=255),
            media_type=f.get_str(value, "media_type", max_length=255),
            size=f.get_int(value, "size"),
            sha256=f.get_hex64(value, "sha256"),
        )


@dataclass(frozen=True, slots=True)
class OfficerSignature:
    """An officer's signature over a document's body and the officer's own claims."""

    officer_id: str
    signer_role: SignerRole
    suite: str
    public_key: bytes
    value: bytes = field(repr=False)

    @property
    def key_fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def claims(self) -> JSONObject:
        """Everything the officer signs besides the body."""
        return {
            "officer_id": self.officer_id,
            "signer_role": self.signer_role.value,
            "suite": self.suite,
            "public_key": b64url_encode(self.public_key),
        }

    def to_json(self) -> JSONObject:
        return {**self.claims(), "value": b64url_encode(self.value)}

    @classmethod
    def from_json(cls, value: JSONValue) -> OfficerSignature:
        if not isinstance(value, dict):
            raise f.FieldError("officer signature: expected an object")
        keys = ("officer_id", "signer_role", "suite", "public_key", "value")
        f.check_keys(value, keys, "officer signature")
        try:
            role = SignerRole(f.get_str(value, "signer_role", max_length=32))
        except ValueError:
            raise f.FieldError("signer_role: not a known role") from None
        return cls(
            officer_id=f.get_identifier(value, "officer_id"),
            signer_role=role,
            suite=f.get_str(value, "suite", max_length=128),
            public_key=f.get_bytes(value, "public_key"),
            value=f.get_bytes(value, "value"),
        )


@dataclass(frozen=True, slots=True)
class NodeSignature:
    """The sending node's signature over the canonical envelope (without this member)."""

    suite: str
    key: str  # fingerprint of the node's signing public key
    value: bytes = field(repr=False)

    def to_json(self) -> JSONObject:
        return {"suite": self.suite, "key": self.key, "value": b64url_encode(self.value)}

    @classmethod
    def from_json(cls, value: JSONValue) -> NodeSignature:
        if not isinstance(value, dict):
            raise f.FieldError("signature: expected an object")
        f.check_keys(value, ("suite", "key", "value"), "signature")
        return cls(
            suite=f.get_str(value, "suite", max_length=128),
            key=f.get_hex64(value, "key"),
            value=f.get_bytes(value, "value"),
        )


@dataclass(frozen=True, slots=True)
class Document:
    """A typed document from one node to another.

    ``id`` is the document's identity for duplicate detection (the inbox's job);
    ``trust_list_version`` is the version of the trust list the sender held when sealing.
    """

    id: UUID
    type: DocumentType
    sender: str
    recipient: str
    created_at: datetime
    body: JSONObject
    trust_list_version: int
    in_reply_to: UUID | None = None
    attachments: tuple[Attachment, ...] = ()
    officer_signatures: tuple[OfficerSignature, ...] = ()

    def to_json(self) -> JSONObject:
        """The envelope without the node signature: exactly what the node signs."""
        return {
            "v": ENVELOPE_VERSION,
            "id": str(self.id),
            "type": self.type.value,
            "sender": self.sender,
            "recipient": self.recipient,
            "created_at": f.format_time(self.created_at),
            "in_reply_to": None if self.in_reply_to is None else str(self.in_reply_to),
            "trust_list_version": self.trust_list_version,
            "body": self.body,
            "attachments": [a.to_json() for a in self.attachments],
            "officer_signatures": [s.to_json() for s in self.officer_signatures],
        }


ENVELOPE_KEYS = (
    "v",
    "id",
    "type",
    "sender",
    "recipient",
    "created_at",
    "in_reply_to",
    "trust_list_version",
    "body",
    "attachments",
    "officer_signatures",
)


@dataclass(frozen=True, slots=True)
class ParsedEnvelope:
    """An envelope read from the wire, before its attachments' contents are matched."""

    document: Document  # with no attachments yet
    attachments: tuple[AttachmentMeta, ...]


def parse_envelope(envelope: JSONObject) -> ParsedEnvelope:
    """Read an envelope (without its ``signature`` member); raise ``FieldError``."""
    f.check_keys(envelope, ENVELOPE_KEYS, "envelope")
    if f.get_int(envelope, "v") != ENVELOPE_VERSION:
        raise f.FieldError(f"v: only envelope version {ENVELOPE_VERSION} is understood")
    try:
        doc_type = DocumentType(f.get_str(envelope, "type", max_length=64))
    except ValueError:
        raise f.FieldError("type: not a known document type") from None
    raw_attachments = f.get_list(envelope, "attachments")
    if len(raw_attachments) > MAX_ATTACHMENTS:
        raise f.FieldError(f"attachments: more than {MAX_ATTACHMENTS}")
    metas = tuple(AttachmentMeta.from_json(a) for a in raw_attachments)
    if len({m.name for m in metas}) != len(metas):
        raise f.FieldError("attachments: names must be unique")
    signatures = tuple(
        OfficerSignature.from_json(s) for s in f.get_list(envelope, "officer_signatures")
    )
    document = Document(
        id=f.get_uuid(envelope, "id"),
        type=doc_type,
        sender=f.get_identifier(envelope, "sender"),
        recipient=f.get_identifier(envelope, "recipient"),
        created_at=f.get_time(envelope, "created_at"),
        body=f.get_object(envelope, "body"),
        trust_list_version=f.get_int(envelope, "trust_list_version", minimum=1),
        in_reply_to=f.get_optional_uuid(envelope, "in_reply_to"),
        officer_signatures=signatures,
    )
    return ParsedEnvelope(document=document, attachments=metas)
