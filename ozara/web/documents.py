"""Formal documents of a request as PDF (Art. 13): the written request, each notice, and
the statement of the cooperation on it (Art. 8, 11, 12).

Reading one is reading the request: the same access check and audit row as its page.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import select

from ozara.core.lifecycle import Request as ProtocolRequest
from ozara.core.parties import Officer
from ozara.documents import OfficerSignature
from ozara.pdf import (
    has_cooperation,
    has_notice,
    render_cooperation,
    render_notice,
    render_request,
)
from ozara.services import requests as svc
from ozara.store.attachments import AttachmentRepository
from ozara.store.repository import NotFound
from ozara.store.tables import request_signatures
from ozara.store.uow import SqlUnitOfWork

from . import i18n
from .page import Forbidden, Page, WebConfig, page_for


def pdf_links(
    page: Page, request_id: str, event_names: list[str], cooperation: bool = False
) -> list[tuple[str, str]]:
    """(href, label) of every formal document the request has now; ``cooperation``: whether
    the viewer is offered the statement of the cooperation (``offers_cooperation``)."""
    links = [(f"/requests/{request_id}/pdf", page._("Written request (PDF)"))]
    for n, name in enumerate(event_names):
        if has_notice(name):
            event = page._(i18n.EVENTS.get(name) or name)
            label = page._("Notice: %(event)s (PDF)") % {"event": event}
            links.append((f"/requests/{request_id}/notices/{n}.pdf", label))
    if cooperation:
        label = page._("Statement on cooperation (Art. 8, 11, 12)")
        links.append((f"/requests/{request_id}/cooperation.pdf", label))
    return links


def _issuer(page: Page, request: ProtocolRequest) -> str | None:
    """The body that issues the viewer's statement of the cooperation: the viewer's own, if
    it is one of the request's two bodies. The statement is a body's document, stated on its
    letterhead to the other body, so an officer of no such body (the auditor, who reads the
    cooperation on the page; a body the request was forwarded away from) has none to issue."""
    assert page.session is not None
    body = page.session.officer.body_id
    pair = (request.content.requesting_body, request.requested_body)
    return body if body in pair else None


def offers_cooperation(page: Page, request: ProtocolRequest) -> bool:
    """Whether the request page links the statement: something to state, and a body to state it."""
    return has_cooperation(request.cooperation) and _issuer(page, request) is not None


def add_document_routes(app: FastAPI, config: WebConfig) -> None:
    add_attachment_route(app, config)

    @app.get("/requests/{request_id}/pdf")
    def request_pdf(request: Request, request_id: str) -> Response:
        page = page_for(request, config)
        with SqlUnitOfWork(config.engine) as uow:
            view = _view(page, uow, request_id)
            r = view.request
            signatory = _local_officer(uow, r.signed_by)
            fingerprint = _fingerprint(uow, r.id)
        data = render_request(r, view.registry, signatory, signature_fingerprint=fingerprint)
        return _pdf(data, f"{r.id}.pdf")

    @app.get("/requests/{request_id}/notices/{number}.pdf")
    def notice_pdf(request: Request, request_id: str, number: int) -> Response:
        page = page_for(request, config)
        with SqlUnitOfWork(config.engine) as uow:
            view = _view(page, uow, request_id)
            if not 0 <= number < len(view.events) or not has_notice(view.events[number].name):
                return page.error(404, page._("Not found"), page._("No such document."))
            event = view.events[number]
            signatory = _local_officer(uow, event.actor_id)
        data = render_notice(view.request, event, view.registry, signatory)
        return _pdf(data, f"{request_id}-{number}.pdf")

    @app.get("/requests/{request_id}/cooperation.pdf")
    def cooperation_pdf(request: Request, request_id: str) -> Response:
        page = page_for(request, config)
        with SqlUnitOfWork(config.engine) as uow:
            view = _view(page, uow, request_id)
        issuer = _issuer(page, view.request)
        if issuer is None:
            raise Forbidden(page._("This request is not a case of your competent body."))
        if not has_cooperation(view.request.cooperation):
            return page.error(404, page._("Not found"), page._("No such document."))
        data = render_cooperation(view.request, view.registry, issuer)
        return _pdf(data, f"{request_id}-cooperation.pdf")


def add_attachment_route(app: FastAPI, config: WebConfig) -> None:
    @app.get("/requests/{request_id}/attachments/{sha256}")
    def attachment(request: Request, request_id: str, sha256: str) -> Response:
        page = page_for(request, config)
        with SqlUnitOfWork(config.engine) as uow:
            _view(page, uow, request_id)  # the same access check and audit as the page
            file = AttachmentRepository(uow.connection).get(request_id, sha256)
        if file is None:
            return page.error(404, page._("Not found"), page._("No such document."))
        # Always a download, never rendered here: a file is the other side's content.
        return Response(
            file.content,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.filename)}"},
        )


def _view(page: Page, uow: SqlUnitOfWork, request_id: str) -> svc.RequestView:
    assert page.session is not None
    try:
        return svc.show(uow, request_id, page.session.officer.id, page.now)
    except svc.AccessDenied:
        raise Forbidden(page._("This request is not a case of your competent body.")) from None


def _local_officer(uow: SqlUnitOfWork, officer_id: str | None) -> Officer | None:
    """The officer if they belong to this node (a remote one is named in the text only)."""
    if officer_id is None:
        return None
    try:
        return uow.registry.officer(officer_id)
    except NotFound:
        return None


def _fingerprint(uow: SqlUnitOfWork, request_id: str) -> str | None:
    stored = uow.connection.execute(
        select(request_signatures.c.signature).where(
            request_signatures.c.request_id == request_id,
            request_signatures.c.purpose == "request",
        )
    ).scalar_one_or_none()
    return None if stored is None else OfficerSignature.from_json(stored).key_fingerprint


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
