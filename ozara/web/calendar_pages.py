"""``/calendar``: what the officer's body owes or attends, and its iCalendar export (issue 6).

The page shows each entry's detail (a task's text, an operation's name), since it is the
node's own; the ``.ics`` file leaves the node and carries only kinds, references and
articles (``ozara.core.calendar``). Times are shown in the zone of the viewer's body.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from ozara.core.calendar import Entry, by_day, kind_label
from ozara.services import calendar as svc
from ozara.services.requests import AccessDenied
from ozara.store.uow import SqlUnitOfWork

from . import i18n
from .page import Forbidden, Page, WebConfig, page_for

ICS_TYPE = "text/calendar; charset=utf-8"


def add_calendar_pages(app: FastAPI, config: WebConfig) -> None:
    @app.get("/calendar", response_class=HTMLResponse)
    def calendar(request: Request) -> Response:
        page = page_for(request, config)
        entries = _entries(page)
        zone = _zone(page)
        return page.render(
            "calendar.html",
            days=by_day(entries),
            overdue=[e for e in entries if e.is_overdue(page.now)],
            is_overdue=lambda e: e.is_overdue(page.now),
            label=lambda e: kind_label(e.kind, page.lang),
            when=lambda e: _when(e, zone, page.lang),
            day_label=lambda d: i18n.local_day(d, page.lang),
            horizon=svc.HORIZON.days,
        )

    @app.get("/calendar.ics")
    def export(request: Request) -> Response:
        page = page_for(request, config)
        base = str(request.base_url)
        try:
            with SqlUnitOfWork(config.engine) as uow:
                text = svc.export_ical(uow, _officer(page), page.now, lang=page.lang, base_url=base)
        except AccessDenied:
            raise Forbidden(page._("The calendar is that of a competent body.")) from None
        return Response(
            text.encode("utf-8"),
            media_type=ICS_TYPE,
            headers={"Content-Disposition": 'attachment; filename="ozara.ics"'},
        )


def _officer(page: Page) -> str:
    assert page.session is not None
    return page.session.officer.id


def _entries(page: Page) -> list[Entry]:
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            return svc.entries(uow, _officer(page), page.now)
    except AccessDenied:
        raise Forbidden(page._("The calendar is that of a competent body.")) from None


def _zone(page: Page) -> ZoneInfo:
    assert page.session is not None
    body_id = page.session.officer.body_id
    with SqlUnitOfWork(page.config.engine) as uow:
        body = uow.registry.registry().get(body_id) if body_id else None
    return body.zone if body is not None else ZoneInfo("UTC")


def _when(entry: Entry, zone: ZoneInfo, lang: str) -> str:
    """A deadline's moment in the body's zone; a day entry has no time of day."""
    if isinstance(entry.start, datetime):
        return i18n.local_time(entry.start, zone, lang)
    start = i18n.local_day(entry.start, lang)
    if entry.end is not None and entry.end != entry.start:
        return f"{start} — {i18n.local_day(entry.end, lang)}"
    return start
