"""The writer that ``test_crash_safety.py`` kills: real use cases in a loop, as fast as it can.

``python -m tests.faults.crash_worker URL SEED`` (from the repository root) works on an
initialized node's database (``init_node`` with the demo officers) as the Kazakh node of a
small federation (``tests.documents.federation``): it creates requests and records, signs,
sends and acts through the lifecycle, shares, updates and revokes records, asks and answers
consents, views requests and signs audit checkpoints. Requests of KAZ-MVD go to RUS-MVD on
another node (``FederatedPeers``: officer signatures and outbox documents); requests of the
other bodies stay on this node (``peers=None``), both sides acting here, so that they run
their whole lifecycle. Records shared with Russia go there through the outbox too.

After each committed use case it prints one line, flushed, so that the parent knows what is
committed and that the worker is writing::

    C <request id>            created (version 0)
    T <request id> <version>  a transition committed at this version
    V <request id>            viewed
    R <record id>             record created
    S <record id> <PARTY>     record shared with a Party
    U <record id> <version>   record updated to a new version
    X <record id>             record revoked
    A <consent id>            consent asked (Art. 10 para 2)
    Y <consent id>            consent answered
    K <last id>               audit checkpoint over entry <last id>

The clock is simulated (the core takes ``now``): it starts a minute after the latest audit
entry and moves forward by a random step per use case, so that deadlines and the treaty's
dates behave the same however often the worker is restarted.
"""

from __future__ import annotations

import contextlib
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from ozara.core.actions import ACTIONS, TERMINAL, Action
from ozara.core.events import Side
from ozara.core.lifecycle import Command, Request, allowed_actions
from ozara.core.parties import Party
from ozara.core.records import Purpose
from ozara.core.rules import ProtocolError
from ozara.documents import TrustState
from ozara.federation.records import FederatedRecordPeers
from ozara.federation.requests import FederatedPeers
from ozara.services import records as records_svc
from ozara.services import requests as svc
from ozara.store import db
from ozara.store import tables as t
from ozara.store.audit_checkpoints import checkpoint
from ozara.store.uow import SqlUnitOfWork
from tests.documents.federation import build_federation
from tests.services.test_request_services import document as request_document
from tests.store.test_records_repository import record_document

START = datetime(2026, 1, 30, 7, 0, tzinfo=UTC)
#: Requests of this body go to another node (through the outbox); the others stay here.
FEDERATED_BODY = "KAZ-MVD"
#: (requesting body, requested body) of the requests made.
PAIRS = (
    (FEDERATED_BODY, "RUS-MVD"),
    ("BLR-MVD", "RUS-MVD"),
    ("ARM-POLICE", "BLR-MVD"),
    ("KGZ-MVD", "KAZ-MVD"),
)
ROLES = ("officer", "head", "liaison")


def officers_of(body_id: str) -> list[str]:
    return [f"{body_id.lower()}.{role}" for role in ROLES]


class Worker:
    def __init__(self, engine: Engine, rng: random.Random) -> None:
        self.engine = engine
        self.rng = rng
        fed = build_federation()
        state = TrustState(current=fed.trust_list)

        def trust() -> TrustState:
            return state

        self.keys = fed.kaz
        self.peers = FederatedPeers(fed.kaz, trust, {"kaz-mvd.head": fed.head})
        self.record_peers = FederatedRecordPeers(fed.kaz, trust)
        with engine.connect() as conn:
            latest = conn.execute(select(func.max(t.audit_log.c.at))).scalar_one()
        if latest is not None and latest.tzinfo is None:
            latest = latest.replace(tzinfo=UTC)
        self.now = max(START, latest + timedelta(minutes=1)) if latest else START

    def tick(self) -> datetime:
        self.now += timedelta(minutes=self.rng.randint(1, 90))
        return self.now

    def say(self, line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    # -- requests --

    def create(self) -> None:
        requesting, requested = self.rng.choice(PAIRS)
        urgent = self.rng.random() < 0.25
        doc = request_document(requesting_body=requesting, requested_body=requested)
        if urgent:
            doc.update(urgent=True, urgent_grounds="An attack on the banks is being prepared")
        with SqlUnitOfWork(self.engine) as uow:
            request_id = svc.create_request(uow, doc, f"{requesting.lower()}.officer", self.tick())
        self.say(f"C {request_id}")

    def pick_request(self) -> str | None:
        r = t.requests.c
        with self.engine.connect() as conn:
            ids = (
                conn.execute(
                    select(r.id)
                    .where(r.state.not_in([s.value for s in TERMINAL]))
                    .order_by(r.updated_at.desc())
                    .limit(40)
                )
                .scalars()
                .all()
            )
        return self.rng.choice(ids) if ids else None

    def act(self) -> None:
        request_id = self.pick_request()
        if request_id is None:
            self.create()
            return
        now = self.tick()
        with SqlUnitOfWork(self.engine) as uow:
            request = uow.requests.get(request_id)
            ctx = svc.context(uow)
            federated = request.content.requesting_body == FEDERATED_BODY
            bodies = [request.content.requesting_body]
            if not federated:
                bodies.append(request.requested_body)
            choices: list[tuple[str, Action]] = []
            for body in bodies:
                for officer_id in officers_of(body):
                    officer = uow.registry.officer(officer_id)
                    for action in allowed_actions(request, officer, ctx, now):
                        if federated and ACTIONS[action].side is not Side.REQUESTING:
                            continue
                        choices.append((officer_id, action))
        if not choices:
            return
        # Withdrawal is open from most states: rare, so that requests live their lives.
        weights = [0.05 if a is Action.WITHDRAW else 1.0 for _, a in choices]
        [(officer_id, action)] = self.rng.choices(choices, weights)
        command = self.command(request, action, ctx.registry.designated(now), now)
        peers = self.peers if federated else None
        with SqlUnitOfWork(self.engine) as uow:
            after = svc.act(uow, request_id, command, officer_id, now, peers)
        self.say(f"T {request_id} {after.version}")

    def command(
        self, request: Request, action: Action, designated: list[Any], now: datetime
    ) -> Command:
        text = f"{action.value} at {now.isoformat()}" if ACTIONS[action].needs_text else ""
        if action is Action.FORWARD:
            current = next(b for b in designated if b.id == request.requested_body)
            targets = [b.id for b in designated if b.party is current.party and b.id != current.id]
            return Command(action, target_body=self.rng.choice(targets))
        if action in (Action.REFUSE, Action.REPORT_RESULTS):
            return Command(action, text=text, partial=self.rng.random() < 0.3)
        return Command(action, text=text)

    def view(self) -> None:
        request_id = self.pick_request()
        if request_id is None:
            return
        with SqlUnitOfWork(self.engine) as uow:
            body = uow.requests.get(request_id).content.requesting_body
            svc.show(uow, request_id, f"{body.lower()}.officer", self.tick())
        self.say(f"V {request_id}")

    # -- records and checkpoints --

    def create_record(self) -> None:
        with SqlUnitOfWork(self.engine) as uow:
            record_id = records_svc.create_record(
                uow, record_document(), "kaz-mvd.officer", self.tick()
            )
        self.say(f"R {record_id}")

    def share_record(self) -> None:
        with self.engine.connect() as conn:
            ids = (
                conn.execute(
                    select(t.records.c.id).order_by(t.records.c.created_at.desc()).limit(20)
                )
                .scalars()
                .all()
            )
        if not ids:
            self.create_record()
            return
        record_id = self.rng.choice(ids)
        party = self.rng.choice([Party.RUSSIA, Party.BELARUS, Party.ARMENIA])
        # Russia's bodies are on another node: the share goes through the outbox.
        peers = self.record_peers if party is Party.RUSSIA else None
        with SqlUnitOfWork(self.engine) as uow:
            records_svc.share_record(uow, record_id, [party], "kaz-mvd.head", self.tick(), peers)
        self.say(f"S {record_id} {party.value}")

    def recent_records(self, shared_with: Party | None = None) -> list[str]:
        """The latest records standing (not revoked), optionally those shared with a Party."""
        rec, rr = t.records.c, t.record_recipients.c
        q = select(rec.id).where(rec.revoked_at.is_(None))
        if shared_with is not None:
            q = q.join(t.record_recipients, rr.record_id == rec.id).where(
                rr.party == shared_with.value
            )
        with self.engine.connect() as conn:
            return list(conn.execute(q.order_by(rec.created_at.desc()).limit(20)).scalars())

    def update_record(self) -> None:
        ids = self.recent_records()
        if not ids:
            return
        record_id = self.rng.choice(ids)
        persons = record_document()["persons"] * self.rng.randint(1, 3)
        doc = record_document(title=f"Phishing operator, update {self.rng.random()}")
        doc["persons"] = [{**p, "names": [f"{n} {i}" for n in p["names"]]}
                          for i, p in enumerate(persons)]  # fmt: skip
        with self.engine.connect() as conn:
            parties = set(
                conn.execute(
                    select(t.record_recipients.c.party).where(
                        t.record_recipients.c.record_id == record_id
                    )
                ).scalars()
            )
        # The new version goes to the recipients' nodes; only Russia's has one.
        peers = self.record_peers if parties == {Party.RUSSIA.value} else None
        with SqlUnitOfWork(self.engine) as uow:
            version = records_svc.update_record(
                uow, record_id, doc, "kaz-mvd.officer", self.tick(), peers
            )
        self.say(f"U {record_id} {version}")

    def revoke_record(self) -> None:
        ids = self.recent_records()
        if not ids:
            return
        record_id = self.rng.choice(ids)
        with SqlUnitOfWork(self.engine) as uow:
            records_svc.revoke_record(uow, record_id, "Found wrong", "kaz-mvd.head", self.tick())
        self.say(f"X {record_id}")

    def ask_consent(self) -> None:
        ids = self.recent_records(shared_with=Party.BELARUS)
        if not ids:
            return
        with SqlUnitOfWork(self.engine) as uow:
            consent_id = records_svc.ask_consent(
                uow, self.rng.choice(ids), Purpose.TRAINING, "A CSTO course on phishing",
                "blr-mvd.officer", self.tick(),
            )  # fmt: skip
        self.say(f"A {consent_id}")

    def answer_consent(self) -> None:
        c = t.record_consents.c
        with self.engine.connect() as conn:
            ids = list(conn.execute(select(c.id).where(c.state == "requested")).scalars())
        if not ids:
            return
        consent_id = self.rng.choice(ids)
        grant = self.rng.random() < 0.5
        with SqlUnitOfWork(self.engine) as uow:
            records_svc.answer_consent(
                uow, consent_id, grant, "Decided", "kaz-mvd.head", self.tick()
            )
        self.say(f"Y {consent_id}")

    def read_record(self) -> None:
        with self.engine.connect() as conn:
            record_id = conn.execute(select(t.records.c.id).limit(1)).scalar_one_or_none()
        if record_id is None:
            return
        with SqlUnitOfWork(self.engine) as uow:
            records_svc.read_record(
                uow, record_id, "kaz-mvd.officer", Purpose.INVESTIGATION, self.tick()
            )

    def checkpoint(self) -> None:
        signed = checkpoint(self.engine, self.keys, self.tick())
        self.say(f"K {signed['last_id']}")

    def run(self) -> None:
        steps: list[tuple[float, Callable[[], None]]] = [
            (0.18, self.create),
            (0.55, self.act),
            (0.07, self.view),
            (0.06, self.create_record),
            (0.06, self.share_record),
            (0.03, self.update_record),
            (0.005, self.revoke_record),
            (0.02, self.ask_consent),
            (0.015, self.answer_consent),
            (0.02, self.read_record),
            (0.02, self.checkpoint),
        ]
        weights = [w for w, _ in steps]
        self.say("started")
        while True:
            [(_, step)] = self.rng.choices(steps, weights)
            # A rule of the Protocol may refuse the step: then nothing was stored.
            with contextlib.suppress(ProtocolError):
                step()


def main() -> None:
    url, seed = sys.argv[1], int(sys.argv[2])
    engine = db.make_engine(url)
    Worker(engine, random.Random(seed)).run()


if __name__ == "__main__":
    main()
