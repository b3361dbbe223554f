"""Joint research projects in the authorization matrix (Art. 5 para 6).

The project: KAZ-MVD (the owner's body) leads it and invited RUS-MVD (the counterpart's
body), whose head joined; KAZ-MVD's head completed it. Its readers are the two bodies'
officers, any role; nobody else, not the auditor, not the Secretariat, not another body of
either Party. Made through the use cases, once per world; a POST acts on a fresh active
project, so the order of the tests does not matter.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from ozara.core.research import ResearchAction, ResearchCommand
from ozara.services import research as svc
from ozara.store.uow import SqlUnitOfWork
from tests.security.conftest import World

TITLE = "Zhetysu phishing kits: a joint study"
TOPIC = "Who writes the Zhetysu ring's kits"
RESEARCH_SECRETS = (TITLE, TOPIC)
#: The lead body's officers (owner, signatory, liaison) and the invited body's (counterpart).
RESEARCH_READERS = frozenset({"owner", "signatory", "liaison", "counterpart"})
#: Each actor proposes its own project (ARM-POLICE is of another Party for every actor).
ACTOR_PROJECT = {
    "title": "A project of the actor's own",
    "topic": "A neutral topic",
    "goals": "A neutral goal",
    "period_from": "2026-02-01",
    "period_to": "2026-12-31",
    "invited.ARM-POLICE": "1",
}
_made: dict[str, str] = {}


def _active(world: World) -> str:
    proposal = {
        "title": TITLE, "topic": TOPIC, "goals": "A shared typology",
        "period_from": "2026-02-01", "period_to": "2026-12-31", "invited": ["RUS-MVD"],
    }  # fmt: skip
    now = world.clock.now
    with SqlUnitOfWork(world.engine) as uow:
        pid = svc.propose_project(uow, proposal, "kaz-mvd.officer", now)
    with SqlUnitOfWork(world.engine) as uow:
        svc.act_on_project(uow, pid, ResearchCommand(ResearchAction.JOIN), "rus-mvd.head", now)
    return pid


def project_id(world: World) -> str:
    """The world's completed project, made on first use."""
    if world.url not in _made:
        pid = _active(world)
        complete = ResearchCommand(ResearchAction.COMPLETE, text="A typology of 14 kits")
        with SqlUnitOfWork(world.engine) as uow:
            svc.act_on_project(uow, pid, complete, "kaz-mvd.head", world.clock.now)
        _made[world.url] = pid
    return _made[world.url]


def show(world: World, actor: str) -> httpx.Response:
    return world.client(actor).get(f"/research/{project_id(world)}")


def post_result(world: World, actor: str) -> httpx.Response:
    """A result on a fresh active project: any member's staff may post one."""
    pid = _active(world)
    return world.client(actor).post(
        f"/research/{pid}/act",
        data={"action": "post_result", "text": "A neutral result", "csrf": world.token(actor)},
    )


def propose() -> Callable[[World, str], httpx.Response]:
    return lambda w, actor: w.client(actor).post(
        "/research/new", data={**ACTOR_PROJECT, "csrf": w.token(actor)}
    )
