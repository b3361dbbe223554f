"""The crypto-suite interface: what a node needs from cryptography, and nothing more.

A suite is identified by a string (``suite_id``) that travels in every sealed document and
trust-list entry, so that a receiver knows which algorithms to use and a national suite
(GOST R 34.10-2012, Kuznyechik, Streebog: see docs/crypto.md) can be added beside the default
one without changing the document format.

Keys are plain bytes: a suite defines its own encoding (raw 32 bytes for Ed25519 and X25519),
and everything above this layer (trust lists, documents) stores them as base64url text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class CryptoError(Exception):
    """Base class of every error a suite raises."""


class InvalidKey(CryptoError):
    """A key has the wrong length or encoding for its suite."""


class SignatureInvalid(CryptoError):
    """A signature does not verify under the given public key."""


class DecryptionFailed(CryptoError):
    """A ciphertext does not decrypt: wrong key, wrong associated data, or tampered bytes."""


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A private key and its public key, each in the suite's byte encoding.

    The private half is left out of ``repr`` so that it never reaches a log by accident.
    """

    suite_id: str
    public: bytes
    private: bytes = field(repr=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)


@runtime_checkable
class CryptoSuite(Protocol):
    """Signatures and public-key encryption for one algorithm family.

    ``sign``/``verify`` authenticate a node or an officer (non-repudiation); ``encrypt``/
    ``decrypt`` give confidentiality to the receiving node with ``aad`` bound to the
    ciphertext: decryption fails unless the same ``aad`` is presented.
    """

    @property
    def suite_id(self) -> str: ...

    def generate_signing_key_pair(self) -> KeyPair: ...

    def sign(self, private_key: bytes, data: bytes) -> bytes: ...

    def verify(self, public_key: bytes, data: bytes, signature: bytes) -> None:
        """Return normally if the signature is valid; raise ``SignatureInvalid`` otherwise."""
        ...

    def generate_encryption_key_pair(self) -> KeyPair: ...

    def encrypt(self, recipient_public_key: bytes, plaintext: bytes, aad: bytes) -> bytes: ...

    def decrypt(self, private_key: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        """Return the plaintext; raise ``DecryptionFailed`` on any failure."""
        ...

    def check_signing_public_key(self, public_key: bytes) -> None:
        """Raise ``InvalidKey`` unless ``public_key`` is a valid signing key of this suite."""
        ...

    def check_encryption_public_key(self, public_key: bytes) -> None:
        """Raise ``InvalidKey`` unless ``public_key`` is a valid encryption key of this suite."""
        ...


def fingerprint(public_key: bytes) -> str:
    """The key's fingerprint: SHA-256 of its public bytes, lower-case hex (64 characters).

    The same function for every suite: a fingerprint names a key in trust lists and
    signatures; the suite id beside it says how to use the key.
    """
    return hashlib.sha256(public_key).hexdigest()


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 section 5, as JOSE uses it)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of ``b64url_encode``: no padding, no whitespace, canonical last bits.

    Raises ``ValueError`` on anything else, so that one value has exactly one encoding and a
    signed text cannot be altered by re-encoding it.
    """
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("base64url text must be an ASCII string")
    if len(text) % 4 == 1 or "=" in text:
        raise ValueError("not unpadded base64url")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not base64url: {exc}") from None
    if b64url_encode(data) != text:
        raise ValueError("non-canonical base64url")
    return data


def serialize_public_key(public_key: bytes) -> str:
    return b64url_encode(public_key)


def deserialize_public_key(text: str) -> bytes:
    try:
        return b64url_decode(text)
    except ValueError as exc:
        raise InvalidKey(str(exc)) from None
