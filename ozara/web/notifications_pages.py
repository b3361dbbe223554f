"""``/notifications``: the new correlations of the officer's cases (issue 8).

Each line names the officer's case (linked to its page, where the links are shown under a
purpose, ``links_for``) and says only that a match exists in a record, or a request, of a
body: never the other subject's title, a value or the kind of match. Opening a line marks
it read (a form post, CSRF-checked like every other); "mark all as read" marks the rest.
Marking another officer's notification is a 403; an unknown one a 404. The count on the
navigation is ``Page.unread`` (one index read per page).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ozara.core.correlation import Subject, SubjectType
from ozara.services import notifications as svc
from ozara.services.requests import AccessDenied
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

from . import i18n
from .i18n import UTC
from .page import Forbidden, Page, WebConfig, page_for

PAGE_SIZE = 50
_NO_BODY = i18n.N_("Notifications of matches are for the officers of a competent body.")


def case_path(subject: Subject) -> str:
    """The page of a case: a request's, or a record's (where a purpose is chosen)."""
    return f"/{'records' if subject.type is SubjectType.RECORD else 'requests'}/{subject.id}"


def _offset(raw: str) -> int:
    # Bounded: a huge number would overflow the database's integer (as the record list).
    return min(int(raw), 10**9) if raw.isdigit() and len(raw) < 12 else 0


def _officer_id(page: Page) -> str:
    assert page.session is not None
    return page.session.officer.id


def add_notification_pages(app: FastAPI, config: WebConfig) -> None:
    @app.get("/notifications", response_class=HTMLResponse)
    def notifications(request: Request) -> Response:
        page = page_for(request, config)
        return _list(page)

    @app.post("/notifications/read")
    async def read_all(request: Request) -> Response:
        page = page_for(request, config)
        await page.form()
        try:
            with SqlUnitOfWork(config.engine) as uow:
                svc.mark_all_read(uow, _officer_id(page), page.now)
        except AccessDenied:
            raise Forbidden(page._(_NO_BODY)) from None
        return RedirectResponse("/notifications", status_code=303)

    @app.post("/notifications/{notification_id}/read")
    async def read_one(request: Request, notification_id: str) -> Response:
        page = page_for(request, config)
        form = await page.form()
        if not notification_id.isdigit() or len(notification_id) > 12:
            raise NotFound("notification", notification_id[:40])
        try:
            with SqlUnitOfWork(config.engine) as uow:
                case = svc.mark_read(uow, _officer_id(page), int(notification_id), page.now)
        except AccessDenied:
            raise Forbidden(page._("This notification is another officer's.")) from None
        target = case_path(case) if form.get("open") == "1" else "/notifications"
        return RedirectResponse(target, status_code=303)


def _list(page: Page) -> HTMLResponse:
    offset = _offset(page.request.query_params.get("offset", ""))
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            shown = svc.list_for(uow, _officer_id(page), page.now, limit=PAGE_SIZE,
                                 offset=offset)  # fmt: skip
    except AccessDenied:
        raise Forbidden(page._(_NO_BODY)) from None
    rows = [
        {
            "id": v.id,
            "href": case_path(v.subject),
            "case": v.subject_label or v.subject.id,
            "request": v.subject.type is SubjectType.REQUEST,
            "in_record": v.other_type is SubjectType.RECORD,
            "body": v.other_body,
            "when": i18n.local_time(v.created_at, UTC, page.lang),
            "read": v.read,
        }
        for v in shown.items
    ]
    more = offset + PAGE_SIZE < shown.total
    return page.render(
        "notifications.html", rows=rows, total=shown.total, unread_here=shown.unread,
        next_offset=offset + PAGE_SIZE if more else None,
        prev_offset=max(0, offset - PAGE_SIZE) if offset else None,
    )  # fmt: skip
