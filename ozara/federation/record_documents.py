"""The bodies of the documents that carry records of information between nodes (Art. 5
para 1, Art. 10), read strictly (one spelling per value, every key present).

``information_share`` — a record as its provider holds it, sent when it is shared, when
it is passed on (``sender_body`` is then a receiving Party's body), and for each new
version; the handling conditions travel inside ``content`` (``RecordContent.to_dict``)::

    {"record_id", "version", "owner_body", "owner_party", "content": {...},
     "recipients": [{"party", "shared_by", "shared_at"}], "sender_body", "sender_officer",
     "created_at", "updated_at"}

``information_revocation`` — the provider withdraws it::

    {"record_id", "owner_body", "version", "revoked_at", "revoked_by", "reason"}

``consent_request`` — to the provider's node (Art. 10 para 2)::

    {"consent_id", "record_id", "owner_body", "body_id", "purpose", "justification",
     "asked_by", "asked_at"}

``consent_answer`` — to the asking body's node::

    {"consent_id", "record_id", "owner_body", "body_id", "state": "granted" | "refused",
     "answered_by", "answered_at", "reason", "valid_until" | null}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ozara.core.disclosure import ConsentState
from ozara.core.parties import Party
from ozara.core.records import Purpose
from ozara.documents import JSONObject, JSONValue
from ozara.documents import fields as f
from ozara.store.records import Recipient, StoredConsent, StoredRecord

from .payloads import PayloadError

_SHARE_KEYS = (
    "record_id", "version", "owner_body", "owner_party", "content", "recipients",
    "sender_body", "sender_officer", "created_at", "updated_at",
)  # fmt: skip
_REVOCATION_KEYS = ("record_id", "owner_body", "version", "revoked_at", "revoked_by", "reason")
_REQUEST_KEYS = (
    "consent_id", "record_id", "owner_body", "body_id", "purpose", "justification",
    "asked_by", "asked_at",
)  # fmt: skip
_ANSWER_KEYS = (
    "consent_id", "record_id", "owner_body", "body_id", "state", "answered_by",
    "answered_at", "reason", "valid_until",
)  # fmt: skip
_MAX_TEXT = 4000
_MAX_ID = 64


@dataclass(frozen=True, slots=True)
class ShareBody:
    record_id: str
    version: int
    owner_body: str
    owner_party: Party
    content: JSONObject
    recipients: tuple[Recipient, ...]
    sender_body: str
    sender_officer: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RevocationBody:
    record_id: str
    owner_body: str
    version: int
    revoked_at: datetime
    revoked_by: str
    reason: str


@dataclass(frozen=True, slots=True)
class AnswerBody:
    consent_id: str
    record_id: str
    owner_body: str
    body_id: str
    state: ConsentState
    answered_by: str
    answered_at: datetime
    reason: str
    valid_until: datetime | None


def share_body(record: StoredRecord, sender_body: str, sender_officer: str) -> JSONObject:
    return {
        "record_id": record.id,
        "version": record.version,
        "owner_body": record.holding.owner_body,
        "owner_party": record.holding.owner_party.value,
        "content": record.content.to_dict(),
        "recipients": [
            {
                "party": r.party.value,
                "shared_by": r.shared_by,
                "shared_at": f.format_time(r.shared_at),
            }
            for r in record.recipients
        ],
        "sender_body": sender_body,
        "sender_officer": sender_officer,
        "created_at": f.format_time(record.created_at),
        "updated_at": f.format_time(record.updated_at),
    }


def revocation_body(record: StoredRecord, revoked_by: str) -> JSONObject:
    assert record.holding.revoked_at is not None
    return {
        "record_id": record.id,
        "owner_body": record.holding.owner_body,
        "version": record.version,
        "revoked_at": f.format_time(record.holding.revoked_at),
        "revoked_by": revoked_by,
        "reason": record.revocation_reason or "",
    }


def consent_request_body(consent: StoredConsent, owner_body: str) -> JSONObject:
    return {
        "consent_id": consent.id,
        "record_id": consent.record_id,
        "owner_body": owner_body,
        "body_id": consent.body_id,
        "purpose": consent.purpose.value,
        "justification": consent.justification,
        "asked_by": consent.asked_by,
        "asked_at": f.format_time(consent.asked_at),
    }


def consent_answer_body(consent: StoredConsent, owner_body: str) -> JSONObject:
    assert consent.answered_at is not None and consent.answered_by is not None
    return {
        "consent_id": consent.id,
        "record_id": consent.record_id,
        "owner_body": owner_body,
        "body_id": consent.body_id,
        "state": consent.state.value,
        "answered_by": consent.answered_by,
        "answered_at": f.format_time(consent.answered_at),
        "reason": consent.answer_reason or "",
        "valid_until": None if consent.valid_until is None else f.format_time(consent.valid_until),
    }


def _id(obj: JSONObject, key: str) -> str:
    value = f.get_identifier(obj, key)
    if len(value) > _MAX_ID:
        raise f.FieldError(f"{key}: at most {_MAX_ID} characters")
    return value


def _party(value: JSONValue, where: str) -> Party:
    try:
        return Party(value) if isinstance(value, str) else Party("")
    except ValueError:
        raise f.FieldError(f"{where}: not a Party of the Protocol") from None


def _text(obj: JSONObject, key: str, *, empty: bool = False) -> str:
    value = obj.get(key)
    if empty and value == "":
        return ""
    return f.get_str(obj, key, max_length=_MAX_TEXT)


def _recipient(value: JSONValue) -> Recipient:
    if not isinstance(value, dict):
        raise f.FieldError("recipients: objects {party, shared_by, shared_at}")
    f.check_keys(value, ("party", "shared_by", "shared_at"), "recipient")
    return Recipient(
        _party(value.get("party"), "recipient.party"),
        _id(value, "shared_by"),
        f.get_time(value, "shared_at"),
    )


def read_share(value: JSONObject) -> ShareBody:
    try:
        f.check_keys(value, _SHARE_KEYS, "information_share")
        recipients = tuple(_recipient(r) for r in f.get_list(value, "recipients"))
        if not recipients or len({r.party for r in recipients}) != len(recipients):
            raise f.FieldError("recipients: one entry per Party, at least one")
        return ShareBody(
            record_id=_id(value, "record_id"),
            version=f.get_int(value, "version", minimum=1),
            owner_body=_id(value, "owner_body"),
            owner_party=_party(value.get("owner_party"), "owner_party"),
            content=f.get_object(value, "content"),
            recipients=recipients,
            sender_body=_id(value, "sender_body"),
            sender_officer=_id(value, "sender_officer"),
            created_at=f.get_time(value, "created_at"),
            updated_at=f.get_time(value, "updated_at"),
        )
    except f.FieldError as exc:
        raise PayloadError(f"information_share: {exc}") from None


def read_revocation(value: JSONObject) -> RevocationBody:
    try:
        f.check_keys(value, _REVOCATION_KEYS, "information_revocation")
        return RevocationBody(
            record_id=_id(value, "record_id"),
            owner_body=_id(value, "owner_body"),
            version=f.get_int(value, "version", minimum=1),
            revoked_at=f.get_time(value, "revoked_at"),
            revoked_by=_id(value, "revoked_by"),
            reason=_text(value, "reason"),
        )
    except f.FieldError as exc:
        raise PayloadError(f"information_revocation: {exc}") from None


def read_consent_request(value: JSONObject) -> StoredConsent:
    """The request as the provider's node keeps it (``asked_by`` still unqualified)."""
    try:
        f.check_keys(value, _REQUEST_KEYS, "consent_request")
        purpose = f.get_str(value, "purpose", max_length=32)
        if purpose not in {p.value for p in Purpose}:
            raise f.FieldError(f"purpose: {purpose!r} is not a purpose of Art. 10 para 2")
        return StoredConsent(
            id=_id(value, "consent_id"),
            record_id=_id(value, "record_id"),
            body_id=_id(value, "body_id"),
            purpose=Purpose(purpose),
            justification=_text(value, "justification"),
            state=ConsentState.REQUESTED,
            asked_by=_id(value, "asked_by"),
            asked_at=f.get_time(value, "asked_at"),
        )
    except f.FieldError as exc:
        raise PayloadError(f"consent_request: {exc}") from None


def request_owner(value: JSONObject) -> str:
    try:
        return _id(value, "owner_body")
    except f.FieldError as exc:
        raise PayloadError(f"consent_request: {exc}") from None


def read_consent_answer(value: JSONObject) -> AnswerBody:
    try:
        f.check_keys(value, _ANSWER_KEYS, "consent_answer")
        state = f.get_str(value, "state", max_length=16)
        if state not in (ConsentState.GRANTED.value, ConsentState.REFUSED.value):
            raise f.FieldError("state: granted or refused")
        until = value.get("valid_until")
        return AnswerBody(
            consent_id=_id(value, "consent_id"),
            record_id=_id(value, "record_id"),
            owner_body=_id(value, "owner_body"),
            body_id=_id(value, "body_id"),
            state=ConsentState(state),
            answered_by=_id(value, "answered_by"),
            answered_at=f.get_time(value, "answered_at"),
            reason=_text(value, "reason", empty=True),
            valid_until=None if until is None else f.get_time(value, "valid_until"),
        )
    except f.FieldError as exc:
        raise PayloadError(f"consent_answer: {exc}") from None
