"""The pages of the library of exchanged literature (Art. 5 para 6): the list and search,
the form that adds a document with its file, one document (share with more Parties,
withdraw), and the file's download.

Everything goes through ``ozara.services.literature``, as the CLI does: the service decides
who may read (``core.literature.may_read``) and audits every list, search, read and refused
read. Literature is no case information, so no purpose is asked (Art. 10 para 2 does not
apply); a state-secret marking or stamp is refused before anything is stored (Art. 10
para 3) and comes back beside its field.

Status codes: 403 for an officer of no competent body, for a document not shared with the
officer's Party or withdrawn, and for a change by a body that does not own the document
(the answer never carries the title or the file); 404 for an unknown id; 422 for a form the
core refuses; 409 for a change the federation cannot carry or a file that lost its hash.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ozara.core.literature import LiteratureKind
from ozara.core.parties import Party
from ozara.core.rules import ProtocolError, Violation
from ozara.federation.literature import FederatedLiteraturePeers
from ozara.federation.requests import FederatedPeers, Unroutable
from ozara.services import literature as svc
from ozara.services.requests import AccessDenied
from ozara.store.at_rest import AtRestError
from ozara.store.literature import LiteratureRepository
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

from . import i18n
from .i18n import N_, UTC
from .page import Forbidden, Page, WebConfig, page_for
from .records_forms import explain, officer_id
from .research_forms import faults_by_field
from .views import _Form

KINDS: dict[str, str] = {
    LiteratureKind.ARTICLE: N_("article"),
    LiteratureKind.MANUAL: N_("manual"),
    LiteratureKind.METHODOLOGY: N_("methodology"),
    LiteratureKind.REPORT: N_("report"),
    LiteratureKind.OTHER: N_("other"),
}
#: The metadata's fields, in the order of the form: a fault names one of them.
FIELDS = ("title", "authors", "language", "year", "kind", "keywords", "abstract", "marking",
          "file", "recipients")  # fmt: skip
#: Refusals of a read, about who may see the document: a 403.
_READ_RULES = frozenset({"art5.literature_not_shared", "art5.literature_withdrawn"})
#: Refusals of a change by a body that does not own the document: a 403. (A withdrawn
#: document refuses its owner's change too, which the owner sees on its page: 422.)
_CHANGE_RULES = frozenset({"art5.literature_owner", "art5.literature_not_shared"})
#: A media type as a browser sends it; anything else is served as plain bytes.
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
#: Types a browser would run or render as a page of this site: always served as bytes.
_ACTIVE = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml",
                     "application/xml", "text/javascript", "application/javascript"})  # fmt: skip


def add_literature_pages(app: FastAPI, config: WebConfig) -> None:
    @app.get("/literature", response_class=HTMLResponse)
    def library(request: Request) -> Response:
        return _list(page_for(request, config))

    @app.get("/literature/new", response_class=HTMLResponse)
    def compose(request: Request) -> Response:
        page = page_for(request, config)
        _require_body(page)
        return _compose(page, _Form({"kind": "article", "year": str(page.now.year)}), [])

    @app.post("/literature/new", response_class=HTMLResponse)
    async def create(request: Request) -> Response:
        page = page_for(request, config)
        form = await page.form()
        _require_body(page)
        return _create(page, form)

    @app.get("/literature/{document_id}", response_class=HTMLResponse)
    def show(request: Request, document_id: str) -> Response:
        return document_page(page_for(request, config), document_id)

    @app.get("/literature/{document_id}/file")
    def download(request: Request, document_id: str) -> Response:
        return _download(page_for(request, config), document_id)

    @app.post("/literature/{document_id}/share", response_class=HTMLResponse)
    async def share(request: Request, document_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        parties = parties_of(form)
        return _change(page, document_id, form, lambda uow: svc.share_literature(
            uow, document_id, parties, officer_id(page), page.now, literature_peers(config)
        ))  # fmt: skip

    @app.post("/literature/{document_id}/withdraw", response_class=HTMLResponse)
    async def withdraw(request: Request, document_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        return _change(page, document_id, form, lambda uow: svc.withdraw_literature(
            uow, document_id, form.get("reason", ""), officer_id(page), page.now,
            literature_peers(config),
        ))  # fmt: skip


def literature_peers(config: WebConfig) -> svc.LiteraturePeers | None:
    """The federation adapter for the library, made from the one for requests (the same
    node keys and trust list); ``None`` on a node outside a federation."""
    peers = config.peers
    if isinstance(peers, FederatedPeers):
        return FederatedLiteraturePeers(peers.keys, peers.trust)
    return None


def _no_body(page: Page) -> Forbidden:
    return Forbidden(page._("The library is kept by the competent bodies (Art. 5 para 6)."))


def _require_body(page: Page) -> None:
    assert page.session is not None
    if page.session.officer.body_id is None:
        raise _no_body(page)


def labels(page: Page) -> dict[str, Any]:
    """The label functions every library template uses."""
    t = page._
    return {
        "lit_kind_label": lambda k: t(KINDS.get(k) or k),
        "when": lambda d: i18n.local_time(d, UTC, page.lang) if d else "—",
        "size_label": _size,
    }


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _lines(text: str) -> list[str]:
    """One name a line (or separated by ``;``), blanks dropped."""
    return [w.strip() for w in re.split(r"[\n;]", text) if w.strip()]


def meta_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The metadata's JSON form (``core.literature.parse_literature``) the form describes."""
    raw_year = form.get("year", "").strip()
    year: int | str = int(raw_year) if raw_year.isdigit() else raw_year
    doc: dict[str, Any] = {
        "title": form.get("title", "").strip(),
        "authors": _lines(form.get("authors", "")),
        "language": form.get("language", "").strip(),
        "year": year,
        "kind": form.get("kind", "").strip(),
        "keywords": [w.strip() for w in re.split(r"[\n;,]", form.get("keywords", "")) if w.strip()],
        "abstract": form.get("abstract", "").strip(),
    }
    if form.get("marking", "").strip():
        doc["marking"] = form["marking"].strip()
    return doc


def parties_of(form: dict[str, str]) -> list[Party]:
    """The Parties chosen: every one with ``share_all``, else each ``party.XXX`` ticked."""
    if form.get("share_all") == "1":
        return list(Party)
    return [p for p in Party if form.get(f"party.{p.value}") == "1"]


def form_field(v: Violation) -> str:
    """The form field a fault belongs to: ``keywords[2]`` → ``keywords``; one that names
    no field of the form (the body) goes above the form, as ``""``."""
    name = v.field.split(".")[0].split("[")[0]
    return name if name in FIELDS else ""


def _list(page: Page) -> HTMLResponse:
    query = (page.request.query_params.get("q") or "").strip()[: svc.MAX_QUERY]
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            if query:
                rows = svc.search_literature(uow, query, officer_id(page), page.now, limit=100)
            else:
                rows = svc.list_literature(uow, officer_id(page), page.now, limit=200)
            registry = uow.registry.registry()
            # The service chose the rows (and audited the list or search); their authors and
            # keywords come from the same table, never the file.
            repo = LiteratureRepository(uow.connection)
            metas = {r.id: repo.get(r.id).meta for r in rows}
    except AccessDenied:
        raise _no_body(page) from None
    except ProtocolError as e:
        return page.error(
            422, page._("Not a search"), "; ".join(explain(v, page.lang) for v in e.violations)
        )
    assert page.session is not None
    own = page.session.officer.body_id
    items = [{"row": r, "meta": metas[r.id], "own": r.owner_body == own} for r in rows]
    return page.render(
        "literature.html", items=items, q=query,
        body_name=lambda b: i18n.body_name(registry.get(b), b, page.lang), **labels(page),
    )  # fmt: skip


def _compose(
    page: Page, form: _Form, violations: list[Violation], status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:  # fmt: skip
    assert page.session is not None
    with SqlUnitOfWork(page.config.engine) as uow:
        own = uow.registry.registry().get(page.session.officer.body_id or "")
    field_errors, general = faults_by_field(violations, form_field, page.lang)
    general = ([problem] if problem else []) + general
    return page.render(
        "literature_new.html", status, form=form, field_errors=field_errors, general=general,
        kinds=list(KINDS), parties=[p.value for p in Party if own is None or p is not own.party],
        **labels(page),
    )  # fmt: skip


def _create(page: Page, form: dict[str, str]) -> Response:
    if len(page.uploads) != 1:
        message = page._("Choose one file (Art. 5 para 6: the document travels with its file).")
        return _compose(page, _Form(form), [], 422, message)
    upload = page.uploads[0]
    parties = parties_of(form)
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            document_id = svc.add_literature(
                uow, meta_from_form(form), upload.filename, upload.content_type,
                upload.content, officer_id(page), page.now,
            )  # fmt: skip
    except AccessDenied:
        raise _no_body(page) from None
    except ProtocolError as e:
        return _compose(page, _Form(form), list(e.violations), 422)
    if not parties:
        return RedirectResponse(f"/literature/{quote(document_id)}?done=added", status_code=303)
    # The document is kept either way; a refused share shows on its page, to choose again.
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            svc.share_literature(
                uow, document_id, parties, officer_id(page), page.now,
                literature_peers(page.config),
            )  # fmt: skip
    except ProtocolError as e:
        return document_page(page, document_id, violations=list(e.violations))
    except Unroutable as e:
        return document_page(page, document_id, problem=str(e), status=409)
    return RedirectResponse(f"/literature/{quote(document_id)}?done=shared", status_code=303)


def _change(
    page: Page, document_id: str, form: dict[str, str], run: Callable[[SqlUnitOfWork], object]
) -> Response:
    """Share or withdraw, then back to the document's page (or its refusal on it)."""
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            run(uow)
    except NotFound:
        return _not_found(page)
    except AccessDenied:
        raise _no_body(page) from None
    except ProtocolError as e:
        _forbid_if_access(page, e, _CHANGE_RULES)
        return document_page(page, document_id, violations=list(e.violations), form=form)
    except Unroutable as e:
        return document_page(page, document_id, problem=str(e), form=form, status=409)
    done = "withdrawn" if page.request.url.path.endswith("/withdraw") else "shared"
    return RedirectResponse(f"/literature/{quote(document_id)}?done={done}", status_code=303)


def _forbid_if_access(page: Page, error: ProtocolError, rules: frozenset[str]) -> None:
    """A refusal about who may touch the document is a 403 with its article; the core's
    detail names the document's id and owner body, never its title."""
    if all(v.rule in rules for v in error.violations):
        raise Forbidden("; ".join(explain(v, page.lang) for v in error.violations)) from None


def _not_found(page: Page) -> HTMLResponse:
    return page.error(404, page._("Not found"), page._("No such document in the library."))


def _read(page: Page, document_id: str, *, file: bool) -> svc.LiteratureView:
    """The document as the officer's body may read it (the service decides and audits)."""
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            return svc.read_literature(uow, document_id, officer_id(page), page.now, file=file)
    except AccessDenied:
        raise _no_body(page) from None
    except ProtocolError as e:
        _forbid_if_access(page, e, _READ_RULES)
        raise


def document_page(
    page: Page,
    document_id: str,
    *,
    violations: list[Violation] | None = None,
    problem: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 422,
) -> HTMLResponse:
    try:
        view = _read(page, document_id, file=False)
    except NotFound:
        return _not_found(page)
    stored = view.stored
    with SqlUnitOfWork(page.config.engine) as uow:
        registry = uow.registry.registry()
    errors = [problem] if problem else []
    errors += [explain(v, page.lang) for v in violations or []]
    held = {stored.holding.owner_party, *stored.holding.recipients}
    done = page.request.query_params.get("done")
    return page.render(
        "literature_doc.html", 200 if not errors else status, doc=stored, meta=stored.meta,
        file=stored.file, errors=errors, form=_Form(form or {}),
        may_share=view.may_share, may_withdraw=view.may_withdraw,
        withdrawn=stored.holding.withdrawn_at is not None,
        recipients=sorted(p.value for p in stored.holding.recipients),
        share_to=[p.value for p in Party if p not in held],
        done=done if done in ("added", "shared", "withdrawn") else None,
        body_name=lambda b: i18n.body_name(registry.get(b), b, page.lang), **labels(page),
    )  # fmt: skip


def _download(page: Page, document_id: str) -> Response:
    try:
        view = _read(page, document_id, file=True)
    except NotFound:
        return _not_found(page)
    except AtRestError:
        return page.error(409, page._("The file is not served"), page._(
            "The stored file no longer has the hash it was listed with."
        ))  # fmt: skip
    assert view.content is not None
    file = view.stored.file
    return Response(
        view.content, media_type=safe_media_type(file.media_type),
        headers={"Content-Disposition": attachment(file.filename),
                 "X-Content-Type-Options": "nosniff"},
    )  # fmt: skip


def safe_media_type(media_type: str) -> str:
    """The file's type as listed if it is a plain type that no browser runs as a page."""
    base = media_type.split(";", maxsplit=1)[0].strip().lower()
    if not _MEDIA_TYPE.fullmatch(base) or base in _ACTIVE:
        return "application/octet-stream"
    return base


def attachment(filename: str) -> str:
    """``Content-Disposition`` for a download: an ASCII fallback with no quote, slash or
    control character, and the name itself in RFC 5987 form."""
    name = filename.replace("/", "_").replace("\\", "_")
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip("._") or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
