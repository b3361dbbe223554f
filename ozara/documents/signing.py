"""What is signed, by whom, and how it is checked.

Every signed message is ``label || 0x00 || canonical JSON`` (RFC 8785). The label separates
the three kinds of signature, so that bytes signed as one kind can never verify as another
even where the same key signs them (the Secretariat node signs documents and trust lists):

* ``ozara-document-v1``: the node signature over the whole envelope except its own
  ``signature`` member (officer signatures included, so they cannot be stripped);
* ``ozara-officer-signature-v1``: an officer's signature over ``{"body": ..., <claims>}``
  (officer id, signer role, suite, public key). It does not name the envelope, so it stays
  valid when the body is carried on (forwarded) inside another document;
* ``ozara-trust-list-v1``: the Secretariat's signature over a trust list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ozara.crypto import KeyPair, fingerprint, get_suite

from .canonical import JSONObject, canonicalize
from .errors import DocumentInvalid
from .model import REQUEST_SIGNER_ROLES, Document, DocumentType, OfficerSignature, SignerRole

DOCUMENT_LABEL = b"ozara-document-v1"
OFFICER_LABEL = b"ozara-officer-signature-v1"
TRUST_LIST_LABEL = b"ozara-trust-list-v1"


def signed_bytes(label: bytes, value: JSONObject) -> bytes:
    return label + b"\x00" + canonicalize(value)


@dataclass(frozen=True, slots=True)
class NodeKeys:
    """A node's identity: its id and its two key pairs (one suite for both)."""

    node_id: str
    signing: KeyPair
    encryption: KeyPair

    def __post_init__(self) -> None:
        if self.signing.suite_id != self.encryption.suite_id:
            raise ValueError("a node's signing and encryption keys must share one suite")

    @property
    def suite_id(self) -> str:
        return self.signing.suite_id

    @property
    def signing_key_fingerprint(self) -> str:
        return fingerprint(self.signing.public)


def generate_node_keys(node_id: str, suite_id: str) -> NodeKeys:
    suite = get_suite(suite_id)
    return NodeKeys(
        node_id=node_id,
        signing=suite.generate_signing_key_pair(),
        encryption=suite.generate_encryption_key_pair(),
    )


# -- officer signatures ------------------------------------------------------------------


def officer_signed_bytes(body: JSONObject, signature: OfficerSignature) -> bytes:
    return signed_bytes(OFFICER_LABEL, {"body": body, **signature.claims()})


def officer_signature(
    body: JSONObject, officer_id: str, role: SignerRole, officer_keys: KeyPair
) -> OfficerSignature:
    """An officer's signature over ``body``: made when the officer acts, sent later as is."""
    suite = get_suite(officer_keys.suite_id)
    unsigned = OfficerSignature(
        officer_id=officer_id,
        signer_role=role,
        suite=officer_keys.suite_id,
        public_key=officer_keys.public,
        value=b"",
    )
    value = suite.sign(officer_keys.private, officer_signed_bytes(body, unsigned))
    return replace(unsigned, value=value)


def sign_as_officer(
    document: Document, officer_id: str, role: SignerRole, officer_keys: KeyPair
) -> Document:
    """The document with one more officer signature over its body."""
    signed = officer_signature(document.body, officer_id, role, officer_keys)
    return replace(document, officer_signatures=(*document.officer_signatures, signed))


def verify_officer_signature(body: JSONObject, signature: OfficerSignature) -> None:
    """Raise ``CryptoError`` unless the signature verifies under the key it names.

    Only the cryptography: whether that key belongs to that officer, and the officer to that
    role, is for the core and its registry to decide.
    """
    suite = get_suite(signature.suite)
    suite.verify(signature.public_key, officer_signed_bytes(body, signature), signature.value)


def check_officer_signatures(document: Document) -> None:
    """Verify every officer signature and the request's signature requirement.

    Art. 6 para 5: a request is signed by the head of the body or a deputy. Art. 6 para 4:
    an urgent request (``body["urgent"] is True``) may be transmitted before it is signed; its
    written confirmation is a signed ``request`` document sent later.
    Raises ``CryptoError`` for a signature that does not verify and ``DocumentInvalid`` for
    a missing one.
    """
    for signature in document.officer_signatures:
        verify_officer_signature(document.body, signature)
    if document.type is DocumentType.REQUEST and document.body.get("urgent") is not True:
        roles = {s.signer_role for s in document.officer_signatures}
        if not roles & REQUEST_SIGNER_ROLES:
            raise DocumentInvalid(
                "a request must carry the signature of the head of the body or a deputy "
                "(Art. 6 para 5)"
            )
