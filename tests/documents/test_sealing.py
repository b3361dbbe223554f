"""Sealing and opening documents: the round trips and what the sender refuses to seal."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from ozara.crypto import DEFAULT_SUITE_ID, SignatureInvalid, get_suite
from ozara.documents import (
    Attachment,
    DocumentInvalid,
    DocumentType,
    SignerRole,
    canonicalize,
    open_sealed,
    parse_json,
    peek_header,
    seal,
    sign_as_officer,
    verify_officer_signature,
)
from ozara.documents.sealed import MAGIC
from tests.documents.federation import NOW, Federation, decrypt_raw


def test_a_request_round_trips(fed: Federation) -> None:
    document = fed.document()
    blob = seal(document, fed.kaz, fed.rus.encryption.public)
    assert blob.startswith(MAGIC)
    opened = open_sealed(blob, fed.rus, fed.rus_trust, NOW)
    assert opened == document
    assert opened.body["subject"] == "Запрос о проведении оперативно-розыскных мероприятий"
    assert opened.officer_signatures[0].signer_role is SignerRole.HEAD


@pytest.mark.parametrize("doc_type", [t for t in DocumentType if t is not DocumentType.REQUEST])
def test_every_document_type_round_trips(fed: Federation, doc_type: DocumentType) -> None:
    document = fed.document(
        doc_type, body={"text": "Жауап"}, in_reply_to=uuid.UUID(int=7), id=uuid.uuid4()
    )
    blob = seal(document, fed.kaz, fed.rus.encryption.public)
    assert open_sealed(blob, fed.rus, fed.rus_trust, NOW) == document


def test_attachments_travel_encrypted_and_bound(fed: Federation) -> None:
    files = (
        Attachment("протокол.pdf", "application/pdf", b"%PDF-1.7 " + bytes(range(256)) * 40),
        Attachment("empty.txt", "text/plain", b""),
        Attachment("log.json", "application/json", b'{"ip": "203.0.113.7"}'),
    )
    document = fed.document(attachments=files)
    blob = seal(document, fed.kaz, fed.rus.encryption.public)
    assert b"203.0.113.7" not in blob and b"%PDF" not in blob
    opened = open_sealed(blob, fed.rus, fed.rus_trust, NOW)
    assert opened.attachments == files
    assert opened.attachments[0].size == 9 + 256 * 40
    assert len(opened.attachments[0].sha256) == 64


def test_the_header_gives_the_document_id_before_opening(fed: Federation) -> None:
    document = fed.document()
    header = peek_header(seal(document, fed.kaz, fed.rus.encryption.public))
    assert header.document_id == document.id
    assert (header.sender, header.recipient) == (fed.kaz.node_id, fed.rus.node_id)
    assert header.suite == DEFAULT_SUITE_ID


def test_nothing_of_the_body_is_in_clear(fed: Federation) -> None:
    blob = seal(fed.document(), fed.kaz, fed.rus.encryption.public)
    assert b"KAZ-MVD-2026-00001" not in blob
    assert "Запрос".encode() not in blob


def test_sealing_twice_gives_different_blobs_of_one_document(fed: Federation) -> None:
    document = fed.document()
    first, second = (seal(document, fed.kaz, fed.rus.encryption.public) for _ in range(2))
    assert first != second
    assert open_sealed(first, fed.rus, fed.rus_trust, NOW) == open_sealed(
        second, fed.rus, fed.rus_trust, NOW
    )


def test_the_signed_envelope_is_canonical_json(fed: Federation) -> None:
    blob = seal(fed.document(), fed.kaz, fed.rus.encryption.public)
    _, plaintext = decrypt_raw(blob, fed.rus)
    length = int.from_bytes(plaintext[:4], "big")
    envelope = plaintext[4 : 4 + length]
    assert canonicalize(parse_json(envelope)) == envelope
    assert "Запрос".encode() in envelope  # raw UTF-8, not \u escapes


def test_an_urgent_request_may_travel_before_it_is_signed(fed: Federation) -> None:
    document = fed.document(body={"urgent": True, "urgent_grounds": "атака готовится"})
    unsigned = replace(document, officer_signatures=())
    blob = seal(unsigned, fed.kaz, fed.rus.encryption.public)
    assert open_sealed(blob, fed.rus, fed.rus_trust, NOW).officer_signatures == ()


def test_a_deputy_may_sign_and_several_officers_may_sign(fed: Federation) -> None:
    deputy = get_suite(DEFAULT_SUITE_ID).generate_signing_key_pair()
    document = fed.document(sign=False)
    document = sign_as_officer(document, "kaz.officer", SignerRole.OFFICER, fed.head)
    document = sign_as_officer(document, "kaz.deputy", SignerRole.DEPUTY, deputy)
    opened = open_sealed(
        seal(document, fed.kaz, fed.rus.encryption.public), fed.rus, fed.rus_trust, NOW
    )
    assert [s.officer_id for s in opened.officer_signatures] == ["kaz.officer", "kaz.deputy"]


def test_an_officer_signature_stays_valid_when_the_body_is_forwarded(fed: Federation) -> None:
    request = fed.document()
    [signature] = request.officer_signatures
    forwarded = fed.document(
        DocumentType.FORWARDING_NOTICE,
        body={"request": request.body, "signature": signature.to_json()},
        id=uuid.uuid4(),
    )
    assert forwarded.body["request"] == request.body
    verify_officer_signature(request.body, signature)
    with pytest.raises(SignatureInvalid):
        verify_officer_signature({**request.body, "urgent": True}, signature)


def test_a_node_with_a_rotated_key_is_accepted_under_its_new_key(fed: Federation) -> None:
    from ozara.documents import generate_node_keys  # noqa: PLC0415
    from tests.documents.federation import VALID_FROM, entry_for  # noqa: PLC0415

    new_kaz = generate_node_keys(fed.kaz.node_id, DEFAULT_SUITE_ID)
    old = replace(fed.trust_list.entries[1], valid_until=NOW)
    new = entry_for(new_kaz, old.party, old.bodies, valid_from=VALID_FROM)
    trust_list = fed.issue(4, (fed.trust_list.entries[0], old, new, fed.trust_list.entries[2]))
    state = fed.rus_trust.accept(trust_list, fed.secretariat.signing.public)
    document = fed.document(trust_list_version=4)
    opened = open_sealed(seal(document, new_kaz, fed.rus.encryption.public), fed.rus, state, NOW)
    assert opened == document


def test_a_node_seals_only_its_own_documents(fed: Federation) -> None:
    with pytest.raises(DocumentInvalid, match="sender"):
        seal(fed.document(), fed.rus, fed.kaz.encryption.public)


def test_a_request_without_the_head_or_deputy_signature_is_not_sealed(fed: Federation) -> None:
    with pytest.raises(DocumentInvalid, match=r"Art\. 6 para 5"):
        seal(replace(fed.document(), officer_signatures=()), fed.kaz, fed.rus.encryption.public)
    officer_only = sign_as_officer(
        replace(fed.document(), officer_signatures=()), "kaz.officer", SignerRole.OFFICER, fed.head
    )
    with pytest.raises(DocumentInvalid, match=r"Art\. 6 para 5"):
        seal(officer_only, fed.kaz, fed.rus.encryption.public)


def test_a_body_changed_after_the_officer_signed_is_not_sealed(fed: Federation) -> None:
    document = fed.document()
    changed = replace(document, body={**document.body, "number": "KAZ-MVD-2026-00002"})
    with pytest.raises(DocumentInvalid):
        seal(changed, fed.kaz, fed.rus.encryption.public)


@pytest.mark.parametrize(
    "changes",
    [
        {"body": {"x": float("nan")}},
        {"body": {"x": 2**60}},
        {"recipient": "has space"},
        {"trust_list_version": 0},
        {"attachments": (Attachment("a", "text/plain", b"1"), Attachment("a", "text/plain", b""))},
    ],
)
def test_a_document_the_receiver_would_refuse_is_not_sealed(
    fed: Federation, changes: dict[str, object]
) -> None:
    document = replace(fed.document(DocumentType.INFO_REQUEST), **changes)  # type: ignore[arg-type]
    with pytest.raises(DocumentInvalid):
        seal(document, fed.kaz, fed.rus.encryption.public)


def test_open_needs_an_aware_clock(fed: Federation) -> None:
    blob = seal(fed.document(), fed.kaz, fed.rus.encryption.public)
    with pytest.raises(ValueError, match="aware"):
        open_sealed(blob, fed.rus, fed.rus_trust, NOW.replace(tzinfo=None))
