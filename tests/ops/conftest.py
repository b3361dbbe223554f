"""A Kazakh node with something of everything: requests in several states, their events and
deadlines, audit entries and a signed checkpoint, outbox rows delivered, pending and failed,
inbox rows processed and set aside; and its node directory (keys, trust list, anchor, the
head's signing key)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select, update

from ozara.api.node import create_app
from ozara.core.lifecycle import Action
from ozara.federation.requests import FederatedPeers
from ozara.ops import install_operations
from ozara.store import tables as t
from ozara.store.audit import checkpoint
from ozara.transport.nodefiles import write_node, write_officer_key
from ozara.web.app import create_web_app
from ozara.web.page import WebConfig
from tests.conftest import Clock
from tests.federation.conftest import World, WorldFactory, make_world
from tests.federation.test_requests import act, create, exchange

__all__ = ["AppFactory", "PopulatedNode", "TestClient", "make_app", "make_world", "populated"]


@dataclass
class PopulatedNode:
    world: World
    node_dir: Path
    clock: Clock

    @property
    def engine(self) -> Engine:
        return self.world.kaz.engine


def populate(w: World) -> None:
    """Four requests: one received by the other side, one delivered, one sent and not yet
    delivered, one a draft; a failed outbox row and a dead letter; a checkpoint over the chain."""
    first = create(w)
    act(w, w.kaz, first, Action.SIGN, "kaz-mvd.head")
    act(w, w.kaz, first, Action.SEND, "kaz-mvd.officer")
    exchange(w)
    w.clock.advance(hours=2)
    act(w, w.rus, first, Action.RECEIVE, "rus-mvd.officer")
    exchange(w)
    for deliver in (True, False):  # one delivered, one queued and not yet delivered
        other = create(w)
        act(w, w.kaz, other, Action.SIGN, "kaz-mvd.head")
        act(w, w.kaz, other, Action.SEND, "kaz-mvd.officer")
        if deliver:
            w.deliver(w.kaz)
    create(w)  # a draft
    with w.kaz.engine.begin() as conn:
        first_sent = conn.execute(
            select(t.outbox.c.document_id).where(t.outbox.c.state == "delivered").limit(1)
        ).scalar_one()
        conn.execute(
            update(t.outbox)
            .where(t.outbox.c.document_id == first_sent)
            .values(state="failed", last_error="gave up (test)")
        )
        received = conn.execute(select(t.inbox.c.document_id).limit(1)).scalar_one()
        conn.execute(
            update(t.inbox)
            .where(t.inbox.c.document_id == received)
            .values(processing_error="dead letter: failed 5 times (test)")
        )
    checkpoint(w.kaz.engine, w.kaz.keys, w.clock.now)


@pytest.fixture
def populated(make_world: WorldFactory, tmp_path: Path) -> PopulatedNode:
    """The Kazakh node on the ``engine`` fixture's backend (SQLite and PostgreSQL)."""
    w = make_world("kaz")
    populate(w)
    node_dir = tmp_path / "kaz-node"
    write_node(node_dir, w.fed.kaz, w.fed.trust_list, w.fed.secretariat.signing.public)
    write_officer_key(node_dir, "kaz-mvd.head", w.fed.head)
    return PopulatedNode(w, node_dir, w.clock)


LOOPBACK = ("127.0.0.1", 40000)
ELSEWHERE = ("203.0.113.7", 40000)
AppFactory = Callable[..., FastAPI]


class TestClient:
    """Requests to an app in process, from the client address given (httpx's ASGI
    transport; Starlette's own test client wants a package the project does not install)."""

    __test__ = False

    def __init__(self, app: FastAPI, client: tuple[str, int] = ELSEWHERE) -> None:
        self.app, self.client = app, client

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=self.client)
            async with httpx.AsyncClient(transport=transport, base_url="http://node") as c:
                return await c.request(method, path, **kwargs)

        return asyncio.run(go())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


@pytest.fixture
def make_app(populated: PopulatedNode) -> AppFactory:
    """As ``ozara serve`` builds it: the node API, the operations routes, the web app."""
    w = populated.world

    def build(
        engine: Engine | None = None,
        node_dir: Path | None = None,
        token: str | None = None,
        log_requests: bool = False,
    ) -> FastAPI:
        app = create_app(w.kaz.inbox)
        install_operations(
            app,
            engine or w.kaz.engine,
            node_dir or populated.node_dir,
            clock=lambda: populated.clock.now,
            metrics_token=token,
            log_requests=log_requests,
        )
        peers = FederatedPeers(w.kaz.keys, w.kaz.trust, {})
        config = WebConfig(w.kaz.engine, lambda: populated.clock.now, w.kaz.node_id, peers)
        app.mount("/", create_web_app(config))
        return app

    return build
