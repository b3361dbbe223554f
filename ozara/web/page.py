"""What every page of the web application shares: configuration, session, language, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from ozara.services import accounts, notifications
from ozara.services.requests import RequestPeers
from ozara.store import audit_context
from ozara.store.uow import SqlUnitOfWork

from . import i18n

SESSION_COOKIE = "ozara_session"
LOGIN_COOKIE = "ozara_login"
LANG_COOKIE = "ozara_lang"


@dataclass(frozen=True, slots=True)
class WebConfig:
    engine: Any  # sqlalchemy Engine
    clock: Callable[[], datetime]
    node_name: str
    #: The federation adapter: actions are sent to the other side's node (None: one node).
    peers: RequestPeers | None = None
    secure_cookies: bool = False


class SignInRequired(Exception):
    """No live session: the page redirects to the sign-in form."""


class Forbidden(Exception):
    """A failed CSRF check or an action outside the officer's rights: 403 (and a line on
    the security log: ``ozara.ops.logs.log_refusal``, with ``kind``)."""

    def __init__(self, message: str, *, kind: str = "access") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class Page:
    """What every page knows: who is looking, in which language, and the request."""

    request: Request
    config: WebConfig
    lang: str
    session: accounts.Session | None
    #: Files posted with the form (``name="files"``), read and closed by ``form()``.
    uploads: list[Upload] = field(default_factory=list)

    @property
    def now(self) -> datetime:
        return self.config.clock()

    def _(self, message: str) -> str:
        return i18n.gettext(self.lang, message)

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        env = i18n.environment(self.lang)
        base = {
            "lang": self.lang,
            "languages": i18n.LANGUAGES,
            "node_name": self.config.node_name,
            "officer": self.session.officer if self.session else None,
            "csrf": self.session.csrf_token if self.session else "",
            "unread": self.unread(),
            "state_label": lambda s: self._(i18n.STATES.get(s) or s),
            "action_label": lambda a: self._(i18n.ACTIONS.get(a) or a),
            "delivery_label": lambda d: self._(i18n.DELIVERY.get(d) or d),
            "category_label": lambda c: self._(i18n.CATEGORIES.get(c) or c),
        }
        html = env.get_template(template).render(**base, **context)
        return HTMLResponse(html, status_code=status)

    def unread(self) -> int:
        """The badge on the navigation: the officer's unread correlation notifications, one
        index read per rendered page (an officer of no body has none to read)."""
        officer = self.session.officer if self.session else None
        if officer is None or officer.body_id is None:
            return 0
        with self.config.engine.connect() as conn:
            return notifications.unread_count(conn, officer.id)

    def error(self, status: int, title: str, message: str) -> HTMLResponse:
        return self.render("error.html", status, title=title, message=message)

    async def form(self) -> dict[str, str]:
        """The posted form, its CSRF token checked against the session's.

        Files are read into memory and closed here, whatever the handler does next (the body
        is at most ``limits.MAX_BODY_BYTES``): a refused post leaves no temporary file behind.
        """
        data = await self.request.form()
        try:
            fields = {k: v for k, v in data.items() if isinstance(v, str)}
            self.uploads = [
                Upload(v.filename, v.content_type or "application/octet-stream", await v.read())
                for k, v in data.multi_items()
                if k == "files" and not isinstance(v, str) and v.filename
            ]
        finally:
            await data.close()
        expected = self.session.csrf_token if self.session else None
        if not expected or not secrets.compare_digest(fields.get("csrf", ""), expected):
            raise Forbidden(
                self._("The form has expired or did not come from this site."), kind="csrf"
            )
        refuse_nul(self, fields.values())
        return fields


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content_type: str
    content: bytes


class BadInput(Exception):
    """A form or query the application refuses before reading it further (400)."""


def refuse_nul(page: Page, values: Iterable[str]) -> None:
    """A NUL character is no text any officer types, and PostgreSQL cannot store it."""
    if any("\x00" in v for v in values):
        raise BadInput(page._("The form contains a NUL character, which is not text."))


def page_for(
    request: Request, config: WebConfig, *, required: bool = True, checked: bool = True
) -> Page:
    token = request.cookies.get(SESSION_COOKIE)
    session = None
    if token:
        with SqlUnitOfWork(config.engine) as uow:
            session = accounts.session(uow, token, config.clock())
    if session is None and required:
        raise SignInRequired()
    client = request.client.host if request.client else None
    roles = tuple(sorted(r.value for r in session.officer.roles)) if session else ()
    audit_context.set_origin(audit_context.Origin("web", client, roles))
    wanted = request.query_params.get("lang")
    if wanted in i18n.CODES and session is not None and wanted != session.language:
        with SqlUnitOfWork(config.engine) as uow:
            accounts.set_language(uow, session.officer.id, wanted)
    lang = i18n.pick(wanted or (session.language if session else request.cookies.get(LANG_COOKIE)))
    page = Page(request, config, lang, session)
    if checked:
        refuse_nul(page, request.query_params.values())
    return page
