"""Whatever bytes arrive, ``open_sealed`` either returns a verified document or raises
``DocumentRejected``: never another exception (a crash in the inbox is a denial of service).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ozara.documents import Attachment, DocumentRejected, open_sealed, seal
from ozara.documents.canonical import canonicalize
from tests.documents.federation import (
    NOW,
    build_federation,
    decrypt_raw,
    header_for,
    reencrypt,
    seal_raw,
)

FED = build_federation()
DOCUMENT = FED.document(attachments=(Attachment("a.txt", "text/plain", b"evidence"),))
BLOB = seal(DOCUMENT, FED.kaz, FED.rus.encryption.public)
AAD, PLAINTEXT = decrypt_raw(BLOB, FED.rus)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def only_rejected(blob: bytes, now: datetime = NOW) -> None:
    with contextlib.suppress(DocumentRejected):
        open_sealed(blob, FED.rus, FED.rus_trust, now)


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with one to four bytes flipped, inserted, deleted, or cut short."""
    result = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        position = draw(st.integers(0, max(len(result) - 1, 0)))
        if kind == "flip" and result:
            result[position] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            result.insert(position, draw(st.integers(0, 255)))
        elif kind == "delete" and result:
            del result[position]
        else:
            del result[position:]
    return bytes(result)


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes(blob: bytes) -> None:
    only_rejected(blob)


@FUZZ
@given(st.binary(max_size=256))
def test_random_bytes_after_a_valid_header(tail: bytes) -> None:
    only_rejected(AAD + tail)


@FUZZ
@given(mutations(BLOB))
def test_mutations_of_a_sealed_document_are_refused(blob: bytes) -> None:
    if blob == BLOB:
        return
    try:
        open_sealed(blob, FED.rus, FED.rus_trust, NOW)
    except DocumentRejected:
        return
    raise AssertionError("a mutated blob was accepted")


@FUZZ
@given(mutations(PLAINTEXT))
def test_mutations_behind_a_valid_encryption(plaintext: bytes) -> None:
    """The parser and the signature check, reached by anyone who encrypts to the receiver."""
    only_rejected(reencrypt(AAD, plaintext, FED.rus))


@FUZZ
@given(JSON)
def test_arbitrary_json_as_the_envelope(value: object) -> None:
    try:
        envelope = canonicalize(value)  # type: ignore[arg-type]
    except ValueError:
        return
    only_rejected(seal_raw(envelope, header_for(DOCUMENT), FED.rus.encryption.public))


@FUZZ
@given(st.dictionaries(st.sampled_from(list(DOCUMENT.to_json())), JSON, max_size=6))
def test_arbitrary_values_in_envelope_fields(changes: dict[str, object]) -> None:
    envelope = {**DOCUMENT.to_json(), **changes, "signature": {"suite": 1}}
    try:
        data = canonicalize(envelope)  # type: ignore[arg-type]
    except ValueError:
        return
    only_rejected(seal_raw(data, header_for(DOCUMENT), FED.rus.encryption.public))


@FUZZ
@given(st.datetimes(timezones=st.just(UTC)))
def test_any_clock(now: datetime) -> None:
    only_rejected(BLOB, now)
