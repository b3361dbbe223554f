"""Cryptographic identity of a node: crypto suites behind one interface.

The default suite is Ed25519 signatures with HPKE (X25519, HKDF-SHA256, AES-256-GCM)
encryption; docs/crypto.md explains it and how a national suite is added.
"""

from .ed25519_x25519 import Ed25519X25519Suite
from .registry import DEFAULT_SUITE_ID, UnknownSuite, get_suite, suites
from .suite import (
    CryptoError,
    CryptoSuite,
    DecryptionFailed,
    InvalidKey,
    KeyPair,
    SignatureInvalid,
    b64url_decode,
    b64url_encode,
    deserialize_public_key,
    fingerprint,
    serialize_public_key,
)

__all__ = [
    "DEFAULT_SUITE_ID",
    "CryptoError",
    "CryptoSuite",
    "DecryptionFailed",
    "Ed25519X25519Suite",
    "InvalidKey",
    "KeyPair",
    "SignatureInvalid",
    "UnknownSuite",
    "b64url_decode",
    "b64url_encode",
    "deserialize_public_key",
    "fingerprint",
    "get_suite",
    "serialize_public_key",
    "suites",
]
