"""Seven nodes on localhost for ``make demo``: the six Parties and the CSTO Secretariat.

Each node has its own SQLite database, its own key pairs, its signatories' keys and a node
directory (``var/federation/<node>/``, the layout of ``ozara serve --node-dir``); each serves
the node API over real HTTP on loopback, and documents travel between them through each
node's outbox, delivery worker and inbox. All seven share one simulated clock, so that the
scenario can cover a month of deadlines in seconds: that clock is the only thing simulated.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from ozara.api.node import create_app
from ozara.api.threaded import bound_socket, running
from ozara.core.parties import Officer, Party
from ozara.crypto import DEFAULT_SUITE_ID, get_suite
from ozara.documents import (
    NodeKeys,
    TrustEntry,
    generate_node_keys,
    issue_trust_list,
)
from ozara.federation import Processed, TrustHolder, process_inbox
from ozara.federation.requests import FederatedPeers
from ozara.seed import AUDITOR, BODIES, SECRETARIAT_OFFICER, officers_for
from ozara.services import accounts
from ozara.services.node import init_node
from ozara.store import at_rest
from ozara.store.db import make_engine
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import DeliveryWorker, HttpxTransport, Inbox, RetryPolicy, outbox
from ozara.transport.nodefiles import load_node, write_node, write_officer_key
from ozara.web.app import create_web_app
from ozara.web.page import WebConfig

SECRETARIAT = "CSTO-SEC"
#: node id → (Party, bodies it hosts); the Secretariat's node hosts no body.
LAYOUT: dict[str, tuple[Party | None, tuple[str, ...]]] = {
    SECRETARIAT: (None, ()),
    "ARM-NODE": (Party.ARMENIA, ("ARM-POLICE",)),
    "BLR-NODE": (Party.BELARUS, ("BLR-MVD",)),
    "KAZ-NODE": (Party.KAZAKHSTAN, ("KAZ-MVD",)),
    "KGZ-NODE": (Party.KYRGYZSTAN, ("KGZ-MVD", "KGZ-GKNB")),
    "RUS-NODE": (Party.RUSSIA, ("RUS-MVD", "RUS-FSB")),
    "TJK-NODE": (Party.TAJIKISTAN, ("TJK-MVD",)),
}
VALID_UNTIL = datetime(2036, 1, 1, tzinfo=UTC)
#: The demo's one password (a real node sets each with ``ozara officer password``).
DEMO_PASSWORD = "ozara-demo-password"
ACCOUNTS_FILE = "accounts.json"


class SimulatedClock:
    """The scenario's clock; once ``live``, the real time (for people signing in with TOTP)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.live = False

    def __call__(self) -> datetime:
        return datetime.now(UTC) if self.live else self.now


@dataclass
class Node:
    node_id: str
    party: Party | None
    bodies: tuple[str, ...]
    url: str
    engine: Engine
    keys: NodeKeys
    trust: TrustHolder
    inbox: Inbox
    worker: DeliveryWorker
    peers: FederatedPeers
    directory: Path


@dataclass
class Hop:
    """Where one document is: sent from one node to another, and what became of it there."""

    document_id: UUID
    type: str
    sender: str
    recipient: str
    delivery: str  # pending | delivered | failed
    processing: str = "not processed"


@dataclass
class Federation:
    nodes: dict[str, Node]
    clock: SimulatedClock
    transport: HttpxTransport
    #: "officer@node" → where and how that officer signs in to the web application.
    logins: dict[str, dict[str, str]] = field(default_factory=dict)
    hops: list[Hop] = field(default_factory=list)

    def node_of(self, body_id: str) -> Node:
        return next(n for n in self.nodes.values() if body_id in n.bodies)

    def pump(self, rounds: int = 10) -> list[Hop]:
        """Deliver and process until nothing moves; the documents that moved, in order."""
        seen = {h.document_id for h in self.hops}
        processed: dict[UUID, Processed] = {}
        for _ in range(rounds):
            moved = False
            for node in self.nodes.values():
                while node.worker.run_once():
                    moved = True
            for node in self.nodes.values():
                for p in process_inbox(node.engine, node.trust, now=self.clock(), keys=node.keys):
                    processed[p.document_id] = p
                    moved = True
            if not moved:
                break
        new: list[Hop] = []
        for node in self.nodes.values():
            for entry in outbox.entries(node.engine):
                if entry.document_id in seen:
                    continue
                done = processed.get(entry.document_id)
                hop = Hop(
                    entry.document_id, entry.document_type, node.node_id, entry.recipient,
                    entry.state.value,
                    "not processed" if done is None else f"{done.outcome}: {done.detail}",
                )  # fmt: skip
                new.append(hop)
        self.hops.extend(new)
        return new

    def pump_forever(self, stop: threading.Event, every: float = 0.5) -> None:
        """Keep documents moving while people use the nodes (``make demo`` after the story)."""
        while not stop.is_set():
            try:
                self.pump()
            except Exception as exc:  # a node busy or stopping: try again on the next beat
                print(f"demo: delivery pass failed: {exc}", file=sys.stderr)
            stop.wait(every)


def _officers(node_id: str, bodies: tuple[str, ...]) -> list[Officer]:
    out = [o for b in BODIES if b.id in bodies for o in officers_for(b)]
    if node_id == SECRETARIAT:
        out.append(SECRETARIAT_OFFICER)
    return [*out, AUDITOR]


@contextmanager
def running_federation(root: Path, start: datetime, base_port: int) -> Iterator[Federation]:
    """Create the seven nodes under ``root`` (wiped first), serve them, stop them at the end."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    clock = SimulatedClock(start)
    suite = get_suite(DEFAULT_SUITE_ID)
    secretariat_keys = generate_node_keys(SECRETARIAT, DEFAULT_SUITE_ID)
    keys = {n: secretariat_keys if n == SECRETARIAT else generate_node_keys(n, DEFAULT_SUITE_ID)
            for n in LAYOUT}  # fmt: skip
    # Bound now and served on as they are: nobody can take a port in between.
    sockets = {n: bound_socket(base_port + i + 1) for i, n in enumerate(LAYOUT)}
    ports = {n: int(sock.getsockname()[1]) for n, sock in sockets.items()}
    entries = tuple(
        TrustEntry(
            node_id=n,
            party=party,
            bodies=bodies,
            endpoint=f"http://127.0.0.1:{ports[n]}",
            suite=DEFAULT_SUITE_ID,
            signing_key=keys[n].signing.public,
            encryption_key=keys[n].encryption.public,
            valid_from=start - timedelta(days=30),
            valid_until=VALID_UNTIL,
        )
        for n, (party, bodies) in LAYOUT.items()
    )
    trust_list = issue_trust_list(
        1, start - timedelta(days=1), SECRETARIAT, entries, secretariat_keys.signing
    )
    transport = HttpxTransport(timeout=10)
    nodes: dict[str, Node] = {}
    logins: dict[str, dict[str, str]] = {}
    with ExitStack() as stack:
        stack.callback(transport.close)
        for node_id, (party, bodies) in LAYOUT.items():
            directory = root / node_id
            write_node(directory, keys[node_id], trust_list, secretariat_keys.signing.public)
            for officer in _officers(node_id, bodies):
                if officer.id.endswith(".head"):
                    write_officer_key(directory, officer.id, suite.generate_signing_key_pair())
            config = load_node(directory)  # as ``ozara serve --node-dir`` reads it
            engine = make_engine(f"sqlite:///{directory / 'node.sqlite3'}")
            stack.callback(engine.dispose)
            # Files encrypted at rest, the key outside the database (``ozara keys init``).
            keyring = at_rest.Keyring.generate()
            at_rest.save(keyring, directory / at_rest.KEYRING_FILE)
            at_rest.attach(engine, keyring)
            init_node(engine, start - timedelta(days=1), _officers(node_id, bodies))
            holder = TrustHolder(config.trust, config.secretariat_key)
            inbox = Inbox(engine, config.keys, holder, clock)
            worker = DeliveryWorker(
                engine, config.keys, holder, transport, clock=clock, rng=random.Random(1),
                policy=RetryPolicy(base=timedelta(seconds=1), max_attempts=5),
            )  # fmt: skip
            peers = FederatedPeers(config.keys, holder, config.officer_keys)
            url = f"http://127.0.0.1:{ports[node_id]}"
            app = create_app(inbox)
            app.mount("/", create_web_app(WebConfig(engine, clock, node_id, peers)))
            logins.update(_accounts(engine, node_id, bodies, url, start))
            nodes[node_id] = Node(
                node_id, party, bodies, url, engine, config.keys, holder, inbox, worker, peers,
                directory,
            )  # fmt: skip
            stack.enter_context(_serving(app, sockets[node_id]))
        _write_private(root / ACCOUNTS_FILE, logins)
        yield Federation(nodes, clock, transport, logins)


def _serving(app: FastAPI, sock: socket.socket) -> AbstractContextManager[uvicorn.Server]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=int(sock.getsockname()[1]), ws="none", lifespan="off",
        log_level="warning", access_log=False,
    )  # fmt: skip
    return running(config, sock=sock)


def _accounts(
    engine: Engine, node_id: str, bodies: tuple[str, ...], url: str, now: datetime
) -> dict[str, dict[str, str]]:
    """Every officer of the node can sign in to its web application: one demo password,
    a TOTP secret each (written to ``accounts.json`` beside the node directories)."""
    out = {}
    for officer in _officers(node_id, bodies):
        with SqlUnitOfWork(engine) as uow:
            accounts.set_password(uow, officer.id, DEMO_PASSWORD, now)
        with SqlUnitOfWork(engine) as uow:
            secret = accounts.enroll_totp(uow, officer.id, now)
        out[f"{officer.id}@{node_id}"] = {
            "officer_id": officer.id, "node": node_id, "url": url, "password": DEMO_PASSWORD,
            "totp_secret": secret,
        }  # fmt: skip
    return out


def _write_private(path: Path, content: object) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(content, out, indent=2, ensure_ascii=False)
