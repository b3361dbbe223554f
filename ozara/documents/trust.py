"""The trust list: which nodes exist, what they host, and their keys (issue 3, point 1).

The Secretariat node issues it and signs it; every node holds the current one and accepts
documents only from nodes on it. A list with a higher version supersedes the one held.
On the wire (the body of a ``trust_list`` document, or a file)::

    {"v": 1, "version": 4, "issued_at": "...Z", "issuer": "<secretariat node id>",
     "entries": [{"node_id", "party", "bodies", "endpoint", "suite", "signing_key",
                  "encryption_key", "valid_from", "valid_until"}],
     "signature": {"suite", "key", "value"}}

A node may appear in several entries (one per key, for a rotation that overlaps).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from ozara.core.parties import Party
from ozara.crypto import CryptoError, KeyPair, b64url_encode, fingerprint, get_suite

from . import fields as f
from .canonical import JSONObject, JSONValue
from .errors import TrustListReason, TrustListRejected
from .model import NodeSignature
from .signing import TRUST_LIST_LABEL, signed_bytes

TRUST_LIST_FORMAT = 1
_PARTY_CODES = frozenset(p.value for p in Party)
_LIST_KEYS = ("v", "version", "issued_at", "issuer", "entries")
_ENTRY_KEYS = (
    "node_id",
    "party",
    "bodies",
    "endpoint",
    "suite",
    "signing_key",
    "encryption_key",
    "valid_from",
    "valid_until",
)


@dataclass(frozen=True, slots=True)
class TrustEntry:
    node_id: str
    party: Party | None  # None for the Secretariat's node
    bodies: tuple[str, ...]
    endpoint: str
    suite: str
    signing_key: bytes
    encryption_key: bytes
    valid_from: datetime
    valid_until: datetime

    @property
    def signing_key_fingerprint(self) -> str:
        return fingerprint(self.signing_key)

    def is_valid_at(self, now: datetime) -> bool:
        return self.valid_from <= now < self.valid_until

    def to_json(self) -> JSONObject:
        return {
            "node_id": self.node_id,
            "party": None if self.party is None else self.party.value,
            "bodies": list(self.bodies),
            "endpoint": self.endpoint,
            "suite": self.suite,
            "signing_key": b64url_encode(self.signing_key),
            "encryption_key": b64url_encode(self.encryption_key),
            "valid_from": f.format_time(self.valid_from),
            "valid_until": f.format_time(self.valid_until),
        }

    @classmethod
    def from_json(cls, value: JSONValue) -> TrustEntry:
        if not isinstance(value, dict):
            raise f.FieldError("entry: expected an object")
        f.check_keys(value, _ENTRY_KEYS, "entry")
        party_code = value.get("party")
        party: Party | None = None
        if party_code is not None:
            if not isinstance(party_code, str) or party_code not in _PARTY_CODES:
                raise f.FieldError("party: not a Party of the Protocol")
            party = Party(party_code)
        entry = cls(
            node_id=f.get_identifier(value, "node_id"),
            party=party,
            bodies=tuple(f.as_identifier(b, "bodies") for b in f.get_list(value, "bodies")),
            endpoint=f.get_str(value, "endpoint", max_length=2048),
            suite=f.get_str(value, "suite", max_length=128),
            signing_key=f.get_bytes(value, "signing_key"),
            encryption_key=f.get_bytes(value, "encryption_key"),
            valid_from=f.get_time(value, "valid_from"),
            valid_until=f.get_time(value, "valid_until"),
        )
        if entry.valid_until <= entry.valid_from:
            raise f.FieldError("valid_until must be after valid_from")
        return entry


@dataclass(frozen=True, slots=True)
class TrustList:
    version: int
    issued_at: datetime
    issuer: str
    entries: tuple[TrustEntry, ...]
    signature: NodeSignature | None = field(default=None, compare=False)

    def to_json(self) -> JSONObject:
        """The list without its signature: exactly what the Secretariat signs."""
        return {
            "v": TRUST_LIST_FORMAT,
            "version": self.version,
            "issued_at": f.format_time(self.issued_at),
            "issuer": self.issuer,
            "entries": [e.to_json() for e in self.entries],
        }

    def to_signed_json(self) -> JSONObject:
        if self.signature is None:
            raise ValueError("the trust list is not signed")
        return {**self.to_json(), "signature": self.signature.to_json()}

    @classmethod
    def from_json(cls, value: JSONValue) -> TrustList:
        """Read a signed trust list; raise ``TrustListRejected`` (malformed). Not verified."""
        try:
            if not isinstance(value, dict):
                raise f.FieldError("trust list: expected an object")
            body = {k: v for k, v in value.items() if k != "signature"}
            f.check_keys(body, _LIST_KEYS, "trust list")
            if f.get_int(body, "v") != TRUST_LIST_FORMAT:
                raise f.FieldError(f"v: only format {TRUST_LIST_FORMAT} is understood")
            return cls(
                version=f.get_int(body, "version", minimum=1),
                issued_at=f.get_time(body, "issued_at"),
                issuer=f.get_identifier(body, "issuer"),
                entries=tuple(TrustEntry.from_json(e) for e in f.get_list(body, "entries")),
                signature=NodeSignature.from_json(value.get("signature")),
            )
        except f.FieldError as exc:
            raise TrustListRejected(TrustListReason.MALFORMED, str(exc)) from None

    def entries_for(self, node_id: str) -> tuple[TrustEntry, ...]:
        return tuple(e for e in self.entries if e.node_id == node_id)

    def node_ids(self) -> frozenset[str]:
        return frozenset(e.node_id for e in self.entries)


def issue_trust_list(
    version: int,
    issued_at: datetime,
    issuer: str,
    entries: tuple[TrustEntry, ...],
    secretariat_signing_keys: KeyPair,
) -> TrustList:
    """A trust list signed with the Secretariat node's signing key."""
    unsigned = TrustList(version=version, issued_at=issued_at, issuer=issuer, entries=entries)
    suite = get_suite(secretariat_signing_keys.suite_id)
    value = suite.sign(
        secretariat_signing_keys.private, signed_bytes(TRUST_LIST_LABEL, unsigned.to_json())
    )
    signature = NodeSignature(
        suite=suite.suite_id, key=fingerprint(secretariat_signing_keys.public), value=value
    )
    return replace(unsigned, signature=signature)


def verify_trust_list(trust_list: TrustList, secretariat_public_key: bytes) -> None:
    """Raise ``TrustListRejected`` unless the Secretariat's key signed this list."""
    signature = trust_list.signature
    if signature is None:
        raise TrustListRejected(TrustListReason.BAD_SIGNATURE, "the trust list is not signed")
    if signature.key != fingerprint(secretariat_public_key):
        raise TrustListRejected(
            TrustListReason.WRONG_ISSUER, "signed by a key other than the Secretariat's"
        )
    try:
        suite = get_suite(signature.suite)
        suite.verify(
            secretariat_public_key,
            signed_bytes(TRUST_LIST_LABEL, trust_list.to_json()),
            signature.value,
        )
    except CryptoError as exc:
        raise TrustListRejected(TrustListReason.BAD_SIGNATURE, str(exc)) from None
    for entry in trust_list.entries:
        try:
            entry_suite = get_suite(entry.suite)
            entry_suite.check_signing_public_key(entry.signing_key)
            entry_suite.check_encryption_public_key(entry.encryption_key)
        except CryptoError as exc:
            raise TrustListRejected(
                TrustListReason.MALFORMED, f"entry {entry.node_id}: {exc}"
            ) from None


def accept_trust_list(
    current: TrustList | None, candidate: TrustList, secretariat_public_key: bytes
) -> TrustList:
    """The candidate if it is validly signed and newer than ``current``; else raise."""
    verify_trust_list(candidate, secretariat_public_key)
    if current is not None and candidate.version <= current.version:
        raise TrustListRejected(
            TrustListReason.NOT_NEWER,
            f"version {candidate.version} does not supersede version {current.version}",
        )
    return candidate


@dataclass(frozen=True, slots=True)
class TrustState:
    """The current trust list and the node ids seen on lists it superseded.

    The history lets a receiver tell an unknown sender from one that was removed.
    """

    current: TrustList
    formerly_listed: frozenset[str] = frozenset()

    def accept(self, candidate: TrustList, secretariat_public_key: bytes) -> TrustState:
        accepted = accept_trust_list(self.current, candidate, secretariat_public_key)
        return TrustState(
            current=accepted,
            formerly_listed=self.formerly_listed | self.current.node_ids(),
        )
