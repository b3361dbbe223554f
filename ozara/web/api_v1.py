"""``/api/v1``: a small read-only JSON API for the officers, with its OpenAPI document.

A FastAPI application of its own, mounted in the web application (``add_user_api``): it
publishes ``/api/v1/openapi.json`` while the HTML application publishes none, answers every
refusal as JSON (``api_models.Error``), and still passes through the web application's
middleware (the security headers, the body limit).

Authentication is the officer's web session cookie (same origin, HttpOnly, SameSite=Strict):
nothing new to issue or revoke. Every operation is a GET that changes nothing an officer
sees, so there is no CSRF token; no session is a 401 (never a redirect to the form). What an
officer may read is exactly what the pages show them, through the same services:

* ``GET /me``: who is signed in (any officer);
* ``GET /requests``: the inbox or outbox (``services.requests``; the Secretariat's staff
  take no part, 403; the auditor reads every request);
* ``GET /requests/{id}``: one request as its page shows it, with the actions the core allows
  this officer now and the open deadlines (``services.requests.show``, audited as the page
  is; 403 to an officer of neither body, 404 for no such request);
* ``GET /calendar``: what the officer's body owes or attends (``services.calendar``);
* ``GET /notifications``: the officer's notifications of matches, count and list
  (``services.notifications.list_for``, audited when it shows any).

Records are not served here: reading a record's content needs a purpose and is audited
(Art. 10), and that belongs to a later version with the purpose as a parameter. Labels and
messages are in the officer's language, or in ``?lang=`` for one answer (it is not saved).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ozara.core.actions import ACTIONS
from ozara.core.calendar import kind_label
from ozara.core.lifecycle import State, deadline_owner
from ozara.core.parties import Officer, Role
from ozara.ops.logs import log_refusal
from ozara.services import accounts
from ozara.services import calendar as calendar_svc
from ozara.services import notifications as notifications_svc
from ozara.services import requests as requests_svc
from ozara.store import audit_context
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

from . import api_models as m
from . import i18n
from .page import SESSION_COOKIE, WebConfig

PREFIX = "/api/v1"
#: At most this many items per page, and no page beyond this offset (a bounded query).
MAX_LIMIT = 200
MAX_OFFSET = 10_000
#: The longest request number a path may hold (``KAZ-MVD-2026-00001`` is 18).
MAX_ID = 100
SOON = timedelta(days=3)

_SIGN_IN = i18n.N_("Sign in first: the API uses the session of the web application.")
_NO_REQUESTS = i18n.N_("The Secretariat's staff take no part in requests (Art. 4).")
_NOT_THEIRS = i18n.N_("This request is not a case of your competent body.")
_NO_SUCH_REQUEST = i18n.N_("No such request.")
_NO_CALENDAR = i18n.N_("The calendar is that of a competent body.")
_NO_NOTIFICATIONS = i18n.N_("Notifications of matches are for the officers of a competent body.")
_BAD_QUERY = i18n.N_("Bad request")
_NO_SUCH_PATH = i18n.N_("Not found")

Lang = Annotated[
    Literal["ru", "kk", "en"] | None,
    Query(description="The language of labels and messages for this answer (not saved)."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")]


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        rule: str | None = None,
        article: str | None = None,
        officer: Officer | None = None,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.body = m.Error(error=error, rule=rule, article=article)
        self.officer = officer  # who was refused (a 403 goes to the security log)


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    what = {400: "Bad query", 401: "Not signed in", 403: "Not this officer's",
            404: "No such object"}  # fmt: skip
    return {s: {"model": m.Error, "description": what[s]} for s in (400, 401, *statuses)}


class _Viewer:
    """The signed-in officer of one API call and the language of its answer."""

    def __init__(self, request: Request, config: WebConfig, lang: str | None) -> None:
        for value in (*request.query_params.values(), *request.path_params.values()):
            if "\x00" in str(value):
                raise ApiError(400, i18n.gettext(_lang(request, None), _BAD_QUERY))
        token = request.cookies.get(SESSION_COOKIE)
        session = None
        if token:
            with SqlUnitOfWork(config.engine) as uow:
                session = accounts.session(uow, token, config.clock())
        if session is None:
            raise ApiError(401, i18n.gettext(i18n.pick(lang), _SIGN_IN))
        client = request.client.host if request.client else None
        roles = tuple(sorted(r.value for r in session.officer.roles))
        audit_context.set_origin(audit_context.Origin("web", client, roles))
        self.session = session
        self.officer: Officer = session.officer
        self.lang = i18n.pick(lang or session.language)
        self.now: datetime = config.clock()
        self.config = config

    def _(self, message: str) -> str:
        return i18n.gettext(self.lang, message)

    def refuse(self, status: int, message: str, article: str | None = None) -> ApiError:
        return ApiError(status, self._(message), article=article, officer=self.officer)


def _lang(request: Request, saved: str | None) -> str:
    wanted = request.query_params.get("lang")
    return i18n.pick(wanted if wanted in i18n.CODES else saved)


def add_user_api(app: FastAPI, config: WebConfig) -> None:
    """Mount the API under ``/api/v1`` (one of ``app.MODULES``)."""
    app.mount(PREFIX, create_user_api(config))


def create_user_api(config: WebConfig) -> FastAPI:
    api = FastAPI(
        title="Ozara officers' API",
        version="1",
        description=(__doc__ or "").split("\n\n", 1)[1],
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    _add_error_handlers(api)
    _add_routes(api, config)
    api.openapi = lambda: _openapi(api)  # type: ignore[method-assign]
    return api


def _openapi(api: FastAPI) -> dict[str, Any]:
    """The schema FastAPI builds, with the cookie as its security scheme and a 400 (the
    API's answer to a bad query) instead of FastAPI's 422."""
    if api.openapi_schema is None:
        schema = get_openapi(
            title=api.title, version=api.version, description=api.description,
            routes=api.routes, servers=[{"url": PREFIX}],
        )  # fmt: skip
        components = schema.setdefault("components", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(unused, None)
        components["securitySchemes"] = {
            "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                        "description": "The web application's session (sign in at /login)."}
        }  # fmt: skip
        schema["security"] = [{"session": []}]
        for item in schema["paths"].values():
            for operation in item.values():
                operation["responses"].pop("422", None)
                for parameter in operation.get("parameters", ()):
                    parameter["schema"] = _not_null(parameter["schema"])
        api.openapi_schema = schema
    return api.openapi_schema


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter is left out, never sent as null: ``anyOf [X, null]`` is X."""
    options = [s for s in schema.get("anyOf", ()) if s != {"type": "null"}]
    if len(options) != 1 or len(schema["anyOf"]) != 2:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**options[0], **rest}


def _add_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(ApiError)
    async def refused(request: Request, exc: ApiError) -> JSONResponse:
        if exc.status == 403:
            log_refusal(request.scope, "access", exc.officer)
        return JSONResponse(exc.body.model_dump(), status_code=exc.status)

    @api.exception_handler(RequestValidationError)
    async def bad_query(request: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        text = f"{i18n.gettext(_lang(request, None), _BAD_QUERY)}: {where}"
        return JSONResponse(m.Error(error=text).model_dump(), status_code=400)

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        text = _NO_SUCH_PATH if exc.status_code == 404 else str(exc.detail)
        body = m.Error(error=i18n.gettext(_lang(request, None), text)).model_dump()
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def _add_routes(api: FastAPI, config: WebConfig) -> None:
    @api.get("/me", response_model=m.Me, responses=_errors(), summary="The signed-in officer")
    def me(request: Request, lang: Lang = None) -> m.Me:
        viewer = _Viewer(request, config, lang)
        officer = viewer.officer
        party = None
        if officer.body_id is not None:
            with SqlUnitOfWork(config.engine) as uow:
                body = uow.registry.registry().get(officer.body_id)
            party = body.party.value if body is not None else None
        return m.Me(
            id=officer.id, name=officer.name, post=officer.post, body_id=officer.body_id,
            party=party, roles=sorted(r.value for r in officer.roles),
            language=viewer.session.language,
        )  # fmt: skip

    @api.get(
        "/requests", response_model=m.RequestList, responses=_errors(403),
        summary="The inbox or the outbox",
    )  # fmt: skip
    def requests(
        request: Request,
        *,
        box: Annotated[Literal["in", "out"], Query(description="Received or sent.")] = "in",
        state: Annotated[State | None, Query(description="Only requests in this state.")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        lang: Lang = None,
    ) -> m.RequestList:
        viewer = _Viewer(request, config, lang)
        return _request_list(viewer, box, state, limit, offset)

    @api.get(
        "/requests/{request_id}", response_model=m.RequestDetail, responses=_errors(403, 404),
        summary="One request, as its page shows it",
    )  # fmt: skip
    def request_detail(request: Request, request_id: str, lang: Lang = None) -> m.RequestDetail:
        viewer = _Viewer(request, config, lang)
        return _request_detail(viewer, request_id)

    @api.get(
        "/calendar", response_model=m.Calendar, responses=_errors(403),
        summary="What the officer's body owes or attends",
    )  # fmt: skip
    def calendar(request: Request, lang: Lang = None) -> m.Calendar:
        viewer = _Viewer(request, config, lang)
        try:
            with SqlUnitOfWork(config.engine) as uow:
                entries = calendar_svc.entries(uow, viewer.officer.id, viewer.now)
        except requests_svc.AccessDenied:
            raise viewer.refuse(403, _NO_CALENDAR, "Art. 4") from None
        return m.Calendar(
            horizon_days=calendar_svc.HORIZON.days,
            entries=[
                m.CalendarEntry(
                    kind=e.kind.value,
                    label=kind_label(e.kind, viewer.lang),
                    article=e.kind.article,
                    ref=e.ref,
                    at=e.start if isinstance(e.start, datetime) else None,
                    day=e.day,
                    end=e.end,
                    body_id=e.body_id,
                    path=e.path,
                    detail=e.detail,
                    overdue=e.is_overdue(viewer.now),
                )
                for e in entries
            ],
        )

    @api.get(
        "/notifications", response_model=m.Notifications, responses=_errors(403),
        summary="The officer's notifications of matches",
    )  # fmt: skip
    def notifications(
        request: Request, limit: Limit = 50, offset: Offset = 0, lang: Lang = None
    ) -> m.Notifications:
        viewer = _Viewer(request, config, lang)
        try:
            with SqlUnitOfWork(config.engine) as uow:
                shown = notifications_svc.list_for(
                    uow, viewer.officer.id, viewer.now, limit=limit, offset=offset
                )
        except requests_svc.AccessDenied:
            raise viewer.refuse(403, _NO_NOTIFICATIONS, "Art. 4") from None
        return m.Notifications(
            total=shown.total,
            unread=shown.unread,
            limit=shown.limit,
            offset=shown.offset,
            items=[
                m.Notification(
                    id=v.id,
                    subject_type=v.subject.type.value,
                    subject_id=v.subject.id,
                    subject_label=v.subject_label or v.subject.id,
                    other_type=v.other_type.value,
                    other_body=v.other_body,
                    created_at=v.created_at,
                    read=v.read,
                )
                for v in shown.items
            ],
        )


def _request_list(
    viewer: _Viewer, box: str, state: State | None, limit: int, offset: int
) -> m.RequestList:
    """The page's inbox and outbox (``views._inbox``): the auditor reads every request."""
    officer = viewer.officer
    auditor = officer.has(Role.AUDITOR)
    if officer.body_id is None and not auditor:
        raise viewer.refuse(403, _NO_REQUESTS, "Art. 4")
    with SqlUnitOfWork(viewer.config.engine) as uow:
        rows = uow.requests.summaries(
            None, state, offset + limit + 1,
            requesting=None if auditor or box == "in" else officer.body_id,
            requested=None if auditor or box != "in" else officer.body_id,
        )  # fmt: skip
        page = rows[offset : offset + limit]
        due = uow.requests.next_deadlines([r["id"] for r in page])
    items = []
    for row in page:
        d = due.get(row["id"])
        deadline = None
        if d is not None:
            left = d.due_at - viewer.now
            deadline = m.NextDeadline(
                kind=d.kind, label=viewer._(i18n.DEADLINES.get(d.kind, d.kind)), due_at=d.due_at,
                body_id=d.body_id, overdue=left <= timedelta(0), soon=left <= SOON,
            )  # fmt: skip
        items.append(
            m.RequestSummary(
                id=row["id"],
                requesting_body=row["requesting_body"],
                requested_body=row["requested_body"],
                state=row["state"],
                state_label=_state_label(viewer, str(row["state"])),
                urgent=bool(row["urgent"]),
                crime_category=row["crime_category"],
                created_at=_utc(row["created_at"]),
                updated_at=_utc(row["updated_at"]),
                next_deadline=deadline,
            )
        )
    more = len(rows) > offset + limit
    return m.RequestList(
        box="all" if auditor else box, items=items, limit=limit, offset=offset,
        next_offset=offset + limit if more else None,
    )  # fmt: skip


def _utc(moment: datetime) -> datetime:
    """A stored moment as UTC (SQLite gives it back without its zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=i18n.UTC)


def _request_detail(viewer: _Viewer, request_id: str) -> m.RequestDetail:
    if len(request_id) > MAX_ID:
        raise viewer.refuse(404, _NO_SUCH_REQUEST)
    try:
        with SqlUnitOfWork(viewer.config.engine) as uow:
            view = requests_svc.show(uow, request_id, viewer.officer.id, viewer.now)
    except requests_svc.AccessDenied:
        raise viewer.refuse(403, _NOT_THEIRS, "Art. 4") from None
    except NotFound:
        raise viewer.refuse(404, _NO_SUCH_REQUEST) from None
    r, c, _ = view.request, view.request.content, viewer._
    return m.RequestDetail(
        id=r.id, requesting_body=r.requesting_body, addressed_body=c.requested_body,
        requested_body=r.requested_body or c.requested_body, state=r.state.value,
        state_label=_(i18n.STATES.get(r.state.value) or r.state.value), urgent=c.urgent,
        crime_category=c.crime_category.value, purpose=c.purpose,
        justification=c.justification, substance=c.substance,
        assistance=[m.AssistanceItem(kind=a.kind.value, description=a.description)
                    for a in c.assistance_items],
        execution_terms=c.execution_terms, legal_qualification=c.legal_qualification,
        other_information=c.other_information, reference=c.reference,
        attachments=[m.AttachmentInfo(filename=a.filename, size=a.size, sha256=a.sha256,
                                      media_type=a.media_type) for a in c.attachments],
        created_at=r.created_at, signed_by=r.signed_by, sent_at=r.sent_at,
        received_at=r.received_at, outcome=r.outcome,
        deadlines=[
            m.Deadline(
                kind=d.kind.value, label=_(i18n.DEADLINES.get(d.kind.value, d.kind.value)),
                due_at=d.due_at, body_id=deadline_owner(r, d.kind),
                paused=d.paused_at is not None, overdue=d.is_overdue(viewer.now),
            )
            for d in r.open_deadlines()
        ],
        allowed_actions=[
            m.AllowedAction(action=a.value, label=_(i18n.ACTIONS.get(a.value) or a.value),
                            needs_text=ACTIONS[a].needs_text)
            for a in view.allowed
        ],
        events=[
            m.Event(name=e.name, label=_(i18n.EVENTS.get(e.name) or e.name), at=e.at,
                    actor_id=e.actor_id, body_id=e.body_id, articles=list(e.articles))
            for e in view.events
        ],
    )  # fmt: skip


def _state_label(viewer: _Viewer, state: str) -> str:
    # Looked up apart: a literal inside _() would be extracted as a message of its own.
    label = i18n.STATES.get(state) or state
    return viewer._(label)
