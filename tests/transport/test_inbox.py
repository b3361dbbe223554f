"""The receiver's side: one row per document, the original receipt for a duplicate, and
every refusal of issue 3 point 3 logged with nothing else stored."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from ozara.crypto import DEFAULT_SUITE_ID, get_suite
from ozara.documents import (
    DocumentRejected,
    RejectReason,
    TrustState,
    canonicalize,
    generate_node_keys,
    seal,
)
from ozara.store.tables import inbox
from ozara.transport import DUPLICATE, TOO_LARGE, DocumentTooLarge, Inbox, rejection_log
from ozara.transport.receipts import content_hash, verify_receipt
from tests.conftest import Clock
from tests.documents.federation import (
    VALID_UNTIL,
    Federation,
    header_for,
    seal_raw,
    signed_envelope,
)
from tests.transport.conftest import Counts, counts, make_inbox, share


def test_a_document_is_stored_once_with_a_receipt_that_verifies(
    fed: Federation, store: Engine, clock: Clock
) -> None:
    document = share(fed)
    blob = seal(document, fed.kaz, fed.rus.encryption.public)
    accepted = make_inbox(fed, store, clock).accept(blob)
    assert not accepted.duplicate and accepted.document_id == document.id
    receipt = verify_receipt(
        accepted.receipt,
        keys=fed.kaz,
        trust=fed.rus_trust,
        now=clock.now,
        recipient=fed.rus.node_id,
        document_id=document.id,
        digest=content_hash(document),
    )
    assert receipt.body["received_at"] == "2026-01-30T07:00:00Z"
    with store.connect() as conn:
        row = conn.execute(select(inbox)).mappings().one()
    assert row["sender"] == fed.kaz.node_id and row["document_type"] == "information_share"
    assert row["document"] == document.to_json() and row["sealed"] == blob
    assert row["receipt"] == accepted.receipt and row["received_at"] == clock.now
    assert counts(store) == Counts(0, 1, 0)


def test_a_duplicate_is_dropped_and_answered_with_the_original_receipt(
    fed: Federation, store: Engine, clock: Clock
) -> None:
    document = share(fed)
    node = make_inbox(fed, store, clock)
    first = node.accept(seal(document, fed.kaz, fed.rus.encryption.public))
    clock.advance(hours=1)
    again = node.accept(seal(document, fed.kaz, fed.rus.encryption.public))  # sealed anew
    assert again.duplicate and again.receipt == first.receipt
    assert counts(store) == Counts(0, 1, 1)
    [logged] = rejection_log(store)
    assert logged.reason == DUPLICATE and logged.document_id == str(document.id)
    assert logged.sender_claimed == fed.kaz.node_id and logged.at == clock.now


def _stranger(fed: Federation) -> bytes:
    stranger = generate_node_keys("XXX-NODE", DEFAULT_SUITE_ID)
    return seal(share(fed, sender=stranger.node_id), stranger, fed.rus.encryption.public)


def _forged(fed: Federation) -> bytes:
    impostor = replace(fed.kaz, signing=get_suite(DEFAULT_SUITE_ID).generate_signing_key_pair())
    document = share(fed)
    envelope = signed_envelope(document, impostor)
    assert isinstance(envelope["signature"], dict)
    envelope["signature"]["key"] = fed.kaz.signing_key_fingerprint  # claims the listed key
    return seal_raw(canonicalize(envelope), header_for(document), fed.rus.encryption.public)


def _tampered(fed: Federation) -> bytes:
    blob = bytearray(seal(share(fed), fed.kaz, fed.rus.encryption.public))
    blob[-20] ^= 0x80
    return bytes(blob)


def _for_another_node(fed: Federation) -> bytes:
    kgz = generate_node_keys("KGZ-MVD-NODE", DEFAULT_SUITE_ID)
    return seal(share(fed, recipient=kgz.node_id), fed.kaz, kgz.encryption.public)


def _sealed(fed: Federation, **changes: object) -> bytes:
    return seal(share(fed, **changes), fed.kaz, fed.rus.encryption.public)  # type: ignore[arg-type]


#: case → (blob, the receiver's trust state or None for the current one, clock shift, reason)
Case = Callable[[Federation], tuple[bytes, TrustState | None, timedelta, RejectReason]]
CASES: dict[str, Case] = {
    "wrong recipient": lambda fed: (
        _for_another_node(fed),
        None,
        timedelta(0),
        RejectReason.WRONG_RECIPIENT,
    ),
    "unknown sender": lambda fed: (_stranger(fed), None, timedelta(0), RejectReason.UNKNOWN_SENDER),
    "expired key": lambda fed: (
        _sealed(fed),
        None,
        VALID_UNTIL - fed.trust_list.issued_at,
        RejectReason.KEY_NOT_VALID,
    ),
    "bad signature": lambda fed: (_forged(fed), None, timedelta(0), RejectReason.BAD_SIGNATURE),
    "tampered ciphertext": lambda fed: (
        _tampered(fed),
        None,
        timedelta(0),
        RejectReason.TAMPERED_CIPHERTEXT,
    ),
    "superseded trust list": lambda fed: (
        _sealed(fed, trust_list_version=3),
        fed.rus_trust.accept(fed.issue(4, fed.entries()), fed.secretariat.signing.public),
        timedelta(0),
        RejectReason.SUPERSEDED_TRUST_LIST,
    ),
    "sender removed from the trust list": lambda fed: (
        _sealed(fed, trust_list_version=4),
        fed.rus_trust.accept(
            fed.issue(4, tuple(e for e in fed.entries() if e.node_id != fed.kaz.node_id)),
            fed.secretariat.signing.public,
        ),
        timedelta(0),
        RejectReason.SENDER_NOT_ON_TRUST_LIST,
    ),
    "not a sealed document": lambda _fed: (
        b"GET / HTTP/1.1\r\n\r\n",
        None,
        timedelta(0),
        RejectReason.MALFORMED,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_document_is_logged_and_nothing_else_is_stored(
    fed: Federation, store: Engine, clock: Clock, case: str
) -> None:
    blob, trust, shift, reason = CASES[case](fed)
    state = trust or fed.rus_trust
    clock.now = fed.trust_list.issued_at + shift
    node = Inbox(store, fed.rus, lambda: state, lambda: clock.now)
    with pytest.raises(DocumentRejected) as info:
        node.accept(blob)
    assert info.value.reason is reason
    assert counts(store) == Counts(0, 0, 1)
    [logged] = rejection_log(store)
    assert logged.reason == reason.value and logged.detail == info.value.detail
    assert logged.at == clock.now
    if reason is not RejectReason.MALFORMED:
        assert logged.document_id is not None and logged.sender_claimed is not None


def test_a_replay_after_a_refusal_is_refused_again(
    fed: Federation, store: Engine, clock: Clock
) -> None:
    """A refused document leaves no trace that would later make it pass as a duplicate."""
    node = make_inbox(fed, store, clock)
    blob = _tampered(fed)
    for _ in range(2):
        with pytest.raises(DocumentRejected):
            node.accept(blob)
    assert [r.reason for r in rejection_log(store)] == ["tampered_ciphertext"] * 2
    assert counts(store).inbox == 0


def test_an_oversized_document_is_refused_before_it_is_read(
    fed: Federation, store: Engine, clock: Clock
) -> None:
    node = make_inbox(fed, store, clock, max_bytes=1024)
    with pytest.raises(DocumentTooLarge):
        node.accept(b"OZS1" + bytes(2000))
    assert [r.reason for r in rejection_log(store)] == [TOO_LARGE]
    assert counts(store) == Counts(0, 0, 1)


def test_ids_are_unique_across_senders(fed: Federation, store: Engine, clock: Clock) -> None:
    """A second document under a known id is a duplicate whoever claims to send it."""
    node = make_inbox(fed, store, clock)
    document = share(fed)
    node.accept(seal(document, fed.kaz, fed.rus.encryption.public))
    again = node.accept(_sealed(fed, id=document.id, body={"other": True}))
    assert again.duplicate
    assert counts(store).inbox == 1
    assert uuid.UUID(rejection_log(store)[0].document_id or "") == document.id


def test_concurrent_deliveries_of_one_document_store_it_once(
    fed: Federation, store: Engine, clock: Clock
) -> None:
    """Retries racing each other meet at the primary key; all get the one receipt."""
    node = make_inbox(fed, store, clock)
    blob = seal(share(fed), fed.kaz, fed.rus.encryption.public)
    barrier = threading.Barrier(6)

    def deliver() -> bytes:
        barrier.wait()
        return node.accept(blob).receipt

    with ThreadPoolExecutor(6) as pool:
        receipts = list(pool.map(lambda _: deliver(), range(6)))
    assert len(set(receipts)) == 1
    assert counts(store) == Counts(0, 1, 5)
    assert {r.reason for r in rejection_log(store)} == {DUPLICATE}
