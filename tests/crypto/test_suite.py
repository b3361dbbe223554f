"""The default crypto suite: Ed25519 signatures and HPKE(X25519, HKDF-SHA256, AES-256-GCM)."""

from __future__ import annotations

import hashlib

import pytest

from ozara.crypto import (
    DEFAULT_SUITE_ID,
    CryptoSuite,
    DecryptionFailed,
    Ed25519X25519Suite,
    InvalidKey,
    SignatureInvalid,
    UnknownSuite,
    b64url_decode,
    b64url_encode,
    deserialize_public_key,
    fingerprint,
    get_suite,
    serialize_public_key,
    suites,
)

SUITE = Ed25519X25519Suite()

# RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


def test_the_registry_holds_the_default_suite() -> None:
    assert DEFAULT_SUITE_ID == "ozara-ed25519-x25519-a256gcm-v1"
    assert get_suite(DEFAULT_SUITE_ID) is suites[DEFAULT_SUITE_ID]
    assert isinstance(suites[DEFAULT_SUITE_ID], CryptoSuite)
    assert suites[DEFAULT_SUITE_ID].suite_id == DEFAULT_SUITE_ID


def test_an_unknown_suite_is_refused() -> None:
    with pytest.raises(UnknownSuite, match="gost"):
        get_suite("ozara-gost2012-kuznyechik-v1")


@pytest.mark.parametrize(("private", "public", "message", "signature"), RFC8032)
def test_signatures_are_standard_ed25519(
    private: str, public: str, message: str, signature: str
) -> None:
    data = bytes.fromhex(message)
    assert SUITE.sign(bytes.fromhex(private), data) == bytes.fromhex(signature)
    SUITE.verify(bytes.fromhex(public), data, bytes.fromhex(signature))


def test_sign_and_verify_round_trip() -> None:
    keys = SUITE.generate_signing_key_pair()
    assert len(keys.public) == 32 and len(keys.private) == 32
    signature = SUITE.sign(keys.private, "Запрос".encode())
    assert len(signature) == 64
    SUITE.verify(keys.public, "Запрос".encode(), signature)


def test_a_signature_does_not_verify_for_other_data_key_or_bytes() -> None:
    keys, other = SUITE.generate_signing_key_pair(), SUITE.generate_signing_key_pair()
    signature = SUITE.sign(keys.private, b"data")
    with pytest.raises(SignatureInvalid):
        SUITE.verify(keys.public, b"datA", signature)
    with pytest.raises(SignatureInvalid):
        SUITE.verify(other.public, b"data", signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises(SignatureInvalid):
        SUITE.verify(keys.public, b"data", flipped)
    with pytest.raises(SignatureInvalid):
        SUITE.verify(keys.public, b"data", signature[:-1])


@pytest.mark.parametrize("length", [0, 31, 33])
def test_keys_of_the_wrong_length_are_refused(length: int) -> None:
    key = b"\x01" * length
    with pytest.raises(InvalidKey):
        SUITE.sign(key, b"x")
    with pytest.raises(InvalidKey):
        SUITE.verify(key, b"x", b"\x00" * 64)
    with pytest.raises(InvalidKey):
        SUITE.encrypt(key, b"x", b"")
    with pytest.raises(InvalidKey):
        SUITE.decrypt(key, b"\x00" * 64, b"")
    with pytest.raises(InvalidKey):
        SUITE.check_signing_public_key(key)
    with pytest.raises(InvalidKey):
        SUITE.check_encryption_public_key(key)


def test_a_low_order_encryption_key_is_refused() -> None:
    with pytest.raises(InvalidKey):
        SUITE.encrypt(b"\x00" * 32, b"x", b"")


def test_encrypt_and_decrypt_round_trip() -> None:
    keys = SUITE.generate_encryption_key_pair()
    plaintext = "Сұрау салу".encode() * 100
    ciphertext = SUITE.encrypt(keys.public, plaintext, b"RUS-MVD-NODE")
    # HPKE single shot: the 32-byte encapsulated key, then the ciphertext and its 16-byte tag.
    assert len(ciphertext) == 32 + len(plaintext) + 16
    assert SUITE.decrypt(keys.private, ciphertext, b"RUS-MVD-NODE") == plaintext


def test_encryption_is_randomized() -> None:
    keys = SUITE.generate_encryption_key_pair()
    first, second = (SUITE.encrypt(keys.public, b"same", b"") for _ in range(2))
    assert first != second
    assert SUITE.decrypt(keys.private, first, b"") == SUITE.decrypt(keys.private, second, b"")


def test_the_associated_data_is_bound() -> None:
    keys = SUITE.generate_encryption_key_pair()
    ciphertext = SUITE.encrypt(keys.public, b"secret", b"RUS-MVD-NODE")
    with pytest.raises(DecryptionFailed):
        SUITE.decrypt(keys.private, ciphertext, b"KGZ-MVD-NODE")
    with pytest.raises(DecryptionFailed):
        SUITE.decrypt(keys.private, ciphertext, b"")


def test_only_the_recipient_decrypts() -> None:
    keys, other = SUITE.generate_encryption_key_pair(), SUITE.generate_encryption_key_pair()
    ciphertext = SUITE.encrypt(keys.public, b"secret", b"")
    with pytest.raises(DecryptionFailed):
        SUITE.decrypt(other.private, ciphertext, b"")


@pytest.mark.parametrize("position", [0, 31, 32, 40, -17, -1])
def test_flipping_any_byte_of_the_ciphertext_fails(position: int) -> None:
    keys = SUITE.generate_encryption_key_pair()
    ciphertext = bytearray(SUITE.encrypt(keys.public, b"a secret of some length", b"aad"))
    ciphertext[position] ^= 0x01
    with pytest.raises(DecryptionFailed):
        SUITE.decrypt(keys.private, bytes(ciphertext), b"aad")


@pytest.mark.parametrize("ciphertext", [b"", b"\x00" * 47, b"\x00" * 48, b"\xff" * 100])
def test_short_or_junk_ciphertexts_fail_cleanly(ciphertext: bytes) -> None:
    keys = SUITE.generate_encryption_key_pair()
    with pytest.raises(DecryptionFailed):
        SUITE.decrypt(keys.private, ciphertext, b"")


def test_a_fingerprint_is_the_sha256_of_the_public_key() -> None:
    keys = SUITE.generate_signing_key_pair()
    assert keys.fingerprint == hashlib.sha256(keys.public).hexdigest() == fingerprint(keys.public)
    assert fingerprint(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_a_key_pair_does_not_show_its_private_key() -> None:
    keys = SUITE.generate_signing_key_pair()
    assert keys.private.hex() not in repr(keys) and str(keys.private) not in repr(keys)
    assert "private" not in repr(keys)


def test_public_keys_serialize_as_unpadded_base64url() -> None:
    keys = SUITE.generate_encryption_key_pair()
    text = serialize_public_key(keys.public)
    assert len(text) == 43 and "=" not in text
    assert deserialize_public_key(text) == keys.public


@pytest.mark.parametrize(
    ("data", "text"),
    [(b"", ""), (b"\xfb\xff", "-_8"), (b"f", "Zg"), (b"fo", "Zm8"), (b"foo", "Zm9v")],
)
def test_base64url_vectors(data: bytes, text: str) -> None:
    assert b64url_encode(data) == text
    assert b64url_decode(text) == data


@pytest.mark.parametrize("text", ["Zg==", "Zh", "+_8", "-/8", "Z", "Zm9v\n", "Зм9в", " Zg"])
def test_base64url_is_read_strictly(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 — b64url_decode documents ValueError
        b64url_decode(text)
    with pytest.raises(InvalidKey):
        deserialize_public_key(text)
