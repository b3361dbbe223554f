"""Fuzzing of what arrives from another node (issue 7): parsers, signatures, the node API.

``tests/documents/test_fuzz.py`` already fuzzes ``open_sealed`` with random and mutated
blobs; this module adds

* each reader of a document's parts on its own, on arbitrary JSON and on mutations of a
  valid value: ``parse_json``/``canonicalize``, ``parse_envelope``, the request and record
  body readers, ``parse_request``, ``parse_record``, the trust list and the audit
  checkpoint; each may raise only its documented error;
* signatures: any change of a signed value (one field replaced, removed or added, one
  byte of the signature or key flipped) is refused by ``verify_officer_signature``,
  ``verify_trust_list``, ``verify_checkpoint``, and by ``open_sealed`` for every single
  byte of a sealed document (swept, not sampled);
* ``POST /v1/documents``: random bodies, headers and mutated sealed documents never get
  a 5xx, and the errors are the JSON the API documents.

Bounded: 100-200 examples each, no deadline (the machine is shared).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ozara.api.node import create_app
from ozara.core.records import parse_record
from ozara.core.requests import parse_request
from ozara.core.rules import ProtocolError
from ozara.crypto import CryptoError, b64url_decode, b64url_encode
from ozara.documents import (
    DocumentRejected,
    DocumentType,
    SignerRole,
    TrustList,
    open_sealed,
    seal,
    verify_trust_list,
)
from ozara.documents.canonical import CanonicalJSONError, canonicalize, parse_json
from ozara.documents.errors import TrustListRejected
from ozara.documents.fields import FieldError
from ozara.documents.model import OfficerSignature, parse_envelope
from ozara.documents.signing import officer_signature, verify_officer_signature
from ozara.federation import record_documents as rd
from ozara.federation import request_documents as qd
from ozara.federation.payloads import PayloadError
from ozara.store import db
from ozara.store.audit_checkpoints import CheckpointInvalid, sign_checkpoint, verify_checkpoint
from ozara.web.records_forms import document_from_form
from tests.conftest import Clock
from tests.documents.federation import NOW, build_federation
from tests.security.conftest import RECORD_FORM, fast_directory
from tests.transport.conftest import make_inbox, serving, share

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FED = build_federation()

#: Any JSON value, with the awkward ones: big integers, non-finite floats, lone surrogates.
JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**53 - 2, max_value=2**70)
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(["", "\ud800", "2026-01-30T07:00:00Z", "KAZ-MVD", "0" * 64, "RUS"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=16,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a member or item of ``value`` (the root too)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


@st.composite
def mutations(draw: st.DrawFn, valid: Any) -> Any:
    """``valid`` with one to three members replaced, removed or added (deep copies)."""
    value = json.loads(json.dumps(valid))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(value))))
        op = draw(st.sampled_from(["replace", "remove", "add"]))
        if not path:
            value = draw(JSON) if op == "replace" else value
            continue
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if op == "replace":
            parent[last] = draw(JSON)
        elif op == "remove":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(JSON)
        else:
            parent.insert(last, draw(JSON))
    return value


def differs(a: Any, b: Any) -> bool:
    """Whether two JSON values differ as the signatures see them (canonical bytes)."""
    try:
        return canonicalize(a) != canonicalize(b)
    except CanonicalJSONError:
        return True


# -- valid values to start from -------------------------------------------------------------

STAMP = "2026-01-30T07:00:00Z"
REQUEST_CONTENT = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "examples" / "request-valid.json").read_text(
        encoding="utf-8"
    )
)
RECORD_CONTENT = document_from_form(RECORD_FORM)
REQUEST_BODY = {
    "purpose": "request", "request_id": "KAZ-MVD-2026-00001", "version": 3,
    "content": REQUEST_CONTENT, "urgent": False, "created_at": STAMP,
    "created_by": "kaz-mvd.officer", "signed_by": "kaz-mvd.head", "signed_at": STAMP,
}  # fmt: skip
ACTION_BODY = {
    "request_id": "KAZ-MVD-2026-00001", "action": "receive", "version": 4, "at": STAMP,
    "actor": {"id": "rus-mvd.officer", "body_id": "RUS-MVD", "roles": ["officer"]},
    "text": "", "partial": False, "target_body": None, "details": {},
}  # fmt: skip
SHARE_BODY = {
    "record_id": "0b9f7c1e-2d4a-4e53-9a57-3c1f0a8e6b21", "version": 1,
    "owner_body": "KAZ-MVD", "owner_party": "KAZ", "content": RECORD_CONTENT,
    "recipients": [{"party": "RUS", "shared_by": "kaz-mvd.officer", "shared_at": STAMP}],
    "sender_body": "KAZ-MVD", "sender_officer": "kaz-mvd.officer", "created_at": STAMP,
    "updated_at": STAMP,
}  # fmt: skip
REVOCATION_BODY = {
    "record_id": "0b9f7c1e-2d4a-4e53-9a57-3c1f0a8e6b21", "owner_body": "KAZ-MVD",
    "version": 2, "revoked_at": STAMP, "revoked_by": "kaz-mvd.officer", "reason": "Wrong",
}  # fmt: skip
CONSENT_REQUEST_BODY = {
    "consent_id": "c-1", "record_id": "r-1", "owner_body": "KAZ-MVD", "body_id": "RUS-MVD",
    "purpose": "training", "justification": "A course", "asked_by": "rus-mvd.officer",
    "asked_at": STAMP,
}  # fmt: skip
CONSENT_ANSWER_BODY = {
    "consent_id": "c-1", "record_id": "r-1", "owner_body": "KAZ-MVD", "body_id": "RUS-MVD",
    "state": "granted", "answered_by": "kaz-mvd.officer", "answered_at": STAMP, "reason": "",
    "valid_until": None,
}  # fmt: skip
ENVELOPE = FED.document().to_json()
ENVELOPE.pop("signature", None)


def _action(value: Any) -> object:
    return qd.read_action_body(value, DocumentType.ACKNOWLEDGEMENT)


#: Each reader, a valid value it accepts, and the one error it documents.
READERS: dict[str, tuple[Any, Any, type[Exception]]] = {
    "parse_envelope": (parse_envelope, ENVELOPE, FieldError),
    "read_request_body": (qd.read_request_body, REQUEST_BODY, PayloadError),
    "read_action_body": (_action, ACTION_BODY, PayloadError),
    "read_share": (rd.read_share, SHARE_BODY, PayloadError),
    "read_revocation": (rd.read_revocation, REVOCATION_BODY, PayloadError),
    "read_consent_request": (rd.read_consent_request, CONSENT_REQUEST_BODY, PayloadError),
    "read_consent_answer": (rd.read_consent_answer, CONSENT_ANSWER_BODY, PayloadError),
    "parse_request": (parse_request, REQUEST_CONTENT, ProtocolError),
    "parse_record": (parse_record, RECORD_CONTENT, ProtocolError),
    "TrustList.from_json": (
        TrustList.from_json,
        FED.trust_list.to_signed_json(),
        TrustListRejected,
    ),
}


#: The readers typed ``JSONObject``: a document's body, always an object by then.
OBJECTS_ONLY = frozenset(READERS) - {"parse_request", "parse_record", "TrustList.from_json"}


def only_documented(name: str, value: Any) -> None:
    reader, _, error = READERS[name]
    with contextlib.suppress(error):
        reader(value)


@pytest.mark.parametrize("name", sorted(READERS))
def test_the_valid_value_is_read(name: str) -> None:
    """The starting points are valid, so the mutations start from accepted input."""
    reader, valid, _ = READERS[name]
    reader(json.loads(json.dumps(valid)))


@pytest.mark.parametrize("name", sorted(READERS))
@FUZZ
@given(data=st.data())
def test_a_reader_raises_only_its_error(name: str, data: st.DataObject) -> None:
    _, valid, _ = READERS[name]
    value = data.draw(st.one_of(JSON, mutations(valid)))
    if name in OBJECTS_ONLY and not isinstance(value, dict):
        return  # typed JSONObject: the caller has checked that much (fields.get_object)
    only_documented(name, value)


@FUZZ
@given(
    st.binary(max_size=300)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_parse_json_raises_only_canonical_json_error(data: bytes) -> None:
    try:
        value = parse_json(data)
    except CanonicalJSONError:
        return
    # What it accepts canonicalizes, and the canonical form reads back the same.
    assert parse_json(canonicalize(value)) == value


@FUZZ
@given(JSON)
def test_canonicalize_raises_only_canonical_json_error(value: Any) -> None:
    with contextlib.suppress(CanonicalJSONError):
        canonicalize(value)


@FUZZ
@given(mutations(json.loads(canonicalize(ENVELOPE))))
def test_a_mutated_envelope_text_raises_only_field_or_json_errors(value: Any) -> None:
    try:
        obj = parse_json(canonicalize(value))
    except CanonicalJSONError:
        return
    if isinstance(obj, dict):
        with contextlib.suppress(FieldError):
            parse_envelope(obj)


# -- signatures ------------------------------------------------------------------------------

SIGNED_BODY: Any = REQUEST_BODY
HEAD_SIGNATURE = officer_signature(SIGNED_BODY, "kaz-mvd.head", SignerRole.HEAD, FED.head)


def test_the_officer_signature_verifies() -> None:
    verify_officer_signature(SIGNED_BODY, HEAD_SIGNATURE)


@FUZZ
@given(mutations(SIGNED_BODY))
def test_an_officer_signature_does_not_cover_a_changed_body(body: Any) -> None:
    assume(differs(body, SIGNED_BODY))
    with pytest.raises((CryptoError, CanonicalJSONError)):
        verify_officer_signature(body, HEAD_SIGNATURE)


@FUZZ
@given(mutations(HEAD_SIGNATURE.to_json()))
def test_a_changed_officer_signature_is_refused(signature: Any) -> None:
    assume(differs(signature, HEAD_SIGNATURE.to_json()))
    try:
        parsed = OfficerSignature.from_json(signature)
    except FieldError:
        return
    with pytest.raises(CryptoError):
        verify_officer_signature(SIGNED_BODY, parsed)


@FUZZ
@given(field=st.sampled_from(["public_key", "value"]), data=st.data())
def test_one_flipped_bit_of_a_key_or_signature_is_refused(field: str, data: st.DataObject) -> None:
    raw = bytearray(getattr(HEAD_SIGNATURE, field))
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] ^= 1 << data.draw(st.integers(0, 7))
    changed = (
        replace(HEAD_SIGNATURE, public_key=bytes(raw))
        if field == "public_key"
        else replace(HEAD_SIGNATURE, value=bytes(raw))
    )
    with pytest.raises(CryptoError):
        verify_officer_signature(SIGNED_BODY, changed)


CHECKPOINT = sign_checkpoint(FED.kaz, 1234, "ab" * 32, NOW).to_json()


def test_the_checkpoint_verifies() -> None:
    verify_checkpoint(CHECKPOINT, FED.kaz.signing.public)


@FUZZ
@given(mutations(CHECKPOINT))
def test_a_changed_checkpoint_is_never_accepted(checkpoint: Any) -> None:
    assume(differs(checkpoint, CHECKPOINT))
    with pytest.raises(CheckpointInvalid):
        verify_checkpoint(checkpoint, FED.kaz.signing.public)


@FUZZ
@given(position=st.integers(0, 63), bit=st.integers(0, 7))
def test_one_flipped_bit_of_a_checkpoint_signature_is_refused(position: int, bit: int) -> None:
    signature = bytearray(b64url_decode(str(CHECKPOINT["signature"])))
    signature[position] ^= 1 << bit
    changed = {**CHECKPOINT, "signature": b64url_encode(bytes(signature))}
    with pytest.raises(CheckpointInvalid):
        verify_checkpoint(changed, FED.kaz.signing.public)


def test_a_checkpoint_id_beyond_exact_doubles_is_malformed_not_a_crash() -> None:
    # Found by the fuzzing above in CI: 2**53 cannot be canonicalized (RFC 8785), so it
    # must be refused as a field, not raise from inside the signature check.
    for last_id in (2**53, 2**63):
        with pytest.raises(CheckpointInvalid, match="last_id"):
            verify_checkpoint({**CHECKPOINT, "last_id": last_id}, FED.kaz.signing.public)


def test_a_checkpoint_is_refused_under_another_nodes_key() -> None:
    with pytest.raises(CheckpointInvalid):
        verify_checkpoint(CHECKPOINT, FED.rus.signing.public)


TRUST = FED.trust_list.to_signed_json()


@FUZZ
@given(mutations(TRUST))
def test_a_changed_trust_list_is_never_accepted(value: Any) -> None:
    assume(differs(value, TRUST))
    try:
        candidate = TrustList.from_json(value)
    except TrustListRejected:
        return
    with pytest.raises(TrustListRejected):
        verify_trust_list(candidate, FED.secretariat.signing.public)


SEALED = seal(FED.document(), FED.kaz, FED.rus.encryption.public)


def test_every_single_byte_of_a_sealed_document_is_covered() -> None:
    """Swept, not sampled: a flip of any byte (header, ciphertext, tag) is refused."""
    open_sealed(SEALED, FED.rus, FED.rus_trust, NOW)  # the original opens
    for position in range(len(SEALED)):
        tampered = bytearray(SEALED)
        tampered[position] ^= 0x80
        with pytest.raises(DocumentRejected):
            open_sealed(bytes(tampered), FED.rus, FED.rus_trust, NOW)


# -- the node API --------------------------------------------------------------------------

OCTETS = "application/octet-stream"


@pytest.fixture(scope="module")
def node_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    directory = fast_directory(tmp_path_factory)
    engine = db.make_engine(f"sqlite:///{directory / 'rus.sqlite3'}")
    db.upgrade(engine)
    clock = Clock(datetime.now(UTC))
    app = create_app(make_inbox(FED, engine, clock, max_bytes=64 * 1024))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client
    engine.dispose()


def no_server_error(answer: Any) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code != 200:
        body = answer.json()
        assert set(body) == {"reason", "detail"}, body
        assert isinstance(body["reason"], str) and isinstance(body["detail"], str)


def test_a_valid_document_is_accepted(node_api: httpx.Client) -> None:
    document = share(FED, created_at=datetime.now(UTC) - timedelta(minutes=1))
    blob = seal(document, FED.kaz, FED.rus.encryption.public)
    answer = node_api.post("/v1/documents", content=blob, headers={"content-type": OCTETS})
    assert answer.status_code == 200, answer.text


@FUZZ
@given(body=st.binary(max_size=2048))
def test_random_bodies_never_get_a_5xx(node_api: httpx.Client, body: bytes) -> None:
    answer = node_api.post("/v1/documents", content=body, headers={"content-type": OCTETS})
    no_server_error(answer)
    assert answer.status_code in (400, 403, 413)


@FUZZ
@given(
    content_type=st.one_of(
        st.sampled_from([OCTETS, "application/json", "", "text/plain; charset=utf-8",
                         "APPLICATION/OCTET-STREAM; x=1", "multipart/form-data"]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40).map(
            str.strip
        ),
    ),
    body=st.binary(max_size=64),
)  # fmt: skip
def test_odd_media_types_never_get_a_5xx(
    node_api: httpx.Client, content_type: str, body: bytes
) -> None:
    answer = node_api.post("/v1/documents", content=body, headers={"content-type": content_type})
    no_server_error(answer)


@st.composite
def byte_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    result = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(result) - 1))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if kind == "flip":
            result[position] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            result.insert(position, draw(st.integers(0, 255)))
        elif kind == "delete" and len(result) > 1:
            del result[position]
        else:
            del result[max(position, 1) :]
    return bytes(result)


@FUZZ
@given(blob=byte_mutations(seal(share(FED), FED.kaz, FED.rus.encryption.public)))
def test_mutated_sealed_documents_never_get_a_5xx(node_api: httpx.Client, blob: bytes) -> None:
    answer = node_api.post("/v1/documents", content=blob, headers={"content-type": OCTETS})
    no_server_error(answer)


@FUZZ
@given(changes=st.fixed_dictionaries({}, optional={
    "body": st.dictionaries(st.text(max_size=8), JSON, max_size=4),
    "sender": st.sampled_from(["KAZ-MVD-NODE", "RUS-MVD-NODE", "CSTO-SEC", "XXX-NODE"]),
    "type": st.sampled_from(list(DocumentType)),
    "in_reply_to": st.just(uuid.UUID(int=7)),
    "created_at": st.datetimes(timezones=st.just(UTC)),
}))  # fmt: skip
def test_signed_documents_of_any_type_and_body_never_get_a_5xx(
    node_api: httpx.Client, changes: dict[str, Any]
) -> None:
    """Well sealed and signed by the Kazakh node, with any type, body and sender: the
    inbox processor's readers see them, and still no 5xx."""
    changes.setdefault("created_at", datetime.now(UTC))
    try:
        document = share(FED, **changes)
        blob = seal(document, FED.kaz, FED.rus.encryption.public)
    except (ValueError, TypeError):  # not a document the sending side can even seal
        return
    answer = node_api.post("/v1/documents", content=blob, headers={"content-type": OCTETS})
    no_server_error(answer)
