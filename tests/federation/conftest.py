"""A small federation of three nodes, each with its own database: the Secretariat's node
(CSTO-SEC), a Kazakh node (KAZ-MVD-NODE) and a Russian node (RUS-MVD-NODE).

One node lives in the ``engine`` fixture's database (SQLite and PostgreSQL), chosen by the
test; the others in SQLite files of their own. Documents travel through an in-memory
transport that hands each sealed blob to the recipient's ``Inbox``, as the HTTP API would.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ozara.documents import NodeKeys, TrustState
from ozara.federation import Processed, TrustHolder, process_inbox
from ozara.services.node import demo_officers, init_node
from ozara.store import db
from ozara.transport import DeliveryWorker, Inbox, InMemoryTransport, RetryPolicy
from tests.conftest import Clock
from tests.documents.federation import Federation, build_federation
from tests.transport.conftest import inbox_handler

SECRETARY = "csto.secretariat"


@dataclass
class Node:
    keys: NodeKeys
    engine: Engine
    trust: TrustHolder
    inbox: Inbox
    worker: DeliveryWorker

    @property
    def node_id(self) -> str:
        return self.keys.node_id

    def process(self, clock: Clock) -> list[Processed]:
        return process_inbox(self.engine, self.trust, now=clock.now, keys=self.keys)


@dataclass
class World:
    fed: Federation
    clock: Clock
    transport: InMemoryTransport
    sec: Node
    kaz: Node
    rus: Node

    def deliver(self, *senders: Node) -> None:
        """Run the senders' workers until their outboxes are empty of due documents."""
        for node in senders or (self.sec, self.kaz, self.rus):
            while node.worker.run_once():
                pass

    def process_all(self) -> dict[str, list[Processed]]:
        return {n.node_id: n.process(self.clock) for n in (self.kaz, self.rus)}


def make_node(
    fed: Federation, keys: NodeKeys, engine: Engine, clock: Clock, transport: InMemoryTransport
) -> Node:
    init_node(engine, clock.now, demo_officers())
    holder = TrustHolder(TrustState(current=fed.trust_list), fed.secretariat.signing.public)
    inbox = Inbox(engine, keys, holder, lambda: clock.now)
    worker = DeliveryWorker(
        engine, keys, holder, transport, clock=lambda: clock.now, rng=random.Random(7),
        policy=RetryPolicy(base=timedelta(seconds=1), max_attempts=3),
    )  # fmt: skip
    return Node(keys, engine, holder, inbox, worker)


WorldFactory = Callable[[str], World]


@pytest.fixture
def make_world(engine: Engine, tmp_path: Path, clock: Clock) -> Iterator[WorldFactory]:
    """``make_world("rus")``: a world whose Russian node uses the ``engine`` database."""
    made: list[Engine] = []

    def build(on_engine: str) -> World:
        fed = build_federation()
        transport = InMemoryTransport()
        nodes: dict[str, Node] = {}
        for name, keys in (("sec", fed.secretariat), ("kaz", fed.kaz), ("rus", fed.rus)):
            if name == on_engine:
                node_engine = engine
            else:
                node_engine = db.make_engine(f"sqlite:///{tmp_path / name}.sqlite3")
                made.append(node_engine)
            nodes[name] = make_node(fed, keys, node_engine, clock, transport)
            transport.handlers.update(inbox_handler(nodes[name].inbox).handlers)
        return World(fed, clock, transport, nodes["sec"], nodes["kaz"], nodes["rus"])

    yield build
    for e in made:
        e.dispose()
