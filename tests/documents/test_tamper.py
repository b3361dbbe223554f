"""One byte changed anywhere (ciphertext, signature, canonical body) and the document is refused.

The signature and body tests alter the decrypted plaintext and encrypt it again properly, as
an attacker who could encrypt to the receiver (anyone: HPKE's base mode does not authenticate
the sender) would: the node signature must catch what the encryption no longer can.
"""

from __future__ import annotations

import json

import pytest

from ozara.crypto import b64url_decode, b64url_encode
from ozara.documents import (
    Attachment,
    DocumentRejected,
    RejectReason,
    canonicalize,
    open_sealed,
    seal,
)
from ozara.documents.canonical import JSONObject, parse_object
from tests.documents.federation import NOW, Federation, decrypt_raw, reencrypt


def opened_reason(blob: bytes, fed: Federation) -> RejectReason:
    with pytest.raises(DocumentRejected) as info:
        open_sealed(blob, fed.rus, fed.rus_trust, NOW)
    return info.value.reason


def split(plaintext: bytes) -> tuple[JSONObject, bytes]:
    length = int.from_bytes(plaintext[:4], "big")
    return parse_object(plaintext[4 : 4 + length]), plaintext[4 + length :]


def join(envelope_bytes: bytes, rest: bytes = b"") -> bytes:
    return len(envelope_bytes).to_bytes(4, "big") + envelope_bytes + rest


@pytest.mark.parametrize("offset", [0, 1, 31, 32, 33, 100, -17, -16, -1])
def test_flipping_one_byte_of_the_ciphertext(fed: Federation, offset: int) -> None:
    blob = seal(fed.document(), fed.kaz, fed.rus.encryption.public)
    start = 6 + int.from_bytes(blob[4:6], "big")
    position = start + offset if offset >= 0 else len(blob) + offset
    tampered = bytearray(blob)
    tampered[position] ^= 0x01
    assert opened_reason(bytes(tampered), fed) is RejectReason.TAMPERED_CIPHERTEXT


@pytest.mark.parametrize("byte", [0, 17, 63])
def test_flipping_one_byte_of_the_node_signature(fed: Federation, byte: int) -> None:
    blob = seal(fed.document(), fed.kaz, fed.rus.encryption.public)
    aad, plaintext = decrypt_raw(blob, fed.rus)
    envelope, rest = split(plaintext)
    signature = envelope["signature"]
    assert isinstance(signature, dict)
    value = bytearray(b64url_decode(str(signature["value"])))
    value[byte] ^= 0x01
    signature["value"] = b64url_encode(bytes(value))
    tampered = reencrypt(aad, join(canonicalize(envelope), rest), fed.rus)
    assert opened_reason(tampered, fed) is RejectReason.BAD_SIGNATURE


def test_changing_one_byte_of_the_canonical_body(fed: Federation) -> None:
    blob = seal(fed.document(), fed.kaz, fed.rus.encryption.public)
    aad, plaintext = decrypt_raw(blob, fed.rus)
    # "KAZ-MVD-2026-00001" -> "KAZ-MVD-2026-00002", byte for byte, inside the signed JSON.
    assert plaintext.count(b"2026-00001") == 1
    tampered = reencrypt(aad, plaintext.replace(b"2026-00001", b"2026-00002"), fed.rus)
    assert opened_reason(tampered, fed) is RejectReason.BAD_SIGNATURE


def test_changing_a_cyrillic_letter_of_the_body(fed: Federation) -> None:
    blob = seal(fed.document(), fed.kaz, fed.rus.encryption.public)
    aad, plaintext = decrypt_raw(blob, fed.rus)
    tampered = plaintext.replace("Запрос".encode(), "Запрес".encode())
    assert tampered != plaintext
    assert opened_reason(reencrypt(aad, tampered, fed.rus), fed) is RejectReason.BAD_SIGNATURE


def test_changing_the_trust_list_version_claimed_by_the_sender(fed: Federation) -> None:
    blob = seal(fed.document(), fed.kaz, fed.rus.encryption.public)
    aad, plaintext = decrypt_raw(blob, fed.rus)
    tampered = plaintext.replace(b'"trust_list_version":3', b'"trust_list_version":9')
    assert tampered != plaintext
    assert opened_reason(reencrypt(aad, tampered, fed.rus), fed) is RejectReason.BAD_SIGNATURE


def test_stripping_the_officer_signature(fed: Federation) -> None:
    blob = seal(fed.document(), fed.kaz, fed.rus.encryption.public)
    aad, plaintext = decrypt_raw(blob, fed.rus)
    envelope, rest = split(plaintext)
    envelope["officer_signatures"] = []
    envelope["type"] = "information_share"  # so that no officer signature is required
    tampered = reencrypt(aad, join(canonicalize(envelope), rest), fed.rus)
    assert opened_reason(tampered, fed) is RejectReason.BAD_SIGNATURE


def test_a_non_canonical_but_equal_envelope_still_verifies(fed: Federation) -> None:
    """JCS: the signature is over the value, so whitespace and member order do not matter."""
    document = fed.document()
    blob = seal(document, fed.kaz, fed.rus.encryption.public)
    aad, plaintext = decrypt_raw(blob, fed.rus)
    envelope, rest = split(plaintext)
    pretty = json.dumps(dict(reversed(list(envelope.items()))), indent=2).encode()
    assert open_sealed(reencrypt(aad, join(pretty, rest), fed.rus), fed.rus, fed.rus_trust, NOW)
    assert open_sealed(blob, fed.rus, fed.rus_trust, NOW) == document


def test_flipping_one_byte_of_an_attachment(fed: Federation) -> None:
    document = fed.document(attachments=(Attachment("a.txt", "text/plain", b"evidence"),))
    blob = seal(document, fed.kaz, fed.rus.encryption.public)
    aad, plaintext = decrypt_raw(blob, fed.rus)
    tampered = plaintext[:-1] + b"E"
    assert opened_reason(reencrypt(aad, tampered, fed.rus), fed) is RejectReason.ATTACHMENT_MISMATCH
