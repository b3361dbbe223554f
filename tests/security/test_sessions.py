"""Sessions, cookies, CSRF and the sign-in lockout, beyond ``tests/web/test_sign_in.py``.

That module checks the session cookie's flags on sign-in, the lockout after five
sequential failures, the idle and absolute timeouts, and the CSRF token of the sign-in
form and of signing out. Here:

* session fixation: a session cookie planted before sign-in is neither kept nor honoured;
  a signed-out token is dead on the server, not only deleted from the browser;
* every cookie the application sets is HttpOnly and SameSite=Strict, and Secure where the
  node is configured for TLS;
* CSRF on every POST route, enumerated from the app like the authorization matrix: no
  token, a wrong token, and another session's token are each refused with 403, and the
  change is not made;
* the lockout holds under parallel guesses (threads through the web application, and the
  service itself on SQLite and PostgreSQL), and no guess is lost.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.cookies import SimpleCookie

import httpx
import pyotp
import pytest
import uvicorn
from fastapi.routing import APIRoute
from sqlalchemy import Engine, select

from ozara.api.threaded import running
from ozara.services import accounts
from ozara.store.tables import audit_log
from ozara.store.uow import SqlUnitOfWork
from ozara.web.app import create_web_app
from ozara.web.page import LANG_COOKIE, LOGIN_COOKIE, SESSION_COOKIE, WebConfig
from tests.conftest import Clock
from tests.security.conftest import (
    PASSWORD,
    RECORD_FORM,
    REQUEST_FORM,
    World,
    csrf_of,
    login_csrf,
)
from tests.transport.conftest import free_port


def enroll(world: World, officer_id: str) -> None:
    """A password and a TOTP secret for an officer the world did not sign in."""
    with SqlUnitOfWork(world.engine) as uow:
        accounts.set_password(uow, officer_id, PASSWORD, world.clock.now)
    with SqlUnitOfWork(world.engine) as uow:
        world.secrets[officer_id] = accounts.enroll_totp(uow, officer_id, world.clock.now)


def sign_in_with(
    world: World, client: httpx.Client, officer_id: str, password: str = PASSWORD
) -> httpx.Response:
    code = pyotp.TOTP(world.secrets[officer_id]).at(world.clock.now)
    return client.post(
        "/login",
        data={"csrf": login_csrf(client), "officer_id": officer_id, "password": password,
              "code": code},
    )  # fmt: skip


def set_cookies(answer: httpx.Response) -> dict[str, str]:
    """Each cookie the answer sets: name → its whole Set-Cookie header."""
    found = {}
    for header in answer.headers.get_list("set-cookie"):
        name = next(iter(SimpleCookie(header)))
        found[name] = header
    return found


# -- session fixation ------------------------------------------------------------------------


def test_a_planted_session_cookie_is_replaced_at_sign_in(world: World) -> None:
    enroll(world, "kgz-mvd.officer")
    browser = world.browser()
    planted = "attacker-chosen-session-token-0123456789abcdef"
    browser.cookies.set(SESSION_COOKIE, planted)
    assert browser.get("/requests").headers["location"] == "/login"  # not a session
    answer = sign_in_with(world, browser, "kgz-mvd.officer")
    assert answer.status_code == 303
    issued = set_cookies(answer)[SESSION_COOKIE]
    token = next(iter(SimpleCookie(issued).values())).value
    assert token != planted and len(token) >= 40
    # The planted value opens nothing, even after the victim signed in with it present.
    with world.browser() as attacker:
        attacker.cookies.set(SESSION_COOKIE, planted)
        assert attacker.get("/registry").headers.get("location") == "/login"


def test_a_session_token_of_one_officer_is_not_carried_into_anothers_sign_in(
    world: World,
) -> None:
    """Signing in on a browser that holds another live session gives a new token."""
    enroll(world, "tjk-mvd.officer")
    browser = world.sign_in("kaz-mvd.officer")
    before = browser.cookies[SESSION_COOKIE]
    answer = sign_in_with(world, browser, "tjk-mvd.officer")
    assert answer.status_code == 303
    after = next(iter(SimpleCookie(set_cookies(answer)[SESSION_COOKIE]).values())).value
    assert after != before
    world.clock.advance(seconds=30)


def test_a_signed_out_token_is_dead_on_the_server(world: World) -> None:
    browser = world.sign_in("kaz-mvd.officer")
    token = browser.cookies[SESSION_COOKIE]
    assert browser.post("/logout", data={"csrf": csrf_of(browser)}).status_code == 303
    with world.browser() as replay:  # the same token, sent again by someone who kept it
        replay.cookies.set(SESSION_COOKIE, token)
        assert replay.get("/registry").headers.get("location") == "/login"


# -- cookie flags ----------------------------------------------------------------------------


def test_every_cookie_is_http_only_and_same_site_strict(world: World) -> None:
    browser = world.browser()
    form = browser.get("/login", params={"lang": "kk"})
    answer = sign_in_with(world, browser, "kaz-mvd.head")
    world.clock.advance(seconds=30)
    cookies = {**set_cookies(form), **set_cookies(answer)}
    assert {SESSION_COOKIE, LOGIN_COOKIE, LANG_COOKIE} <= set(cookies)
    for header in cookies.values():
        flags = [part.strip().lower() for part in header.split(";")[1:]]
        if header.split(";")[0].endswith('=""') or "max-age=0" in flags:
            continue  # a deletion
        assert "httponly" in flags, header
        assert "samesite=strict" in flags, header
        assert not any(f.startswith("domain=") for f in flags), header  # this host only
        assert "path=/" in flags, header


@pytest.fixture
def tls_node(world: World) -> Iterator[httpx.Client]:
    """The same node's web application as configured behind TLS (``secure_cookies``)."""
    app = create_web_app(WebConfig(world.engine, lambda: world.clock.now, "KAZ-NODE", None, True))
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    with running(config), httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        yield client


def test_the_session_and_sign_in_cookies_are_secure_behind_tls(
    world: World, tls_node: httpx.Client
) -> None:
    form = tls_node.get("/login")
    assert "secure" in set_cookies(form)[LOGIN_COOKIE].lower()
    # httpx keeps a Secure cookie from a plain-http answer out of its jar: post it by hand.
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    code = pyotp.TOTP(world.secrets["kaz-mvd.officer"]).at(world.clock.now)
    answer = tls_node.post(
        "/login",
        data={"csrf": token, "officer_id": "kaz-mvd.officer", "password": PASSWORD,
              "code": code},
        headers={"cookie": f"{LOGIN_COOKIE}={token}"},
    )  # fmt: skip
    world.clock.advance(seconds=30)
    assert answer.status_code == 303, answer.text
    flags = [p.strip().lower() for p in set_cookies(answer)[SESSION_COOKIE].split(";")]
    assert "secure" in flags and "httponly" in flags and "samesite=strict" in flags


# -- CSRF on every POST route ----------------------------------------------------------------


def post_routes() -> list[str]:
    app = create_web_app(WebConfig(None, lambda: None, "KAZ-NODE"))  # type: ignore[arg-type,return-value]
    return sorted(
        r.path for r in app.routes if isinstance(r, APIRoute) and "POST" in (r.methods or ())
    )


#: A form that would be accepted with the right token, for each POST route.
FORMS: dict[str, dict[str, str]] = {
    "/login": {"officer_id": "kaz-mvd.officer", "password": PASSWORD, "code": "000000"},
    "/logout": {},
    "/requests/check": REQUEST_FORM,
    "/requests/new": REQUEST_FORM,
    "/requests/{request_id}/act": {"action": "withdraw"},
    "/records/import": {"purpose.investigation": "1"},
    "/records/new": RECORD_FORM,
    "/records/{record_id}/edit": {**RECORD_FORM, "purpose": "investigation"},
    "/records/{record_id}/share": {"party.TJK": "1"},
    "/records/{record_id}/revoke": {"reason": "The information proved wrong"},
    "/records/{record_id}/consent": {"purpose": "training", "justification": "A course"},
    "/consents/{consent_id}": {"decision": "grant", "reason": ""},
    "/requests/{request_id}/participation/propose": {"representatives": "A. Seitkali, inspector"},
    "/requests/{request_id}/participation/answer": {"decision": "agreed"},
    "/requests/{request_id}/participation/record": {"names": "A. Seitkali"},
    "/requests/{request_id}/consultations": {"outcome": "Agreed to wait", "bodies": "RUS-MVD"},
    "/requests/{request_id}/costs/propose": {"description": "The requesting Party pays"},
    "/requests/{request_id}/costs/answer": {"decision": "accept"},
    "/notifications/read": {},
    "/notifications/{notification_id}/read": {},
    "/operations/new": {"name": "Operation Phishnet"},
    "/operations/{operation_id}/act": {"action": "cancel", "text": "No longer needed"},
    "/training/new": {"title": "A seminar"},
    "/training/{event_id}/act": {"action": "cancel", "text": "No longer needed"},
    "/research/new": {"title": "A study"},
    "/research/{project_id}/act": {"action": "cancel", "text": "No longer needed"},
    "/literature/new": {"title": "A handbook"},
    "/literature/{document_id}/share": {"party.TJK": "1"},
    "/literature/{document_id}/withdraw": {},
}


def test_every_post_route_has_a_form() -> None:
    missing = [p for p in post_routes() if p not in FORMS]
    assert not missing, f"POST routes with no CSRF case: {missing}"


def audit_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(audit_log.c.id)).all())


@pytest.fixture(scope="module")
def head(world: World) -> httpx.Client:
    """A session of its own: a POST that got through (signing out) must not end a shared one."""
    return world.sign_in("kaz-mvd.head")


@pytest.mark.parametrize("path", post_routes())
@pytest.mark.parametrize("token", ["none", "wrong", "another session's"])
def test_a_post_without_the_sessions_token_is_refused(
    world: World, head: httpx.Client, path: str, token: str
) -> None:
    owner = head
    ids = {
        "request_id": world.draft_id,
        "record_id": world.record_id,
        "consent_id": world.consent_id,
    }
    # The other modules' ids need not exist: the token is checked before anything is looked up.
    url = path.format_map(defaultdict(lambda: "X-2026-00001", ids))
    data = dict(FORMS[path])
    if token == "wrong":
        data["csrf"] = "0" * 43
    elif token == "another session's":
        data["csrf"] = world.token("owner")
    before = audit_count(world.engine)
    with world.browser() as browser:
        browser.cookies = owner.cookies
        if path == "/login":  # the sign-in form's own token, in its own cookie
            browser.get("/login")
            if token == "another session's":
                data["csrf"] = login_csrf(world.browser())
        answer = browser.post(url, data=data)
    assert answer.status_code == 403, (path, token, answer.status_code)
    assert "Wrong officer id" not in answer.text  # the sign-in was not even tried
    # Nothing was done: no audit row (a change or a failed sign-in would have written one;
    # reading the session's page writes none).
    assert audit_count(world.engine) == before, (path, token)
    assert owner.get("/registry").status_code == 200  # and the session lives on


# -- the lockout under parallel guesses ------------------------------------------------------


def test_parallel_wrong_guesses_through_the_web_lock_the_account(world: World) -> None:
    enroll(world, "arm-police.officer")

    def guess(_: int) -> int:
        with world.browser() as browser:
            return sign_in_with(
                world, browser, "arm-police.officer", "not the password!"
            ).status_code

    with ThreadPoolExecutor(max_workers=accounts.LOCKOUT_AFTER * 2) as pool:
        statuses = list(pool.map(guess, range(accounts.LOCKOUT_AFTER * 2)))
    assert set(statuses) == {401}
    world.clock.advance(seconds=30)
    with world.browser() as browser:
        locked = sign_in_with(world, browser, "arm-police.officer")
    assert locked.status_code == 401 and "locked until" in locked.text
    world.clock.advance(minutes=15, seconds=30)
    with world.browser() as browser:
        assert sign_in_with(world, browser, "arm-police.officer").status_code == 303


def test_no_parallel_guess_is_lost(node: Engine, clock: Clock) -> None:
    """LOCKOUT_AFTER - 1 parallel failures and one more lock the account: each counted
    (``for_update`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite)."""
    officer_id = "kaz-mvd.officer"
    parallel = accounts.LOCKOUT_AFTER - 1
    with SqlUnitOfWork(node) as uow:
        accounts.set_password(uow, officer_id, PASSWORD, clock.now)
    with SqlUnitOfWork(node) as uow:
        secret = accounts.enroll_totp(uow, officer_id, clock.now)

    def guess(_: int) -> bool:
        try:
            with SqlUnitOfWork(node) as uow:
                accounts.sign_in(uow, officer_id, "not the password!", "000000", clock.now)
        except accounts.SignInRefused as refused:
            return refused.locked_until is not None
        return False

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        assert not any(pool.map(guess, range(parallel)))
    assert guess(0), "the last failure did not lock: a parallel one was lost"
    code = pyotp.TOTP(secret).at(clock.now + timedelta(seconds=30))
    with SqlUnitOfWork(node) as uow, pytest.raises(accounts.SignInRefused) as refused:
        accounts.sign_in(uow, officer_id, PASSWORD, code, clock.now + timedelta(seconds=30))
    assert refused.value.locked_until is not None


def test_the_right_token_gets_through(world: World, head: httpx.Client) -> None:
    """The control of the CSRF cases: the same session and form, with its token, pass."""
    answer = head.post("/requests/check", data={**REQUEST_FORM, "csrf": csrf_of(head)})
    assert answer.status_code == 200 and answer.json() == {"violations": []}
