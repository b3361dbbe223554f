"""The statement of the cooperation on a request (Art. 8, 11, 12) served from its page.

Offered only when there is something to state, issued by the viewer's own body (one of the
request's two) to the other; the auditor, who reads the request, has no body to issue it.
"""

from __future__ import annotations

import re

import httpx

from tests.pdf.conftest import flat, pdf_text
from tests.web.conftest import Web
from tests.web.test_request_cooperation_pages import executing, post
from tests.web.test_request_pages import FORM, act, compose

LINK = "Statement on cooperation (Art. 8, 11, 12)"


def pdf_hrefs(client: httpx.Client, request_id: str) -> list[str]:
    page = client.get(f"/requests/{request_id}")
    assert page.status_code == 200
    return re.findall(r'class="pdf" href="([^"]+)"', page.text)


def consulted(web: Web) -> tuple[str, httpx.Client, httpx.Client]:
    """A request in execution on which RUS-MVD recorded a consultation."""
    request_id, kaz, rus, _ = executing(web)
    done = post(rus, request_id, "consultations", bodies="KAZ-MVD, RUS-MVD", persons="P. Petrov",
                held_on="2020-01-01", subject="request", outcome="Item 2 narrowed")  # fmt: skip
    assert done.status_code == 303
    return request_id, kaz, rus


def test_no_cooperation_no_link_and_a_404(web: Web) -> None:
    request_id, kaz, rus, _ = executing(web)
    statement = f"/requests/{request_id}/cooperation.pdf"
    for client in (kaz, rus):
        assert statement not in pdf_hrefs(client, request_id)
        assert LINK not in client.get(f"/requests/{request_id}").text
        missing = client.get(statement)
        assert (
            missing.status_code == 404 and "application/pdf" not in missing.headers["content-type"]
        )


def test_each_body_downloads_its_own_statement(web: Web) -> None:
    request_id, kaz, rus = consulted(web)
    statement = f"/requests/{request_id}/cooperation.pdf"
    issued = {}
    for body, other, client in (("KAZ-MVD", "RUS-MVD", kaz), ("RUS-MVD", "KAZ-MVD", rus)):
        assert statement in pdf_hrefs(client, request_id)
        assert LINK in client.get(f"/requests/{request_id}").text
        answer = client.get(statement)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.content.startswith(b"%PDF")
        text = flat(pdf_text(answer.content))
        assert "СВЕДЕНИЯ О ВЗАИМОДЕЙСТВИИ ПО ЗАПРОСУ" in text and request_id in text
        assert "Item 2 narrowed" in text and "P. Petrov" in text
        head, _, _ = text.partition("Кому:")  # the letterhead: the issuer, not the addressee
        assert f"Компетентный орган {body}" in head
        assert f"Компетентный орган {other}" not in text
        issued[body] = answer.content
    assert issued["KAZ-MVD"] != issued["RUS-MVD"]


def test_the_auditor_and_another_party_get_a_403(web: Web) -> None:
    request_id, _, _ = consulted(web)
    statement = f"/requests/{request_id}/cooperation.pdf"
    auditor = web.sign_in("auditor")
    # The auditor reads the request and its cooperation on the page, but issues no statement.
    assert statement not in pdf_hrefs(auditor, request_id)
    assert auditor.get(f"/requests/{request_id}/pdf").status_code == 200
    denied = auditor.get(statement)
    assert denied.status_code == 403 and "not a case of your competent body" in denied.text
    stranger = web.sign_in("blr-mvd.officer")
    denied = stranger.get(statement)
    assert denied.status_code == 403 and denied.content[:4] != b"%PDF"
    assert FORM["purpose"] not in denied.text and "Item 2 narrowed" not in denied.text
    assert stranger.get(f"/requests/{request_id}/pdf").status_code == 403  # as the others


def test_an_unknown_request_has_no_statement(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    assert kaz.get("/requests/KAZ-MVD-2026-99999/cooperation.pdf").status_code == 404


def test_a_body_the_request_was_forwarded_away_from_issues_none(web: Web) -> None:
    """RUS-MVD still reads the request it forwarded (Art. 7 para 4), but the cooperation is
    now between KAZ-MVD and RUS-FSB: no statement of RUS-MVD's, and no error either."""
    kaz, head = web.sign_in("kaz-mvd.officer"), web.sign_in("kaz-mvd.head")
    request_id = compose(web, kaz).headers["location"].rsplit("/", 1)[1]
    assert act(head, request_id, "sign").status_code == 303
    assert act(kaz, request_id, "send").status_code == 303
    rus = web.sign_in("rus-mvd.officer")
    assert act(rus, request_id, "receive").status_code == 303
    assert act(rus, request_id, "forward", target_body="RUS-FSB").status_code == 303
    done = post(kaz, request_id, "consultations", bodies="KAZ-MVD, RUS-FSB", persons="P. Petrov",
                held_on="2020-01-01", subject="request", outcome="Item 2 narrowed")  # fmt: skip
    assert done.status_code == 303
    statement = f"/requests/{request_id}/cooperation.pdf"
    assert statement in pdf_hrefs(kaz, request_id)
    assert kaz.get(statement).status_code == 200
    assert statement not in pdf_hrefs(rus, request_id)
    assert rus.get(statement).status_code == 403
