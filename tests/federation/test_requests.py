"""Requests between two nodes: the Kazakh node (KAZ-MVD) asks the Russian node (RUS-MVD).

Each node keeps its own copy; after every exchange both copies must be in the same state,
at the same version, with the same deadlines (Art. 6–9, docs/federation.md).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from ozara.core.deadlines import DeadlineKind
from ozara.core.lifecycle import Action, Command, Request, State
from ozara.core.parties import Party
from ozara.core.rules import ProtocolError
from ozara.crypto import DEFAULT_SUITE_ID, get_suite
from ozara.documents import Document, DocumentType, TrustState, generate_node_keys
from ozara.documents.fields import FieldError
from ozara.federation import process_inbox, processing_errors
from ozara.federation import request_documents as rd
from ozara.federation.context import Refused
from ozara.federation.dispatch import DEFER_LIMIT, dead_letters
from ozara.federation.handover import handover_body
from ozara.federation.request_documents import require_own_number
from ozara.federation.requests import FederatedPeers, SignatoryKeyMissing
from ozara.federation.statistics import organization_figures, send_report
from ozara.services import requests as svc
from ozara.store import db
from ozara.store.attachments import AttachmentRepository, StoredFile
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import InMemoryTransport, enqueue, outbox
from tests.conftest import Clock
from tests.documents.federation import build_federation, entry_for
from tests.federation.conftest import Node, World, WorldFactory, make_node
from tests.services.test_request_services import document as request_document
from tests.transport.conftest import inbox_handler

RUS_HEAD = get_suite(DEFAULT_SUITE_ID).generate_signing_key_pair()


def peers(w: World, node: Node) -> FederatedPeers:
    keys = {"kaz-mvd.head": w.fed.head, "rus-mvd.head": RUS_HEAD}
    return FederatedPeers(node.keys, node.trust, keys)


def act(w: World, node: Node, request_id: str, action: Action, who: str, **kw: Any) -> Request:
    with SqlUnitOfWork(node.engine) as uow:
        return svc.act(uow, request_id, Command(action, **kw), who, w.clock.now, peers(w, node))


def exchange(w: World) -> None:
    w.deliver(w.kaz, w.rus)
    w.process_all()


def copy(node: Node, request_id: str) -> Request:
    with SqlUnitOfWork(node.engine) as uow:
        return uow.requests.get(request_id)


def assert_same(w: World, request_id: str, state: State) -> Request:
    kaz, rus = copy(w.kaz, request_id), copy(w.rus, request_id)
    assert (kaz.state, rus.state) == (state, state)
    assert kaz.version == rus.version
    assert kaz.deadlines == rus.deadlines
    assert (kaz.confirmed_at, kaz.outcome, kaz.requested_body) == (
        rus.confirmed_at,
        rus.outcome,
        rus.requested_body,
    )
    return kaz


def create(w: World, **overrides: Any) -> str:
    with SqlUnitOfWork(w.kaz.engine) as uow:
        return svc.create_request(
            uow, request_document(**overrides), "kaz-mvd.officer", w.clock.now
        )


def sent_request(w: World) -> str:
    request_id = create(w)
    act(w, w.kaz, request_id, Action.SIGN, "kaz-mvd.head")
    act(w, w.kaz, request_id, Action.SEND, "kaz-mvd.officer")
    exchange(w)
    return request_id


@pytest.mark.parametrize("on_engine", ["kaz", "rus"])
def test_a_request_runs_its_whole_life_across_two_nodes(
    make_world: WorldFactory, on_engine: str
) -> None:
    w = make_world(on_engine)
    request_id = sent_request(w)
    assert_same(w, request_id, State.SENT)
    assert copy(w.kaz, request_id).signed_by == "kaz-mvd.head"
    # The receiving node names the remote officer by the node that vouches for them.
    assert copy(w.rus, request_id).signed_by == "kaz-mvd.head@KAZ-MVD-NODE"

    w.clock.advance(hours=3)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    exchange(w)
    r = assert_same(w, request_id, State.RECEIVED)
    assert r.deadline(DeadlineKind.EXECUTION) is not None

    steps: list[tuple[Node, Action, str, dict[str, Any], State]] = [
        (w.rus, Action.START_EXECUTION, "rus-mvd.officer", {}, State.IN_EXECUTION),
        (w.rus, Action.REQUEST_INFO, "rus-mvd.officer", {"text": "IP log?"}, State.INFO_REQUESTED),
        (w.kaz, Action.PROVIDE_INFO, "kaz-mvd.officer", {"text": "Attached"}, State.IN_EXECUTION),
        (w.rus, Action.EXECUTE, "rus-mvd.officer", {"text": "Subscriber: X"}, State.EXECUTED),
        (w.kaz, Action.CLOSE, "kaz-mvd.officer", {}, State.CLOSED),
    ]
    for node, action, who, kw, expected in steps:
        w.clock.advance(hours=5)
        act(w, node, request_id, action, who, **kw)
        exchange(w)
        r = assert_same(w, request_id, expected)
    assert r.outcome == "executed_full"
    assert processing_errors(w.kaz.engine) == processing_errors(w.rus.engine) == {}
    with SqlUnitOfWork(w.kaz.engine) as uow:
        executed = [e for e in uow.events.for_request(request_id) if e.name == "request:executed"]
    assert executed[0].details["via"] == "RUS-MVD-NODE"
    assert executed[0].details["text"] == "Subscriber: X"
    assert all(e.state == outbox.DeliveryState.DELIVERED for e in outbox.entries(w.kaz.engine))


def test_an_urgent_request_travels_unsigned_and_its_confirmation_signed(
    make_world: WorldFactory,
) -> None:
    w = make_world("rus")
    request_id = create(w, urgent=True, urgent_grounds="The account is being emptied now")
    act(w, w.kaz, request_id, Action.SEND_URGENT, "kaz-mvd.officer")
    exchange(w)
    r = assert_same(w, request_id, State.SENT)
    assert r.awaiting_confirmation and r.deadline(DeadlineKind.URGENT_CONFIRMATION)
    w.clock.advance(hours=20)
    act(w, w.kaz, request_id, Action.CONFIRM, "kaz-mvd.head")
    exchange(w)
    assert_same(w, request_id, State.SENT)
    rus = copy(w.rus, request_id)
    assert rus.confirmed_at == w.clock.now
    assert rus.deadline(DeadlineKind.URGENT_CONFIRMATION).met_at == w.clock.now  # type: ignore[union-attr]


def test_a_refusal_reaches_the_requesting_body_with_its_reasons(make_world: WorldFactory) -> None:
    w = make_world("kaz")
    request_id = sent_request(w)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    act(w, w.rus, request_id, Action.REFUSE, "rus-mvd.head", text="Art. 9: contrary to law")
    exchange(w)
    r = assert_same(w, request_id, State.REFUSED)
    assert r.outcome == "refused"
    with SqlUnitOfWork(w.kaz.engine) as uow:
        refused = [e for e in uow.events.for_request(request_id) if e.name == "request:refused"]
    assert refused[0].details["text"] == "Art. 9: contrary to law"
    assert refused[0].articles[0].startswith("Art. 9")


def test_documents_delivered_out_of_order_are_applied_in_order(make_world: WorldFactory) -> None:
    w = make_world("rus")
    request_id = sent_request(w)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    w.clock.advance(minutes=1)
    act(w, w.rus, request_id, Action.START_EXECUTION, "rus-mvd.officer")
    w.clock.advance(minutes=1)
    act(w, w.rus, request_id, Action.NOTIFY_DELAY, "rus-mvd.officer", text="Provider is slow")
    pending = outbox.entries(w.rus.engine, outbox.DeliveryState.PENDING)
    kinds = [e.document_type for e in pending]
    assert kinds == ["acknowledgement", "status_notice", "delay_notice"]
    for entry in reversed(pending):  # the last action arrives first
        w.kaz.inbox.accept(entry.sealed)
    done = w.kaz.process(w.clock)
    assert [p.outcome for p in done] == ["applied", "applied", "applied"]
    assert_same(w, request_id, State.IN_EXECUTION)


def test_both_sides_acting_at_once_is_a_logged_conflict(make_world: WorldFactory) -> None:
    w = make_world("rus")
    request_id = sent_request(w)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    exchange(w)
    act(w, w.kaz, request_id, Action.WITHDRAW, "kaz-mvd.head")
    act(w, w.rus, request_id, Action.START_EXECUTION, "rus-mvd.officer")
    exchange(w)
    assert copy(w.kaz, request_id).state is State.WITHDRAWN
    assert copy(w.rus, request_id).state is State.IN_EXECUTION
    for node in (w.kaz, w.rus):
        (error,) = processing_errors(node.engine).values()
        assert "conflict on request" in error


def send_raw(
    w: World,
    sender: Node,
    recipient: Node,
    doc_type: DocumentType,
    *,
    request_id: str,
    action: str,
    text: str = "",
    at: str = "2026-01-30T07:00:00Z",
) -> None:
    """Queue an action document by hand, as a node that bypassed its own core would."""
    document = Document(
        id=uuid.uuid4(), type=doc_type, sender=sender.node_id, recipient=recipient.node_id,
        created_at=w.clock.now,
        body={
            "request_id": request_id, "action": action, "version": 2,
            "at": at,
            "actor": {"id": "rus-mvd.officer", "body_id": "RUS-MVD", "roles": ["officer"]},
            "text": text, "partial": False, "target_body": None, "details": {},
        },
        trust_list_version=w.fed.trust_list.version,
    )  # fmt: skip
    with SqlUnitOfWork(sender.engine) as uow:
        trust = sender.trust.state
        enqueue(uow.connection, document, keys=sender.keys, trust=trust, now=w.clock.now)
        uow.commit()


def test_an_action_the_protocol_forbids_is_refused_by_the_receiving_node(
    make_world: WorldFactory,
) -> None:
    """A node cannot push a state the rules forbid: the receiver checks the article itself."""
    w = make_world("rus")
    request_id = sent_request(w)
    send_raw(
        w, w.rus, w.kaz, DocumentType.EXECUTION_REPORT, request_id=request_id, action="execute",
        text="done",
    )  # fmt: skip
    exchange(w)
    (error,) = processing_errors(w.kaz.engine).values()
    assert "ProtocolError" in error and "Art. 7" in error
    assert copy(w.kaz, request_id).state is State.SENT


def test_a_node_may_not_act_for_a_body_it_does_not_host(make_world: WorldFactory) -> None:
    w = make_world("rus")
    request_id = sent_request(w)
    # The Kazakh node, claiming to act for the Russian body:
    send_raw(w, w.kaz, w.rus, DocumentType.ACKNOWLEDGEMENT, request_id=request_id, action="receive")
    exchange(w)
    (error,) = processing_errors(w.rus.engine).values()
    assert "does not host body 'RUS-MVD'" in error and "Art. 4" in error
    assert copy(w.rus, request_id).state is State.SENT


@pytest.mark.parametrize(
    ("at", "why"),
    [("2027-01-30T07:00:00Z", "ahead of this node's clock"),
     ("2025-01-30T07:00:00Z", "before what it follows")],
)  # fmt: skip
def test_an_action_dated_out_of_reason_is_refused(
    make_world: WorldFactory, at: str, why: str
) -> None:
    """Deadlines count from these times: a node may not date its actions as it likes."""
    w = make_world("rus")
    request_id = sent_request(w)
    send_raw(w, w.rus, w.kaz, DocumentType.ACKNOWLEDGEMENT, request_id=request_id,
             action="receive", at=at)  # fmt: skip
    exchange(w)
    (error,) = processing_errors(w.kaz.engine).values()
    assert why in error
    assert copy(w.kaz, request_id).state is State.SENT


def test_signing_without_a_key_changes_nothing(make_world: WorldFactory) -> None:
    w = make_world("kaz")
    request_id = create(w)
    no_keys = FederatedPeers(w.kaz.keys, w.kaz.trust, {})
    with SqlUnitOfWork(w.kaz.engine) as uow, pytest.raises(SignatoryKeyMissing, match=r"Art\. 6"):
        svc.act(uow, request_id, Command(Action.SIGN), "kaz-mvd.head", w.clock.now, no_keys)
    assert copy(w.kaz, request_id).state is State.DRAFT


@pytest.fixture
def fsb_world(engine: Engine, tmp_path: Path, clock: Clock) -> Iterator[tuple[World, Node]]:
    """The test world with the FSB on a node of its own (RUS-FSB-NODE)."""
    fed = build_federation()
    fsb_keys = generate_node_keys("RUS-FSB-NODE", DEFAULT_SUITE_ID)
    sec, kaz, _ = fed.entries()
    listed = fed.issue(3, (
        sec, kaz, entry_for(fed.rus, Party.RUSSIA, ("RUS-MVD",)),
        entry_for(fsb_keys, Party.RUSSIA, ("RUS-FSB",)),
    ))  # fmt: skip
    fed = replace(fed, trust_list=listed)
    transport = InMemoryTransport()
    nodes = []
    engines = []
    for keys in (fed.secretariat, fed.kaz, fed.rus, fsb_keys):
        node_engine = engine if keys is fed.rus else db.make_engine(
            f"sqlite:///{tmp_path / keys.node_id}.sqlite3"
        )  # fmt: skip
        engines.append(node_engine)
        node = make_node(fed, keys, node_engine, clock, transport)
        transport.handlers.update(inbox_handler(node.inbox).handlers)
        nodes.append(node)
    yield World(fed, clock, transport, nodes[0], nodes[1], nodes[2]), nodes[3]
    for e in engines:
        if e is not engine:
            e.dispose()


def test_a_request_forwarded_to_a_body_on_another_node_goes_on_there(
    fsb_world: tuple[World, Node],
) -> None:
    """Art. 7 para 4: RUS-MVD passes it to the FSB's node, which carries on with KAZ."""
    w, fsb = fsb_world
    request_id = sent_request(w)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    exchange(w)
    w.clock.advance(hours=2)
    act(w, w.rus, request_id, Action.FORWARD, "rus-mvd.officer", target_body="RUS-FSB")
    w.deliver(w.rus)
    w.process_all()
    done = fsb.process(w.clock)
    assert [p.outcome for p in done] == ["applied"], done
    held = copy(fsb, request_id)
    assert held.state is State.FORWARDED and held.requested_body == "RUS-FSB"
    assert held.version == copy(w.kaz, request_id).version
    assert held.deadlines == copy(w.kaz, request_id).deadlines
    assert held.signed_by == "kaz-mvd.head@KAZ-MVD-NODE"
    # The FSB's node now deals with the Kazakh node directly.
    fsb_peers = FederatedPeers(fsb.keys, fsb.trust, {})
    w.clock.advance(hours=3)
    for action, text in ((Action.START_EXECUTION, ""), (Action.EXECUTE, "Subscriber found")):
        with SqlUnitOfWork(fsb.engine) as uow:
            svc.act(uow, request_id, Command(action, text=text), "rus-fsb.officer",
                    w.clock.now, fsb_peers)  # fmt: skip
    while fsb.worker.run_once():
        pass
    w.kaz.process(w.clock)
    kaz = copy(w.kaz, request_id)
    assert kaz.state is State.EXECUTED and kaz.version == copy(fsb, request_id).version
    assert processing_errors(w.kaz.engine) == {}


def test_a_handover_with_a_tampered_request_is_refused(fsb_world: tuple[World, Node]) -> None:
    w, fsb = fsb_world
    request_id = sent_request(w)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    with SqlUnitOfWork(w.rus.engine) as uow:
        body = handover_body(uow, uow.requests.get(request_id))
    body["request"]["content"]["purpose"] = "Something else entirely"  # type: ignore[index]
    body["history"].append({  # type: ignore[union-attr]
        "event": "request:forwarded", "version": 3, "at": "2026-01-30T08:00:00Z",
        "actor_id": "rus-mvd.officer", "body_id": "RUS-MVD", "text": "",
        "target_body": "RUS-FSB",
    })  # fmt: skip
    forged = Document(
        id=uuid.uuid4(), type=DocumentType.REQUEST_HANDOVER, sender=w.rus.node_id,
        recipient=fsb.node_id, created_at=w.clock.now, body=body,
        trust_list_version=w.fed.trust_list.version,
    )  # fmt: skip
    with SqlUnitOfWork(w.rus.engine) as uow:
        enqueue(uow.connection, forged, keys=w.rus.keys, trust=w.rus.trust.state, now=w.clock.now)
        uow.commit()
    w.deliver(w.rus)
    fsb.process(w.clock)
    assert "does not verify" in processing_errors(fsb.engine)[forged.id]
    with SqlUnitOfWork(fsb.engine) as uow, pytest.raises(NotFound):
        uow.requests.get(request_id)


def test_a_document_that_keeps_failing_becomes_a_dead_letter(make_world: WorldFactory) -> None:
    w = make_world("rus")
    request_id = sent_request(w)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    w.deliver(w.rus)

    def broken(ctx: object, item: object) -> object:
        raise RuntimeError("handler bug")

    handlers = {DocumentType.ACKNOWLEDGEMENT: broken}
    for _ in range(5):
        w.clock.advance(minutes=5)
        process_inbox(w.kaz.engine, w.kaz.trust, now=w.clock.now, handlers=handlers)  # type: ignore[dict-item]
    (error,) = dead_letters(w.kaz.engine).values()
    assert error.startswith("dead letter: 5 failures") and "handler bug" in error
    assert copy(w.kaz, request_id).state is State.SENT


def test_a_document_waiting_too_long_for_its_predecessor_is_set_aside(
    make_world: WorldFactory,
) -> None:
    w = make_world("rus")
    request_id = sent_request(w)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    w.clock.advance(minutes=1)
    act(w, w.rus, request_id, Action.START_EXECUTION, "rus-mvd.officer")
    first, second = outbox.entries(w.rus.engine, outbox.DeliveryState.PENDING)
    w.kaz.inbox.accept(second.sealed)  # the acknowledgement is lost for now
    assert w.kaz.process(w.clock) == []
    w.clock.advance(seconds=DEFER_LIMIT.total_seconds() + 60)
    (done,) = w.kaz.process(w.clock)
    assert done.outcome == "dead_letter"
    assert "waited too long" in dead_letters(w.kaz.engine)[done.document_id]
    assert first.document_type == "acknowledgement"
    assert copy(w.kaz, request_id).state is State.SENT


def test_a_document_queued_before_a_new_trust_list_is_resealed_and_delivered(
    make_world: WorldFactory,
) -> None:
    """The recipient adopts list 4 first: it refuses the row sealed under 3 (superseded);
    once the sender adopts 4 as well, the worker seals the row again and it goes through."""
    w = make_world("rus")
    request_id = create(w)
    act(w, w.kaz, request_id, Action.SIGN, "kaz-mvd.head")
    act(w, w.kaz, request_id, Action.SEND, "kaz-mvd.officer")
    (queued,) = outbox.entries(w.kaz.engine)
    newer = TrustState(current=w.fed.issue(4, w.fed.entries()))
    w.rus.trust.adopt(newer)
    w.kaz.worker.run_once()
    refused = outbox.get(w.kaz.engine, queued.document_id)
    assert refused is not None and refused.state is outbox.DeliveryState.PENDING
    assert "superseded_trust_list" in (refused.last_error or "")
    w.kaz.trust.adopt(newer)
    w.clock.advance(minutes=5)
    w.kaz.worker.run_once()
    delivered = outbox.get(w.kaz.engine, queued.document_id)
    assert delivered is not None and delivered.state is outbox.DeliveryState.DELIVERED
    assert delivered.sealed != queued.sealed and delivered.content_sha256 != queued.content_sha256
    w.process_all()
    assert copy(w.rus, request_id).state is State.SENT


def test_attached_files_travel_with_the_request_hashed_and_encrypted(
    make_world: WorldFactory,
) -> None:
    w = make_world("rus")
    content = b"%PDF-1.7 protocol of the inspection"
    digest = hashlib.sha256(content).hexdigest()
    listed = [{"filename": "protocol.pdf", "size": len(content), "sha256": digest,
               "media_type": "application/pdf"}]  # fmt: skip
    file = StoredFile(digest, "protocol.pdf", "application/pdf", len(content), content)
    with SqlUnitOfWork(w.kaz.engine) as uow:
        request_id = svc.create_request(
            uow, request_document(attachments=listed), "kaz-mvd.officer", w.clock.now, [file]
        )
    act(w, w.kaz, request_id, Action.SIGN, "kaz-mvd.head")
    act(w, w.kaz, request_id, Action.SEND, "kaz-mvd.officer")
    (queued,) = outbox.entries(w.kaz.engine)
    assert content not in queued.sealed  # encrypted to the Russian node
    exchange(w)
    with SqlUnitOfWork(w.rus.engine) as uow:
        (kept,) = AttachmentRepository(uow.connection).of(request_id)
    assert kept == file
    # A file the request does not list, or a listed one missing, is refused before storing.
    with SqlUnitOfWork(w.kaz.engine) as uow, pytest.raises(ProtocolError, match="not listed"):
        svc.create_request(uow, request_document(), "kaz-mvd.officer", w.clock.now, [file])


def test_the_secretariat_sums_the_party_nodes_figures_each_request_counted_once(
    make_world: WorldFactory,
) -> None:
    w = make_world("rus")
    request_id = sent_request(w)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    act(w, w.rus, request_id, Action.REFUSE, "rus-mvd.head", text="Art. 9")
    exchange(w)
    for node in (w.kaz, w.rus):
        with SqlUnitOfWork(node.engine) as uow:
            send_report(uow, w.clock.now, keys=node.keys, trust=node.trust.state)
    w.deliver(w.kaz, w.rus)
    done = w.sec.process(w.clock)
    assert {p.outcome for p in done} == {"applied"}
    for entry in outbox.entries(w.rus.engine, None):
        if entry.document_type == "statistics_report":
            assert request_id.encode() not in entry.sealed  # aggregates only, and sealed
    with SqlUnitOfWork(w.sec.engine) as uow:
        whole = organization_figures(uow)
    assert whole is not None and set(whole.reports) == {w.kaz.node_id, w.rus.node_id}
    assert whole.figures.pairs == {(Party.KAZAKHSTAN, Party.RUSSIA): 1}  # once, not twice
    assert whole.figures.refusals == {Party.RUSSIA: 1}
    # A report is collected only by the Secretariat's node, only from a Party node.
    with SqlUnitOfWork(w.kaz.engine) as uow:
        wrong = Document(
            id=uuid.uuid4(), type=DocumentType.STATISTICS_REPORT, sender=w.kaz.node_id,
            recipient=w.rus.node_id, created_at=w.clock.now,
            body={"as_of": "2026-01-30T07:00:00Z", "pairs": [], "execution_hours": [],
                  "refusals": {}, "overdue": {}},
            trust_list_version=w.fed.trust_list.version,
        )  # fmt: skip
        enqueue(uow.connection, wrong, keys=w.kaz.keys, trust=w.kaz.trust.state, now=w.clock.now)
        uow.commit()
    w.deliver(w.kaz)
    w.rus.process(w.clock)
    assert "only the Secretariat" in processing_errors(w.rus.engine)[wrong.id]


def test_a_handover_whose_history_goes_on_after_the_forwarding_is_refused(
    fsb_world: tuple[World, Node],
) -> None:
    """The forwarding node may not write the new holder's own steps (e.g. its refusal)."""
    w, fsb = fsb_world
    request_id = sent_request(w)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    act(w, w.rus, request_id, Action.FORWARD, "rus-mvd.officer", target_body="RUS-FSB")
    with SqlUnitOfWork(w.rus.engine) as uow:
        body = handover_body(uow, uow.requests.get(request_id))
    body["history"].append({  # type: ignore[union-attr]
        "event": "request:refused", "version": 5, "at": "2026-01-30T09:00:00Z",
        "actor_id": "rus-fsb.head", "body_id": "RUS-FSB", "text": "forged", "target_body": None,
    })  # fmt: skip
    forged = Document(
        id=uuid.uuid4(), type=DocumentType.REQUEST_HANDOVER, sender=w.rus.node_id,
        recipient=fsb.node_id, created_at=w.clock.now, body=body,
        trust_list_version=w.fed.trust_list.version,
    )  # fmt: skip
    with SqlUnitOfWork(w.rus.engine) as uow:
        enqueue(uow.connection, forged, keys=w.rus.keys, trust=w.rus.trust.state, now=w.clock.now)
        uow.commit()
    w.deliver(w.rus)
    fsb.process(w.clock)
    assert "the forwarding is the last step" in processing_errors(fsb.engine)[forged.id]


def test_a_node_may_not_take_another_bodys_request_numbers() -> None:
    require_own_number("KAZ-MVD-2026-00001", "KAZ-MVD")
    for wrong in ("RUS-MVD-2026-00001", "KAZ-MVD-2026-1", "KAZ-MVD-X-2026-00001"):
        with pytest.raises(Refused, match="not a number of KAZ-MVD"):
            require_own_number(wrong, "KAZ-MVD")


def test_a_request_number_longer_than_its_column_is_malformed() -> None:
    body = {"request_id": "K" * 64}
    assert rd._request_id(body) == "K" * 64
    with pytest.raises(FieldError, match="at most 64 characters"):
        rd._request_id({"request_id": "K" * 65})


def test_the_same_file_listed_twice_is_refused_before_anything_is_stored(
    make_world: WorldFactory,
) -> None:
    w = make_world("kaz")
    digest = hashlib.sha256(b"x").hexdigest()
    twice = [{"filename": n, "size": 1, "sha256": digest} for n in ("a.txt", "b.txt")]
    with SqlUnitOfWork(w.kaz.engine) as uow, pytest.raises(ProtocolError, match="same file"):
        svc.create_request(uow, request_document(attachments=twice), "kaz-mvd.officer",
                           w.clock.now)  # fmt: skip


def test_a_handover_with_a_step_dated_ahead_is_refused(fsb_world: tuple[World, Node]) -> None:
    w, fsb = fsb_world
    request_id = sent_request(w)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    with SqlUnitOfWork(w.rus.engine) as uow:
        body = handover_body(uow, uow.requests.get(request_id))
    body["history"].append({  # type: ignore[union-attr]
        "event": "request:forwarded", "version": 3, "at": "2030-01-01T00:00:00Z",
        "actor_id": "rus-mvd.officer", "body_id": "RUS-MVD", "text": "",
        "target_body": "RUS-FSB",
    })  # fmt: skip
    forged = Document(
        id=uuid.uuid4(), type=DocumentType.REQUEST_HANDOVER, sender=w.rus.node_id,
        recipient=fsb.node_id, created_at=w.clock.now, body=body,
        trust_list_version=w.fed.trust_list.version,
    )  # fmt: skip
    with SqlUnitOfWork(w.rus.engine) as uow:
        enqueue(uow.connection, forged, keys=w.rus.keys, trust=w.rus.trust.state, now=w.clock.now)
        uow.commit()
    w.deliver(w.rus)
    fsb.process(w.clock)
    assert "ahead of this node's clock" in processing_errors(fsb.engine)[forged.id]
