"""A node's identity on disk: its keys, the trust list it holds, the Secretariat's key.

The layout of a node directory (``ozara serve --node-dir DIR``)::

    DIR/keys.json          this node's id and key pairs (private: mode 0600)
        {"node_id": "KAZ-MVD-NODE", "suite": "<suite id>",
         "signing": {"public": "<b64url>", "private": "<b64url>"},
         "encryption": {"public": "<b64url>", "private": "<b64url>"}}
    DIR/trust-list.json    the current signed trust list, as the Secretariat issued it
    DIR/secretariat.json   the trust anchor: {"suite": "<suite id>", "signing_key": "<b64url>"}
    DIR/officers/ID.json   a signatory's signing key pair (private: mode 0600)
        {"officer_id": "kaz-mvd.head", "suite": "<suite id>",
         "public": "<b64url>", "private": "<b64url>"}

The officers' keys sign requests and written confirmations (Art. 6 paras 4, 5). Kept in
the node directory they protect no more than the node's own key does; a deployment that
needs more keeps them on the officers' tokens and signs in the client (docs/federation.md).

Keys are in their suite's encoding, base64url without padding (docs/crypto.md). The trust
list is verified against the anchor on loading; the anchor never comes from the list.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ozara.crypto import CryptoError, KeyPair, b64url_decode, b64url_encode, get_suite
from ozara.documents import (
    CanonicalJSONError,
    JSONObject,
    NodeKeys,
    TrustList,
    TrustListRejected,
    TrustState,
    parse_json,
    verify_trust_list,
)

KEYS_FILE = "keys.json"
TRUST_LIST_FILE = "trust-list.json"
ANCHOR_FILE = "secretariat.json"
OFFICERS_DIR = "officers"


class NodeFilesError(Exception):
    """A node file that is missing, unreadable or inconsistent; the message names it."""


@dataclass(frozen=True, slots=True)
class NodeConfig:
    keys: NodeKeys
    trust: TrustState
    secretariat_key: bytes
    #: Signatories' key pairs by officer id (``DIR/officers/``).
    officer_keys: dict[str, KeyPair] = field(default_factory=dict)


def write_node(
    directory: Path, keys: NodeKeys, trust_list: TrustList, secretariat_key: bytes
) -> None:
    """Write the three files (used by set-up scripts, the demo and the tests)."""
    directory.mkdir(parents=True, exist_ok=True)
    keys_path = directory / KEYS_FILE
    pairs = {"signing": keys.signing, "encryption": keys.encryption}
    content: JSONObject = {
        "node_id": keys.node_id,
        "suite": keys.suite_id,
        **{
            name: {"public": b64url_encode(p.public), "private": b64url_encode(p.private)}
            for name, p in pairs.items()
        },
    }
    _write_private(keys_path, content)
    (directory / TRUST_LIST_FILE).write_text(
        json.dumps(trust_list.to_signed_json(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    anchor = {"suite": keys.suite_id, "signing_key": b64url_encode(secretariat_key)}
    (directory / ANCHOR_FILE).write_text(json.dumps(anchor, indent=2), encoding="utf-8")


def load_node(directory: Path) -> NodeConfig:
    """Read and check the node directory; raise ``NodeFilesError``."""
    anchor = _read(directory / ANCHOR_FILE)
    secretariat_key = _key(anchor, "signing_key", ANCHOR_FILE)
    keys = _node_keys(_read(directory / KEYS_FILE))
    trust_list_path = directory / TRUST_LIST_FILE
    try:
        trust_list = TrustList.from_json(_read(trust_list_path))
        verify_trust_list(trust_list, secretariat_key)
    except TrustListRejected as exc:
        raise NodeFilesError(f"{trust_list_path}: {exc}") from None
    if not trust_list.entries_for(keys.node_id):
        raise NodeFilesError(
            f"{trust_list_path}: this node ({keys.node_id}) is not on the trust list"
        )
    officer_keys = load_officer_keys(directory)
    return NodeConfig(keys, TrustState(current=trust_list), secretariat_key, officer_keys)


def _write_private(path: Path, content: JSONObject) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(content, out, indent=2)


def write_officer_key(directory: Path, officer_id: str, pair: KeyPair) -> Path:
    """Keep a signatory's key pair in the node directory (mode 0600)."""
    folder = directory / OFFICERS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{officer_id}.json"
    _write_private(
        path,
        {
            "officer_id": officer_id,
            "suite": pair.suite_id,
            "public": b64url_encode(pair.public),
            "private": b64url_encode(pair.private),
        },
    )
    return path


def load_officer_keys(directory: Path) -> dict[str, KeyPair]:
    """Every signatory key pair in ``DIR/officers/``, checked to sign and verify."""
    out: dict[str, KeyPair] = {}
    folder = directory / OFFICERS_DIR
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.json")):
        value = _read(path)
        officer_id, suite_id = value.get("officer_id"), value.get("suite")
        if not isinstance(officer_id, str) or not isinstance(suite_id, str):
            raise NodeFilesError(f"{path}: officer_id and suite are required strings")
        pair = KeyPair(
            suite_id, _key(value, "public", str(path)), _key(value, "private", str(path))
        )
        try:
            suite = get_suite(suite_id)
            suite.verify(
                pair.public, b"ozara key check", suite.sign(pair.private, b"ozara key check")
            )
        except (CryptoError, LookupError, ValueError) as exc:
            raise NodeFilesError(f"{path}: the key pair does not match ({exc})") from None
        out[officer_id] = pair
    return out


def _read(path: Path) -> JSONObject:
    try:
        value = parse_json(path.read_bytes())
    except FileNotFoundError:
        raise NodeFilesError(f"{path}: no such file") from None
    except (OSError, CanonicalJSONError) as exc:
        raise NodeFilesError(f"{path}: {exc}") from None
    if not isinstance(value, dict):
        raise NodeFilesError(f"{path}: expected a JSON object")
    return value


def _key(value: JSONObject, name: str, where: str) -> bytes:
    raw = value.get(name)
    try:
        if not isinstance(raw, str):
            raise ValueError("missing")
        return b64url_decode(raw)
    except (ValueError, CryptoError) as exc:
        raise NodeFilesError(f"{where}: {name}: not a base64url key ({exc})") from None


def _node_keys(value: JSONObject) -> NodeKeys:
    node_id, suite_id = value.get("node_id"), value.get("suite")
    if not isinstance(node_id, str) or not isinstance(suite_id, str):
        raise NodeFilesError(f"{KEYS_FILE}: node_id and suite are required strings")
    pairs = {}
    for name in ("signing", "encryption"):
        pair = value.get(name)
        if not isinstance(pair, dict):
            raise NodeFilesError(f"{KEYS_FILE}: {name}: expected an object")
        where = f"{KEYS_FILE} {name}"
        pairs[name] = KeyPair(suite_id, _key(pair, "public", where), _key(pair, "private", where))
    try:
        suite = get_suite(suite_id)
        probe = b"ozara key check"
        suite.verify(pairs["signing"].public, probe, suite.sign(pairs["signing"].private, probe))
        sealed = suite.encrypt(pairs["encryption"].public, probe, b"")
        if suite.decrypt(pairs["encryption"].private, sealed, b"") != probe:
            raise CryptoError("the encryption pair does not round-trip")
    except (CryptoError, LookupError, ValueError) as exc:
        raise NodeFilesError(f"{KEYS_FILE}: the key pairs do not match ({exc})") from None
    return NodeKeys(node_id, pairs["signing"], pairs["encryption"])
