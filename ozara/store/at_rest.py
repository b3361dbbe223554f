"""Encryption at rest of what a node keeps of its cases: files and sensitive fields (issue 7).

A copy of the database (a backup on the wrong shelf, a stolen disk, a careless dump) must
not give away the files of a request or the content of a shared record. So those values are
stored as AES-256-GCM ciphertext under a key that lives *outside* the database: a keyring
file beside the node's other keys (``DIR/at-rest-keys.json``, written with mode 0600).

Each value is bound to its place (``aad``: table, column and row key), so a ciphertext
copied onto another row does not decrypt. The keyring holds several keys by id; new values
are written under the active one, and every stored value names the key it was written
under, so old values stay readable after a rotation until ``reencrypt`` (``ozara keys
rotate``) has rewritten them under the new key and the old key can be retired.

A keyring is attached to an engine (``attach``), not to the process: one process may run
several nodes (the demo does), each with its own keys. Without a keyring values are stored
as they are; that is the embedded default for a first try, and ``ozara serve`` warns about it.

Three forms of column hold encrypted values: binary columns (files) hold the ciphertext
itself (``seal``/``unseal``); text columns (the TOTP secret) hold ``TEXT_PREFIX`` and its
base64 (``seal_text``/``unseal_text``); JSON columns (the content of a request or a record)
hold ``{"enc": "<base64>"}`` in place of the document (``seal_json``/``unseal_json``). So the
column types stay what they were, and a value written in clear before encryption was turned
on still reads as it is, until ``reencrypt`` rewrites it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

#: Every encrypted value starts with this: version 1, AES-256-GCM.
MAGIC = b"OZE1"
_NONCE = 12
KEYRING_FILE = "at-rest-keys.json"
#: An encrypted value in a text column: this prefix, then the ciphertext in base64.
TEXT_PREFIX = "ozara-at-rest:"
#: An encrypted value in a JSON column: ``{JSON_KEY: "<ciphertext in base64>"}``.
JSON_KEY = "enc"


class AtRestError(Exception):
    """A value that cannot be decrypted (wrong or retired key, altered or moved value)."""


@dataclass(slots=True)
class Keyring:
    #: key id → 32-byte key; ids are short hex strings.
    keys: dict[str, bytes]
    active: str
    retired: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise AtRestError(f"the active key {self.active!r} is not in the keyring")
        for kid, key in self.keys.items():
            if len(key) != 32 or not 1 <= len(kid.encode()) <= 32:
                raise AtRestError(f"key {kid!r}: a key is 32 bytes, its id 1 to 32 characters")

    @classmethod
    def generate(cls) -> Keyring:
        kid = secrets.token_hex(4)
        return cls({kid: AESGCM.generate_key(bit_length=256)}, kid)

    def rotated(self) -> Keyring:
        """A keyring with a new active key; the old ones stay until re-encryption is done."""
        kid = secrets.token_hex(4)
        return Keyring({**self.keys, kid: AESGCM.generate_key(bit_length=256)}, kid)

    def without(self, kid: str) -> Keyring:
        """Retire a key (after ``reencrypt``): values still under it become unreadable."""
        if kid == self.active:
            raise AtRestError("the active key cannot be retired; rotate first")
        keys = {k: v for k, v in self.keys.items() if k != kid}
        return Keyring(keys, self.active, [*self.retired, kid])

    def encrypt(self, plaintext: bytes, aad: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        kid = self.active.encode()
        sealed = AESGCM(self.keys[self.active]).encrypt(nonce, plaintext, _aad(kid, aad))
        return MAGIC + bytes([len(kid)]) + kid + nonce + sealed

    def decrypt(self, stored: bytes, aad: str) -> bytes:
        kid, nonce, sealed = _split(stored)
        key = self.keys.get(kid.decode())
        if key is None:
            why = "retired" if kid.decode() in self.retired else "not in this node's keyring"
            raise AtRestError(f"the value is under key {kid.decode()!r}, {why}")
        try:
            return AESGCM(key).decrypt(nonce, sealed, _aad(kid, aad))
        except InvalidTag:
            raise AtRestError(f"the value at {aad} was altered or moved from elsewhere") from None

    def key_of(self, stored: bytes) -> str | None:
        """The id of the key a stored value is under; ``None`` for a value in clear."""
        return _split(stored)[0].decode() if is_encrypted(stored) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "keys": {k: v.hex() for k, v in self.keys.items()},
            "retired": self.retired,
        }

    @classmethod
    def from_json(cls, value: Any) -> Keyring:
        try:
            keys = {str(k): bytes.fromhex(v) for k, v in value["keys"].items()}
            return cls(keys, str(value["active"]), [str(r) for r in value.get("retired", [])])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise AtRestError(f"not a keyring: {exc}") from None


def _aad(kid: bytes, place: str) -> bytes:
    return b"ozara-at-rest-v1\x00" + kid + b"\x00" + place.encode()


def is_encrypted(stored: bytes) -> bool:
    return stored.startswith(MAGIC)


def _split(stored: bytes) -> tuple[bytes, bytes, bytes]:
    if not is_encrypted(stored) or len(stored) < len(MAGIC) + 1:
        raise AtRestError("the value is not encrypted at rest")
    n = stored[len(MAGIC)]
    start = len(MAGIC) + 1
    kid, rest = stored[start : start + n], stored[start + n :]
    if len(kid) != n or len(rest) < _NONCE + 16:
        raise AtRestError("the encrypted value is truncated")
    return kid, rest[:_NONCE], rest[_NONCE:]


# -- the keyring file --------------------------------------------------------------------


def load(path: Path) -> Keyring:
    try:
        return Keyring.from_json(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise AtRestError(f"{path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise AtRestError(f"{path}: {exc}") from None


def save(keyring: Keyring, path: Path) -> None:
    """Write the keyring readable by the owner only, replacing the file in one step."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(keyring.to_json(), out, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


# -- the keyring of an engine ------------------------------------------------------------

_KEYRINGS: WeakKeyDictionary[Engine, Keyring] = WeakKeyDictionary()


def attach(engine: Engine, keyring: Keyring | None) -> None:
    """Use ``keyring`` for the values this engine's connections write and read."""
    if keyring is None:
        _KEYRINGS.pop(engine, None)
    else:
        _KEYRINGS[engine] = keyring


def keyring_of(conn: Connection) -> Keyring | None:
    return _KEYRINGS.get(conn.engine)


def keyring_of_engine(engine: Engine) -> Keyring | None:
    return _KEYRINGS.get(engine)


def seal(conn: Connection, plaintext: bytes, aad: str) -> bytes:
    """What to store: ciphertext under the engine's keyring, or the value itself without one."""
    keyring = keyring_of(conn)
    return plaintext if keyring is None else keyring.encrypt(plaintext, aad)


def unseal(conn: Connection, stored: bytes, aad: str) -> bytes:
    """The stored value in clear. A value stored in clear (before encryption was turned on)
    is returned as it is; ``reencrypt`` encrypts those too."""
    if not is_encrypted(stored):
        return stored
    keyring = keyring_of(conn)
    if keyring is None:
        raise AtRestError(f"the value at {aad} is encrypted and this node has no keyring")
    return keyring.decrypt(stored, aad)


def needs_rewrite(conn: Connection, stored: bytes) -> bool:
    """Whether ``reencrypt`` should rewrite the value: in clear, or not under the active key."""
    keyring = keyring_of(conn)
    return keyring is not None and keyring.key_of(stored) != keyring.active


# -- values in text and JSON columns --------------------------------------------------------


def _b64decode(text: str, aad: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise AtRestError(f"the encrypted value at {aad} is not base64") from None


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def text_bytes(stored: str) -> bytes:
    """The bytes a text column's value stands for: the ciphertext, or the text in clear."""
    if stored.startswith(TEXT_PREFIX):
        return _b64decode(stored[len(TEXT_PREFIX) :], "a text column")
    return stored.encode("utf-8")


def seal_text(conn: Connection, value: str, aad: str) -> str:
    """What to store in a text column: ``TEXT_PREFIX`` + base64 ciphertext, or ``value``."""
    keyring = keyring_of(conn)
    if keyring is None:
        return value
    return TEXT_PREFIX + _b64encode(keyring.encrypt(value.encode("utf-8"), aad))


def unseal_text(conn: Connection, stored: str, aad: str) -> str:
    if not stored.startswith(TEXT_PREFIX):
        return stored
    return unseal(conn, _b64decode(stored[len(TEXT_PREFIX) :], aad), aad).decode("utf-8")


def is_sealed_json(stored: Any) -> bool:
    return (
        isinstance(stored, dict) and set(stored) == {JSON_KEY} and isinstance(stored[JSON_KEY], str)
    )


def json_bytes(stored: Any) -> bytes:
    """The bytes a JSON column's value stands for: the ciphertext, or the JSON text in clear."""
    if is_sealed_json(stored):
        return _b64decode(stored[JSON_KEY], "a JSON column")
    return _dumps(stored)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seal_json(conn: Connection, value: Any, aad: str) -> Any:
    """What to store in a JSON column: ``{"enc": base64 ciphertext}``, or ``value`` itself."""
    keyring = keyring_of(conn)
    if keyring is None:
        return value
    return {JSON_KEY: _b64encode(keyring.encrypt(_dumps(value), aad))}


def unseal_json(conn: Connection, stored: Any, aad: str) -> Any:
    """The JSON document in clear; one stored in clear is returned as it is."""
    if not is_sealed_json(stored):
        return stored
    return json.loads(unseal(conn, _b64decode(stored[JSON_KEY], aad), aad))
