"""The pages of joint research projects (Art. 5 para 6): the list, the proposal form, and
one project with its plan, participants, researchers, results and the actions open to the
officer.

Everything goes through ``ozara.services.research``, as the CLI does: one transaction per
change, the core deciding, the article in every refusal. The buttons on a project's page are
exactly ``allowed_actions`` for the officer at that moment; a posted action the core refuses
comes back to its form with the field, the rule and the article. On a node in the federation
every change travels as the CLI sends it (``research_peers``): an invited body's action goes
to the lead's node, and the final results are signed with the head's key from the node
directory, as operations' joint summaries are.

A result's library document is named (and linked) only where the viewer's body may read it
on this node (``core.literature.may_read``); otherwise the page says a document is attached
and nothing of it.

Status codes, as for operations: 403 for an officer of no competent body or of a body the
project does not involve (not even its title); 404 for an unknown id; 422 for a form the
core refuses; 409 for a change the federation cannot carry.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ozara.core.literature import may_read
from ozara.core.parties import Officer
from ozara.core.research import ACTIONS as SPECS
from ozara.core.research import ResearchAction, ResearchState, Result
from ozara.core.rules import ProtocolError, Violation
from ozara.documents import OfficerSignature
from ozara.federation.requests import Unroutable
from ozara.services import literature as literature_svc
from ozara.services import research as svc
from ozara.services.requests import AccessDenied
from ozara.store.literature import LiteratureRepository
from ozara.store.repository import NotFound
from ozara.store.research import ResearchRepository
from ozara.store.uow import SqlUnitOfWork

from . import i18n
from . import research_forms as rf
from .i18n import UTC
from .joint_pages import JointPages, page_errors, state_filter
from .literature_pages import add_literature_pages
from .page import Forbidden, Page, WebConfig, page_for
from .records_forms import officer_id
from .views import _Form


def _no_body(page: Page) -> Forbidden:
    return Forbidden(
        page._("Joint research is carried out by the competent bodies (Art. 5 para 6).")
    )


def add_joint_research(app: FastAPI, config: WebConfig) -> None:
    """Every page of Art. 5 para 6 (issue 6): research projects and the library."""
    add_research_pages(app, config)
    add_literature_pages(app, config)


def add_research_pages(app: FastAPI, config: WebConfig) -> None:
    @app.get("/research", response_class=HTMLResponse)
    def projects(request: Request) -> Response:
        return _list(page_for(request, config))

    @app.get("/research/new", response_class=HTMLResponse)
    def compose(request: Request) -> Response:
        return _compose(page_for(request, config), _Form({}), [])

    @app.post("/research/new", response_class=HTMLResponse)
    async def create(request: Request) -> Response:
        page = page_for(request, config)
        form = await page.form()
        try:
            with SqlUnitOfWork(config.engine) as uow:
                pid = svc.propose_project(
                    uow, rf.proposal_from_form(form), officer_id(page), page.now,
                    rf.research_peers(config),
                )  # fmt: skip
        except AccessDenied:
            raise _no_body(page) from None
        except ProtocolError as e:
            return _compose(page, _Form(form), list(e.violations), status=422)
        except Unroutable as e:
            return _compose(page, _Form(form), [], status=409, problem=str(e))
        return RedirectResponse(f"/research/{quote(pid)}", status_code=303)

    @app.get("/research/{project_id}", response_class=HTMLResponse)
    def show(request: Request, project_id: str) -> Response:
        return project_page(page_for(request, config), project_id)

    @app.post("/research/{project_id}/act", response_class=HTMLResponse)
    async def act(request: Request, project_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        return _act(page, project_id, form)


def _list(page: Page) -> HTMLResponse:
    state = state_filter(page, ResearchState)
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            rows = svc.list_projects(uow, officer_id(page), state=state, limit=200)
            registry = uow.registry.registry()
    except AccessDenied:
        raise _no_body(page) from None
    assert page.session is not None
    own = page.session.officer.body_id
    items = [
        {"id": r.id, "title": r.title, "lead": r.lead_body, "leads": r.lead_body == own,
         "state": r.state.value, "period": r.period,
         "updated": i18n.local_time(r.updated_at, UTC, page.lang)}
        for r in rows
    ]  # fmt: skip
    return page.render(
        "research.html", rows=items, states=list(rf.STATES), state=state.value if state else "",
        body_name=lambda b: i18n.body_name(registry.get(b), b, page.lang), **rf.labels(page),
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
    # Art. 5 para 6 research is joint: only bodies of *other* Parties are offered.
    bodies = [
        b for b in registry.designated(page.now) if own is None or b.party is not own.party
    ]  # fmt: skip
    field_errors, general = rf.faults_by_field(violations, rf.proposal_field, page.lang)
    general = ([problem] if problem else []) + general
    return page.render(
        "research_new.html", status, form=form, field_errors=field_errors, general=general,
        bodies=bodies, body_label=lambda b: i18n.body_name(b, b.id, page.lang),
        **rf.labels(page),
    )  # fmt: skip


def _act(page: Page, project_id: str, form: dict[str, str]) -> Response:
    raw = form.get("action", "")
    if raw not in {a.value for a in ResearchAction}:
        return page.error(400, page._("Not an action"), raw)
    assert page.session is not None
    body = page.session.officer.body_id

    def take() -> svc.Outcome:
        with SqlUnitOfWork(page.config.engine) as uow:
            # A body the project does not involve is refused as its page refuses it (403),
            # not with the core's 422: the refusal must not tell it what state it is in.
            project = ResearchRepository(uow.connection).get(project_id).project
            if body is not None and not project.involves(body):
                raise Forbidden(_outsider(page, project_id, body))
            return svc.act_on_project(
                uow, project_id, rf.command_from_form(ResearchAction(raw), form),
                officer_id(page), page.now, rf.research_peers(page.config),
            )  # fmt: skip

    return PAGES.act(page, project_id, form, take)


def _outsider(page: Page, project_id: str, body: str) -> str:
    return page._("Research project %(id)s does not involve %(body)s (Art. 5 para 6).") % {
        "id": project_id, "body": body,
    }  # fmt: skip


def _not_found(page: Page) -> HTMLResponse:
    return page.error(404, page._("Not found"), page._("No such research project."))


def _view(page: Page, project_id: str) -> svc.ProjectView:
    """The file as the officer's body may see it (the service decides and audits)."""
    return PAGES.view(page, project_id, svc.show_project)


def project_page(
    page: Page,
    project_id: str,
    *,
    violations: list[Violation] | None = None,
    problem: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 422,
) -> HTMLResponse:
    try:
        view = _view(page, project_id)
    except NotFound:
        return _not_found(page)
    project = view.project
    assert page.session is not None
    viewer = page.session.officer
    with SqlUnitOfWork(page.config.engine) as uow:  # each use case its own transaction
        registry = uow.registry.registry()
        stored = ResearchRepository(uow.connection).get(project_id)
        results = [_result(uow, viewer, r, page) for r in project.results]
    documents = _readable(page) if ResearchAction.POST_RESULT in view.allowed else []
    lead = registry.get(project.lead_body)
    zone = lead.zone if lead is not None else UTC

    def when(moment: Any) -> str:
        return i18n.local_time(moment, zone, page.lang) if moment else "—"

    field_errors, _ = rf.faults_by_field(violations or [], rf.action_field, page.lang)
    errors = page_errors(page, problem, violations)
    q = page.request.query_params
    fingerprint = None
    if stored.final_signature is not None:
        fingerprint = OfficerSignature.from_json(stored.final_signature).key_fingerprint
    return page.render(
        "research_project.html", 200 if not errors else status, p=project, errors=errors,
        failed=(form or {}).get("action", ""), form=_Form(form or {}),
        field_errors=field_errors, actions=[a.value for a in view.allowed],
        needs_text=lambda a: SPECS[ResearchAction(a)].needs_text, results=results,
        documents=documents, leads=project.lead_body == viewer.body_id,
        received_from=view.received_from, final_signed=view.final_signed,
        fingerprint=fingerprint, local_when=when, sent=q.get("sent") in rf.ACTIONS,
        done=q.get("done") if q.get("done") in rf.ACTIONS else None,
        body_name=lambda b: i18n.body_name(registry.get(b), b, page.lang), **rf.labels(page),
    )  # fmt: skip


def _result(uow: SqlUnitOfWork, viewer: Officer, result: Result, page: Page) -> dict[str, Any]:
    """A result, with its library document titled and linked only where the viewer's body
    may read it on this node (Art. 5 para 6: the library is shared Party by Party)."""
    title, href = None, None
    if result.document_id is not None:
        body = uow.registry.registry().get(viewer.body_id or "")
        try:
            stored = LiteratureRepository(uow.connection).get(result.document_id)
        except NotFound:
            stored = None
        party = body.party if body is not None else None
        if stored is not None and may_read(viewer, party, stored.holding, page.now).allowed:
            title, href = stored.meta.title, f"/literature/{quote(result.document_id)}"
    return {"result": result, "document_title": title, "document_href": href}


def _readable(page: Page) -> list[tuple[str, str]]:
    """The library documents the officer's body may attach to a result: those its Party
    holds and that are not withdrawn (the list is audited by the library's service)."""
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            rows = literature_svc.list_literature(uow, officer_id(page), page.now, limit=200)
    except AccessDenied:
        return []
    return [(r.id, r.title) for r in rows if not r.withdrawn]


PAGES = JointPages("/research", project_page, _not_found, _no_body, _outsider)
