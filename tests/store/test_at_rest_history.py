"""Encryption at rest of a request's history and of the files of joint work (issue 7): the
grounds of a postponement, what was done, an operation's plan, a seminar's nominees, a
research project's proposal. Each stored value is ciphertext bound to its row; it reads
back; a value moved to another row does not; values written in clear are encrypted by
``ozara keys rotate`` (``reencrypt``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, Table, select, update

from ozara.core.actions import Action
from ozara.store import at_rest
from ozara.store import tables as t
from ozara.store.at_rest_rotation import keys_in_use, reencrypt
from ozara.store.operations import OperationRepository
from ozara.store.research import ResearchRepository
from ozara.store.training import TrainingRepository
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.services import test_operation_services as operations
from tests.services import test_research_services as research
from tests.services import test_training_services as training
from tests.services.test_request_services import act, create

GROUNDS = "A domestic case against the same subscriber is open"


@pytest.fixture
def keyring(node: Engine) -> Iterator[at_rest.Keyring]:
    ring = at_rest.Keyring.generate()
    at_rest.attach(node, ring)
    yield ring
    at_rest.attach(node, None)


def postponed(node: Engine, clock: Clock) -> str:
    rid = create(node, clock)
    act(node, clock, rid, "kaz-mvd.head", Action.SIGN)
    act(node, clock, rid, "kaz-mvd.officer", Action.SEND)
    act(node, clock, rid, "rus-mvd.liaison", Action.RECEIVE)
    act(node, clock, rid, "rus-mvd.officer", Action.START_EXECUTION)
    act(node, clock, rid, "rus-mvd.head", Action.POSTPONE, text=GROUNDS)
    return rid


def history(node: Engine, rid: str) -> list[Any]:
    with SqlUnitOfWork(node) as uow:
        return [e.details for e in uow.events.for_request(rid)]


def raw_details(node: Engine, rid: str) -> list[Any]:
    ev = t.request_events.c
    with node.connect() as conn:
        query = select(ev.details).where(ev.request_id == rid).order_by(ev.id)
        return list(conn.execute(query).scalars())


def test_the_history_is_stored_encrypted_and_read_back(node: Engine, clock: Clock) -> None:
    rid = postponed(node, clock)  # no keyring yet: in clear
    expected = history(node, rid)
    assert GROUNDS in json.dumps(expected)
    assert GROUNDS in json.dumps(raw_details(node, rid))
    ring = at_rest.Keyring.generate()
    at_rest.attach(node, ring)
    try:
        act(node, clock, rid, "rus-mvd.officer", Action.RESUME)
        *old, new = raw_details(node, rid)
        assert at_rest.is_sealed_json(new) and not any(map(at_rest.is_sealed_json, old))
        assert reencrypt(node)["request_events.details"] == len(old)
        assert all(map(at_rest.is_sealed_json, raw_details(node, rid)))
        assert GROUNDS not in json.dumps(raw_details(node, rid))
        assert history(node, rid)[:-1] == expected  # the same history, read through the key
        assert set(keys_in_use(node)) == {ring.active}
    finally:
        at_rest.attach(node, None)


def test_details_moved_to_another_event_do_not_decrypt(
    node: Engine, clock: Clock, keyring: at_rest.Keyring
) -> None:
    rid = postponed(node, clock)
    ev = t.request_events.c
    with node.begin() as conn:
        ids = list(conn.execute(select(ev.id).where(ev.request_id == rid).order_by(ev.id)))
        postponement = conn.execute(select(ev.details).where(ev.id == ids[-1][0])).scalar()
        conn.execute(update(t.request_events).where(ev.id == ids[0][0]), {"details": postponement})
    with pytest.raises(at_rest.AtRestError, match="altered or moved"):
        history(node, rid)


#: Each file of joint work: its table, how one is made, how the node reads it, a text of it.
JOINT: dict[str, tuple[Table, Callable[[Engine, Clock], str], Callable[[Any, str], Any], str]] = {
    "operations": (
        t.operations, operations.propose,
        lambda conn, i: OperationRepository(conn).get(i).operation.plan.goals,
        "phishing pages imitating banks",
    ),
    "training": (
        t.training_events, training.announce,
        lambda conn, i: TrainingRepository(conn).get(i).event.announcement.title,
        training.seminar()["title"],
    ),
    "research": (
        t.research_projects, research.propose,
        lambda conn, i: ResearchRepository(conn).get(i).project.proposal.topic,
        "how they are paid",
    ),
}  # fmt: skip


def raw_content(node: Engine, table: Table, row_id: str) -> Any:
    with node.connect() as conn:
        return conn.execute(select(table.c.content).where(table.c.id == row_id)).scalar_one()


def read(node: Engine, kind: str, row_id: str) -> str:
    with node.connect() as conn:
        return str(JOINT[kind][2](conn, row_id))


@pytest.mark.parametrize("kind", sorted(JOINT))
def test_a_joint_file_is_stored_encrypted_and_read_back(
    node: Engine, clock: Clock, keyring: at_rest.Keyring, kind: str
) -> None:
    table, make, _, text = JOINT[kind]
    row_id = make(node, clock)
    stored = raw_content(node, table, row_id)
    assert at_rest.is_sealed_json(stored) and text not in json.dumps(stored, ensure_ascii=False)
    assert keyring.key_of(at_rest.json_bytes(stored)) == keyring.active
    assert text in read(node, kind, row_id)
    other = make(node, clock)
    with node.begin() as conn:
        conn.execute(update(table).where(table.c.id == other), {"content": stored})
    with pytest.raises(at_rest.AtRestError, match="altered or moved"):
        read(node, kind, other)


@pytest.mark.parametrize("kind", sorted(JOINT))
def test_a_joint_file_in_clear_is_encrypted_by_rotation(
    node: Engine, clock: Clock, kind: str
) -> None:
    table, make, _, text = JOINT[kind]
    row_id = make(node, clock)  # no keyring yet: in clear
    assert not at_rest.is_sealed_json(raw_content(node, table, row_id))
    ring = at_rest.Keyring.generate()
    at_rest.attach(node, ring)
    try:
        assert text in read(node, kind, row_id)  # still reads
        assert reencrypt(node)[f"{table.name}.content"] == 1
        assert at_rest.is_sealed_json(raw_content(node, table, row_id))
        rotated = ring.rotated()
        at_rest.attach(node, rotated)
        assert reencrypt(node)[f"{table.name}.content"] == 1
        at_rest.attach(node, rotated.without(ring.active))
        assert text in read(node, kind, row_id)
    finally:
        at_rest.attach(node, None)
