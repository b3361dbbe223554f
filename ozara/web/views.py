"""The pages of requests: inbox and outbox, composing, one request with its actions.

Each handler reads the session (``page_for``), calls one service, and renders. What an
officer may do is what the core allows at that moment (``allowed_actions``): only those
actions are offered, and a posted action the core refuses comes back with its article.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from ozara.core.actions import ACTIONS, Action, State
from ozara.core.events import RequestEvent
from ozara.core.lifecycle import Command, deadline_owner
from ozara.core.operations import LinkKind
from ozara.core.parties import Party, Role
from ozara.core.requests import AssistanceKind, CrimeCategory
from ozara.core.rules import RULES, ProtocolError, Violation, article_in
from ozara.federation.requests import SignatoryKeyMissing, Unroutable
from ozara.services import requests as svc
from ozara.store.attachments import AttachmentRepository, StoredFile
from ozara.store.repository import ConcurrentChange, NotFound
from ozara.store.tables import audit_log, inbox, outbox
from ozara.store.uow import SqlUnitOfWork

from . import i18n
from .case_operations import case_operations
from .correlation_pages import request_matches
from .documents import offers_cooperation, pdf_links
from .i18n import UTC
from .page import Forbidden, Page, WebConfig, page_for
from .request_cooperation import cooperation_context

SOON = timedelta(days=3)
_TEXT_FIELDS = (
    # name, label, rows
    ("purpose", i18n.N_("Purpose of the request"), 2),
    ("justification", i18n.N_("Justification"), 3),
    ("substance", i18n.N_("Substance of the case"), 4),
    ("operational_search_measures", i18n.N_("Operational-search measures (one per line)"), 3),
    ("procedural_actions", i18n.N_("Procedural actions (one per line)"), 3),
    ("execution_terms", i18n.N_("Terms of execution"), 2),
    ("legal_qualification", i18n.N_("Legal qualification of the act"), 2),
    ("other_information", i18n.N_("Other information"), 2),
    ("urgent_grounds", i18n.N_("Grounds for urgency (Art. 6 para 4)"), 2),
    ("reference", i18n.N_("Your reference"), 1),
)


def document_from_form(
    form: dict[str, str], body_id: str, files: Sequence[StoredFile] = ()
) -> dict[str, Any]:
    """The request document (ozara/schemas/request.schema.json) a compose form describes."""
    items = [
        {"kind": kind.value, "description": line.strip()}
        for field, kind in (
            ("operational_search_measures", AssistanceKind.OPERATIONAL_SEARCH_MEASURE),
            ("procedural_actions", AssistanceKind.PROCEDURAL_ACTION),
        )
        for line in form.get(field, "").splitlines()
        if line.strip()
    ]
    text = {name: form.get(name, "").strip() for name, _, _ in _TEXT_FIELDS}
    return {
        "requesting_body": body_id,
        "requested_body": form.get("requested_body", ""),
        "purpose": text["purpose"],
        "justification": text["justification"],
        "substance": text["substance"],
        "assistance": {"items": items, "text": ""},
        "execution_terms": text["execution_terms"],
        "crime_category": form.get("crime_category", ""),
        "legal_qualification": text["legal_qualification"],
        "other_information": text["other_information"],
        "urgent": form.get("urgent") == "1",
        "urgent_grounds": text["urgent_grounds"],
        "reference": text["reference"],
        "attachments": [
            {"filename": f.filename, "size": f.size, "sha256": f.sha256,
             "media_type": f.media_type}
            for f in files
        ],
    }  # fmt: skip


def safe_filename(name: str) -> str:
    """The file's own name, without any path, control character or reserved character."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '<>:"|?*').strip(" .")
    return cleaned[:200] or "file"


async def _files(page: Page) -> list[StoredFile]:
    out = []
    for upload in page.uploads:
        content = upload.content
        digest = hashlib.sha256(content).hexdigest()
        out.append(StoredFile(digest, safe_filename(upload.filename), upload.content_type[:255],
                              len(content), content))  # fmt: skip
    return out


def _field(v: Violation) -> str:
    """The form field a violation belongs to (``assistance.items[0]`` → the measures box)."""
    head = v.field.split(".")[0].split("[")[0]
    return "operational_search_measures" if head == "assistance" else head


def explain(v: Violation, lang: str) -> str:
    """The broken rule in the officer's language, with its article; the specific detail
    (a body's id, a limit) as the core gave it."""
    rule = RULES[v.rule]
    detail = v.message.removeprefix(rule.text_en).removeprefix(": ")
    text = rule.text(lang) + (f": {detail}" if detail else "")
    return f"{text} ({article_in(v.article, lang)})"


def _messages(page: Page, error: ProtocolError) -> list[str]:
    return [f"{v.field}: {explain(v, page.lang)}" for v in error.violations]


def add_request_pages(app: FastAPI, config: WebConfig) -> None:
    @app.get("/requests", response_class=HTMLResponse)
    def inbox(request: Request) -> Response:
        page = page_for(request, config)
        return _inbox(page)

    @app.get("/requests/new", response_class=HTMLResponse)
    def compose(request: Request) -> Response:
        page = page_for(request, config)
        return _compose(page, {"crime_category": "c"}, [])

    @app.post("/requests/check")
    async def check(request: Request) -> Response:
        page = page_for(request, config)
        form = await page.form()
        body = _own_body(page)
        with SqlUnitOfWork(config.engine) as uow:
            try:
                svc.validate_document(uow, document_from_form(form, body), page.now)
            except ProtocolError as e:
                found = [
                    {"field": _field(v), "message": explain(v, page.lang)} for v in e.violations
                ]
                return JSONResponse({"violations": found})
        return JSONResponse({"violations": []})

    @app.post("/requests/new", response_class=HTMLResponse)
    async def create(request: Request) -> Response:
        page = page_for(request, config)
        form = await page.form()
        body = _own_body(page)
        assert page.session is not None
        files = await _files(page)
        try:
            with SqlUnitOfWork(config.engine) as uow:
                rid = svc.create_request(
                    uow, document_from_form(form, body, files), page.session.officer.id,
                    page.now, files,
                )  # fmt: skip
        except ProtocolError as e:
            return _compose(page, form, list(e.violations), status=422)
        return RedirectResponse(f"/requests/{rid}", status_code=303)

    @app.get("/requests/{request_id}", response_class=HTMLResponse)
    def show(request: Request, request_id: str) -> Response:
        return _request_page(page_for(request, config), request_id)

    @app.post("/requests/{request_id}/act", response_class=HTMLResponse)
    async def act(request: Request, request_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        assert page.session is not None
        try:
            action = Action(form.get("action", ""))
        except ValueError:
            return page.error(400, page._("Not an action"), form.get("action", ""))
        command = Command(
            action,
            text=form.get("text", "").strip(),
            partial=form.get("partial") == "1",
            target_body=form.get("target_body") or None,
        )
        try:
            with SqlUnitOfWork(config.engine) as uow:
                svc.act(uow, request_id, command, page.session.officer.id, page.now, config.peers)
        except svc.AccessDenied as e:
            raise Forbidden(str(e)) from None
        except NotFound:
            return page.error(404, page._("Not found"), page._("No such request."))
        except ProtocolError as e:
            return _request_page(page, request_id, errors=_messages(page, e), status=422)
        except (Unroutable, SignatoryKeyMissing, ConcurrentChange) as e:
            return _request_page(page, request_id, errors=[str(e)], status=409)
        return RedirectResponse(f"/requests/{request_id}", status_code=303)


def _own_body(page: Page) -> str:
    assert page.session is not None
    body = page.session.officer.body_id
    if body is None:
        raise Forbidden(page._("Only officers of a competent body send requests (Art. 4)."))
    return body


def _inbox(page: Page) -> HTMLResponse:
    assert page.session is not None
    officer = page.session.officer
    q = page.request.query_params
    box = q.get("box") if q.get("box") in ("out", "sign") else "in"
    auditor = officer.has(Role.AUDITOR)
    if officer.body_id is None and not auditor:
        raise Forbidden(page._("The Secretariat's staff take no part in requests (Art. 4)."))
    state = q.get("state") or None
    party = q.get("party") or None
    category = q.get("category") or None
    due_filter = q.get("due") if q.get("due") in ("overdue", "soon") else None
    if box == "sign":
        state = State.DRAFT.value  # drafts of the body, waiting for the head or a deputy
    with SqlUnitOfWork(page.config.engine) as uow:
        registry = uow.registry.registry()
        items = svc.deadlines(uow, page.now, None if auditor else officer.body_id, soon=SOON)
        only = None
        if due_filter is not None:
            only = [i.request_id for i in items if i.overdue or due_filter == "soon"]
        other = None
        if party in {p.value for p in Party}:
            other = [b.id for b in registry.bodies.values() if b.party.value == party]
        rows = uow.requests.summaries(
            None,
            State(state) if state in {s.value for s in State} else None,
            200,
            requesting=None if auditor or box == "in" else officer.body_id,
            requested=None if auditor or box != "in" else officer.body_id,
            category=category if category in {c.value for c in CrimeCategory} else None,
            other_bodies=other,
            search=q.get("q") or None,
            ids=only,
        )
        due = uow.requests.next_deadlines([r["id"] for r in rows])
    overdue = sum(1 for i in items if i.overdue)
    for row in rows:
        d = due.get(row["id"])
        row["due"], row["flag"] = "", ""
        if d is not None:
            body = registry.get(d.body_id)
            zone = body.zone if body else UTC
            row["due"] = i18n.local_time(d.due_at, zone, page.lang)
            left = d.due_at - page.now
            row["flag"] = "overdue" if left <= timedelta(0) else "soon" if left <= SOON else ""
    return page.render(
        "requests.html", box=box, rows=rows, overdue=overdue,
        due_soon=len(items) - overdue, states=[s.value for s in State], state=state,
        parties=[p.value for p in Party], party=party,
        categories=[c.value for c in CrimeCategory], category=category, q=q.get("q", ""),
        due_filter=due_filter,
    )  # fmt: skip


def _compose(
    page: Page, form: dict[str, Any], violations: list[Violation], status: int = 200
) -> HTMLResponse:
    own = _own_body(page)
    with SqlUnitOfWork(page.config.engine) as uow:
        bodies = [b for b in uow.registry.registry().designated(page.now) if b.id != own]
    fields = [(name, page._(label), rows) for name, label, rows in _TEXT_FIELDS]
    field_errors: dict[str, str] = {}
    for v in violations:
        name = _field(v)
        field_errors[name] = f"{field_errors.get(name, '')} {explain(v, page.lang)}".strip()
    return page.render(
        "compose.html", status, bodies=bodies,
        body_label=lambda b: i18n.body_name(b, b.id, page.lang), form=_Form(form),
        text_fields=fields,
        categories=[c.value for c in CrimeCategory], field_errors=field_errors,
        errors=[f"{v.field}: {explain(v, page.lang)}" for v in violations],
    )  # fmt: skip


class _Form(dict[str, Any]):
    """A form's values for the template: a missing field reads as empty."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name, "")

    def __missing__(self, key: str) -> str:
        return ""


def _request_page(
    page: Page, request_id: str, errors: list[str] | None = None, status: int = 200
) -> HTMLResponse:
    assert page.session is not None
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            view = svc.show(uow, request_id, page.session.officer.id, page.now)
            documents = _documents(uow, request_id) + _received(uow, view.events)
            held = {f.sha256 for f in AttachmentRepository(uow.connection).of(request_id)}
    except svc.AccessDenied:
        return page.error(
            403, page._("Access denied"),
            page._("This request is not a case of your competent body."),
        )  # fmt: skip
    except NotFound:
        return page.error(404, page._("Not found"), page._("No such request."))
    r, reg = view.request, view.registry
    deadlines = []
    for d in r.open_deadlines():
        body = reg.get(deadline_owner(r, d.kind))
        zone = body.zone if body else UTC
        left = (d.due_at - page.now).total_seconds()
        deadlines.append(
            {
                "label": page._(i18n.DEADLINES[d.kind.value]),
                "due": i18n.local_time(d.due_at, zone, page.lang),
                "due_iso": d.due_at.isoformat(),
                "remaining": i18n.duration(left, page.lang) if d.paused_at is None else "⏸",
                "flag": "overdue" if left <= 0 else "soon" if left <= SOON.total_seconds() else "",
            }
        )
    timeline = []
    for e in view.events:
        body = reg.get(e.body_id) if e.body_id else None
        zone = body.zone if body else UTC
        timeline.append(
            {
                "when": i18n.local_time(e.at, zone, page.lang), "iso": e.at.isoformat(),
                "label": page._(i18n.EVENTS.get(e.name) or e.name), "actor": e.actor_id,
                "articles": ", ".join(e.articles),
                "text": e.details.get("text"), "via": e.details.get("via"),
            }
        )  # fmt: skip
    actions = [_Offered(a.value, ACTIONS[a].needs_text) for a in view.allowed]
    current = reg.get(r.requested_body)
    targets = [] if current is None else [
        b.id for b in reg.designated(page.now, current.party) if b.id != current.id
    ]  # fmt: skip
    return page.render(
        "request.html", status, r=r, errors=errors or [], notice=None, deadlines=deadlines,
        timeline=timeline, actions=actions, forward_targets=targets, documents=documents,
        body_name=lambda b: i18n.body_name(reg.get(b), b, page.lang),
        now_iso=page.now.isoformat(),
        pdf_links=pdf_links(
            page, r.id, [e.name for e in view.events], cooperation=offers_cooperation(page, r)
        ),
        files=[(a, a.sha256 in held) for a in r.content.attachments],
        **request_matches(page, r),
        **cooperation_context(page, r),
        **case_operations(page, LinkKind.REQUEST, r.id),
    )  # fmt: skip


class _Offered:
    def __init__(self, value: str, needs_text: bool) -> None:
        self.value = value
        self.needs_text = needs_text


def _documents(uow: SqlUnitOfWork, request_id: str) -> list[dict[str, Any]]:
    """The documents this node queued for the request, with their delivery state."""
    queued = uow.connection.execute(
        select(audit_log.c.details).where(
            audit_log.c.object_type == "request",
            audit_log.c.object_id == request_id,
            audit_log.c.action.like("document:queued:%"),
        ).order_by(audit_log.c.id)
    ).scalars().all()  # fmt: skip
    ids = [d["document_id"] for d in queued if isinstance(d, dict)]
    if not ids:
        return []
    rows = uow.connection.execute(
        select(
            outbox.c.document_id, outbox.c.document_type, outbox.c.recipient, outbox.c.state,
            outbox.c.attempts,
        ).where(outbox.c.document_id.in_(ids))
    ).all()  # fmt: skip
    by_id = {r.document_id: r for r in rows}
    return [
        {"type": by_id[i].document_type, "node": by_id[i].recipient, "sent": True,
         "state": by_id[i].state, "attempts": by_id[i].attempts}
        for i in ids if i in by_id
    ]  # fmt: skip


def _received(uow: SqlUnitOfWork, events: list[RequestEvent]) -> list[dict[str, Any]]:
    """The documents from the other side's node that brought this request's events."""
    ids = list(
        dict.fromkeys(str(e.details["document_id"]) for e in events if "document_id" in e.details)
    )
    if not ids:
        return []
    rows = uow.connection.execute(
        select(inbox.c.document_id, inbox.c.document_type, inbox.c.sender)
        .where(inbox.c.document_id.in_(ids))
        .order_by(inbox.c.received_at)
    ).all()
    return [
        {"type": r.document_type, "node": r.sender, "sent": False, "state": "received",
         "attempts": ""}
        for r in rows
    ]  # fmt: skip
