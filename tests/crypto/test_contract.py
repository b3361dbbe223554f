"""What every registered suite must do. A new suite (GOST, docs/crypto.md) runs these as is."""

from __future__ import annotations

import pytest

from ozara.crypto import (
    CryptoSuite,
    DecryptionFailed,
    SignatureInvalid,
    deserialize_public_key,
    fingerprint,
    serialize_public_key,
    suites,
)

SUITES = pytest.mark.parametrize("suite", list(suites.values()), ids=list(suites))


@SUITES
def test_the_suite_is_registered_under_its_own_id(suite: CryptoSuite) -> None:
    assert suites[suite.suite_id] is suite
    assert isinstance(suite, CryptoSuite)


@SUITES
def test_key_pairs_name_their_suite(suite: CryptoSuite) -> None:
    for keys in (suite.generate_signing_key_pair(), suite.generate_encryption_key_pair()):
        assert keys.suite_id == suite.suite_id
        assert keys.fingerprint == fingerprint(keys.public)
        assert deserialize_public_key(serialize_public_key(keys.public)) == keys.public
    first, second = suite.generate_signing_key_pair(), suite.generate_signing_key_pair()
    assert first.public != second.public


@SUITES
def test_signatures(suite: CryptoSuite) -> None:
    keys = suite.generate_signing_key_pair()
    suite.check_signing_public_key(keys.public)
    message = "Хабарлама — сообщение".encode()
    signature = suite.sign(keys.private, message)
    suite.verify(keys.public, message, signature)
    with pytest.raises(SignatureInvalid):
        suite.verify(keys.public, message + b".", signature)
    with pytest.raises(SignatureInvalid):
        suite.verify(suite.generate_signing_key_pair().public, message, signature)


@SUITES
@pytest.mark.parametrize("size", [0, 1, 1000, 100_000])
def test_encryption(suite: CryptoSuite, size: int) -> None:
    keys = suite.generate_encryption_key_pair()
    suite.check_encryption_public_key(keys.public)
    plaintext = bytes(i % 251 for i in range(size))
    ciphertext = suite.encrypt(keys.public, plaintext, b"aad")
    assert plaintext not in ciphertext or size <= 1
    assert suite.decrypt(keys.private, ciphertext, b"aad") == plaintext
    with pytest.raises(DecryptionFailed):
        suite.decrypt(keys.private, ciphertext, b"aae")
    with pytest.raises(DecryptionFailed):
        suite.decrypt(suite.generate_encryption_key_pair().private, ciphertext, b"aad")
    with pytest.raises(DecryptionFailed):
        suite.decrypt(keys.private, ciphertext[:-1], b"aad")
