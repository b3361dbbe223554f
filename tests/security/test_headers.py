"""The security headers of the officers' web application (ASVS 4.0.3 V14.4, V8.2.1, V14.3).

Every kind of answer — a page, the sign-in form, a redirect to it, an error page, a refused
form, a static file, a post refused by the body limit before any route — carries the
Content-Security-Policy (scripts and styles from this node only, no framing),
``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy`` and
``Cache-Control: no-store``; behind TLS, ``Strict-Transport-Security`` too. The templates hold
no inline script, style or event handler, so the policy breaks no page. Also: no version in
the ``Server`` header, no API documentation served, no CORS, only the methods in use, and an
unexpected error is a bare 500 that shows nothing of the exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest

from ozara.services import accounts
from ozara.services.node import demo_officers, init_node
from ozara.store import db
from ozara.store.uow import SqlUnitOfWork
from ozara.web.app import create_web_app
from ozara.web.page import WebConfig
from tests.conftest import Clock
from tests.transport.conftest import serving

PASSWORD = "correct horse battery staple"
OFFICER = "kaz-mvd.officer"
TEMPLATES = Path(__file__).resolve().parents[2] / "ozara" / "web" / "templates"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Node:
    url: str
    config: WebConfig
    anonymous: httpx.Client
    officer: httpx.Client


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    clock = Clock()
    engine = db.make_engine(f"sqlite:///{tmp_path_factory.mktemp('headers') / 'node.sqlite3'}")
    init_node(engine, clock.now, demo_officers())
    with SqlUnitOfWork(engine) as uow:
        accounts.set_password(uow, OFFICER, PASSWORD, clock.now)
    with SqlUnitOfWork(engine) as uow:
        secret = accounts.enroll_totp(uow, OFFICER, clock.now)
    config = WebConfig(engine, lambda: clock.now, "KAZ-NODE")
    with (
        serving(create_web_app(config)) as url,
        httpx.Client(base_url=url, follow_redirects=False, timeout=30) as anonymous,
        httpx.Client(base_url=url, follow_redirects=False, timeout=30) as officer,
    ):
        form = officer.get("/login").text
        token = _CSRF.search(form[form.index('action="/login"') :]).group(1)  # type: ignore[union-attr]
        signed_in = officer.post(
            "/login",
            data={"csrf": token, "officer_id": OFFICER, "password": PASSWORD,
                  "code": pyotp.TOTP(secret).at(clock.now)},
        )  # fmt: skip
        assert signed_in.status_code == 303, signed_in.text
        yield Node(url, config, anonymous, officer)
    engine.dispose()


def _chunked(node: Node) -> httpx.Response:
    # A body without Content-Length: refused by the body limit (411) before any route.
    return node.anonymous.post("/login", content=iter([b"officer_id=x"]))


#: Each kind of answer: how to get it, and its status.
ANSWERS: dict[str, tuple[Callable[[Node], httpx.Response], int]] = {
    "sign-in form": (lambda n: n.anonymous.get("/login"), 200),
    "redirect to sign-in": (lambda n: n.anonymous.get("/requests"), 303),
    "page": (lambda n: n.officer.get("/registry"), 200),
    "page with a script": (lambda n: n.officer.get("/requests/new"), 200),
    "error page": (lambda n: n.officer.get("/requests/KAZ-MVD-2026-99999"), 404),
    "refused form": (lambda n: n.officer.post("/logout", data={"csrf": "forged"}), 403),
    "static file": (lambda n: n.anonymous.get("/static/style.css"), 200),
    "body limit": (_chunked, 411),
}


@pytest.mark.parametrize("kind", sorted(ANSWERS))
def test_every_kind_of_answer_carries_the_security_headers(node: Node, kind: str) -> None:
    send, status = ANSWERS[kind]
    answer = send(node)
    assert answer.status_code == status, (kind, answer.status_code)
    headers = answer.headers
    policy = {
        part.strip().split()[0]: part.strip().split()[1:]
        for part in headers["content-security-policy"].split(";")
    }
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in headers  # plain HTTP: not this node's to promise


def test_pages_name_their_character_set(node: Node) -> None:
    for answer in (node.anonymous.get("/login"), node.officer.get("/registry")):
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert node.anonymous.get("/static/style.css").headers["content-type"].startswith("text/css")


def test_the_templates_hold_no_inline_script_style_or_handler() -> None:
    """What the policy would block: scripts come from /static/*.js, styles from style.css."""
    found = []
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=",
                        r"\son[a-z]+=", r"javascript:"):  # fmt: skip
            found += [f"{template.name}: {m.group(0)}" for m in re.finditer(pattern, text, re.I)]
    assert not found, found


def test_behind_tls_every_answer_asks_the_browser_to_keep_to_https(node: Node) -> None:
    tls = WebConfig(node.config.engine, node.config.clock, "KAZ-NODE", None, True)
    with serving(create_web_app(tls)) as url, httpx.Client(base_url=url) as client:
        for path in ("/login", "/requests", "/static/style.css"):
            answer = client.get(path)
            value = answer.headers["strict-transport-security"]
            max_age = int(re.search(r"max-age=(\d+)", value).group(1))  # type: ignore[union-attr]
            assert max_age >= 15724800 and "includesubdomains" in value.lower(), (path, value)


def test_the_server_header_names_no_version(node: Node) -> None:
    server = node.anonymous.get("/login").headers.get("server", "")
    assert not re.search(r"\d", server), server


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
def test_no_api_documentation_is_served(node: Node, path: str) -> None:
    assert node.anonymous.get(path).status_code == 404


def test_no_cross_origin_reads_are_allowed(node: Node) -> None:
    origin = {"origin": "https://attacker.example"}
    answer = node.officer.get("/registry", headers=origin)
    assert not any(h.startswith("access-control-") for h in answer.headers)
    preflight = node.anonymous.options(
        "/logout", headers={**origin, "access-control-request-method": "POST"}
    )
    assert preflight.status_code == 405
    assert not any(h.startswith("access-control-") for h in preflight.headers)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE"])
def test_only_the_methods_in_use_are_answered(node: Node, method: str) -> None:
    answer = node.officer.request(method, "/login", content=b"")
    assert answer.status_code == 405, (method, answer.status_code)


@pytest.mark.usefixtures("server_errors_unlogged")
def test_an_unexpected_error_is_a_bare_500(node: Node) -> None:
    app = create_web_app(node.config)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail: /var/ozara/keys.json")

    with serving(app) as url, httpx.Client(base_url=url) as client:
        answer = client.get("/boom")
    assert answer.status_code == 500
    assert answer.text == "Internal Server Error"
    assert "secret detail" not in answer.text and "Traceback" not in answer.text


@pytest.mark.parametrize("path", ["/static/", "/static/%2e%2e/app.py", "/static/..%2fapp.py"])
def test_the_static_directory_is_neither_listed_nor_left(node: Node, path: str) -> None:
    """Only the files in ``ozara/web/static`` are served: no listing, no way out of it."""
    answer = node.anonymous.get(path)
    assert answer.status_code == 404, (path, answer.status_code)
    assert "create_web_app" not in answer.text
