"""The pages of training events (Art. 5 para 4): the list, the announcement form, and one
event with its places, its nominations and the forms the officer may use.

Everything goes through ``ozara.services.training``, as the CLI does: one transaction per
change, the core deciding, the article in every refusal. The forms on an event's page are
exactly ``allowed_actions`` for the officer at that moment; a posted action the core
refuses comes back beside its form with the field, the rule and the article. On a node in
the federation every change travels as the CLI sends it (``training_peers``): a nomination
made on an invited Party's node goes to the host's node, which orders the event.

Who sees what: the host body and every body of an invited Party see the event (the service
decides); nobody else, not even its title. The core sends the participant list to every
invited Party's node (docs/training.md), but the page shows a nominee's name, post and
contact only to the host body, which decides on them, and to the bodies of the nominee's
own Party, which nominated them: what each needs, and no more (Art. 10 para 1). The other
invited Parties see how many of each Party's places are taken, not by whom.

Status codes, as for operations: 403 for an officer of no competent body or of a body the
event does not concern; 404 for an unknown id; 422 for a form the core refuses; 409 for a
change the federation cannot carry (no node hosts a body, no signing key, a concurrent
change).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ozara.core.parties import Party
from ozara.core.rules import ProtocolError, Violation
from ozara.core.training import (
    EventState,
    NominationState,
    TrainingAction,
    TrainingEvent,
    places_left,
)
from ozara.federation.requests import SignatoryKeyMissing, Unroutable
from ozara.services import training as svc
from ozara.services.operations import context
from ozara.services.requests import AccessDenied
from ozara.store.repository import NotFound
from ozara.store.training import TrainingRepository
from ozara.store.uow import SqlUnitOfWork

from . import i18n
from . import training_forms as tf
from .i18n import UTC
from .joint_pages import JointPages, page_errors, state_filter
from .page import Forbidden, Page, WebConfig, page_for
from .records_forms import explain, officer_id
from .views import _Form

#: What the announcement form starts with: a seminar in Russian, the working language.
_BLANK = {"kind": "seminar", "language": "ru"}


def _no_body(page: Page) -> Forbidden:
    return Forbidden(
        page._("Training events are organised by the competent bodies (Art. 5 para 4).")
    )


def add_training_pages(app: FastAPI, config: WebConfig) -> None:
    @app.get("/training", response_class=HTMLResponse)
    def trainings(request: Request) -> Response:
        return _list(page_for(request, config))

    @app.get("/training/new", response_class=HTMLResponse)
    def compose(request: Request) -> Response:
        return _compose(page_for(request, config), _Form(_BLANK), [])

    @app.post("/training/new", response_class=HTMLResponse)
    async def create(request: Request) -> Response:
        page = page_for(request, config)
        form = await page.form()
        try:
            with SqlUnitOfWork(config.engine) as uow:
                eid = svc.announce_event(
                    uow, tf.announcement_from_form(form), officer_id(page), page.now,
                    tf.training_peers(config),
                )  # fmt: skip
        except AccessDenied:
            raise _no_body(page) from None
        except ProtocolError as e:
            return _compose(page, _Form(form), list(e.violations), status=422)
        except (Unroutable, SignatoryKeyMissing) as e:
            return _compose(page, _Form(form), [], status=409, problem=str(e))
        return RedirectResponse(f"/training/{quote(eid)}", status_code=303)

    @app.get("/training/{event_id}", response_class=HTMLResponse)
    def show(request: Request, event_id: str) -> Response:
        return event_page(page_for(request, config), event_id)

    @app.post("/training/{event_id}/act", response_class=HTMLResponse)
    async def act(request: Request, event_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        return _act(page, event_id, form)


def _viewer_party(page: Page) -> tuple[str, Party]:
    """The officer's body and its Party, or the page's 403 for an officer of no body."""
    assert page.session is not None
    body_id = page.session.officer.body_id
    with SqlUnitOfWork(page.config.engine) as uow:
        body = uow.registry.registry().get(body_id or "")
    if body_id is None or body is None:
        raise _no_body(page)
    return body_id, body.party


def _list(page: Page) -> HTMLResponse:
    state = state_filter(page, EventState)
    body_id, party = _viewer_party(page)
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            rows = svc.list_events(uow, officer_id(page), state=state, limit=200)
            registry = uow.registry.registry()
            repo = TrainingRepository(uow.connection)
            events = {r.id: repo.get(r.id).event for r in rows}
    except AccessDenied:
        raise _no_body(page) from None
    items = [
        {"id": r.id, "kind": r.kind.value, "title": r.title, "host": r.host_body,
         "hosts": r.host_body == body_id, "dates": r.dates, "state": r.state.value,
         "places": events[r.id].announcement.places_for(party),
         "taken": events[r.id].taken(party)}
        for r in rows
    ]  # fmt: skip
    return page.render(
        "trainings.html", rows=items, states=list(tf.STATES), state=state.value if state else "",
        party=party, body_name=lambda b: i18n.body_name(registry.get(b), b, page.lang),
        **tf.labels(page),
    )  # fmt: skip


def _compose(
    page: Page,
    form: _Form,
    violations: list[Violation],
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    _, own = _viewer_party(page)
    with SqlUnitOfWork(page.config.engine) as uow:
        treaty = context(uow).treaty
    # Places are offered to the Parties bound with the host's Party today (Art. 16); the
    # host's own Party last, for an event that also trains its own staff.
    today = page.now.date()
    parties = [p for p in Party if p is not own and treaty.check_pair(own, p, today).allowed]
    field_errors, general = tf.sort_faults(violations, tf.announcement_field, page.lang)
    return page.render(
        "training_new.html", status, form=form, field_errors=field_errors,
        general=([problem] if problem else []) + general,
        errors=[f"{v.field}: {explain(v, page.lang)}" for v in violations],
        kinds=list(tf.KINDS), event_languages=tf.LANGUAGES, parties=parties, own=own,
        **tf.labels(page),
    )  # fmt: skip


def _outsider(page: Page, event_id: str, body: str) -> str:
    return page._("Training event %(id)s does not concern %(body)s (Art. 5 para 4).") % {
        "id": event_id, "body": body,
    }  # fmt: skip


def _not_found(page: Page) -> HTMLResponse:
    return page.error(404, page._("Not found"), page._("No such training event."))


def _act(page: Page, event_id: str, form: dict[str, str]) -> Response:
    raw = form.get("action", "")
    if raw not in {a.value for a in TrainingAction}:
        return page.error(400, page._("Not an action"), raw)
    action = TrainingAction(raw)

    def take() -> svc.Outcome:
        body, party = _viewer_party(page)
        with SqlUnitOfWork(page.config.engine) as uow:
            # A body the event does not concern is refused as its page refuses it (403), not
            # with the core's 422: the refusal must not tell it what state the event is in.
            event = TrainingRepository(uow.connection).get(event_id).event
        if not event.involves(body, party):
            raise Forbidden(_outsider(page, event_id, body))
        command = tf.command_from_form(action, form)
        with SqlUnitOfWork(page.config.engine) as uow:
            return svc.act_on_event(
                uow, event_id, command, officer_id(page), page.now,
                tf.training_peers(page.config),
            )  # fmt: skip

    return PAGES.act(page, event_id, form, take)


def _view(page: Page, event_id: str) -> svc.EventView:
    """The event as the officer's body may see it (the service decides and audits)."""
    body, _ = _viewer_party(page)
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            return svc.show_event(uow, event_id, officer_id(page), page.now)
    except AccessDenied:
        raise Forbidden(_outsider(page, event_id, body)) from None


def _places(event: TrainingEvent) -> list[dict[str, Any]]:
    left = places_left(event)
    return [
        {"party": p, "places": n, "taken": event.taken(p), "left": left[p]}
        for p, n in event.announcement.places
    ]


def event_page(
    page: Page,
    event_id: str,
    *,
    violations: list[Violation] | None = None,
    problem: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 422,
) -> HTMLResponse:
    try:
        view = _view(page, event_id)
    except NotFound:
        return _not_found(page)
    ev = view.event
    body, party = _viewer_party(page)
    with SqlUnitOfWork(page.config.engine) as uow:
        registry = uow.registry.registry()
    host = registry.get(ev.host_body)
    zone = host.zone if host is not None else UTC
    hosts = ev.host_body == body
    # The host decides on every nomination; the other bodies see their own Party's only.
    shown = [n for n in ev.nominations if hosts or n.party is party]
    field_errors, _ = tf.sort_faults(violations or [], tf.action_field, page.lang)
    errors = page_errors(page, problem, violations)
    # A refused form stays on the page beside its refusal (with what was typed), even when
    # the action is no longer open (the last place was taken): the officer sees why.
    failed = (form or {}).get("action", "")
    kept = {a for a in TrainingAction if errors and a.value == failed and a not in tf.ON_NOMINATION}
    allowed = set(view.allowed) | kept
    q = page.request.query_params
    done = q.get("done")
    return page.render(
        "training.html", 200 if not errors else status, ev=ev, a=ev.announcement,
        errors=errors, field_errors=field_errors, form=_Form(form or {}),
        failed=failed, failed_on=(form or {}).get("nomination_id", ""),
        places=_places(ev), nominations=shown, hidden=len(ev.nominations) - len(shown),
        hosts=hosts, party=party, body=body, pending=NominationState.PENDING,
        # The event's own forms, in the order of the table of actions (docs/training.md);
        # withdraw, confirm and decline are buttons in a nomination's row.
        actions=[a.value for a in TrainingAction if a in allowed and a not in tf.ON_NOMINATION],
        row_actions=[a.value for a in tf.ON_NOMINATION if a in allowed],
        received_from=view.received_from, signed=view.announcement_signed,
        local_when=lambda m: i18n.local_time(m, zone, page.lang) if m else "—",
        sent=q.get("sent") in tf.ACTIONS, done=done if done in tf.ACTIONS else None,
        body_name=lambda b: i18n.body_name(registry.get(b), b, page.lang), **tf.labels(page),
    )  # fmt: skip


PAGES = JointPages("/training", event_page, _not_found, _no_body, _outsider)
