"""Issue 7, "Crash safety": SIGKILL during writes leaves no half-applied transition.

A worker process (``crash_worker.py``) runs real use cases on a node's database as fast as
it can: requests created, signed, sent (documents into the outbox, officer signatures) and
taken through the lifecycle, records created and shared, requests viewed, audit
checkpoints signed. The test kills it with SIGKILL at a random moment while it writes,
then checks the database as a whole:

1. every request agrees with its events: a ``request:created`` event first, one event per
   version (``version + 1`` events: creation is version 0, each transition adds one), each
   event starting where the one before ended, the last one ending in the request's state
   at the request's ``updated_at``; the request's signing, sending and receipt times are
   those of the events that set them;
2. nothing belongs to a change that is not there: every event has one audit entry and
   every request audit entry one event (same order, states and time); every deadline row
   belongs to a request and to the body that owes it; every outbox document has its
   ``document:queued`` audit entry right after the change that queued it (and the other
   way round); officer signatures go with their ``request:signed``/``request:confirmed``
   events; each record has one ``record:created`` entry, a version per ``record:updated``
   entry, a ``record:revoked`` entry if revoked, its latest change's time, a person row per
   person of its content, and exactly the recipients the ``record:shared`` entries name;
   each consent one ``record_consent:asked`` entry and one answer entry if answered; each
   stored checkpoint its ``audit:checkpoint`` entry; the request counters equal the
   requests numbered;
3. the audit chain verifies (``verify_chain``), its ids run 1..N without gaps and the head
   names the last entry;
4. the core's invariants hold for every request (``ozara.core.invariants``);
5. what the worker reported committed is there, and at most one operation per kill more
   (the one whose commit made it to disk before the worker could say so);
6. the node keeps working: a new transition on an existing request commits.

Then the worker is started again on the same database (the data accumulates) for the next
round. On SQLite (a file, WAL) and on PostgreSQL (a fresh database on the private server of
``tests/pg.py``). The randomness is seeded; every wait is bounded. ``make test`` runs 8 kills
per backend (about 10 s each); the ``slow`` variant 30, each after up to 400 commits.

How we know the checks can fail: with the worker patched (by a ``sitecustomize`` on its
``PYTHONPATH``, not kept here) to commit each transition in two steps, the request row
first, then ``record_events`` in a second transaction, the default scenario fails after one
to five kills on SQLite and PostgreSQL ("version 3 needs 4 events, has 3", "state withdrawn
but the last event ends in sent"); likewise for records split before their audit entry.
Rows added or removed by hand (an event, a deadline, an outbox document, an audit entry, a
person row, a counter step, a record's version) are each reported.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, func, select, text

from ozara.core.actions import ACTIONS, TERMINAL, Action
from ozara.core.deadlines import DeadlineKind
from ozara.core.invariants import invariant_violations
from ozara.core.lifecycle import Command, allowed_actions, deadline_owner
from ozara.services import requests as svc
from ozara.services.node import demo_officers, init_node
from ozara.store import db
from ozara.store import tables as t
from ozara.store.audit import verify_chain
from ozara.store.repository import RequestRepository
from ozara.store.uow import SqlUnitOfWork
from tests.faults.crash_worker import FEDERATED_BODY, officers_of

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 1, 30, 7, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Scenario:
    kills: int
    seed: int
    #: The worker is killed after it reported this many commits (a random number in range)...
    commits: tuple[int, int] = (1, 60)
    #: ... and then a random time in this range (seconds), so the kill lands anywhere.
    delay: tuple[float, float] = (0.0, 0.2)


DEFAULT = Scenario(kills=8, seed=11)
LONG = Scenario(kills=30, seed=23, commits=(1, 400))


# -- the database, on both backends ------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'node.sqlite3'}"
        return
    server = str(request.getfixturevalue("postgres_server"))
    name = f"crash_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the worker ----------------------------------------------------------------------------


class Worker:
    """``crash_worker.py`` in a subprocess; a thread collects the lines it prints."""

    def __init__(self, url: str, seed: int, log: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
        self.log = log
        with log.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.faults.crash_worker", url, str(seed)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err,
            )  # fmt: skip
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            if not raw.endswith(b"\n"):
                break  # cut by the kill (a line is one write: it does not happen)
            with self._changed:
                self.lines.append(raw.decode().rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def committed(self) -> list[str]:
        with self._changed:
            return [line for line in self.lines if line != "started"]

    def wait_for(self, commits: int, timeout: float = 60) -> None:
        """Until the worker has reported ``commits`` commits (it is writing by then)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len([x for x in self.lines if x != "started"]) < commits:
                if self.process.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"the worker died: {self.log.read_text()[-3000:]}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the worker made no progress: {self.log.read_text()}")
                self._changed.wait(min(left, 0.5))

    def kill(self) -> list[str]:
        """SIGKILL; the lines it printed (all of them: the pipe is read to its end)."""
        alive = self.process.poll() is None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()
        assert alive, f"the worker had stopped before the kill: {self.log.read_text()[-3000:]}"
        assert self.process.returncode == -signal.SIGKILL
        return self.committed()


# -- what the worker said it committed ------------------------------------------------------


@dataclass
class Reported:
    """Commits reported by the workers and made by the test itself, over all rounds."""

    created: set[str] = field(default_factory=set)
    versions: dict[str, int] = field(default_factory=dict)
    transitions: int = 0
    views: Counter[str] = field(default_factory=Counter)
    records: set[str] = field(default_factory=set)
    shared: set[tuple[str, str]] = field(default_factory=set)
    checkpoints: set[int] = field(default_factory=set)
    record_versions: dict[str, int] = field(default_factory=dict)
    record_updates: int = 0
    revoked: set[str] = field(default_factory=set)
    consents: set[str] = field(default_factory=set)
    answered: set[str] = field(default_factory=set)
    kills: int = 0

    def add(self, lines: list[str]) -> None:
        for line in lines:
            kind, *args = line.split()
            if kind == "C":
                self.created.add(args[0])
                self.versions.setdefault(args[0], 0)
            elif kind == "T":
                self.transitions += 1
                self.versions[args[0]] = max(self.versions.get(args[0], 0), int(args[1]))
            elif kind == "V":
                self.views[args[0]] += 1
            elif kind == "R":
                self.records.add(args[0])
            elif kind == "S":
                self.shared.add((args[0], args[1]))
            elif kind == "K":
                self.checkpoints.add(int(args[0]))
            elif kind == "U":
                self.record_updates += 1
                self.record_versions[args[0]] = int(args[1])
            elif kind == "X":
                self.revoked.add(args[0])
            elif kind == "A":
                self.consents.add(args[0])
            elif kind == "Y":
                self.answered.add(args[0])
            else:
                raise AssertionError(f"the worker printed {line!r}")


# -- the checks -----------------------------------------------------------------------------

#: Events that set a request's time column: the column holds the latest such event's time.
TIME_OF = {
    "signed_at": ("request:signed", "request:confirmed"),
    "sent_at": ("request:sent", "request:sent_urgent"),
    "received_at": ("request:received",),
}


def request_problems(conn: Connection) -> list[str]:
    """Points 1, 2 (requests, events, deadlines, audit) and 4."""
    problems: list[str] = []
    repo = RequestRepository(conn)
    ids = list(conn.execute(select(t.requests.c.id).order_by(t.requests.c.id)).scalars())
    known = set(ids)
    events: dict[str, list[Any]] = defaultdict(list)
    for e in conn.execute(select(t.request_events).order_by(t.request_events.c.id)).mappings():
        events[e["request_id"]].append(e)
    audited: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for a in conn.execute(
        select(t.audit_log)
        .where(t.audit_log.c.object_type == "request", t.audit_log.c.action.like("request:%"))
        .order_by(t.audit_log.c.id)
    ).mappings():
        if a["object_id"] not in known:
            problems.append(f"audit entry #{a['id']} {a['action']} of a missing request")
        if a["action"] != "request:viewed":
            d = a["details"]
            audited[a["object_id"]].append((a["action"], d["state_from"], d["state_to"], a["at"]))
    problems += [f"events of a missing request {rid}" for rid in events.keys() - known]
    updated = dict(conn.execute(select(t.requests.c.id, t.requests.c.updated_at)).tuples().all())
    loaded = {rid: repo.get(rid) for rid in ids}
    for rid, r in loaded.items():
        evs = events.get(rid, [])
        if not evs or evs[0]["name"] != "request:created":
            problems.append(f"{rid}: no creation event")
            continue
        if len(evs) != r.version + 1:
            problems.append(
                f"{rid}: version {r.version} needs {r.version + 1} events, has {len(evs)}"
            )
        if evs[-1]["state_to"] != r.state.value:
            problems.append(
                f"{rid}: state {r.state} but the last event ends in {evs[-1]['state_to']}"
            )
        if evs[-1]["at"] != updated[rid]:
            problems.append(f"{rid}: updated at {updated[rid]}, last event at {evs[-1]['at']}")
        for before, after in itertools.pairwise(evs):
            if after["state_from"] != before["state_to"]:
                problems.append(f"{rid}: event {after['id']} starts where no event ended")
        for column, names in TIME_OF.items():
            times = [e["at"] for e in evs if e["name"] in names]
            if getattr(r, column) != (times[-1] if times else None):
                problems.append(f"{rid}: {column} is not the time of its event")
        expected = [(e["name"], e["state_from"], e["state_to"], e["at"]) for e in evs]
        if audited.get(rid, []) != expected:
            problems.append(f"{rid}: its audit entries are not its events")
        problems += [f"{rid}: {v}" for v in invariant_violations(r)]
    for d in conn.execute(select(t.request_deadlines)).mappings():
        if d["request_id"] not in known:
            problems.append(f"deadline {d['kind']} of a missing request {d['request_id']}")
        else:
            r = loaded[d["request_id"]]
            if d["body_id"] != deadline_owner(r, DeadlineKind(d["kind"])):
                problems.append(f"{r.id}: deadline {d['kind']} owed by the wrong body")
    problems += [f"{rid}: audit entries without events" for rid in audited.keys() - events.keys()]
    return problems


def document_problems(conn: Connection) -> list[str]:
    """Point 2: outbox documents, officer signatures, records, checkpoints, counters."""
    problems: list[str] = []
    audit = list(
        conn.execute(
            select(
                t.audit_log.c.id, t.audit_log.c.action, t.audit_log.c.object_type,
                t.audit_log.c.object_id, t.audit_log.c.details, t.audit_log.c.entry_hash,
                t.audit_log.c.at,
            ).order_by(t.audit_log.c.id)
        ).tuples()
    )  # fmt: skip
    by_id = {row[0]: row for row in audit}
    queued = {}
    for entry_id, action, object_type, object_id, details, *_ in audit:
        if not action.startswith("document:queued:"):
            continue
        queued[details["document_id"]] = (entry_id, action)
        before = by_id.get(entry_id - 1)
        # The change comes first in its transaction, then the documents it queues.
        if before is None or (before[2], before[3]) != (object_type, object_id):
            problems.append(f"audit entry #{entry_id} queued a document after no change")
    outbox = dict(
        conn.execute(select(t.outbox.c.document_id, t.outbox.c.document_type)).tuples().all()
    )
    problems += [f"outbox document {d} without its audit entry" for d in outbox.keys() - queued]
    problems += [
        f"audit entry for a document not in the outbox: {d}" for d in queued - outbox.keys()
    ]
    for doc_id, doc_type in outbox.items():
        if doc_id in queued and queued[doc_id][1] != f"document:queued:{doc_type}":
            problems.append(f"outbox document {doc_id} is not the {queued[doc_id][1]} queued")
    # Officer signatures: a federated request's, made with its signing or confirmation.
    signatures = set(
        conn.execute(select(t.request_signatures.c.request_id, t.request_signatures.c.purpose))
        .tuples()
        .all()
    )
    made = set()
    for rid, name in conn.execute(
        select(t.request_events.c.request_id, t.request_events.c.name)
        .join(t.requests, t.requests.c.id == t.request_events.c.request_id)
        .where(t.requests.c.requesting_body == FEDERATED_BODY)
    ).tuples():
        if name == "request:signed":
            made.add((rid, "request"))
        elif name == "request:confirmed":
            made.add((rid, "confirmation"))
    problems += [f"signature {s} without its event" for s in signatures - made]
    problems += [f"event without its signature {s}" for s in made - signatures]
    problems += record_problems(conn, audit)
    # Checkpoints: each stored one has its audit entry right after the entry it signs.
    stored = list(
        conn.execute(select(t.audit_checkpoints.c.last_id, t.audit_checkpoints.c.last_hash))
    )
    entries = [row for row in audit if row[1] == "audit:checkpoint"]
    if len(entries) != len(stored):
        problems.append(f"{len(stored)} checkpoints stored, {len(entries)} audited")
    for last_id, last_hash in stored:
        entry, signed = by_id.get(last_id + 1), by_id.get(last_id)
        if entry is None or entry[1] != "audit:checkpoint" or entry[3] != str(last_id):
            problems.append(f"checkpoint over #{last_id} without its audit entry")
        if signed is None or signed[5] != last_hash:
            problems.append(f"checkpoint over #{last_id} names another hash")
    # Reference numbers: each counter equals the requests numbered under it.
    numbered: Counter[tuple[str, int]] = Counter()
    for rid in conn.execute(select(t.requests.c.id)).scalars():
        body, year, _ = rid.rsplit("-", 2)
        numbered[body, int(year)] += 1
    c = t.request_counters.c
    counters = {(b, y): n for b, y, n in conn.execute(select(c.body_id, c.year, c.last)).tuples()}
    if counters != dict(numbered):
        problems.append(f"request counters {counters} but requests {dict(numbered)}")
    return problems


def record_problems(conn: Connection, audit: list[tuple[Any, ...]]) -> list[str]:
    """Point 2 for records and consents: each change is one audit entry, and back."""
    problems: list[str] = []
    # Records: created once; a version per update; revoked with its entry; each row's time
    # is its latest change's; as many person rows as its content has persons.
    changes: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for row in audit:
        if row[2] == "record" and row[1] in ("record:created", "record:updated", "record:revoked"):
            changes[row[3]].append((row[1], row[6]))
    persons = Counter(conn.execute(select(t.record_persons.c.record_id)).scalars())
    rec = t.records.c
    records = set()
    for rid, version, updated_at, revoked_at, content in conn.execute(
        select(rec.id, rec.version, rec.updated_at, rec.revoked_at, rec.content)
    ).tuples():
        records.add(rid)
        done = changes.get(rid, [])
        names = Counter(name for name, _ in done)
        if names["record:created"] != 1 or not done or done[0][0] != "record:created":
            problems.append(f"record {rid}: {names['record:created']} creation entries")
            continue
        if version != 1 + names["record:updated"]:
            problems.append(f"record {rid}: version {version}, {names['record:updated']} updates")
        if names["record:revoked"] != (revoked_at is not None):
            problems.append(f"record {rid}: revoked at {revoked_at}, {names['record:revoked']}")
        if updated_at != done[-1][1]:
            problems.append(f"record {rid}: updated at {updated_at}, last changed {done[-1][1]}")
        if persons[rid] != len(content["persons"]):
            problems.append(
                f"record {rid}: {persons[rid]} person rows, {len(content['persons'])} persons"
            )
    problems += [f"audit entries of a missing record {r}" for r in changes.keys() - records]
    # Recipients: exactly those the shares name.
    named = {(row[3], p) for row in audit if row[1] == "record:shared" for p in row[4]["parties"]}
    recipients = set(
        conn.execute(select(t.record_recipients.c.record_id, t.record_recipients.c.party)).tuples()
    )
    problems += [f"recipient {x} without its share" for x in recipients - named]
    problems += [f"share {x} without its recipient row" for x in named - recipients]
    for table in (t.record_persons, t.record_identifiers):
        owners = set(conn.execute(select(table.c.record_id)).scalars())
        problems += [f"{table.name} rows of a missing record {r}" for r in owners - records]
    # Consents: asked once; answered once, as their state says.
    asked: Counter[str] = Counter()
    answered: dict[str, list[str]] = defaultdict(list)
    for row in audit:
        if row[1] == "record_consent:asked":
            asked[row[3]] += 1
        elif row[1].startswith("record_consent:"):
            answered[row[3]].append(row[1].split(":")[1])
    c = t.record_consents.c
    consents = dict(conn.execute(select(c.id, c.state)).tuples().all())
    for cid, state in consents.items():
        if asked[cid] != 1:
            problems.append(f"consent {cid}: asked {asked[cid]} times")
        if answered.get(cid, []) != ([] if state == "requested" else [state]):
            problems.append(f"consent {cid}: {state}, answers {answered.get(cid)}")
    problems += [f"audit entries of a missing consent {x}" for x in asked.keys() - consents]
    problems += [f"answers to a missing consent {x}" for x in answered.keys() - consents]
    return problems


def chain_problems(engine: Engine) -> list[str]:
    """Point 3."""
    problems = []
    report = verify_chain(engine)
    if not report.intact:
        problems.append(f"the audit chain is broken: {report.broken}")
    with engine.connect() as conn:
        a = t.audit_log.c
        count, low, high = conn.execute(select(func.count(), func.min(a.id), func.max(a.id))).one()
        head = conn.execute(select(t.audit_head.c.last_id, t.audit_head.c.last_hash)).one()
        last = conn.execute(select(a.entry_hash).where(a.id == high)).scalar_one()
        if (low, high) != (1, count):
            problems.append(f"audit ids {low}..{high} for {count} entries")
        if (head.last_id, head.last_hash) != (high, last):
            problems.append(f"the head names #{head.last_id}, the last entry is #{high}")
        if conn.dialect.name == "sqlite":
            if (ok := conn.exec_driver_sql("PRAGMA integrity_check").scalar()) != "ok":
                problems.append(f"SQLite integrity check: {ok}")
            if conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                problems.append("SQLite foreign key check fails")
    return problems


def durability_problems(conn: Connection, said: Reported) -> list[str]:
    """Point 5: every reported commit is there; at most one unreported commit per kill."""
    problems = []
    versions = dict(conn.execute(select(t.requests.c.id, t.requests.c.version)).tuples().all())
    for rid, version in said.versions.items():
        if versions.get(rid, -1) < version:
            problems.append(f"{rid} was committed at version {version}, is {versions.get(rid)}")
    a = t.audit_log.c
    viewed = Counter(
        conn.execute(select(a.object_id).where(a.action == "request:viewed")).scalars()
    )
    problems += [f"a view of {rid} was lost" for rid, n in said.views.items() if viewed[rid] < n]
    rec = t.records.c
    stored = {r: (v, x) for r, v, x in conn.execute(select(rec.id, rec.version, rec.revoked_at))}
    records = set(stored)
    problems += [f"record {r} was lost" for r in said.records - records]
    for r, version in said.record_versions.items():
        if stored.get(r, (0, None))[0] < version:
            problems.append(f"record {r} was committed at version {version}, is {stored.get(r)}")
    revoked = {r for r, (_, x) in stored.items() if x is not None}
    problems += [f"the revocation of {r} was lost" for r in said.revoked - revoked]
    c = t.record_consents.c
    consents = dict(conn.execute(select(c.id, c.state)).tuples().all())
    problems += [f"consent {x} was lost" for x in said.consents - consents.keys()]
    answered = {x for x, state in consents.items() if state != "requested"}
    problems += [f"the answer to consent {x} was lost" for x in said.answered - answered]
    recipients = {
        (r, p)
        for r, p in conn.execute(
            select(t.record_recipients.c.record_id, t.record_recipients.c.party)
        ).tuples()
    }
    problems += [f"share {s} was lost" for s in said.shared - recipients]
    checkpoints = set(conn.execute(select(t.audit_checkpoints.c.last_id)).scalars())
    problems += [f"checkpoint over #{k} was lost" for k in said.checkpoints - checkpoints]
    unreported = {
        "requests": len(versions) - len(said.created),
        "transitions": sum(versions.values()) - said.transitions,
        "views": viewed.total() - said.views.total(),
        "records": len(records) - len(said.records),
        "checkpoints": len(checkpoints) - len(said.checkpoints),
        "record updates": sum(v for v, _ in stored.values()) - len(records) - said.record_updates,
        "revocations": len(revoked) - len(said.revoked),
        "consents": len(consents) - len(said.consents),
        "answers": len(answered) - len(said.answered),
    }
    if any(n < 0 for n in unreported.values()) or sum(unreported.values()) > said.kills:
        problems.append(f"after {said.kills} kills, committed but never reported: {unreported}")
    return problems


def crash_problems(engine: Engine, said: Reported | None = None) -> list[str]:
    """Everything that would show a half-applied change, or a lost one."""
    with engine.connect() as conn:
        problems = request_problems(conn) + document_problems(conn)
        if said is not None:
            problems += durability_problems(conn, said)
    return problems + chain_problems(engine)


# -- the node keeps working -----------------------------------------------------------------


def clock_after(engine: Engine) -> datetime:
    with engine.connect() as conn:
        latest: datetime = conn.execute(select(func.max(t.audit_log.c.at))).scalar_one()
    return max(START, latest.astimezone(UTC) + timedelta(minutes=1))


def one_more_transition(engine: Engine, said: Reported) -> None:
    """Point 6: an officer takes an action on an existing request, and it commits."""
    now = clock_after(engine)
    r = t.requests.c
    with SqlUnitOfWork(engine) as uow:
        ids = (
            uow.connection.execute(
                select(r.id)
                .where(
                    r.state.not_in([s.value for s in TERMINAL]), r.requesting_body != FEDERATED_BODY
                )
                .order_by(r.updated_at.desc())
            )
            .scalars()
            .all()
        )
        ctx = svc.context(uow)
        found = None
        for rid in ids:
            request = uow.requests.get(rid)
            bodies = (request.content.requesting_body, request.requested_body)
            for officer_id in [o for b in bodies for o in officers_of(b)]:
                officer = uow.registry.officer(officer_id)
                actions = [a for a in allowed_actions(request, officer, ctx, now)
                           if a not in (Action.FORWARD, Action.WITHDRAW)]  # fmt: skip
                if actions:
                    found = (request, officer_id, actions[0])
                    break
            if found:
                break
    assert found is not None, "no request left to act on"
    request, officer_id, action = found
    command = Command(action, text="After the crash" if ACTIONS[action].needs_text else "")
    with SqlUnitOfWork(engine) as uow:
        after = svc.act(uow, request.id, command, officer_id, now)
    assert after.version == request.version + 1
    said.transitions += 1
    said.versions[request.id] = after.version
    with SqlUnitOfWork(engine) as uow:
        assert uow.requests.get(request.id).version == after.version
        assert uow.events.for_request(request.id)[-1].state_to == after.state.value


# -- the test -----------------------------------------------------------------------------


def run_scenario(url: str, tmp_path: Path, scenario: Scenario) -> Reported:
    engine = db.make_engine(url)
    try:
        init_node(engine, START, demo_officers())
        rng = random.Random(scenario.seed)
        said = Reported()
        for round_ in range(1, scenario.kills + 1):
            worker = Worker(url, rng.randrange(2**32), tmp_path / f"worker-{round_}.log")
            try:
                worker.wait_for(rng.randint(*scenario.commits))
                time.sleep(rng.uniform(*scenario.delay))
            finally:
                lines = worker.kill()
            said.add(lines)
            said.kills += 1
            problems = crash_problems(engine, said)
            assert not problems, f"after kill {round_}:\n" + "\n".join(problems[:30])
            one_more_transition(engine, said)
        # The last transitions (the test's own) left everything in order too.
        assert crash_problems(engine, said) == []
        assert len(said.created) > scenario.kills and said.transitions > scenario.kills
        return said
    finally:
        engine.dispose()


def test_sigkill_during_writes_leaves_no_half_applied_change(
    database_url: str, tmp_path: Path
) -> None:
    run_scenario(database_url, tmp_path, DEFAULT)


@pytest.mark.slow
def test_sigkill_during_writes_many_times(database_url: str, tmp_path: Path) -> None:
    run_scenario(database_url, tmp_path, LONG)
