"""Every way a receiving node refuses a sealed document: one test each, type and reason."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from ozara.crypto import DEFAULT_SUITE_ID, get_suite
from ozara.documents import (
    Attachment,
    DocumentRejected,
    NodeKeys,
    RejectReason,
    SignerRole,
    TrustState,
    canonicalize,
    generate_node_keys,
    open_sealed,
    seal,
)
from tests.documents.federation import (
    NOW,
    VALID_FROM,
    VALID_UNTIL,
    Federation,
    header_for,
    seal_raw,
    signed_envelope,
)


def rejected(
    blob: bytes, fed: Federation, trust: TrustState | None = None, keys: NodeKeys | None = None
) -> DocumentRejected:
    with pytest.raises(DocumentRejected) as info:
        open_sealed(blob, keys or fed.rus, trust or fed.rus_trust, NOW)
    return info.value


def sealed(fed: Federation, **changes: object) -> bytes:
    return seal(fed.document(**changes), fed.kaz, fed.rus.encryption.public)  # type: ignore[arg-type]


def test_an_unknown_sender_is_refused(fed: Federation) -> None:
    stranger = generate_node_keys("XXX-NODE", DEFAULT_SUITE_ID)
    document = replace(fed.document(), sender=stranger.node_id)
    error = rejected(seal(document, stranger, fed.rus.encryption.public), fed)
    assert error.reason is RejectReason.UNKNOWN_SENDER
    assert "XXX-NODE is not known" in str(error)
    assert error.document_id == document.id and error.sender == "XXX-NODE"


def test_a_sender_removed_from_the_current_trust_list_is_refused(fed: Federation) -> None:
    without_kaz = tuple(e for e in fed.entries() if e.node_id != fed.kaz.node_id)
    state = fed.rus_trust.accept(fed.issue(4, without_kaz), fed.secretariat.signing.public)
    error = rejected(sealed(fed, trust_list_version=4), fed, trust=state)
    assert error.reason is RejectReason.SENDER_NOT_ON_TRUST_LIST
    assert "not on trust list version 4" in error.detail
    # Like every other refusal, it names the document and the sender for the log.
    assert error.document_id is not None
    assert error.sender == fed.kaz.node_id


def test_a_sender_holding_a_superseded_trust_list_is_refused(fed: Federation) -> None:
    state = fed.rus_trust.accept(fed.issue(4, fed.entries()), fed.secretariat.signing.public)
    error = rejected(sealed(fed, trust_list_version=3), fed, trust=state)
    assert error.reason is RejectReason.SUPERSEDED_TRUST_LIST
    assert "version 3" in error.detail and "version 4 supersedes" in error.detail


@pytest.mark.parametrize(
    "now", [VALID_FROM - timedelta(seconds=1), VALID_UNTIL, VALID_UNTIL + timedelta(days=1)]
)
def test_a_key_outside_its_validity_period_is_refused(fed: Federation, now: object) -> None:
    blob = sealed(fed)
    with pytest.raises(DocumentRejected) as info:
        open_sealed(blob, fed.rus, fed.rus_trust, now)  # type: ignore[arg-type]
    assert info.value.reason is RejectReason.KEY_NOT_VALID
    assert "2100-01-01T00:00:00Z" in info.value.detail


def test_a_key_is_accepted_at_the_edges_of_its_validity(fed: Federation) -> None:
    blob = sealed(fed)
    open_sealed(blob, fed.rus, fed.rus_trust, VALID_FROM)
    open_sealed(blob, fed.rus, fed.rus_trust, VALID_UNTIL - timedelta(microseconds=1))


def test_a_document_for_another_node_is_refused(fed: Federation) -> None:
    kgz = generate_node_keys("KGZ-MVD-NODE", DEFAULT_SUITE_ID)
    error = rejected(sealed(fed), fed, keys=kgz)
    assert error.reason is RejectReason.WRONG_RECIPIENT
    assert "addressed to RUS-MVD-NODE" in error.detail


def test_an_envelope_for_another_node_under_our_header_is_refused(fed: Federation) -> None:
    document = fed.document(recipient="KGZ-MVD-NODE")
    envelope = canonicalize(signed_envelope(document, fed.kaz))
    header = {**header_for(document), "recipient": fed.rus.node_id}
    error = rejected(seal_raw(envelope, header, fed.rus.encryption.public), fed)
    assert error.reason is RejectReason.WRONG_RECIPIENT
    assert "envelope addressed to KGZ-MVD-NODE" in error.detail


def test_a_header_that_disagrees_with_the_envelope_is_refused(fed: Federation) -> None:
    document = fed.document()
    envelope = canonicalize(signed_envelope(document, fed.kaz))
    header = {**header_for(document), "document_id": str(uuid.uuid4())}
    error = rejected(seal_raw(envelope, header, fed.rus.encryption.public), fed)
    assert error.reason is RejectReason.HEADER_MISMATCH


def test_a_signature_by_another_key_is_refused(fed: Federation) -> None:
    impostor = replace(fed.kaz, signing=get_suite(DEFAULT_SUITE_ID).generate_signing_key_pair())
    document = fed.document()
    envelope = signed_envelope(document, impostor)
    assert isinstance(envelope["signature"], dict)
    envelope["signature"]["key"] = fed.kaz.signing_key_fingerprint  # claims the listed key
    blob = seal_raw(canonicalize(envelope), header_for(document), fed.rus.encryption.public)
    error = rejected(blob, fed)
    assert error.reason is RejectReason.BAD_SIGNATURE


def test_a_signing_key_not_on_the_list_is_refused(fed: Federation) -> None:
    impostor = replace(fed.kaz, signing=get_suite(DEFAULT_SUITE_ID).generate_signing_key_pair())
    error = rejected(seal(fed.document(), impostor, fed.rus.encryption.public), fed)
    assert error.reason is RejectReason.UNKNOWN_SIGNING_KEY


def test_a_tampered_ciphertext_is_refused(fed: Federation) -> None:
    blob = bytearray(sealed(fed))
    blob[-20] ^= 0x80
    error = rejected(bytes(blob), fed)
    assert error.reason is RejectReason.TAMPERED_CIPHERTEXT
    assert error.document_id == fed.document().id  # from the header, for the log


def test_a_ciphertext_under_an_altered_header_is_refused(fed: Federation) -> None:
    document = fed.document()
    blob = sealed(fed)
    altered = blob.replace(str(document.id).encode(), str(uuid.UUID(int=1)).encode(), 1)
    error = rejected(altered, fed)
    assert error.reason is RejectReason.TAMPERED_CIPHERTEXT


@pytest.mark.parametrize(
    "blob",
    [b"", b"OZS1", b"GET / HTTP/1.1\r\n\r\n", b"OZS1\x00\x05{}", b"OZS1\x00\x02{}" + b"\x00" * 64],
)
def test_bytes_that_are_not_a_sealed_document_are_refused(fed: Federation, blob: bytes) -> None:
    error = rejected(blob, fed)
    assert error.reason is RejectReason.MALFORMED
    assert error.document_id is None


@pytest.mark.parametrize(
    "envelope",
    [b"not json", b'["an", "array"]', b'{"a": 1, "a": 1}', b"{}", '{"v":1,"id":"Ж"}'.encode()],
)
def test_malformed_json_inside_a_valid_encryption_is_refused(
    fed: Federation, envelope: bytes
) -> None:
    blob = seal_raw(envelope, header_for(fed.document()), fed.rus.encryption.public)
    error = rejected(blob, fed)
    assert error.reason is RejectReason.MALFORMED


def test_an_envelope_with_an_unknown_field_is_refused(fed: Federation) -> None:
    document = fed.document()
    envelope = signed_envelope(document, fed.kaz)
    envelope["priority"] = "high"
    blob = seal_raw(canonicalize(envelope), header_for(document), fed.rus.encryption.public)
    error = rejected(blob, fed)
    assert error.reason is RejectReason.MALFORMED
    assert "priority" in error.detail


def test_an_unknown_document_type_is_refused(fed: Federation) -> None:
    document = fed.document()
    envelope = {**signed_envelope(document, fed.kaz), "type": "extradition_request"}
    blob = seal_raw(canonicalize(envelope), header_for(document), fed.rus.encryption.public)
    error = rejected(blob, fed)
    assert error.reason is RejectReason.MALFORMED
    assert "document type" in error.detail


def test_an_unknown_suite_is_refused(fed: Federation) -> None:
    document = fed.document()
    header = {**header_for(document), "suite": "ozara-gost2012-kuznyechik-v1"}
    blob = seal_raw(canonicalize(signed_envelope(document, fed.kaz)), header, b"\x09" * 32)
    error = rejected(blob, fed)
    assert error.reason is RejectReason.UNSUPPORTED_SUITE


def test_a_request_without_the_head_or_deputy_signature_is_refused(fed: Federation) -> None:
    document = fed.document(sign=False)
    blob = seal_raw(
        canonicalize(signed_envelope(document, fed.kaz)),
        header_for(document),
        fed.rus.encryption.public,
    )
    error = rejected(blob, fed)
    assert error.reason is RejectReason.MISSING_OFFICER_SIGNATURE
    assert "Art. 6 para 5" in error.detail


def test_a_forged_officer_signature_is_refused(fed: Federation) -> None:
    document = fed.document()
    [signature] = document.officer_signatures
    forged = replace(signature, value=bytes(64))
    document = replace(document, officer_signatures=(forged,))
    blob = seal_raw(
        canonicalize(signed_envelope(document, fed.kaz)),
        header_for(document),
        fed.rus.encryption.public,
    )
    error = rejected(blob, fed)
    assert error.reason is RejectReason.BAD_OFFICER_SIGNATURE


def test_an_officer_signature_with_a_changed_role_claim_is_refused(fed: Federation) -> None:
    document = fed.document()
    [signature] = document.officer_signatures
    claimed = replace(signature, signer_role=SignerRole.DEPUTY)
    document = replace(document, officer_signatures=(claimed,))
    blob = seal_raw(
        canonicalize(signed_envelope(document, fed.kaz)),
        header_for(document),
        fed.rus.encryption.public,
    )
    assert rejected(blob, fed).reason is RejectReason.BAD_OFFICER_SIGNATURE


@pytest.mark.parametrize("contents", [b"", b"012345678", b"0123456789x", b"0123456780"], ids=str)
def test_attachment_contents_that_do_not_match_are_refused(
    fed: Federation, contents: bytes
) -> None:
    attachment = Attachment("dump.bin", "application/octet-stream", b"0123456789")
    document = fed.document(attachments=(attachment,))
    envelope = canonicalize(signed_envelope(document, fed.kaz))
    blob = seal_raw(envelope, header_for(document), fed.rus.encryption.public, contents)
    error = rejected(blob, fed)
    assert error.reason is RejectReason.ATTACHMENT_MISMATCH


def test_an_unsigned_envelope_is_refused(fed: Federation) -> None:
    document = fed.document()
    envelope = document.to_json()
    blob = seal_raw(canonicalize(envelope), header_for(document), fed.rus.encryption.public)
    error = rejected(blob, fed)
    assert error.reason is RejectReason.MALFORMED
    assert "signature" in error.detail


def test_a_signature_value_in_another_spelling_is_refused(fed: Federation) -> None:
    document = fed.document()
    envelope = signed_envelope(document, fed.kaz)
    assert isinstance(envelope["signature"], dict)
    value = str(envelope["signature"]["value"])
    envelope["signature"]["value"] = value + "=="  # padded base64url: one value, one spelling
    blob = seal_raw(canonicalize(envelope), header_for(document), fed.rus.encryption.public)
    assert rejected(blob, fed).reason is RejectReason.MALFORMED


def test_every_reason_is_covered_here() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    missing = [r.name for r in RejectReason if f"RejectReason.{r.name}" not in source]
    assert missing == []


def test_a_rejection_is_a_plain_exception_with_a_readable_message() -> None:
    error = DocumentRejected(RejectReason.BAD_SIGNATURE, "no")
    assert str(error) == "bad_signature: no"
    assert json.dumps(error.reason) == '"bad_signature"'
    assert (error.document_id, error.sender) == (None, None)
