"""Consent (Art. 10 para 2), search, bulk import and STIX export of records.

* ``/consents``: what others asked the officer's body (grant or refuse, with reasons),
  and what the body asked and the answers.
* ``/records/{id}/consent``: ask the providing body for a purpose it did not permit.
* ``/search``: one box, under a purpose; a match the purpose does not open shows only
  that it exists and which body to ask, never a name or a line of content.
* ``/records/import``: CSV or a STIX 2.1 bundle, each row through ``create_record``; the
  import runs within the request and the page shows how many were taken and every row
  refused with its field, article and message.
* ``/records/{id}/stix``: the record as a STIX bundle, read (and audited) under the
  purpose chosen on its page.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ozara.core.records import Purpose
from ozara.core.rules import ProtocolError
from ozara.federation.requests import Unroutable
from ozara.services import records as svc
from ozara.services import search as search_svc
from ozara.services.requests import AccessDenied
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

from . import records_forms as rf
from .page import Forbidden, Page, WebConfig, page_for
from .records_forms import (
    denial,
    forbid_if_access,
    labels,
    officer_id,
    record_peers,
    until_of,
)
from .records_import import add_import_pages
from .records_pages import add_record_pages


def add_information_exchange(app: FastAPI, config: WebConfig) -> None:
    """Every page of records, consents and search (issue 5)."""
    add_import_pages(app, config)  # before /records/{record_id}, which would take "import"
    add_record_pages(app, config)
    add_exchange_pages(app, config)


def add_exchange_pages(app: FastAPI, config: WebConfig) -> None:
    @app.get("/consents", response_class=HTMLResponse)
    def consents(request: Request) -> Response:
        page = page_for(request, config)
        return _consents(page)

    @app.get("/records/{record_id}/consent", response_class=HTMLResponse)
    def consent_form(request: Request, record_id: str) -> Response:
        page = page_for(request, config)
        raw = request.query_params.get("purpose", "")
        return page.render(
            "record_consent.html", record_id=record_id, purposes=list(rf.PURPOSES),
            purpose=raw, errors=[], justification="", **labels(page),
        )  # fmt: skip

    @app.post("/records/{record_id}/consent", response_class=HTMLResponse)
    async def ask(request: Request, record_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        raw = form.get("purpose", "")
        if raw not in {p.value for p in Purpose}:
            return page.error(400, page._("Not a purpose"), raw)
        try:
            with SqlUnitOfWork(config.engine) as uow:
                svc.ask_consent(
                    uow, record_id, Purpose(raw), form.get("justification", ""),
                    officer_id(page), page.now, record_peers(config),
                )  # fmt: skip
        except NotFound:
            return page.error(404, page._("Not found"), page._("No such record."))
        except AccessDenied as e:
            raise Forbidden(str(e)) from None
        except ProtocolError as e:
            forbid_if_access(page, e)
            return page.render(
                "record_consent.html", 422, record_id=record_id, purposes=list(rf.PURPOSES),
                purpose=raw, errors=denial(page, e),
                justification=form.get("justification", ""), **labels(page),
            )  # fmt: skip
        return RedirectResponse("/consents?asked=1", status_code=303)

    @app.post("/consents/{consent_id}", response_class=HTMLResponse)
    async def answer(request: Request, consent_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        decision = form.get("decision", "")
        if decision not in ("grant", "refuse"):
            return page.error(400, page._("Not an answer"), decision)
        until = until_of(form.get("valid_until", ""))
        try:
            with SqlUnitOfWork(config.engine) as uow:
                svc.answer_consent(
                    uow, consent_id, decision == "grant", form.get("reason", ""),
                    officer_id(page), page.now, record_peers(config), valid_until=until,
                )  # fmt: skip
        except NotFound:
            return page.error(404, page._("Not found"), page._("No such request for consent."))
        except AccessDenied as e:
            raise Forbidden(str(e)) from None
        except ProtocolError as e:
            return _consents(page, errors=denial(page, e), status=422)
        except Unroutable as e:
            return _consents(page, errors=[str(e)], status=409)
        return RedirectResponse("/consents", status_code=303)

    @app.get("/search", response_class=HTMLResponse)
    def search(request: Request) -> Response:
        page = page_for(request, config)
        return _search(page)


def _consents(page: Page, errors: list[str] | None = None, status: int = 200) -> HTMLResponse:
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            views = svc.list_consents(uow, officer_id(page))
    except AccessDenied:
        raise Forbidden(page._("Records are exchanged by the competent bodies (Art. 5).")) from None
    assert page.session is not None
    body = page.session.officer.body_id
    to_us = [v for v in views if v.owner_body == body]
    ours = [v for v in views if v.consent.body_id == body and v.owner_body != body]
    return page.render(
        "consents.html", status, to_us=to_us, ours=ours, errors=errors or [],
        asked=page.request.query_params.get("asked"), **labels(page),
    )  # fmt: skip


def _search(page: Page) -> HTMLResponse:
    q = page.request.query_params
    text = (q.get("q") or "").strip()[:300]
    raw = q.get("purpose") or ""
    purpose = Purpose(raw) if raw in {p.value for p in Purpose} else None
    results: Any = None
    if text and purpose is not None:
        try:
            with SqlUnitOfWork(page.config.engine) as uow:
                results = search_svc.find(uow, officer_id(page), text, purpose, page.now)
        except AccessDenied:
            raise Forbidden(
                page._("Records are exchanged by the competent bodies (Art. 5).")
            ) from None
    return page.render(
        "search.html", q=text, purpose=raw, purposes=list(rf.PURPOSES), results=results,
        missing_purpose=bool(text) and purpose is None, **labels(page),
    )  # fmt: skip
