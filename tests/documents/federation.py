"""A small federation for the document tests: the Secretariat, a Kazakh and a Russian node."""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from ozara.core.parties import Party
from ozara.crypto import DEFAULT_SUITE_ID, KeyPair, b64url_encode, get_suite
from ozara.documents import (
    Document,
    DocumentType,
    NodeKeys,
    SignerRole,
    TrustEntry,
    TrustList,
    TrustState,
    generate_node_keys,
    issue_trust_list,
    sign_as_officer,
)
from ozara.documents.canonical import JSONObject, canonicalize
from ozara.documents.sealed import MAGIC
from ozara.documents.signing import DOCUMENT_LABEL, signed_bytes

NOW = datetime(2026, 1, 30, 7, 0, tzinfo=UTC)
VALID_FROM = datetime(2026, 1, 1, tzinfo=UTC)
# Far ahead: tests that run servers use the real clock, and must not expire with time.
VALID_UNTIL = datetime(2100, 1, 1, tzinfo=UTC)

REQUEST_BODY: JSONObject = {
    "number": "KAZ-MVD-2026-00001",
    "urgent": False,
    "subject": "Запрос о проведении оперативно-розыскных мероприятий",
    "summary_kk": "Ақпараттық қауіпсіздік саласындағы қылмыс туралы сұрау салу",
    "amount": 12.5,
}


def entry_for(
    keys: NodeKeys,
    party: Party | None,
    bodies: tuple[str, ...],
    *,
    valid_from: datetime = VALID_FROM,
    valid_until: datetime = VALID_UNTIL,
) -> TrustEntry:
    return TrustEntry(
        node_id=keys.node_id,
        party=party,
        bodies=bodies,
        endpoint=f"https://{keys.node_id.lower()}.ozara.test:8443",
        suite=keys.suite_id,
        signing_key=keys.signing.public,
        encryption_key=keys.encryption.public,
        valid_from=valid_from,
        valid_until=valid_until,
    )


@dataclass
class Federation:
    secretariat: NodeKeys
    kaz: NodeKeys
    rus: NodeKeys
    head: KeyPair  # the Kazakh body's head (signs requests, Art. 6 para 5)
    trust_list: TrustList

    @property
    def rus_trust(self) -> TrustState:
        return TrustState(current=self.trust_list)

    def entries(self) -> tuple[TrustEntry, ...]:
        return self.trust_list.entries

    def issue(self, version: int, entries: tuple[TrustEntry, ...]) -> TrustList:
        return issue_trust_list(
            version, NOW, self.secretariat.node_id, entries, self.secretariat.signing
        )

    def document(
        self,
        doc_type: DocumentType = DocumentType.REQUEST,
        *,
        sign: bool = True,
        **changes: object,
    ) -> Document:
        """A document from the Kazakh node to the Russian one; a request signed by the head."""
        document = Document(
            id=uuid.UUID("0b9f7c1e-2d4a-4e53-9a57-3c1f0a8e6b21"),
            type=doc_type,
            sender=self.kaz.node_id,
            recipient=self.rus.node_id,
            created_at=NOW - timedelta(minutes=5),
            body=dict(REQUEST_BODY),
            trust_list_version=self.trust_list.version,
        )
        document = replace(document, **changes)  # type: ignore[arg-type]
        if sign and doc_type is DocumentType.REQUEST:
            document = sign_as_officer(document, "kaz.head", SignerRole.HEAD, self.head)
        return document


def build_federation() -> Federation:
    secretariat = generate_node_keys("CSTO-SEC", DEFAULT_SUITE_ID)
    kaz = generate_node_keys("KAZ-MVD-NODE", DEFAULT_SUITE_ID)
    rus = generate_node_keys("RUS-MVD-NODE", DEFAULT_SUITE_ID)
    head = get_suite(DEFAULT_SUITE_ID).generate_signing_key_pair()
    entries = (
        entry_for(secretariat, None, ()),
        entry_for(kaz, Party.KAZAKHSTAN, ("KAZ-MVD",)),
        entry_for(rus, Party.RUSSIA, ("RUS-MVD", "RUS-FSB")),
    )
    trust_list = issue_trust_list(3, NOW, secretariat.node_id, entries, secretariat.signing)
    return Federation(secretariat, kaz, rus, head, trust_list)


# -- a sender that does not go through ``seal``: for forged, malformed and tampered blobs --


def signed_envelope(document: Document, signer: NodeKeys) -> JSONObject:
    """The envelope of ``document`` with a node signature by ``signer``."""
    envelope = document.to_json()
    suite = get_suite(signer.suite_id)
    value = suite.sign(signer.signing.private, signed_bytes(DOCUMENT_LABEL, envelope))
    envelope["signature"] = {
        "suite": signer.suite_id,
        "key": signer.signing_key_fingerprint,
        "value": b64url_encode(value),
    }
    return envelope


def header_for(document: Document) -> JSONObject:
    return {
        "document_id": str(document.id),
        "recipient": document.recipient,
        "sender": document.sender,
        "suite": DEFAULT_SUITE_ID,
        "v": 1,
    }


def seal_raw(
    envelope: bytes, header: JSONObject, recipient_public: bytes, attachments: bytes = b""
) -> bytes:
    """Build a sealed blob from raw parts, encrypting them properly."""
    header_bytes = canonicalize(header)
    aad = MAGIC + struct.pack(">H", len(header_bytes)) + header_bytes
    plaintext = struct.pack(">I", len(envelope)) + envelope + attachments
    return aad + get_suite(DEFAULT_SUITE_ID).encrypt(recipient_public, plaintext, aad)


def decrypt_raw(blob: bytes, recipient: NodeKeys) -> tuple[bytes, bytes]:
    """The AAD prefix and the plaintext of a sealed blob (the test can then alter it)."""
    (length,) = struct.unpack(">H", blob[4:6])
    aad = blob[: 6 + length]
    suite = get_suite(DEFAULT_SUITE_ID)
    return aad, suite.decrypt(recipient.encryption.private, blob[len(aad) :], aad)


def reencrypt(aad: bytes, plaintext: bytes, recipient: NodeKeys) -> bytes:
    return aad + get_suite(DEFAULT_SUITE_ID).encrypt(recipient.encryption.public, plaintext, aad)
