"""The pages of information exchange (Art. 5 para 1, Art. 10): records, consents, search.

A record's content is shown only after the officer has chosen the purpose the read serves
(and, optionally, the case or request it is for): ``read_record`` decides and audits it.
A purpose the providing body did not permit is refused with its article, and the page
offers to ask that body for consent. Lists show titles and handling conditions only (no
purpose is needed for them: the service keeps no content in them). Every change is a form
post with the session's CSRF token, through the same services as the CLI.

Status codes, as for requests: 403 for a record the officer's Party was not given, a
revoked one, or a purpose not permitted (each with its article); 404 for an unknown id;
422 for a form the core refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ozara.core.correlation import Subject, SubjectType
from ozara.core.operations import LinkKind
from ozara.core.parties import Party
from ozara.core.records import Purpose, RecordKind
from ozara.core.rules import ProtocolError, Violation
from ozara.federation.requests import Unroutable
from ozara.services import correlation
from ozara.services import records as svc
from ozara.services.requests import AccessDenied
from ozara.store.repository import ConcurrentChange, NotFound
from ozara.store.uow import SqlUnitOfWork

from . import i18n
from . import records_forms as rf
from .case_operations import case_operations
from .correlation_pages import matches_context
from .i18n import UTC
from .page import Forbidden, Page, WebConfig, page_for
from .records_forms import denial, forbid_if_access, labels, officer_id, record_peers
from .views import _Form

PAGE_SIZE = 50


def add_record_pages(app: FastAPI, config: WebConfig) -> None:  # noqa: PLR0915 -- the routes
    @app.get("/records", response_class=HTMLResponse)
    def records(request: Request) -> Response:
        page = page_for(request, config)
        return _list(page)

    @app.get("/records/new", response_class=HTMLResponse)
    def compose(request: Request) -> Response:
        page = page_for(request, config)
        kind = request.query_params.get("kind") or RecordKind.CRIME.value
        form = {"kind": kind, "confidentiality": "official_use", "crime_category": "c"}
        return _compose(page, _Form(form), [])

    @app.post("/records/new", response_class=HTMLResponse)
    async def create(request: Request) -> Response:
        page = page_for(request, config)
        form = await page.form()
        try:
            with SqlUnitOfWork(config.engine) as uow:
                rid = svc.create_record(
                    uow, rf.document_from_form(form), officer_id(page), page.now
                )
        except AccessDenied as e:
            raise Forbidden(str(e)) from None
        except ProtocolError as e:
            return _compose(page, _Form(form), list(e.violations), status=422)
        return RedirectResponse(f"/records/{rid}?created=1", status_code=303)

    @app.get("/records/{record_id}", response_class=HTMLResponse)
    def show(request: Request, record_id: str) -> Response:
        page = page_for(request, config)
        return record_page(page, record_id)

    @app.get("/records/{record_id}/edit", response_class=HTMLResponse)
    def edit(request: Request, record_id: str) -> Response:
        page = page_for(request, config)
        purpose, case = purpose_of(page)
        if purpose is None:
            return RedirectResponse(f"/records/{record_id}", status_code=303)
        try:
            with SqlUnitOfWork(config.engine) as uow:
                view = svc.read_record(
                    uow, record_id, officer_id(page), purpose, page.now, case=case
                )
        except NotFound:
            return _not_found(page)
        except (ProtocolError, AccessDenied):
            return record_page(page, record_id)
        if not view.may_change:
            return RedirectResponse(_record_url(record_id, purpose, case), status_code=303)
        form = _Form(rf.form_from_document(view.content.to_dict()))
        return _compose(page, form, [], record_id=record_id, purpose=purpose, case=case)

    @app.post("/records/{record_id}/edit", response_class=HTMLResponse)
    async def update(request: Request, record_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        purpose, case = purpose_of(page, form)
        try:
            with SqlUnitOfWork(config.engine) as uow:
                svc.update_record(
                    uow, record_id, rf.document_from_form(form), officer_id(page), page.now,
                    record_peers(config),
                )  # fmt: skip
        except NotFound:
            return _not_found(page)
        except AccessDenied as e:
            raise Forbidden(str(e)) from None
        except ProtocolError as e:
            forbid_if_access(page, e)
            return _compose(
                page, _Form(form), list(e.violations), status=422, record_id=record_id,
                purpose=purpose, case=case,
            )  # fmt: skip
        return RedirectResponse(_record_url(record_id, purpose, case), status_code=303)

    @app.post("/records/{record_id}/share", response_class=HTMLResponse)
    async def share(request: Request, record_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        parties = [p for p in Party if form.get(f"party.{p.value}") == "1"]
        return _change(
            page, record_id, form,
            lambda uow: svc.share_record(
                uow, record_id, parties, officer_id(page), page.now, record_peers(config)
            ),
        )  # fmt: skip

    @app.post("/records/{record_id}/revoke", response_class=HTMLResponse)
    async def revoke(request: Request, record_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        reason = form.get("reason", "")
        return _change(
            page, record_id, form,
            lambda uow: svc.revoke_record(
                uow, record_id, reason, officer_id(page), page.now, record_peers(config)
            ),
        )  # fmt: skip


def purpose_of(page: Page, form: dict[str, str] | None = None) -> tuple[Purpose | None, str | None]:
    """The purpose (and case) a read states, from the form or the query string."""
    source: Any = form if form is not None else page.request.query_params
    raw = source.get("purpose") or ""
    purpose = Purpose(raw) if raw in {p.value for p in Purpose} else None
    case = (source.get("case") or "").strip()[:200] or None
    return purpose, case


def _record_url(record_id: str, purpose: Purpose | None, case: str | None, **more: str) -> str:
    query: dict[str, str] = {}
    if purpose is not None:
        query["purpose"] = purpose.value
    if case:
        query["case"] = case
    query |= more
    return f"/records/{record_id}" + (f"?{urlencode(query)}" if query else "")


def _not_found(page: Page) -> HTMLResponse:
    return page.error(404, page._("Not found"), page._("No such record."))


def _change(
    page: Page, record_id: str, form: dict[str, str], change: Callable[[SqlUnitOfWork], object]
) -> Response:
    """Run one change of a record (share, revoke) and go back to its page."""
    purpose, case = purpose_of(page, form)
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            change(uow)
    except NotFound:
        return _not_found(page)
    except AccessDenied as e:
        raise Forbidden(str(e)) from None
    except ProtocolError as e:
        forbid_if_access(page, e)
        return record_page(page, record_id, errors=denial(page, e), status=422, form=form)
    except (ConcurrentChange, Unroutable) as e:
        return record_page(page, record_id, errors=[str(e)], status=409, form=form)
    return RedirectResponse(_record_url(record_id, purpose, case), status_code=303)


def _list(page: Page) -> HTMLResponse:
    q = page.request.query_params
    kind = q.get("kind") if q.get("kind") in {k.value for k in RecordKind} else None
    raw_offset = q.get("offset", "")
    # Bounded: a huge number would overflow the database's integer (a 500, not an empty page).
    offset = min(int(raw_offset), 10**9) if raw_offset.isdigit() and len(raw_offset) < 12 else 0
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            rows = svc.list_records(
                uow, officer_id(page), page.now, kind=kind, limit=PAGE_SIZE + 1, offset=offset
            )
            holdings = uow.records.holdings([r.id for r in rows])
            waiting = sum(
                1 for c in svc.list_consents(uow, officer_id(page), pending_only=True)
                if c.to_answer
            )  # fmt: skip
    except AccessDenied:
        raise Forbidden(page._("Records are exchanged by the competent bodies (Art. 5).")) from None
    more = len(rows) > PAGE_SIZE
    items = []
    for r in rows[:PAGE_SIZE]:
        h = holdings.get(r.id)
        items.append({
            "id": r.id, "title": r.title, "kind": r.kind, "owner": r.owner_body, "own": r.own,
            "level": r.confidentiality, "revoked": r.revoked,
            "purposes": sorted(p.value for p in h.handling.purposes) if h else [],
            "onward": h.handling.onward_sharing if h else False,
            "shared": sorted(p.value for p in h.recipients) if h else [],
            "updated": i18n.local_time(r.updated_at, UTC, page.lang),
        })  # fmt: skip
    return page.render(
        "records.html", rows=items, kinds=list(rf.KINDS), kind=kind, waiting=waiting,
        offset=offset, next_offset=offset + PAGE_SIZE if more else None,
        prev_offset=max(0, offset - PAGE_SIZE) if offset else None, **labels(page),
    )  # fmt: skip


def _compose(
    page: Page,
    form: _Form,
    violations: list[Violation],
    status: int = 200,
    *,
    record_id: str | None = None,
    purpose: Purpose | None = None,
    case: str | None = None,
) -> HTMLResponse:
    assert page.session is not None
    if page.session.officer.body_id is None:
        raise Forbidden(page._("Records are exchanged by the competent bodies (Art. 5)."))
    field_errors: dict[str, str] = {}
    for v in violations:
        name = rf.form_field(v)
        line = rf.line_of(v)
        text = rf.explain(v, page.lang)
        if line is not None and not name.startswith("purposes"):
            text = page._("line %(num)d: %(text)s") % {"num": line, "text": text}
        field_errors[name] = f"{field_errors.get(name, '')} {text}".strip()
    secret = [v for v in violations if v.rule == "art10.state_secret"]
    wanted = page.request.query_params.get("persons")
    action = f"/records/{record_id}/edit" if record_id else "/records/new"
    return page.render(
        "record_new.html", status, form=form, field_errors=field_errors,
        errors=[f"{v.field}: {rf.explain(v, page.lang)}" for v in violations],
        state_secret=rf.explain(secret[0], page.lang) if secret else None,
        kinds=list(rf.KINDS), purposes=list(rf.PURPOSES), levels=list(rf.LEVELS),
        person_kinds=list(rf.PERSON_KINDS), categories=rf.categories(),
        identifier_kinds=list(rf.IDENTIFIER_KINDS), document_kinds=list(rf.DOCUMENT_KINDS),
        slots=range(rf.slots(form, wanted)), more_slots=rf.slots(form, wanted) + 1,
        action=action, record_id=record_id, purpose=purpose.value if purpose else "",
        case=case or "", **labels(page),
    )  # fmt: skip


def record_page(
    page: Page,
    record_id: str,
    errors: list[str] | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    """The record under the purpose the officer chose; without one, the choice first."""
    purpose, case = purpose_of(page, form)
    common: dict[str, Any] = {
        "record_id": record_id, "purposes": list(rf.PURPOSES), "errors": errors or [],
        "purpose": purpose.value if purpose else "", "case": case or "", "view": None,
        "denied": [], "ask_consent": False, "created": page.request.query_params.get("created"),
        **labels(page),
    }  # fmt: skip
    if purpose is None:
        return page.render("record.html", status, **common)
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            registry = uow.registry.registry()
            view = svc.read_record(uow, record_id, officer_id(page), purpose, page.now, case=case)
        with SqlUnitOfWork(page.config.engine) as uow:  # each use case its own transaction
            subject = Subject(SubjectType.RECORD, record_id)
            matches = correlation.links_for(
                uow, officer_id(page), subject, purpose, page.now, case=case
            )
    except NotFound:
        return _not_found(page)
    except AccessDenied as e:
        raise Forbidden(str(e)) from None
    except ProtocolError as e:
        ask = any(v.rule == "art10.purpose" for v in e.violations)
        return page.render(
            "record.html", 403, **{**common, "denied": denial(page, e), "ask_consent": ask}
        )
    assert page.session is not None
    own = registry.get(page.session.officer.body_id or "")
    held = {r.party for r in view.recipients} | {view.holding.owner_party}
    if own is not None:
        held.add(own.party)
    recipients = [
        {"party": r.party.value, "by": r.shared_by,
         "at": i18n.local_time(r.shared_at, UTC, page.lang)}
        for r in view.recipients
    ]  # fmt: skip
    stix = {"purpose": purpose.value, **({"case": case} if case else {})}
    common |= {
        "view": view, "c": view.content, "doc": view.content.to_dict(),
        "share_to": [p.value for p in Party if p not in held], "recipients": recipients,
        "consents": view.consents, "revoked_at": view.holding.revoked_at,
        "body_name": lambda b: i18n.body_name(registry.get(b), b, page.lang),
        "stix": f"/records/{record_id}/stix?{urlencode(stix)}",
    }  # fmt: skip
    common |= matches_context(page, subject, view.content.title, matches, purpose, case or "")
    common |= case_operations(page, LinkKind.RECORD, record_id)
    return page.render("record.html", status, **common)
