"""Coordinated operations through the web pages of three Parties' nodes (Art. 5 para 3):
what an officer does in the browser travels exactly as the CLI sends it. The Kazakh node
(KAZ-MVD) leads; the Russian (RUS-MVD) and Belarusian (BLR-MVD) nodes are invited (the
world of ``tests/federation/test_operations_federation.py``). Each node serves the web
application with its ``FederatedPeers``, as ``ozara serve`` builds it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any

import httpx
import pyotp
from fastapi import FastAPI

from ozara.core.operations import OperationState
from ozara.crypto import KeyPair
from ozara.documents import OfficerSignature
from ozara.federation.requests import FederatedPeers
from ozara.services import accounts
from ozara.store.uow import SqlUnitOfWork
from ozara.web.app import create_web_app
from ozara.web.page import WebConfig
from tests.federation.conftest import Node
from tests.federation.test_operations_federation import KAZ_HEAD_KEY, World, held, same
from tests.federation.test_operations_federation import w as w  # noqa: PLC0414 -- the fixture
from tests.pdf.conftest import flat, pdf_text
from tests.web.conftest import PASSWORD

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PLAN = {
    "name": "Operation Steppe Hook",
    "goals": "Identify and stop the operators of phishing pages imitating Kazakh banks",
    "period_from": "2026-02-01",
    "period_to": "2026-04-30",
    "category.c": "1",
    "invited.RUS-MVD": "1",
    "invited.BLR-MVD": "1",
}


class Browser:
    """One officer's browser against a node's web application, in process (httpx's ASGI
    transport), keeping its cookies between requests."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.cookies = httpx.Cookies({"ozara_lang": "en"})

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://node", cookies=self.cookies
            ) as client:
                answer = await client.request(method, path, **kwargs)
                self.cookies = httpx.Cookies(client.cookies)
                return answer

        return asyncio.run(go())

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str, **fields: str) -> httpx.Response:
        token = CSRF.search(self.get("/operations").text)
        assert token is not None
        return self.request("POST", path, data={"csrf": token.group(1), **fields})


def web_app(w: World, node: Node, officer_keys: Mapping[str, KeyPair]) -> FastAPI:
    peers = FederatedPeers(node.keys, node.trust, officer_keys)
    return create_web_app(WebConfig(node.engine, lambda: w.clock.now, node.node_id, peers))


def sign_in(w: World, node: Node, app: FastAPI, officer_id: str) -> Browser:
    with SqlUnitOfWork(node.engine) as uow:
        accounts.set_password(uow, officer_id, PASSWORD, w.clock.now)
    with SqlUnitOfWork(node.engine) as uow:
        secret = accounts.enroll_totp(uow, officer_id, w.clock.now)
    with SqlUnitOfWork(node.engine) as uow:
        accounts.set_language(uow, officer_id, "en")
    browser = Browser(app)
    login = browser.get("/login")
    token = CSRF.search(login.text[login.text.index('action="/login"') :])
    assert token is not None
    code = pyotp.TOTP(secret).at(w.clock.now)
    answer = browser.request(
        "POST", "/login",
        data={"csrf": token.group(1), "officer_id": officer_id, "password": PASSWORD,
              "code": code},
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    w.clock.advance(seconds=30)
    return browser


def test_from_the_proposal_to_the_signed_summary_through_the_pages(w: World) -> None:
    kaz_app = web_app(w, w.kaz, {"kaz-mvd.head": KAZ_HEAD_KEY})
    rus_app = web_app(w, w.rus, {})
    kaz = sign_in(w, w.kaz, kaz_app, "kaz-mvd.officer")
    proposed = kaz.post("/operations/new", **PLAN)
    assert proposed.status_code == 303, proposed.text[-2000:]
    oid = proposed.headers["location"].rsplit("/", 1)[1]
    w.exchange()
    same(w, oid, OperationState.PROPOSED, 1)

    # RUS-MVD's head accepts on the Russian node: sent to the lead's node, applied there,
    # and the applied action comes back to every invited body's node.
    rus_head = sign_in(w, w.rus, rus_app, "rus-mvd.head")
    page = rus_head.get(f"/operations/{oid}")
    assert "received from node KAZ-MVD-NODE" in page.text
    accepted = rus_head.post(f"/operations/{oid}/act", action="accept")
    assert accepted.status_code == 303 and accepted.headers["location"].endswith("?sent=accept")
    page = rus_head.get(accepted.headers["location"])
    assert "sent to the lead body's node" in page.text
    assert held(w.rus, oid).operation.state is OperationState.PROPOSED  # not applied here
    w.exchange()
    same(w, oid, OperationState.ACTIVE, 2)

    # The close: signed with the head's key of the lead's node, as a request is signed.
    kaz_head = sign_in(w, w.kaz, kaz_app, "kaz-mvd.head")
    closed = kaz_head.post(f"/operations/{oid}/act", action="close", text="Four servers seized")
    assert closed.status_code == 303, closed.text[-2000:]
    w.exchange()
    same(w, oid, OperationState.CLOSED, 3)
    signature = held(w.rus, oid).summary_signature
    assert signature is not None
    fingerprint = OfficerSignature.from_json(signature).key_fingerprint
    rus_page = rus_head.get(f"/operations/{oid}")
    assert fingerprint in rus_page.text and "Four servers seized" in rus_page.text
    pdf = rus_head.get(f"/operations/{oid}/summary.pdf")
    assert pdf.status_code == 200
    text = flat(pdf_text(pdf.content))
    assert fingerprint in text and "kaz-mvd.head@KAZ-MVD-NODE" in text
    assert "Four servers seized" in text and "RUS-MVD: принял участие" in text


def test_without_the_heads_key_the_summary_does_not_leave_and_nothing_changes(w: World) -> None:
    kaz_app = web_app(w, w.kaz, {})  # no officers/kaz-mvd.head.json on this node
    kaz = sign_in(w, w.kaz, kaz_app, "kaz-mvd.officer")
    oid = kaz.post("/operations/new", **PLAN).headers["location"].rsplit("/", 1)[1]
    w.exchange()
    rus_head = sign_in(w, w.rus, web_app(w, w.rus, {}), "rus-mvd.head")
    assert rus_head.post(f"/operations/{oid}/act", action="accept").status_code == 303
    w.exchange()
    kaz_head = sign_in(w, w.kaz, kaz_app, "kaz-mvd.head")
    refused = kaz_head.post(f"/operations/{oid}/act", action="close", text="Summary kept as typed")
    assert refused.status_code == 409
    assert "has no signing key" in refused.text and "nothing was changed" in refused.text
    assert "Summary kept as typed" in refused.text  # the summary typed is kept in its form
    same(w, oid, OperationState.ACTIVE, 2)
    assert w.exchange() == []
