"""Checkpoints: a node's signature over its audit chain's head (docs/audit.md).

A checkpoint is stored by the node, sent to its peers (ozara/federation/checkpoints.py) and
compared with the chain by ``ozara.store.audit.verify_chain``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select

from ozara.crypto import CryptoError, b64url_encode, fingerprint, get_suite
from ozara.documents import NodeKeys
from ozara.documents.canonical import JSONObject
from ozara.documents.fields import (
    FieldError,
    check_keys,
    format_time,
    get_bytes,
    get_hex64,
    get_identifier,
    get_int,
    get_str,
    get_time,
)
from ozara.documents.signing import signed_bytes
from ozara.store import tables as t

#: The chain's head: the last entry's id and its hash (the one row of ``audit_head``).
SELECT_HEAD = select(t.audit_head.c.last_id, t.audit_head.c.last_hash).where(t.audit_head.c.id == 1)


# -- checkpoints -------------------------------------------------------------------------

CHECKPOINT_TYPE = "ozara-audit-checkpoint"
#: The signature's label (see ozara/documents/signing.py: no signature verifies as another kind).
CHECKPOINT_LABEL = b"ozara-audit-checkpoint-v1"
_CHECKPOINT_KEYS = ("type", "node_id", "last_id", "last_hash", "at", "suite", "key", "signature")


def check_shape(value: JSONObject, keys: Sequence[str], kind: str) -> None:
    """Exactly these members, and ``type`` says what the object is; else ``FieldError``."""
    check_keys(value, keys, kind)
    if value["type"] != kind:
        raise FieldError(f"type: expected {kind!r}")


class CheckpointInvalid(ValueError):
    """A checkpoint that is malformed, or whose signature does not verify under the key."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A node's signed statement: "my audit log's entry ``last_id`` has hash ``last_hash``".

    Its JSON (``to_json``) is what is stored, and what will be sent to the other nodes as it
    is; ``key`` is the fingerprint of the signing key (ozara.crypto.fingerprint).
    """

    node_id: str
    last_id: int
    last_hash: str
    at: datetime
    suite: str
    key: str
    signature: bytes

    def unsigned(self) -> JSONObject:
        return {
            "type": CHECKPOINT_TYPE,
            "node_id": self.node_id,
            "last_id": self.last_id,
            "last_hash": self.last_hash,
            "at": format_time(self.at),
            "suite": self.suite,
            "key": self.key,
        }

    def to_json(self) -> JSONObject:
        return {**self.unsigned(), "signature": b64url_encode(self.signature)}

    @classmethod
    def from_json(cls, value: object) -> Checkpoint:
        if not isinstance(value, dict):
            raise CheckpointInvalid("a checkpoint is a JSON object")
        try:
            check_shape(value, _CHECKPOINT_KEYS, CHECKPOINT_TYPE)
            return cls(
                node_id=get_identifier(value, "node_id"),
                last_id=get_int(value, "last_id"),
                last_hash=get_hex64(value, "last_hash"),
                at=get_time(value, "at"),
                suite=get_str(value, "suite", max_length=64),
                key=get_hex64(value, "key"),
                signature=get_bytes(value, "signature"),
            )
        except FieldError as exc:
            raise CheckpointInvalid(str(exc)) from None


def sign_checkpoint(keys: NodeKeys, last_id: int, last_hash: str, at: datetime) -> Checkpoint:
    unsigned = Checkpoint(
        keys.node_id, last_id, last_hash, at, keys.suite_id, keys.signing_key_fingerprint, b""
    )
    suite = get_suite(keys.suite_id)
    value = suite.sign(keys.signing.private, signed_bytes(CHECKPOINT_LABEL, unsigned.unsigned()))
    return Checkpoint(keys.node_id, last_id, last_hash, at, keys.suite_id, unsigned.key, value)


def verify_checkpoint(checkpoint: object, public_key: bytes) -> Checkpoint:
    """The checkpoint, parsed, if it is well formed and signed with ``public_key``."""
    parsed = checkpoint if isinstance(checkpoint, Checkpoint) else Checkpoint.from_json(checkpoint)
    if parsed.key != fingerprint(public_key):
        raise CheckpointInvalid(f"signed with another key (fingerprint {parsed.key})")
    try:
        get_suite(parsed.suite).verify(
            public_key, signed_bytes(CHECKPOINT_LABEL, parsed.unsigned()), parsed.signature
        )
    except CryptoError as exc:
        raise CheckpointInvalid(f"the signature does not verify ({exc})") from None
    return parsed


def checkpoint(engine: Engine, keys: NodeKeys, now: datetime | None = None) -> JSONObject:
    """Sign the chain's head with the node's key, store the checkpoint, return its JSON.

    Making it is itself an audit entry (``audit:checkpoint``), the first after the head it
    signs. Until the other nodes hold a copy it only shows that history was rewritten by
    someone who did not also rewrite this node's stored checkpoints (docs/audit.md).
    """
    with engine.begin() as conn:
        return checkpoint_on(conn, keys, now or datetime.now(UTC))


def checkpoint_on(conn: Connection, keys: NodeKeys, now: datetime) -> JSONObject:
    """``checkpoint`` inside the caller's transaction (to send it to peers in the same one)."""
    # Here, not at the top: the repository imports this module for the entry encoding.
    from ozara.store.repository import AuditRepository  # noqa: PLC0415

    head = conn.execute(SELECT_HEAD).one()
    signed = sign_checkpoint(keys, int(head.last_id), str(head.last_hash), now)
    document = signed.to_json()
    conn.execute(
        insert(t.audit_checkpoints).values(
            node_id=signed.node_id,
            last_id=signed.last_id,
            last_hash=signed.last_hash,
            at=now,
            signed=document,
        )
    )
    AuditRepository(conn).record(
        now,
        actor_id="system",
        body_id=None,
        action="audit:checkpoint",
        object_type="audit_log",
        object_id=str(signed.last_id),
        details={"node_id": signed.node_id, "last_hash": signed.last_hash, "key": signed.key},
    )
    return document
