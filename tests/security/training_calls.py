"""The training events of the authorization matrix (Art. 5 para 4).

The event: KAZ-MVD (the owner's body) hosts a seminar and gives places to Russia only, so
its readers are the host body's officers (owner, signatory, liaison) and every body of
Russia (counterpart, counterpart_party), any role; nobody else, not the auditor, not the
Secretariat, not KAZ-KNB (the host gave Kazakhstan no places), not Belarus. Made through
the use cases (the matrix checks the routes, ``tests/web/test_training_pages.py`` the
making), once per world; a POST nominates on a fresh event, so the order of the tests does
not matter.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from ozara.services import training as svc
from ozara.store.uow import SqlUnitOfWork
from tests.security.conftest import World

TITLE = "Seminar on the Zhetysu phishing kits"
TOPIC = "How the Zhetysu ring hides its phishing pages behind fast-flux hosting"
TRAINING_SECRETS = (TITLE, TOPIC)
#: The host body's officers and the bodies of the invited Party (Russia).
TRAINING_READERS = frozenset({"owner", "signatory", "liaison", "counterpart", "counterpart_party"})
_made: dict[str, str] = {}


def _dates(world: World) -> dict[str, str]:
    """A seminar two months after the world's clock, nominations open for a month."""
    today = world.clock.now.date()
    return {
        "date_from": (today + timedelta(days=60)).isoformat(),
        "date_to": (today + timedelta(days=62)).isoformat(),
        "nomination_deadline": (today + timedelta(days=30)).isoformat(),
    }


def actor_event(world: World) -> dict[str, str]:
    """The announcement form each actor posts: places for Armenia, a Party of no actor."""
    return {
        "kind": "course", "title": "A course of the actor's own", "topic": "A neutral topic",
        "venues": "A neutral venue", "language": "ru", "places.ARM": "1", **_dates(world),
    }  # fmt: skip


def _announced(world: World) -> str:
    doc: dict[str, Any] = {
        "kind": "seminar", "title": TITLE, "topic": TOPIC, "venues": ["Almaty"],
        "language": "ru", "places": {"RUS": 5}, **_dates(world),
    }  # fmt: skip
    with SqlUnitOfWork(world.engine) as uow:
        return svc.announce_event(uow, doc, "kaz-mvd.head", world.clock.now)


def event_id(world: World) -> str:
    """The world's announced event, made on first use."""
    if world.url not in _made:
        _made[world.url] = _announced(world)
    return _made[world.url]


def show(world: World, actor: str) -> httpx.Response:
    return world.client(actor).get(f"/training/{event_id(world)}")


def announce(world: World, actor: str) -> httpx.Response:
    data = {**actor_event(world), "csrf": world.token(actor)}
    return world.client(actor).post("/training/new", data=data)


def nominate(world: World, actor: str) -> httpx.Response:
    """A nomination on a fresh event: a body of Russia nominates; the host's own staff are
    refused by the Protocol (their Party has no places, 422); anyone else is denied."""
    eid = _announced(world)
    return world.client(actor).post(
        f"/training/{eid}/act",
        data={"action": "nominate", "name": "A neutral name", "post": "inspector",
              "contact": "a neutral contact", "csrf": world.token(actor)},
    )  # fmt: skip
