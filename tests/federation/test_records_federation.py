"""Records of information between nodes (Art. 5 para 1, Art. 10): the Kazakh node
(KAZ-MVD) provides, the Russian node (RUS-MVD, RUS-FSB) receives and passes on where
allowed, the Belarusian node (BLR-MVD) receives onward. The Russian node uses the
``engine`` database (SQLite and PostgreSQL); the others SQLite files of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from ozara.core.parties import Party
from ozara.core.records import Purpose
from ozara.core.rules import ProtocolError
from ozara.crypto import DEFAULT_SUITE_ID
from ozara.documents import Document, DocumentType, JSONObject, generate_node_keys
from ozara.federation import Processed, processing_errors
from ozara.federation.record_documents import share_body
from ozara.federation.records import FederatedRecordPeers
from ozara.federation.requests import Unroutable
from ozara.services import records as svc
from ozara.store import db
from ozara.store.records import StoredRecord
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import InMemoryTransport, enqueue
from tests.conftest import Clock
from tests.documents.federation import build_federation, entry_for
from tests.federation.conftest import Node, make_node
from tests.store.test_records_repository import record_document
from tests.transport.conftest import inbox_handler

KAZ, RUS, FSB, BLR = "kaz-mvd.officer", "rus-mvd.officer", "rus-fsb.officer", "blr-mvd.officer"
INVESTIGATION, TRAINING = Purpose.INVESTIGATION, Purpose.TRAINING
ONWARD = {"purposes": ["investigation"], "confidentiality": "confidential", "onward_sharing": True}


@dataclass
class World:
    clock: Clock
    transport: InMemoryTransport
    kaz: Node
    rus: Node
    blr: Node

    def exchange(self) -> list[Processed]:
        """Deliver and process until nothing moves (an answer may queue another document)."""
        done: list[Processed] = []
        for _ in range(4):
            for node in (self.kaz, self.rus, self.blr):
                while node.worker.run_once():
                    pass
            step = [p for n in (self.kaz, self.rus, self.blr) for p in n.process(self.clock)]
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


def peers(node: Node) -> FederatedRecordPeers:
    return FederatedRecordPeers(node.keys, node.trust)


def create(w: World, **overrides: Any) -> str:
    with SqlUnitOfWork(w.kaz.engine) as uow:
        return svc.create_record(uow, record_document(**overrides), KAZ, w.clock.now)


def share(w: World, node: Node, rid: str, *parties: Party, who: str = KAZ) -> None:
    with SqlUnitOfWork(node.engine) as uow:
        svc.share_record(uow, rid, parties, who, w.clock.now, peers(node))


def update(w: World, rid: str, **overrides: Any) -> int:
    with SqlUnitOfWork(w.kaz.engine) as uow:
        return svc.update_record(
            uow, rid, record_document(**overrides), KAZ, w.clock.now, peers(w.kaz)
        )


def read(w: World, node: Node, rid: str, who: str, purpose: Purpose) -> svc.RecordView:
    with SqlUnitOfWork(node.engine) as uow:
        return svc.read_record(uow, rid, who, purpose, w.clock.now)


def denied(w: World, node: Node, rid: str, who: str, purpose: Purpose) -> list[str]:
    with pytest.raises(ProtocolError) as exc:
        read(w, node, rid, who, purpose)
    return [v.rule for v in exc.value.violations]


def held(node: Node, rid: str) -> StoredRecord:
    with SqlUnitOfWork(node.engine) as uow:
        return uow.records.get(rid)


def is_held(node: Node, rid: str) -> bool:
    with SqlUnitOfWork(node.engine) as uow:
        return uow.records.exists(rid)


def test_a_shared_record_is_read_on_the_receiving_node_for_its_purposes(w: World) -> None:
    rid = create(w)
    share(w, w.kaz, rid, Party.RUSSIA)
    done = w.exchange()
    assert [(p.type, p.outcome) for p in done] == [(DocumentType.INFORMATION_SHARE, "applied")]
    copy, original = held(w.rus, rid), held(w.kaz, rid)
    assert copy.content == original.content and copy.version == original.version == 1
    assert copy.holding == original.holding  # same owner, handling, recipients
    assert copy.received_from == "KAZ-MVD-NODE" and original.received_from is None
    assert not is_held(w.blr, rid)
    view = read(w, w.rus, rid, RUS, INVESTIGATION)
    assert view.content.title == "Phishing operator behind fake bank pages"
    assert read(w, w.rus, rid, FSB, INVESTIGATION).holding.owner_body == "KAZ-MVD"
    assert denied(w, w.rus, rid, RUS, TRAINING) == ["art10.purpose"]
    with SqlUnitOfWork(w.rus.engine) as uow:
        trail = [(a["action"], a["actor_id"]) for a in uow.audit.for_object(rid)]
    assert trail == [
        ("record:received", "kaz-mvd.officer@KAZ-MVD-NODE"),
        ("record:read", RUS), ("record:read", FSB), ("record:read_denied", RUS),
    ]  # fmt: skip
    assert processing_errors(w.rus.engine) == {}


def test_sharing_with_a_party_no_node_serves_is_refused_and_nothing_changed(w: World) -> None:
    rid = create(w)
    with pytest.raises(Unroutable):
        share(w, w.kaz, rid, Party.ARMENIA)  # ARM-POLICE is designated, but has no node
    assert held(w.kaz, rid).recipients == ()
    assert w.exchange() == []


def test_consent_travels_to_the_provider_and_its_answer_back(w: World) -> None:
    rid = create(w)
    share(w, w.kaz, rid, Party.RUSSIA)
    w.exchange()
    with SqlUnitOfWork(w.rus.engine) as uow:
        cid = svc.ask_consent(uow, rid, TRAINING, "A CSTO course", RUS, w.clock.now, peers(w.rus))
    done = w.exchange()
    assert [(p.type, p.outcome) for p in done] == [(DocumentType.CONSENT_REQUEST, "applied")]
    with SqlUnitOfWork(w.kaz.engine) as uow:
        [pending] = svc.list_consents(uow, KAZ, pending_only=True)
    assert pending.to_answer and pending.consent.id == cid
    assert pending.consent.asked_by == "rus-mvd.officer@RUS-MVD-NODE"
    assert denied(w, w.rus, rid, RUS, TRAINING) == ["art10.purpose"]  # not answered yet
    with SqlUnitOfWork(w.kaz.engine) as uow:
        svc.answer_consent(uow, cid, True, "For the course", KAZ, w.clock.now, peers(w.kaz))
    w.exchange()
    with SqlUnitOfWork(w.rus.engine) as uow:
        [answered] = svc.list_consents(uow, RUS)
    assert answered.consent.state.value == "granted"
    assert answered.consent.answered_by == "kaz-mvd.officer@KAZ-MVD-NODE"
    assert read(w, w.rus, rid, RUS, TRAINING).id == rid
    # A refusal travels the same way, and the purpose stays closed.
    with SqlUnitOfWork(w.rus.engine) as uow:
        other = svc.ask_consent(
            uow, rid, Purpose.RESEARCH, "A study", RUS, w.clock.now, peers(w.rus)
        )
    w.exchange()
    with SqlUnitOfWork(w.kaz.engine) as uow:
        svc.answer_consent(uow, other, False, "Not for research", KAZ, w.clock.now, peers(w.kaz))
    w.exchange()
    assert denied(w, w.rus, rid, RUS, Purpose.RESEARCH) == ["art10.purpose"]
    assert processing_errors(w.kaz.engine) == processing_errors(w.rus.engine) == {}


def test_a_revocation_reaches_the_receiver_and_closes_the_record(w: World) -> None:
    rid = create(w)
    share(w, w.kaz, rid, Party.RUSSIA)
    w.exchange()
    with SqlUnitOfWork(w.kaz.engine) as uow:
        svc.revoke_record(uow, rid, "Misidentified", KAZ, w.clock.now, peers(w.kaz))
    done = w.exchange()
    assert [(p.type, p.outcome) for p in done] == [(DocumentType.INFORMATION_REVOCATION, "applied")]
    assert denied(w, w.rus, rid, RUS, INVESTIGATION) == ["art10.revoked"]
    assert held(w.rus, rid).revocation_reason == "Misidentified"


def test_a_revocation_ahead_of_its_record_waits_for_it(w: World) -> None:
    rid = create(w)
    share(w, w.kaz, rid, Party.RUSSIA)
    w.transport.fail_next = 1  # the share is lost on its first try
    while w.kaz.worker.run_once():
        pass
    with SqlUnitOfWork(w.kaz.engine) as uow:
        svc.revoke_record(uow, rid, "Misidentified", KAZ, w.clock.now, peers(w.kaz))
    while w.kaz.worker.run_once():
        pass
    assert w.rus.process(w.clock) == []  # deferred: the record is not here yet
    w.clock.advance(minutes=1)
    w.exchange()
    assert held(w.rus, rid).holding.revoked_at is not None
    assert denied(w, w.rus, rid, RUS, INVESTIGATION) == ["art10.revoked"]


def test_an_update_reaching_the_node_out_of_order_keeps_the_newest(w: World) -> None:
    rid = create(w)
    share(w, w.kaz, rid, Party.RUSSIA)
    w.exchange()
    w.clock.advance(hours=1)
    assert update(w, rid, title="Second version") == 2
    w.transport.fail_next = 1  # version 2 is lost on its first try, retried later
    while w.kaz.worker.run_once():
        pass
    w.clock.advance(seconds=0.1)
    assert update(w, rid, title="Third version") == 3
    w.exchange()  # version 3 arrives first
    assert held(w.rus, rid).version == 3
    w.clock.advance(minutes=5)
    done = w.exchange()  # now version 2
    assert [(p.type, p.outcome) for p in done] == [(DocumentType.INFORMATION_SHARE, "unchanged")]
    copy = held(w.rus, rid)
    assert (copy.version, copy.content.title) == (3, "Third version")
    assert read(w, w.rus, rid, RUS, INVESTIGATION).content.title == "Third version"


def test_onward_sharing_keeps_the_owner_and_tells_the_provider(w: World) -> None:
    rid = create(w, handling=ONWARD)
    share(w, w.kaz, rid, Party.RUSSIA)
    w.exchange()
    w.clock.advance(hours=1)
    share(w, w.rus, rid, Party.BELARUS, who=RUS)
    done = w.exchange()
    assert sorted((p.sender, p.outcome) for p in done) == [
        ("RUS-MVD-NODE", "applied"), ("RUS-MVD-NODE", "applied"),
    ]  # fmt: skip
    onward = held(w.blr, rid)
    assert onward.holding.owner_body == "KAZ-MVD" and onward.received_from == "RUS-MVD-NODE"
    assert read(w, w.blr, rid, BLR, INVESTIGATION).id == rid
    # The provider's node knows who holds its record now: its next version reaches Belarus.
    provider = held(w.kaz, rid)
    assert [(r.party, r.shared_by) for r in provider.recipients] == [
        (Party.RUSSIA, "KAZ-MVD"), (Party.BELARUS, "RUS-MVD"),
    ]  # fmt: skip
    assert provider.content.title == "Phishing operator behind fake bank pages"
    update(w, rid, title="Second version", handling=ONWARD)
    w.exchange()
    assert held(w.blr, rid).content.title == held(w.rus, rid).content.title == "Second version"


def test_a_party_that_got_an_older_version_onward_is_brought_up_to_date(w: World) -> None:
    rid = create(w, handling=ONWARD)
    share(w, w.kaz, rid, Party.RUSSIA)
    w.exchange()
    share(w, w.rus, rid, Party.BELARUS, who=RUS)  # version 1 goes on to Belarus ...
    update(w, rid, title="Second version", handling=ONWARD)  # ... while the provider updates
    w.exchange()
    # The provider's node learnt of Belarus after sending version 2, and sent it there too.
    assert held(w.blr, rid).version == 2
    assert read(w, w.blr, rid, BLR, INVESTIGATION).content.title == "Second version"
    assert processing_errors(w.blr.engine) == {}


def test_onward_sharing_not_allowed_is_refused_by_the_sender_and_the_receiver(w: World) -> None:
    rid = create(w)  # onward_sharing: false
    share(w, w.kaz, rid, Party.RUSSIA)
    w.exchange()
    with pytest.raises(ProtocolError) as exc:
        share(w, w.rus, rid, Party.BELARUS, who=RUS)
    assert [v.rule for v in exc.value.violations] == ["art10.onward"]
    # A node that passes it on all the same is refused by the receiver (Art. 10 para 2).
    body = share_body_of(w, rid, sender_body="RUS-MVD", extra=Party.BELARUS)
    document = forge(w, w.rus, w.blr, DocumentType.INFORMATION_SHARE, body)
    assert "not allow this record to be passed on" in refusal(w, document, w.blr)
    assert not is_held(w.blr, rid)


def share_body_of(w: World, rid: str, *, sender_body: str, extra: Party | None = None,
                  **content: Any) -> JSONObject:  # fmt: skip
    """The ``information_share`` body the Kazakh node would send, with changes."""
    body = share_body(held(w.kaz, rid), sender_body, "someone")
    body["content"] = {**body["content"], **content}  # type: ignore[dict-item]
    if extra is not None:
        body["recipients"] = [*body["recipients"], {  # type: ignore[misc]
            "party": extra.value, "shared_by": sender_body, "shared_at": "2026-01-30T08:00:00Z",
        }]  # fmt: skip
    return body


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


def test_a_state_secret_marking_in_a_received_record_is_refused(w: World) -> None:
    rid = create(w)
    secret = {"sender_body": "KAZ-MVD", "extra": Party.RUSSIA}
    body = share_body_of(w, rid, **secret, title="СЕКРЕТНО")
    document = forge(w, w.kaz, w.rus, DocumentType.INFORMATION_SHARE, body)
    assert "Art. 10 para 3" in refusal(w, document, w.rus)
    body = share_body_of(w, rid, **secret, handling={
        "purposes": ["investigation"], "confidentiality": "secret", "onward_sharing": False,
    })  # fmt: skip
    document = forge(w, w.kaz, w.rus, DocumentType.INFORMATION_SHARE, body)
    assert "Art. 10 para 3" in refusal(w, document, w.rus)
    assert not is_held(w.rus, rid)


def test_a_node_may_not_share_for_a_body_it_does_not_host(w: World) -> None:
    rid = create(w)
    share(w, w.kaz, rid, Party.RUSSIA)
    w.exchange()
    # The Belarusian node claims to send the Kazakh body's record, then a new version of it.
    body = share_body_of(w, rid, sender_body="KAZ-MVD", title="Forged version")
    body["version"] = 7
    document = forge(w, w.blr, w.rus, DocumentType.INFORMATION_SHARE, body)
    assert "does not host body 'KAZ-MVD'" in refusal(w, document, w.rus)
    revocation = {
        "record_id": rid, "owner_body": "KAZ-MVD", "version": 1, "reason": "forged",
        "revoked_at": "2026-01-30T07:00:00Z", "revoked_by": "x",
    }  # fmt: skip
    document = forge(w, w.blr, w.rus, DocumentType.INFORMATION_REVOCATION, revocation)
    assert "does not host" in refusal(w, document, w.rus)
    copy = held(w.rus, rid)
    assert (copy.version, copy.holding.revoked_at) == (1, None)


def test_a_record_not_shared_with_the_receiving_party_is_refused(w: World) -> None:
    rid = create(w)
    share(w, w.kaz, rid, Party.RUSSIA)
    w.exchange()
    body = share_body_of(w, rid, sender_body="KAZ-MVD")  # recipients: Russia only
    document = forge(w, w.kaz, w.blr, DocumentType.INFORMATION_SHARE, body)
    assert "not provided to this Party" in refusal(w, document, w.blr)
    assert not is_held(w.blr, rid)


def test_an_onward_share_against_the_providers_latest_version_is_refused(w: World) -> None:
    rid = create(w, handling=ONWARD)
    share(w, w.kaz, rid, Party.RUSSIA, Party.BELARUS)
    w.exchange()
    closed = {"purposes": ["investigation"], "confidentiality": "confidential"}
    update(w, rid, handling={**closed, "onward_sharing": False})
    w.exchange()
    assert held(w.blr, rid).version == 2
    # The Russian node passes on version 1 (onward allowed there) to Belarus all the same.
    body = share_body_of(w, rid, sender_body="RUS-MVD", handling=ONWARD)
    body["version"] = 1
    document = forge(w, w.rus, w.blr, DocumentType.INFORMATION_SHARE, body)
    assert "not allow this record to be passed on" in refusal(w, document, w.blr)


def test_a_consent_request_is_checked_again_on_the_providers_node(w: World) -> None:
    rid = create(w)
    share(w, w.kaz, rid, Party.RUSSIA)
    w.exchange()
    asked = {
        "consent_id": str(uuid.uuid4()), "record_id": rid, "owner_body": "KAZ-MVD",
        "body_id": "BLR-MVD", "purpose": "training", "justification": "A course",
        "asked_by": BLR, "asked_at": "2026-01-30T07:00:00Z",
    }  # fmt: skip
    # Belarus never received the record: it may not ask to use it.
    document = forge(w, w.blr, w.kaz, DocumentType.CONSENT_REQUEST, asked)
    assert "not provided to this Party" in refusal(w, document, w.kaz)
    # Nor may a node ask in the name of a body it does not host.
    document = forge(w, w.blr, w.kaz, DocumentType.CONSENT_REQUEST, {**asked, "body_id": "RUS-MVD"})
    assert "does not host body 'RUS-MVD'" in refusal(w, document, w.kaz)
    # A purpose already permitted needs no consent.
    permitted = {**asked, "body_id": "RUS-MVD", "purpose": "investigation"}
    document = forge(w, w.rus, w.kaz, DocumentType.CONSENT_REQUEST, permitted)
    assert "already permitted" in refusal(w, document, w.kaz)
    with SqlUnitOfWork(w.kaz.engine) as uow:
        assert svc.list_consents(uow, KAZ) == []
    # An answer from a node that does not host the provider is refused on the asking node.
    with SqlUnitOfWork(w.rus.engine) as uow:
        cid = svc.ask_consent(uow, rid, TRAINING, "A course", RUS, w.clock.now, peers(w.rus))
    answer = {
        "consent_id": cid, "record_id": rid, "owner_body": "KAZ-MVD", "body_id": "RUS-MVD",
        "state": "granted", "answered_by": "x", "answered_at": "2026-01-30T07:00:00Z",
        "reason": "", "valid_until": None,
    }  # fmt: skip
    document = forge(w, w.blr, w.rus, DocumentType.CONSENT_ANSWER, answer)
    assert "does not host body 'KAZ-MVD'" in refusal(w, document, w.rus)
    assert denied(w, w.rus, rid, RUS, TRAINING) == ["art10.purpose"]
