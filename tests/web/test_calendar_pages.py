"""The calendar page and its iCalendar export in the browser."""

from __future__ import annotations

import icalendar
from sqlalchemy import func, select

from ozara.core.actions import Action
from ozara.store.tables import audit_log
from tests.services.test_request_services import act, create
from tests.web.conftest import Web


def urgent_request(web: Web) -> str:
    rid = create(web.engine, web.clock, urgent=True, urgent_grounds="An attack is being prepared")
    act(web.engine, web.clock, rid, "kaz-mvd.officer", Action.SEND_URGENT)
    return rid


def test_the_page_lists_the_deadline_in_the_bodys_zone_and_flags_it_overdue(web: Web) -> None:
    rid = urgent_request(web)
    client = web.sign_in("kaz-mvd.officer")
    page = client.get("/calendar")
    assert page.status_code == 200
    assert rid in page.text and "Art. 6 para 4" in page.text
    assert "Asia/Almaty" in page.text and "overdue" not in page.text.split("</h1>")[1][:400]
    web.clock.advance(hours=73)
    client = web.sign_in("kaz-mvd.officer")
    page = client.get("/calendar")
    assert "1 entry overdue" in page.text


def test_the_page_speaks_russian_and_kazakh(web: Web) -> None:
    urgent_request(web)
    assert (
        "Срок письменного подтверждения"
        in web.sign_in("kaz-mvd.officer", "ru").get("/calendar").text
    )
    assert "Шұғыл сұрауды жазбаша растау" in web.sign_in("kaz-mvd.head", "kk").get("/calendar").text


def test_another_party_sees_nothing_of_the_request(web: Web) -> None:
    rid = urgent_request(web)
    page = web.sign_in("blr-mvd.officer").get("/calendar")
    assert page.status_code == 200
    assert rid not in page.text and "Nothing is due." in page.text


def test_the_export_downloads_reads_back_and_is_audited(web: Web) -> None:
    rid = urgent_request(web)
    client = web.sign_in("kaz-mvd.officer")
    answer = client.get("/calendar.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    assert "attachment" in answer.headers["content-disposition"]
    (event,) = icalendar.Calendar.from_ical(answer.text).walk("VEVENT")
    assert rid in str(event["SUMMARY"]) and str(event["URL"]).endswith(f"/requests/{rid}")
    assert "An attack is being prepared" not in answer.text
    with web.engine.connect() as conn:
        exported = conn.execute(
            select(func.count()).where(audit_log.c.action == "calendar:exported")
        ).scalar_one()
    assert exported == 1


def test_an_auditor_has_no_calendar(web: Web) -> None:
    client = web.sign_in("auditor")
    assert client.get("/calendar").status_code == 403
    assert client.get("/calendar.ics").status_code == 403


def test_signed_out_the_calendar_redirects_to_sign_in(web: Web) -> None:
    assert web.browser().get("/calendar.ics").status_code in {303, 307}
