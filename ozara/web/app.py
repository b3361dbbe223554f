"""The officers' web application (issue 4): server-rendered pages on FastAPI and Jinja2.

``create_web_app(config)`` builds it; ``ozara serve`` mounts it beside the node API, and
every node of ``make demo`` serves it. Sign-in, sessions and CSRF are here; the pages of
requests are in ``views.py``. Everything the pages do goes through the same services as
the CLI (one transaction each, the core deciding, the article in every refusal).

Security: the session cookie is HttpOnly, SameSite=Strict (Secure over TLS); every form
post carries the session's CSRF token (the sign-in form a token of its own, in a cookie);
every page is sent with a strict Content-Security-Policy (scripts and styles from this node
only), ``X-Frame-Options: DENY``, ``Referrer-Policy: same-origin`` and ``no-store``. A post
must declare its length and stay under 26 MiB before any form is parsed (``limits.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ozara.core.parties import Role
from ozara.ops.logs import log_refusal
from ozara.services import accounts
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

from . import i18n
from .api_v1 import add_user_api
from .calendar_pages import add_calendar_pages
from .documents import add_document_routes
from .limits import BodyLimit
from .notifications_pages import add_notification_pages
from .operations_pages import add_operation_pages
from .page import (
    LANG_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    BadInput,
    Forbidden,
    Page,
    SignInRequired,
    WebConfig,
    page_for,
)
from .records_exchange import add_information_exchange
from .registry_pages import add_registry_pages
from .request_cooperation_routes import add_request_cooperation_pages
from .research_pages import add_joint_research
from .training_pages import add_training_pages
from .views import add_request_pages

_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
UTC = ZoneInfo("UTC")


def _add_error_pages(app: FastAPI, config: WebConfig) -> None:
    """How a refusal is shown: sign-in, 400, 403, 404, each a page in the user's language."""

    @app.exception_handler(SignInRequired)
    async def to_sign_in(_request: Request, _exc: SignInRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: NotFound) -> Response:
        # Whatever page asked for an id this node does not hold: a 404, never a 500.
        page = page_for(request, config, required=False, checked=False)
        return page.error(404, page._("Not found"), page._("No such document."))

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput) -> Response:
        page = page_for(request, config, required=False, checked=False)
        return page.error(400, page._("Bad request"), str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:  # a method not in use, refused and logged (ASVS 14.5.1)
            log_refusal(request.scope, "method", None, status=405)
        return await http_exception_handler(request, exc)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        page = page_for(request, config, required=False, checked=False)
        officer = page.session.officer if page.session is not None else None
        log_refusal(request.scope, exc.kind, officer)
        return page.error(403, page._("Access denied"), str(exc))


def create_web_app(config: WebConfig) -> FastAPI:
    app = FastAPI(title="Ozara", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.add_middleware(BodyLimit)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if config.secure_cookies:  # served over TLS: the browser keeps to HTTPS (ASVS 14.4.5)
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        wanted = request.query_params.get("lang")
        if wanted in i18n.CODES:
            response.set_cookie(LANG_COOKIE, wanted, samesite="strict", httponly=True)
        return response

    _add_error_pages(app, config)

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        page = page_for(request, config)
        assert page.session is not None
        officer = page.session.officer
        in_no_case = officer.body_id is None and not officer.has(Role.AUDITOR)
        target = "/registry" if in_no_case else "/requests?box=in"
        return RedirectResponse(target, status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        return _login_page(page_for(request, config, required=False))

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        page = page_for(request, config, required=False)
        data = await request.form()
        fields = {k: v for k, v in data.items() if isinstance(v, str)}
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        if not cookie or not secrets.compare_digest(fields.get("csrf", ""), cookie):
            log_refusal(request.scope, "csrf", None)
            return _login_page(page, page._("The form has expired; please sign in again."), 403)
        officer_id = fields.get("officer_id", "").strip()
        try:
            with SqlUnitOfWork(config.engine) as uow:
                token, session = accounts.sign_in(
                    uow, officer_id, fields.get("password", ""), fields.get("code", ""),
                    page.now,
                )  # fmt: skip
        except accounts.SignInRefused as refused:
            if refused.locked_until is not None:
                until = i18n.local_time(refused.locked_until, UTC, page.lang)
                message = page._(
                    "Too many failed attempts: the account is locked until %(until)s."
                ) % {"until": until}
            else:
                message = page._("Wrong officer id, password or one-time code.")
            return _login_page(page, message, 401, officer_id)
        response = RedirectResponse("/requests?box=in", status_code=303)
        response.set_cookie(
            SESSION_COOKIE, token, httponly=True, samesite="strict",
            secure=config.secure_cookies, max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        )  # fmt: skip
        response.set_cookie(LANG_COOKIE, session.language, samesite="strict", httponly=True)
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        page = page_for(request, config)
        await page.form()
        with SqlUnitOfWork(config.engine) as uow:
            accounts.sign_out(uow, request.cookies.get(SESSION_COOKIE, ""), page.now)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    for add_pages in MODULES:
        add_pages(app, config)
    return app


#: Every module's pages, in the order their routes are matched.
MODULES: tuple[Callable[[FastAPI, WebConfig], None], ...] = (
    add_request_pages,  # requests (Art. 6-9)
    add_request_cooperation_pages,  # representatives, consultations, costs (Art. 8, 11, 12)
    add_document_routes,
    add_registry_pages,  # the registry and treaty status (Art. 4, 16)
    add_information_exchange,  # records, consent, search (Art. 5 para 1, Art. 10)
    add_notification_pages,  # correlations found (issue 8)
    add_operation_pages,  # coordinated operations (Art. 5 para 3)
    add_training_pages,  # training events (Art. 5 para 4)
    add_joint_research,  # research and literature (Art. 5 para 6)
    add_calendar_pages,  # what is due across all of them
    add_user_api,  # /api/v1: the officers' read-only JSON API, with its OpenAPI (issue 7)
)


def _login_page(
    page: Page, error: str | None = None, status: int = 200, officer_id: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = page.render(
        "login.html", status, error=error, login_csrf=token, officer_id=officer_id
    )
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=page.config.secure_cookies
    )
    return response
