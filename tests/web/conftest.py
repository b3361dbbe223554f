"""A node with the web application, officers with passwords and TOTP, a hand-moved clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pyotp
import pytest
import uvicorn
from sqlalchemy import Engine

from ozara.api.threaded import running
from ozara.services import accounts
from ozara.services.node import demo_officers, init_node
from ozara.store.uow import SqlUnitOfWork
from ozara.web.app import create_web_app
from ozara.web.page import WebConfig
from tests.conftest import Clock
from tests.transport.conftest import free_port

PASSWORD = "correct horse battery staple"
OFFICERS = ("kaz-mvd.officer", "kaz-mvd.head", "rus-mvd.officer", "blr-mvd.officer", "auditor",
            "csto.secretariat")  # fmt: skip


@dataclass
class Web:
    engine: Engine
    clock: Clock
    client: httpx.Client
    secrets: dict[str, str]
    url: str
    opened: list[httpx.Client] = field(default_factory=list)

    def browser(self) -> httpx.Client:
        """A new cookie jar against the node (another officer's browser)."""
        client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)
        self.opened.append(client)
        return client

    def code(self, officer_id: str, **delta: float) -> str:
        return pyotp.TOTP(self.secrets[officer_id]).at(self.clock.now)

    def sign_in(self, officer_id: str, lang: str = "en") -> httpx.Client:
        """A fresh browser signed in as the officer, pages in ``lang``."""
        client = self.browser()
        with SqlUnitOfWork(self.engine) as uow:
            accounts.set_language(uow, officer_id, lang)
        form = login_form(client)
        answer = client.post(
            "/login",
            data={**form, "officer_id": officer_id, "password": PASSWORD,
                  "code": self.code(officer_id)},
        )  # fmt: skip
        assert answer.status_code == 303, answer.text
        self.clock.advance(seconds=30)  # the next sign-in needs the next code
        return client


def login_form(client: httpx.Client) -> dict[str, str]:
    page = client.get("/login")
    assert page.status_code == 200
    form = page.text[page.text.index('action="/login"') :]
    return {"csrf": re.search(r'name="csrf" value="([^"]+)"', form).group(1)}  # type: ignore[union-attr]


def csrf_of(client: httpx.Client, path: str = "/requests") -> str:
    page = client.get(path)
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


@pytest.fixture
def web(engine: Engine, clock: Clock) -> Iterator[Web]:
    init_node(engine, clock.now, demo_officers())
    secrets: dict[str, str] = {}
    for officer_id in OFFICERS:
        with SqlUnitOfWork(engine) as uow:
            accounts.set_password(uow, officer_id, PASSWORD, clock.now)
        with SqlUnitOfWork(engine) as uow:
            secrets[officer_id] = accounts.enroll_totp(uow, officer_id, clock.now)
    app = create_web_app(WebConfig(engine, lambda: clock.now, "KAZ-NODE"))
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    url = f"http://127.0.0.1:{port}"
    with running(config), httpx.Client(base_url=url, follow_redirects=False) as client:
        client.cookies.set("ozara_lang", "en")
        web = Web(engine, clock, client, secrets, url)
        yield web
        for opened in web.opened:
            opened.close()
