"""The default suite: Ed25519 signatures and HPKE encryption (RFC 9180).

* Signatures: Ed25519 (RFC 8032), pure mode, 64-byte signatures over the message itself.
* Encryption: HPKE base mode, single shot, with the ciphersuite
  DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM (KEM 0x0020, KDF 0x0001,
  AEAD 0x0002). The ciphertext is ``enc || ct``: the 32-byte encapsulated key followed by the
  AEAD ciphertext and its 16-byte tag.

Both come from ``cryptography`` (``hazmat.primitives.asymmetric.ed25519`` and
``hazmat.primitives.hpke``), which wraps OpenSSL; nothing is constructed by hand here.

``cryptography`` exposes single-shot HPKE with the ``info`` parameter and no separate
associated data, so the caller's ``aad`` is bound through ``info``: it enters the HPKE key
schedule (RFC 9180 section 5.1), and decryption with a different value fails the AEAD tag
check exactly as a different AAD would. The suite id is prefixed for domain separation.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from .suite import DecryptionFailed, InvalidKey, KeyPair, SignatureInvalid

SUITE_ID = "ozara-ed25519-x25519-a256gcm-v1"

_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw
_RAW_PRIVATE = serialization.PrivateFormat.Raw
_NO_ENCRYPTION = serialization.NoEncryption()

#: Length of ``enc`` (the X25519 public key of the sender's ephemeral pair) plus the GCM tag.
_MIN_CIPHERTEXT = 32 + 16


class Ed25519X25519Suite:
    """Ed25519 signatures and HPKE(X25519, HKDF-SHA256, AES-256-GCM) encryption."""

    def __init__(self) -> None:
        self._hpke = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
        self._info_prefix = SUITE_ID.encode("ascii") + b"\x00"

    @property
    def suite_id(self) -> str:
        return SUITE_ID

    # -- signatures ------------------------------------------------------------------------

    def generate_signing_key_pair(self) -> KeyPair:
        private = Ed25519PrivateKey.generate()
        return KeyPair(
            suite_id=SUITE_ID,
            public=private.public_key().public_bytes(_RAW, _RAW_PUBLIC),
            private=private.private_bytes(_RAW, _RAW_PRIVATE, _NO_ENCRYPTION),
        )

    def sign(self, private_key: bytes, data: bytes) -> bytes:
        return _ed25519_private(private_key).sign(data)

    def verify(self, public_key: bytes, data: bytes, signature: bytes) -> None:
        key = _ed25519_public(public_key)
        try:
            key.verify(signature, data)
        except InvalidSignature:
            raise SignatureInvalid("Ed25519 signature does not verify") from None

    def check_signing_public_key(self, public_key: bytes) -> None:
        _ed25519_public(public_key)

    # -- encryption ------------------------------------------------------------------------

    def generate_encryption_key_pair(self) -> KeyPair:
        private = X25519PrivateKey.generate()
        return KeyPair(
            suite_id=SUITE_ID,
            public=private.public_key().public_bytes(_RAW, _RAW_PUBLIC),
            private=private.private_bytes(_RAW, _RAW_PRIVATE, _NO_ENCRYPTION),
        )

    def encrypt(self, recipient_public_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
        key = _x25519_public(recipient_public_key)
        try:
            return self._hpke.encrypt(plaintext, key, info=self._info_prefix + aad)
        except ValueError:
            # A low-order point (e.g. all zeros) gives no shared secret.
            raise InvalidKey("the X25519 public key is not usable for key agreement") from None

    def decrypt(self, private_key: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        key = _x25519_private(private_key)
        if len(ciphertext) < _MIN_CIPHERTEXT:
            raise DecryptionFailed("ciphertext shorter than the encapsulated key and tag")
        try:
            return self._hpke.decrypt(ciphertext, key, info=self._info_prefix + aad)
        except (InvalidTag, ValueError) as exc:
            # InvalidTag: wrong key, wrong aad or altered bytes; ValueError: an ``enc`` that is
            # not a usable X25519 point (e.g. all zeros).
            raise DecryptionFailed(f"HPKE open failed ({type(exc).__name__})") from None

    def check_encryption_public_key(self, public_key: bytes) -> None:
        _x25519_public(public_key)


def _ed25519_private(data: bytes) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(data)
    except ValueError:
        raise InvalidKey("an Ed25519 private key is 32 raw bytes") from None


def _ed25519_public(data: bytes) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(data)
    except ValueError:
        raise InvalidKey("an Ed25519 public key is 32 raw bytes") from None


def _x25519_private(data: bytes) -> X25519PrivateKey:
    try:
        return X25519PrivateKey.from_private_bytes(data)
    except ValueError:
        raise InvalidKey("an X25519 private key is 32 raw bytes") from None


def _x25519_public(data: bytes) -> X25519PublicKey:
    try:
        return X25519PublicKey.from_public_bytes(data)
    except ValueError:
        raise InvalidKey("an X25519 public key is 32 raw bytes") from None
