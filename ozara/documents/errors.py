"""Typed errors of the document layer, each with a reason a log and a test can name."""

from __future__ import annotations

import enum
from uuid import UUID


class RejectReason(enum.StrEnum):
    """Why a receiving node refused a sealed document (nothing of it is stored)."""

    MALFORMED = "malformed"
    UNSUPPORTED_SUITE = "unsupported_suite"
    WRONG_RECIPIENT = "wrong_recipient"
    TAMPERED_CIPHERTEXT = "tampered_ciphertext"
    HEADER_MISMATCH = "header_mismatch"
    UNKNOWN_SENDER = "unknown_sender"
    SENDER_NOT_ON_TRUST_LIST = "sender_not_on_current_trust_list"
    SUPERSEDED_TRUST_LIST = "superseded_trust_list"
    UNKNOWN_SIGNING_KEY = "unknown_signing_key"
    KEY_NOT_VALID = "key_outside_validity_period"
    BAD_SIGNATURE = "bad_signature"
    BAD_OFFICER_SIGNATURE = "bad_officer_signature"
    MISSING_OFFICER_SIGNATURE = "missing_officer_signature"
    ATTACHMENT_MISMATCH = "attachment_mismatch"


class DocumentRejected(Exception):
    """A sealed document refused by ``open_sealed``.

    ``document_id`` and ``sender`` are what the receiver could read before refusing (from the
    unauthenticated header or the decrypted envelope); they are for the log only.
    """

    def __init__(
        self,
        reason: RejectReason,
        detail: str,
        *,
        document_id: UUID | None = None,
        sender: str | None = None,
    ) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.document_id = document_id
        self.sender = sender


class DocumentInvalid(ValueError):
    """A document that may not be sealed as it stands (a sender-side programming error)."""


class TrustListReason(enum.StrEnum):
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    WRONG_ISSUER = "wrong_issuer"
    NOT_NEWER = "not_newer"


class TrustListRejected(Exception):
    """A trust list that does not verify, or does not supersede the current one."""

    def __init__(self, reason: TrustListReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
