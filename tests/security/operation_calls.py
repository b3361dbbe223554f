"""The coordinated operations of the authorization matrix (Art. 5 para 3).

The operation: KAZ-MVD (the owner's body) leads it and invited RUS-MVD (the counterpart's
body), whose head accepted; KAZ-MVD's head closed it with the joint summary, so that its
PDF exists. Its readers are the two bodies' officers, any role; nobody else, not the
auditor, not the Secretariat, not another body of either Party. Made through the use cases
(the matrix checks the routes, ``tests/web/test_operation_pages.py`` the making), once per
world; a POST acts on a fresh active operation, so the order of the tests does not matter.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from ozara.core.operations import OperationAction, OperationCommand
from ozara.services import operations as svc
from ozara.store.uow import SqlUnitOfWork
from tests.security.conftest import World

NAME = "Operation Zhetysu Net"
GOALS = "Stop the Zhetysu ring's phishing pages before the spring campaign"
OPERATION_SECRETS = (NAME, GOALS)
#: The lead body's officers (owner, signatory, liaison) and the invited body's (counterpart).
OPERATION_READERS = frozenset({"owner", "signatory", "liaison", "counterpart"})
#: Each actor proposes its own operation (ARM-POLICE is of another Party for every actor).
ACTOR_OPERATION = {
    "name": "An operation of the actor's own",
    "goals": "A neutral goal",
    "period_from": "2026-02-01",
    "period_to": "2026-04-30",
    "category.c": "1",
    "invited.ARM-POLICE": "1",
}
_made: dict[str, str] = {}


def _active(world: World) -> str:
    plan = {
        "name": NAME, "goals": GOALS, "period_from": "2026-02-01", "period_to": "2026-04-30",
        "categories": ["c"], "invited": ["RUS-MVD"],
    }  # fmt: skip
    now = world.clock.now
    with SqlUnitOfWork(world.engine) as uow:
        oid = svc.propose_operation(uow, plan, "kaz-mvd.officer", now)
    with SqlUnitOfWork(world.engine) as uow:
        svc.act_on_operation(
            uow, oid, OperationCommand(OperationAction.ACCEPT), "rus-mvd.head", now
        )
    return oid


def operation_id(world: World) -> str:
    """The world's closed operation, made on first use."""
    if world.url not in _made:
        oid = _active(world)
        close = OperationCommand(OperationAction.CLOSE, text="Four servers seized")
        with SqlUnitOfWork(world.engine) as uow:
            svc.act_on_operation(uow, oid, close, "kaz-mvd.head", world.clock.now)
        _made[world.url] = oid
    return _made[world.url]


def show(suffix: str = "") -> Callable[[World, str], httpx.Response]:
    return lambda w, actor: w.client(actor).get(f"/operations/{operation_id(w)}{suffix}")


def report(world: World, actor: str) -> httpx.Response:
    """A progress report on a fresh active operation: any member's staff may report."""
    oid = _active(world)
    return world.client(actor).post(
        f"/operations/{oid}/act",
        data={"action": "report", "text": "A neutral report", "csrf": world.token(actor)},
    )
