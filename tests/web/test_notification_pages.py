"""Notifications of new correlations in the browser (issue 8): the count on every page (one
query), the list, opening and marking read (CSRF-checked), another officer's refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event, select

from ozara.core.correlation import Subject
from ozara.core.parties import Party
from ozara.services import correlation
from ozara.store import tables as t
from tests.services.test_correlation import ident
from tests.services.test_notifications import SECRET_MAIL, SECRET_TITLE, record
from tests.web.conftest import Web, csrf_of

KAZ, RUS = "kaz-mvd.officer", "rus-mvd.officer"
BADGE = re.compile(r'<a href="/notifications">[^<]*<span class="badge"[^>]*>(\d+)</span>')


def badge(client: httpx.Client, path: str = "/requests?box=in") -> int:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = BADGE.search(page.text)
    return int(found.group(1)) if found else 0


def matched(web: Web, purposes: tuple[str, ...] = ("training",)) -> Subject:
    """A Kazakh record matching a Russian one shared with Kazakhstan for ``purposes``."""
    record(web.engine, web.clock, RUS, [ident("email", SECRET_MAIL)],
           share_with=(Party.KAZAKHSTAN,), purposes=purposes, title=SECRET_TITLE)  # fmt: skip
    ours = record(web.engine, web.clock, KAZ, [ident("email", SECRET_MAIL)], title="Our case")
    correlation.run_pending(web.engine, web.clock.advance(seconds=1))
    return ours


def ids_of(web: Web, officer_id: str) -> list[int]:
    n = t.correlation_notifications.c
    with web.engine.connect() as conn:
        query = select(n.id).where(n.officer_id == officer_id).order_by(n.id)
        return list(conn.execute(query).scalars())


@contextmanager
def statements(web: Web) -> Iterator[list[str]]:
    seen: list[str] = []

    def log(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(web.engine, "before_cursor_execute", log)
    try:
        yield seen
    finally:
        event.remove(web.engine, "before_cursor_execute", log)


def test_the_count_shows_on_every_page_with_one_query(web: Web) -> None:
    kaz = web.sign_in(KAZ)
    assert badge(kaz) == 0
    matched(web)
    with statements(web) as seen:
        assert badge(kaz) == 1
    assert sum("correlation_notifications" in s for s in seen) == 1
    assert badge(kaz, "/records") == badge(kaz, "/registry") == 1
    assert badge(web.sign_in(RUS)) == 0  # the Kazakh record is not Russia's to know of
    # The auditor has no case: no count, and no query for one.
    auditor = web.sign_in("auditor")
    with statements(web) as seen:
        assert badge(auditor) == 0
    assert not any("correlation_notifications" in s for s in seen)


def test_the_list_names_the_case_and_only_the_body_of_a_hidden_match(web: Web) -> None:
    ours = matched(web)
    kaz = web.sign_in(KAZ)
    page = kaz.get("/notifications")
    assert page.status_code == 200
    assert "A match exists in a record of RUS-MVD" in page.text
    assert f'href="/records/{ours.id}"' in page.text and "Our case" in page.text
    assert SECRET_TITLE not in page.text and SECRET_MAIL not in page.text
    assert "1 unread" in page.text
    ru = web.sign_in(KAZ, lang="ru").get("/notifications").text
    assert "Совпадение есть в записи органа RUS-MVD" in ru


def test_opening_marks_read_and_goes_to_the_case(web: Web) -> None:
    ours = matched(web)
    kaz = web.sign_in(KAZ)
    [mine] = ids_of(web, KAZ)
    opened = kaz.post(f"/notifications/{mine}/read", data={"csrf": csrf_of(kaz), "open": "1"})
    assert opened.status_code == 303 and opened.headers["location"] == f"/records/{ours.id}"
    assert badge(kaz) == 0
    page = kaz.get("/notifications").text
    assert "0 unread" in page and "Mark all as read" not in page
    # The head of the body still has theirs: reading is per officer.
    assert badge(web.sign_in("kaz-mvd.head")) == 1


def test_mark_all_as_read(web: Web) -> None:
    matched(web)
    record(web.engine, web.clock, RUS, [ident("domain", "evil.example")],
           share_with=(Party.KAZAKHSTAN,))  # fmt: skip
    record(web.engine, web.clock, KAZ, [ident("url", "https://x.evil.example/")])
    correlation.run_pending(web.engine, web.clock.advance(seconds=1))
    kaz = web.sign_in(KAZ)
    assert badge(kaz) == 2
    done = kaz.post("/notifications/read", data={"csrf": csrf_of(kaz)})
    assert done.status_code == 303 and done.headers["location"] == "/notifications"
    assert badge(kaz) == 0


def test_another_officers_notification_a_forged_form_and_an_unknown_id_are_refused(
    web: Web,
) -> None:
    matched(web)
    [mine] = ids_of(web, KAZ)
    rus = web.sign_in(RUS)
    assert rus.post(f"/notifications/{mine}/read", data={"csrf": csrf_of(rus)}).status_code == 403
    head = web.sign_in("kaz-mvd.head")  # a colleague of the same body: still not theirs
    assert head.post(f"/notifications/{mine}/read", data={"csrf": csrf_of(head)}).status_code == 403
    kaz = web.sign_in(KAZ)
    assert kaz.post(f"/notifications/{mine}/read", data={"csrf": "forged"}).status_code == 403
    assert kaz.post("/notifications/read", data={"csrf": "forged"}).status_code == 403
    for wrong in ("999999", "abc", "1" * 30):
        answer = kaz.post(f"/notifications/{wrong}/read", data={"csrf": csrf_of(kaz)})
        assert answer.status_code == 404
    assert badge(kaz) == 1  # nothing was marked


def test_an_officer_of_no_body_has_no_list(web: Web) -> None:
    for who in ("auditor", "csto.secretariat"):
        assert web.sign_in(who).get("/notifications").status_code == 403
    assert web.client.get("/notifications").headers["location"] == "/login"
