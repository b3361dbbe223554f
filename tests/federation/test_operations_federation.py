"""Coordinated operations (Art. 5 para 3) between three Parties' nodes: the Kazakh node
(KAZ-MVD) leads, the Russian (RUS-MVD) and Belarusian (BLR-MVD) nodes are invited. The
Russian node uses the ``engine`` database (SQLite and PostgreSQL); the others SQLite files.

The lead's node orders the actions; every node ends at the same state and version.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from ozara.core.operations import (
    Answer,
    Operation,
    OperationAction,
    OperationCommand,
    OperationState,
)
from ozara.core.parties import Officer, Party, Role
from ozara.core.rules import ProtocolError
from ozara.crypto import DEFAULT_SUITE_ID, get_suite
from ozara.documents import Document, DocumentType, JSONObject, generate_node_keys
from ozara.federation import DEFAULT_HANDLERS, Processed, process_inbox, processing_errors
from ozara.federation.operation_documents import action_body
from ozara.federation.operations import OPERATION_HANDLERS, FederatedOperationPeers
from ozara.federation.requests import SignatoryKeyMissing, Unroutable
from ozara.services import operations as svc
from ozara.store import db
from ozara.store.operations import OperationRepository, StoredOperation
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import InMemoryTransport, enqueue
from tests.conftest import Clock
from tests.documents.federation import build_federation, entry_for
from tests.federation.conftest import Node, make_node
from tests.services.test_operation_services import plan
from tests.transport.conftest import inbox_handler

A = OperationAction
HANDLERS = {**DEFAULT_HANDLERS, **OPERATION_HANDLERS}
KAZ_HEAD_KEY = get_suite(DEFAULT_SUITE_ID).generate_signing_key_pair()
KAZ, KAZ_HEAD, RUS, RUS_HEAD = "kaz-mvd.officer", "kaz-mvd.head", "rus-mvd.officer", "rus-mvd.head"
BLR_HEAD = "blr-mvd.head"


@dataclass
class World:
    clock: Clock
    transport: InMemoryTransport
    kaz: Node
    rus: Node
    blr: Node

    @property
    def nodes(self) -> tuple[Node, Node, Node]:
        return (self.kaz, self.rus, self.blr)

    def exchange(self) -> list[Processed]:
        """Deliver and process until nothing moves (the lead relays what it applies)."""
        done: list[Processed] = []
        for _ in range(6):
            for node in self.nodes:
                while node.worker.run_once():
                    pass
            step = [
                p
                for n in self.nodes
                for p in process_inbox(
                    n.engine, n.trust, now=self.clock.now, keys=n.keys, handlers=HANDLERS
                )
            ]
            if not step:
                break
            done += step
        return done


@pytest.fixture
def w(engine: Engine, tmp_path: Path, clock: Clock) -> Iterator[World]:
    fed = build_federation()
    blr_keys = generate_node_keys("BLR-MVD-NODE", DEFAULT_SUITE_ID)
    fed.trust_list = fed.issue(
        3, (*fed.entries(), entry_for(blr_keys, Party.BELARUS, ("BLR-MVD",)))
    )
    transport = InMemoryTransport()
    made: list[Engine] = []
    nodes: dict[str, Node] = {}
    for name, keys in (("kaz", fed.kaz), ("rus", fed.rus), ("blr", blr_keys)):
        node_engine = engine
        if name != "rus":
            node_engine = db.make_engine(f"sqlite:///{tmp_path / name}.sqlite3")
            made.append(node_engine)
        nodes[name] = make_node(fed, keys, node_engine, clock, transport)
        transport.handlers.update(inbox_handler(nodes[name].inbox).handlers)
    yield World(clock, transport, nodes["kaz"], nodes["rus"], nodes["blr"])
    for e in made:
        e.dispose()


def peers(node: Node, keys: bool = True) -> FederatedOperationPeers:
    officer_keys = {KAZ_HEAD: KAZ_HEAD_KEY} if keys else {}
    return FederatedOperationPeers(node.keys, node.trust, officer_keys)


def propose(w: World, **overrides: Any) -> str:
    with SqlUnitOfWork(w.kaz.engine) as uow:
        doc = plan(**{"invited": ["RUS-MVD", "BLR-MVD"], **overrides})
        return svc.propose_operation(uow, doc, KAZ, w.clock.now, peers(w.kaz))


def act(w: World, node: Node, oid: str, who: str, action: OperationAction, **kw: Any) -> Any:
    with SqlUnitOfWork(node.engine) as uow:
        command = OperationCommand(action, **kw)
        return svc.act_on_operation(uow, oid, command, who, w.clock.now, peers(node))


def held(node: Node, oid: str) -> StoredOperation:
    with SqlUnitOfWork(node.engine) as uow:
        return OperationRepository(uow.connection).get(oid)


def same(w: World, oid: str, state: OperationState, version: int) -> list[Operation]:
    """Every node holds the operation at the same state and version, with the same items."""
    copies = [held(n, oid).operation for n in w.nodes]
    for op in copies:
        assert (op.state, op.version) == (state, version)
        assert [(p.body_id, p.answer) for p in op.participants] == [
            (p.body_id, p.answer) for p in copies[0].participants
        ]
        assert [(t.id, t.body_id, t.due, t.done_at) for t in op.tasks] == [
            (t.id, t.body_id, t.due, t.done_at) for t in copies[0].tasks
        ]
        assert [r.id for r in op.reports] == [r.id for r in copies[0].reports]
    return copies


def outcomes(done: list[Processed]) -> list[tuple[str, str]]:
    return sorted((p.type.value, p.outcome) for p in done)


def errors(w: World) -> dict[str, dict[uuid.UUID, str]]:
    return {n.node_id: e for n in w.nodes if (e := processing_errors(n.engine))}


def test_three_parties_from_proposal_to_signed_summary(w: World) -> None:
    oid = propose(w)
    assert outcomes(w.exchange()) == [("operation_proposal", "applied")] * 2
    same(w, oid, OperationState.PROPOSED, 1)
    assert (
        held(w.rus, oid).received_from == "KAZ-MVD-NODE" and held(w.kaz, oid).received_from is None
    )

    # An invited body answers on its own node: the action goes to the lead's node, which
    # applies it and sends it to every invited body's node.
    outcome = act(w, w.rus, oid, RUS_HEAD, A.ACCEPT)
    assert outcome.forwarded and held(w.rus, oid).operation.version == 1
    assert outcomes(w.exchange()) == [
        ("operation_action", "applied"), ("operation_update", "applied"),
        ("operation_update", "applied"),
    ]  # fmt: skip
    [lead, rus, _] = same(w, oid, OperationState.ACTIVE, 2)
    assert lead.participants[0].answered_by == "rus-mvd.head@RUS-MVD-NODE"
    assert rus.participants[0].answered_by == RUS_HEAD  # its own officer, at home
    act(w, w.blr, oid, BLR_HEAD, A.DECLINE, text="No capacity this quarter")
    w.exchange()
    same(w, oid, OperationState.ACTIVE, 3)

    task = {"text": "Trace the pages' hosting", "body_id": "RUS-MVD", "due": date(2026, 3, 1)}
    [t1] = act(w, w.kaz, oid, KAZ, A.ASSIGN_TASK, **task).operation.tasks
    w.exchange()
    act(w, w.rus, oid, RUS, A.REPORT, text="Traced to AS64500", task_id=t1.id)
    act(w, w.rus, oid, RUS, A.COMPLETE_TASK, task_id=t1.id)
    w.exchange()
    [lead, rus, blr] = same(w, oid, OperationState.ACTIVE, 6)
    assert blr.reports[0].text == "Traced to AS64500" and blr.tasks[0].done_at is not None

    closed = act(w, w.kaz, oid, KAZ_HEAD, A.CLOSE, text="Four servers seized").operation
    assert closed.summary is not None and closed.summary.signed_by == KAZ_HEAD
    assert outcomes(w.exchange()) == [("operation_update", "applied")] * 2
    [lead, rus, blr] = same(w, oid, OperationState.CLOSED, 7)
    assert rus.summary is not None and rus.summary.text == "Four servers seized"
    assert rus.summary.signed_by == "kaz-mvd.head@KAZ-MVD-NODE"
    for node in w.nodes:
        signature = held(node, oid).summary_signature
        assert signature is not None and signature["officer_id"] == KAZ_HEAD
        assert signature["signer_role"] == "head"
    with SqlUnitOfWork(w.blr.engine) as uow:
        trail = [a["action"] for a in uow.audit.for_object(oid)]
    assert trail[:6] == [
        "operation:proposed", "operation:accepted", "document:queued:operation_action",
        "operation:action_sent", "operation:declined", "operation:task_assigned",
    ]  # fmt: skip
    # The report and the task's completion were sent together: the lead's node applies them
    # in the order it processes them, which need not be the order they were sent in.
    assert sorted(trail[6:8]) == ["operation:reported", "operation:task_done"]
    assert trail[8:] == ["operation:closed"]
    # A closed operation is refused on every node, before anything is sent.
    with pytest.raises(ProtocolError) as exc:
        act(w, w.rus, oid, RUS, A.REPORT, text="late")
    assert [v.rule for v in exc.value.violations] == ["art5.operation_state"]
    assert w.exchange() == [] and errors(w) == {}


def test_an_action_crossing_the_close_is_refused_by_the_lead(w: World) -> None:
    oid = propose(w)
    w.exchange()
    act(w, w.rus, oid, RUS_HEAD, A.ACCEPT)
    w.exchange()
    act(w, w.rus, oid, RUS, A.REPORT, text="Sent before the close arrived")
    act(w, w.kaz, oid, KAZ_HEAD, A.CLOSE, text="Done")
    done = w.exchange()
    assert ("operation_action", "refused") in outcomes(done)
    same(w, oid, OperationState.CLOSED, 3)
    [reason] = errors(w)["KAZ-MVD-NODE"].values()
    assert "Art. 5 para 3" in reason and "closed" in reason


def test_the_summary_needs_the_heads_key_to_leave_the_node(w: World) -> None:
    oid = propose(w)
    w.exchange()
    act(w, w.rus, oid, RUS_HEAD, A.ACCEPT)
    w.exchange()
    with SqlUnitOfWork(w.kaz.engine) as uow, pytest.raises(SignatoryKeyMissing):
        svc.act_on_operation(
            uow, oid, OperationCommand(A.CLOSE, text="Done"), KAZ_HEAD, w.clock.now,
            peers(w.kaz, keys=False),
        )  # fmt: skip
    assert held(w.kaz, oid).operation.state is OperationState.ACTIVE
    assert w.exchange() == []


def test_a_proposal_to_a_body_no_node_hosts_is_not_made(w: World) -> None:
    with pytest.raises(Unroutable):
        propose(w, invited=["RUS-MVD", "ARM-POLICE"])  # no node hosts ARM-POLICE
    with SqlUnitOfWork(w.kaz.engine) as uow:
        assert svc.list_operations(uow, KAZ) == []


def forge(w: World, sender: Node, to: Node, doc_type: DocumentType, body: JSONObject) -> Document:
    """A document genuinely sealed by ``sender``'s node, saying whatever ``body`` says."""
    document = Document(
        id=uuid.uuid4(), type=doc_type, sender=sender.node_id, recipient=to.node_id,
        created_at=w.clock.now, body=body, trust_list_version=sender.trust().current.version,
    )  # fmt: skip
    with sender.engine.begin() as conn:
        enqueue(conn, document, keys=sender.keys, trust=sender.trust(), now=w.clock.now)
    return document


def refusal(w: World, document: Document, node: Node) -> str:
    [done] = [p for p in w.exchange() if p.document_id == document.id]
    assert done.outcome == "refused"
    return processing_errors(node.engine)[document.id]


def test_a_node_acts_only_for_its_own_bodies(w: World) -> None:
    oid = propose(w)
    w.exchange()
    rus_head = Officer(RUS_HEAD, "x", "RUS-MVD", frozenset({Role.SIGNATORY}))
    accept = OperationCommand(A.ACCEPT)
    # The Belarusian node answers for the Russian body: refused by the lead's node.
    body = action_body(oid, None, accept, rus_head, "BLR-MVD-NODE", w.clock.now)
    assert "Art. 4" in refusal(
        w, forge(w, w.blr, w.kaz, DocumentType.OPERATION_ACTION, body), w.kaz
    )
    # The Belarusian node sends an update as if it led the operation.
    body = action_body(oid, 1, accept, rus_head, "RUS-MVD-NODE", w.clock.now)
    assert "Art. 4" in refusal(
        w, forge(w, w.blr, w.rus, DocumentType.OPERATION_UPDATE, body), w.rus
    )
    # A close without the head's signature, even from the lead's node.
    head = Officer(KAZ_HEAD, "x", "KAZ-MVD", frozenset({Role.SIGNATORY}))
    body = action_body(oid, 1, OperationCommand(A.CLOSE, text="x"), head, "KAZ-MVD-NODE",
                       w.clock.now)  # fmt: skip
    reason = refusal(w, forge(w, w.kaz, w.rus, DocumentType.OPERATION_UPDATE, body), w.rus)
    assert "not signed" in reason
    # A body that was not invited, vouched for by its own node: the core refuses it.
    kgz = Officer("kgz-mvd.head", "x", "RUS-MVD", frozenset({Role.SIGNATORY}))
    body = action_body(oid, None, OperationCommand(A.REPORT, text="x", item_id="R"), kgz,
                       "RUS-MVD-NODE", w.clock.now)  # fmt: skip
    reason = refusal(w, forge(w, w.rus, w.kaz, DocumentType.OPERATION_ACTION, body), w.kaz)
    assert "Art. 5 para 3" in reason
    same(w, oid, OperationState.PROPOSED, 1)
    assert [p.answer for p in held(w.kaz, oid).operation.participants] == [Answer.INVITED] * 2


def test_a_time_ahead_of_the_receivers_clock_is_refused(w: World) -> None:
    oid = propose(w)
    w.exchange()
    head = Officer(RUS_HEAD, "x", "RUS-MVD", frozenset({Role.SIGNATORY}))
    body = action_body(oid, None, OperationCommand(A.ACCEPT), head, "RUS-MVD-NODE",
                       w.clock.now + timedelta(hours=2))  # fmt: skip
    reason = refusal(w, forge(w, w.rus, w.kaz, DocumentType.OPERATION_ACTION, body), w.kaz)
    assert "ahead of this node's clock" in reason
    same(w, oid, OperationState.PROPOSED, 1)
