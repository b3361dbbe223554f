"""The pages of coordinated operations (Art. 5 para 3): the list, the plan form, one
operation with its actions, and the signed joint summary as a PDF (Art. 13).

Everything goes through ``ozara.services.operations``, as the CLI does: one transaction
per change, the core deciding, the article in every refusal. The buttons on an operation's
page are exactly ``allowed_actions`` for the officer at that moment; a posted action the
core refuses comes back to its form with the field, the rule and the article. On a node in
the federation every change travels as the CLI sends it (``operation_peers``): an invited
body's action goes to the lead's node, and the closing summary is signed with the head's
key from the node directory, as requests are signed.

Status codes, as for requests: 403 for an officer of no competent body or of a body the
operation does not involve (the lead and the invited bodies see it; nobody else, not even
its name); 404 for an unknown id; 422 for a form the core refuses; 409 for a change the
federation cannot carry (no node hosts a body, no signing key, a concurrent change).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ozara.core.operations import Link, Operation, OperationAction, OperationState
from ozara.core.parties import Officer
from ozara.core.requests import CrimeCategory
from ozara.core.rules import ProtocolError, Violation
from ozara.documents import OfficerSignature
from ozara.federation.requests import Unroutable
from ozara.pdf.operations import render_operation_summary
from ozara.services import operations as svc
from ozara.services.requests import AccessDenied
from ozara.store.operations import OperationRepository
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

from . import i18n
from . import operations_forms as of
from .i18n import UTC
from .joint_pages import JointPages, state_filter
from .page import Forbidden, Page, WebConfig, page_for
from .records_forms import explain, officer_id
from .views import _Form


def _no_body(page: Page) -> Forbidden:
    return Forbidden(
        page._("Coordinated operations are conducted by the competent bodies (Art. 5 para 3).")
    )


def add_operation_pages(app: FastAPI, config: WebConfig) -> None:
    @app.get("/operations", response_class=HTMLResponse)
    def operations(request: Request) -> Response:
        return _list(page_for(request, config))

    @app.get("/operations/new", response_class=HTMLResponse)
    def compose(request: Request) -> Response:
        return _compose(page_for(request, config), _Form({"category.c": "1"}), [])

    @app.post("/operations/new", response_class=HTMLResponse)
    async def create(request: Request) -> Response:
        page = page_for(request, config)
        form = await page.form()
        try:
            with SqlUnitOfWork(config.engine) as uow:
                oid = svc.propose_operation(
                    uow, of.plan_from_form(form), officer_id(page), page.now,
                    of.operation_peers(config),
                )  # fmt: skip
        except AccessDenied:
            raise _no_body(page) from None
        except ProtocolError as e:
            return _compose(page, _Form(form), list(e.violations), status=422)
        except Unroutable as e:
            return _compose(page, _Form(form), [], status=409, problem=str(e))
        return RedirectResponse(f"/operations/{quote(oid)}", status_code=303)

    @app.get("/operations/{operation_id}", response_class=HTMLResponse)
    def show(request: Request, operation_id: str) -> Response:
        page = page_for(request, config)
        return operation_page(page, operation_id)

    @app.post("/operations/{operation_id}/act", response_class=HTMLResponse)
    async def act(request: Request, operation_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        return _act(page, operation_id, form)

    @app.get("/operations/{operation_id}/summary.pdf")
    def summary_pdf(request: Request, operation_id: str) -> Response:
        page = page_for(request, config)
        return _summary_pdf(page, operation_id)


def _list(page: Page) -> HTMLResponse:
    state = state_filter(page, OperationState)
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            rows = svc.list_operations(uow, officer_id(page), state=state, limit=200)
            registry = uow.registry.registry()
    except AccessDenied:
        raise _no_body(page) from None
    assert page.session is not None
    own = page.session.officer.body_id
    items = [
        {"id": r.id, "name": r.name, "lead": r.lead_body, "leads": r.lead_body == own,
         "state": r.state.value, "period": r.period,
         "updated": i18n.local_time(r.updated_at, UTC, page.lang)}
        for r in rows
    ]  # fmt: skip
    return page.render(
        "operations.html", rows=items, states=list(of.STATES), state=state.value if state else "",
        body_name=lambda b: i18n.body_name(registry.get(b), b, page.lang), **of.labels(page),
    )  # fmt: skip


def _compose(
    page: Page,
    form: _Form,
    violations: list[Violation],
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    assert page.session is not None
    own_id = page.session.officer.body_id
    if own_id is None:
        raise _no_body(page)
    with SqlUnitOfWork(page.config.engine) as uow:
        registry = uow.registry.registry()
    own = registry.get(own_id)
    # Art. 5 para 3 joins the lead with bodies of *other* Parties: only those are offered.
    bodies = [
        b for b in registry.designated(page.now) if own is None or b.party is not own.party
    ]  # fmt: skip
    field_errors: dict[str, str] = {}
    general = [problem] if problem else []
    for v in violations:
        name = of.plan_field(v)
        text = explain(v, page.lang)
        if name:
            field_errors[name] = f"{field_errors.get(name, '')} {text}".strip()
        else:
            general.append(text)
    return page.render(
        "operation_new.html", status, form=form, field_errors=field_errors, general=general,
        errors=[f"{v.field}: {explain(v, page.lang)}" for v in violations],
        categories=[c.value for c in CrimeCategory], bodies=bodies,
        body_label=lambda b: i18n.body_name(b, b.id, page.lang), **of.labels(page),
    )  # fmt: skip


def _act(page: Page, operation_id: str, form: dict[str, str]) -> Response:
    raw = form.get("action", "")
    if raw not in {a.value for a in OperationAction}:
        return page.error(400, page._("Not an action"), raw)
    action = OperationAction(raw)
    assert page.session is not None
    body = page.session.officer.body_id

    def take() -> svc.Outcome:
        command = of.command_from_form(action, form)
        with SqlUnitOfWork(page.config.engine) as uow:
            # A body the operation does not involve is refused as its page refuses it (403),
            # not with the core's 422: the refusal must not tell it what state the
            # operation is in. (An officer of no body is refused by the service: 403 too.)
            operation = OperationRepository(uow.connection).get(operation_id).operation
            if body is not None and not operation.involves(body):
                raise Forbidden(_outsider(page, operation_id, body))
            return svc.act_on_operation(
                uow, operation_id, command, officer_id(page), page.now,
                of.operation_peers(page.config),
            )  # fmt: skip

    return PAGES.act(page, operation_id, form, take)


def _outsider(page: Page, operation_id: str, body: str) -> str:
    return page._("Operation %(id)s does not involve %(body)s (Art. 5 para 3).") % {
        "id": operation_id, "body": body,
    }  # fmt: skip


def _not_found(page: Page) -> HTMLResponse:
    return page.error(404, page._("Not found"), page._("No such operation."))


def _view(page: Page, operation_id: str) -> svc.OperationView:
    """The file as the officer's body may see it (the service decides and audits)."""
    return PAGES.view(page, operation_id, svc.show_operation)


def operation_page(
    page: Page,
    operation_id: str,
    *,
    violations: list[Violation] | None = None,
    problem: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 422,
) -> HTMLResponse:
    try:
        view = _view(page, operation_id)
    except NotFound:
        return _not_found(page)
    op = view.operation
    assert page.session is not None
    viewer = page.session.officer
    with SqlUnitOfWork(page.config.engine) as uow:  # each use case its own transaction
        registry = uow.registry.registry()
        stored = OperationRepository(uow.connection).get(operation_id)
        links = [_link(uow, viewer, k) for k in op.links]
    lead = registry.get(op.lead_body)
    zone = lead.zone if lead is not None else UTC

    def when(moment: Any) -> str:
        return i18n.local_time(moment, zone, page.lang) if moment else "—"

    field_errors: dict[str, str] = {}
    errors = [problem] if problem else []
    for v in violations or []:
        name, text = of.action_field(v), explain(v, page.lang)
        if name:
            field_errors[name] = f"{field_errors.get(name, '')} {text}".strip()
        errors.append(f"{v.field}: {text}")
    done = page.request.query_params.get("done")
    q = page.request.query_params
    fingerprint = None
    if stored.summary_signature is not None:
        fingerprint = OfficerSignature.from_json(stored.summary_signature).key_fingerprint
    return page.render(
        "operation.html", 200 if not errors else status, op=op, errors=errors,
        failed=(form or {}).get("action", ""), form=_Form(form or {}), field_errors=field_errors,
        actions=[a.value for a in view.allowed], needs_text=svc.needs_text,
        members=[op.lead_body, *(p.body_id for p in op.participants if op.is_member(p.body_id))],
        own_tasks=[t for t in op.tasks if t.body_id == viewer.body_id],
        open_tasks=[t for t in op.tasks if t.body_id == viewer.body_id and t.done_at is None],
        task_of={t.id: n for n, t in enumerate(op.tasks, start=1)}, links=links,
        leads=op.lead_body == viewer.body_id, received_from=view.received_from,
        summary_signed=view.summary_signed, fingerprint=fingerprint, local_when=when,
        sent=q.get("sent") in of.ACTIONS, done=done if done in of.ACTIONS else None,
        today=page.now.date(),
        body_name=lambda b: i18n.body_name(registry.get(b), b, page.lang), **of.labels(page),
    )  # fmt: skip


def _link(uow: SqlUnitOfWork, viewer: Officer, link: Link) -> dict[str, Any]:
    """A linked request or record, with an address only where the viewer's body may open it
    on this node: a request it is a side of, a record its Party holds (Art. 10). The others
    are named by the body that linked them, not by their id."""
    kind, ref, href = link.kind.value, link.ref, None
    try:
        if kind == "request":
            request = uow.requests.get(ref)
            if viewer.body_id in {request.content.requesting_body, request.requested_body}:
                href = f"/requests/{quote(ref)}"
        else:
            holding = uow.records.get(ref).holding
            own = uow.registry.registry().get(viewer.body_id or "")
            if holding.owner_body == viewer.body_id or (
                own is not None and own.party in {holding.owner_party, *holding.recipients}
            ):
                href = f"/records/{quote(ref)}"
    except NotFound:
        pass
    return {"kind": kind, "ref": ref if href else None, "href": href, "body": link.body_id,
            "at": link.at}  # fmt: skip


def _summary_pdf(page: Page, operation_id: str) -> Response:
    """The signed joint summary in Russian (Art. 13): for the lead and the invited bodies."""
    try:
        view = _view(page, operation_id)
    except NotFound:
        return _not_found(page)
    op: Operation = view.operation
    if op.summary is None:
        return page.error(
            404, page._("Not found"), page._("The operation has no joint summary yet.")
        )
    with SqlUnitOfWork(page.config.engine) as uow:
        registry = uow.registry.registry()
        stored = OperationRepository(uow.connection).get(operation_id)
        signatory = _local_officer(uow, op.summary.signed_by)
    fingerprint = None
    if stored.summary_signature is not None:
        fingerprint = OfficerSignature.from_json(stored.summary_signature).key_fingerprint
    data = render_operation_summary(op, registry, signatory, signature_fingerprint=fingerprint)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="operation-{operation_id}.pdf"'},
    )


def _local_officer(uow: SqlUnitOfWork, officer: str) -> Officer | None:
    """The signatory if this node knows them (a remote one, ``id@node``, is named only)."""
    try:
        return uow.registry.officer(officer)
    except NotFound:
        return None


PAGES = JointPages("/operations", operation_page, _not_found, _no_body, _outsider)
