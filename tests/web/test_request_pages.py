"""Composing, signing and following a request in the browser; who may see and do what."""

from __future__ import annotations

import hashlib
import io
import re

import httpx
from pypdf import PdfReader

from ozara.services import accounts
from ozara.store.uow import SqlUnitOfWork
from tests.web.conftest import Web, csrf_of

FORM = {
    "requested_body": "RUS-MVD",
    "purpose": "Identify the holder of an account used in a phishing campaign",
    "justification": "Criminal case 2026-0117, phishing against Kazakh bank clients",
    "substance": "Funds were moved through an account registered in Russia",
    "operational_search_measures": "Establish the subscriber of 198.51.100.7",
    "procedural_actions": "",
    "execution_terms": "30 days",
    "legal_qualification": "Criminal Code of Kazakhstan, Art. 205",
    "crime_category": "c",
}


def compose(web: Web, client: httpx.Client, **changes: str) -> httpx.Response:
    return client.post(
        "/requests/new", data={**FORM, **changes, "csrf": csrf_of(client, "/requests/new")}
    )


def act(client: httpx.Client, request_id: str, action: str, **fields: str) -> httpx.Response:
    token = csrf_of(client, f"/requests/{request_id}")
    return client.post(
        f"/requests/{request_id}/act", data={"action": action, "csrf": token, **fields}
    )


def offered(client: httpx.Client, request_id: str) -> list[str]:
    page = client.get(f"/requests/{request_id}")
    return re.findall(r'name="do" value="([a-z_]+)"', page.text)


def test_a_request_is_composed_signed_and_sent(web: Web) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    created = compose(web, officer)
    assert created.status_code == 303
    request_id = created.headers["location"].rsplit("/", 1)[1]
    # The officer may not sign (Art. 6 para 5): it is not offered...
    assert "sign" not in offered(officer, request_id)
    # ... and posting it anyway is refused with the article.
    refused = act(officer, request_id, "sign")
    assert refused.status_code == 422 and "Art. 6 para 5" in refused.text
    head = web.sign_in("kaz-mvd.head")
    assert "sign" in offered(head, request_id)
    assert act(head, request_id, "sign").status_code == 303
    assert act(officer, request_id, "send").status_code == 303
    page = officer.get(f"/requests/{request_id}")
    assert "<strong>sent</strong>" in page.text and "execute" not in offered(officer, request_id)
    inbox = web.sign_in("rus-mvd.officer").get("/requests?box=in")
    assert request_id in inbox.text


def test_an_incomplete_request_names_each_field_and_article(web: Web) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    answer = compose(web, officer, purpose="", operational_search_measures="")
    assert answer.status_code == 422
    assert "purpose" in answer.text and "Art. 6 para 2" in answer.text
    check = officer.post(
        "/requests/check", data={**FORM, "justification": "", "csrf": csrf_of(officer)}
    )
    fields = {v["field"] for v in check.json()["violations"]}
    assert fields == {"justification"}
    with SqlUnitOfWork(web.engine) as uow:
        assert uow.requests.count() == 0


def test_an_officer_of_another_body_gets_403_on_a_case_url(web: Web) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    request_id = compose(web, officer).headers["location"].rsplit("/", 1)[1]
    stranger = web.sign_in("blr-mvd.officer")
    assert stranger.get(f"/requests/{request_id}").status_code == 403
    assert act(officer, request_id, "withdraw").status_code == 422  # needs the head
    denied = stranger.post(
        f"/requests/{request_id}/act", data={"action": "withdraw", "csrf": csrf_of(stranger)}
    )
    assert denied.status_code == 403
    assert request_id not in stranger.get("/requests?box=in").text


def test_a_post_without_the_session_token_is_refused(web: Web) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    answer = officer.post("/requests/new", data={**FORM, "csrf": "not-the-token"})
    assert answer.status_code == 403
    with SqlUnitOfWork(web.engine) as uow:
        assert uow.requests.count() == 0


def test_an_auditor_reads_every_case_and_is_offered_no_action(web: Web) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    request_id = compose(web, officer).headers["location"].rsplit("/", 1)[1]
    auditor = web.sign_in("auditor")
    assert request_id in auditor.get("/requests").text
    assert auditor.get(f"/requests/{request_id}").status_code == 200
    assert offered(auditor, request_id) == []
    assert act(auditor, request_id, "withdraw").status_code in (403, 422)


def test_the_secretariat_has_no_request_pages(web: Web) -> None:
    secretary = web.sign_in("csto.secretariat")
    assert secretary.get("/requests").status_code == 403


def test_filters_narrow_the_inbox(web: Web) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    first = compose(web, officer).headers["location"].rsplit("/", 1)[1]
    second = compose(web, officer, requested_body="BLR-MVD", crime_category="a")
    second_id = second.headers["location"].rsplit("/", 1)[1]
    out = officer.get("/requests?box=out&party=BLR").text
    assert second_id in out and first not in out
    out = officer.get("/requests?box=out&category=c").text
    assert first in out and second_id not in out
    assert first not in officer.get("/requests?box=in").text


def test_the_written_request_and_a_refusal_notice_download_as_pdf(web: Web) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    request_id = compose(web, officer).headers["location"].rsplit("/", 1)[1]
    head = web.sign_in("kaz-mvd.head")
    act(head, request_id, "sign")
    act(officer, request_id, "send")
    rus = web.sign_in("rus-mvd.officer")
    act(rus, request_id, "receive")
    with SqlUnitOfWork(web.engine) as uow:  # the Russian head, on this shared test node
        accounts.set_password(uow, "rus-mvd.head", "correct horse battery staple", web.clock.now)
    with SqlUnitOfWork(web.engine) as uow:
        web.secrets["rus-mvd.head"] = accounts.enroll_totp(uow, "rus-mvd.head", web.clock.now)
    rus_head = web.sign_in("rus-mvd.head")
    assert (
        act(rus_head, request_id, "refuse", text="Противоречит закону (ст. 9)").status_code == 303
    )
    page = officer.get(f"/requests/{request_id}").text
    links = re.findall(r'href="(/requests/[^"]+\.pdf|/requests/[^"]+/pdf)"', page)
    assert f"/requests/{request_id}/pdf" in links and any("notices" in h for h in links)
    for href in links:
        answer = officer.get(href)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
        assert answer.content.startswith(b"%PDF")
    text = pdf_text(officer.get(next(h for h in links if "notices" in h)).content)
    assert "Противоречит закону" in text and request_id in text
    stranger = web.sign_in("blr-mvd.officer")
    assert stranger.get(f"/requests/{request_id}/pdf").status_code == 403


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_the_registry_and_the_treaty_status_are_shown_to_everyone(web: Web) -> None:
    page = web.sign_in("csto.secretariat").get("/registry")
    assert page.status_code == 200
    assert "KAZ-MVD" in page.text and "Asia/Almaty" in page.text
    assert page.text.count("<tr") >= 7 + 6


def test_figures_are_drawn_for_the_secretariat_and_heads_not_for_officers(web: Web) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    request_id = compose(web, officer).headers["location"].rsplit("/", 1)[1]
    act(web.sign_in("kaz-mvd.head"), request_id, "sign")
    act(officer, request_id, "send")
    assert officer.get("/statistics").status_code == 403
    rus = web.sign_in("rus-mvd.officer")
    act(rus, request_id, "receive")
    web.clock.advance(days=2)
    rus = web.sign_in("rus-mvd.officer")
    act(rus, request_id, "start_execution")
    act(rus, request_id, "execute", text="Done")
    for lang in ("en", "ru", "kk"):
        figures = web.sign_in("csto.secretariat", lang).get("/statistics")
        assert figures.status_code == 200
        assert figures.text.count("<svg") == 4
        assert "KAZ → RUS" in figures.text
    assert "2.0" in figures.text  # the median execution time, in days


def test_drafts_wait_for_the_head_and_the_due_filter_keeps_what_is_running(web: Web) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    draft = compose(web, officer).headers["location"].rsplit("/", 1)[1]
    sent = compose(web, officer, requested_body="BLR-MVD").headers["location"].rsplit("/", 1)[1]
    head = web.sign_in("kaz-mvd.head")
    to_sign = head.get("/requests?box=sign").text
    assert draft in to_sign and sent in to_sign
    act(head, sent, "sign")
    act(officer, sent, "send")
    assert sent not in head.get("/requests?box=sign").text
    blr = web.sign_in("blr-mvd.officer")
    act(blr, sent, "receive")
    assert sent not in blr.get("/requests?box=in&due=soon").text  # 3 days and a bit left
    web.clock.advance(days=1)
    blr = web.sign_in("blr-mvd.officer")
    assert sent in blr.get("/requests?box=in&due=soon").text  # forwarding (Art. 7 para 4)
    assert sent not in blr.get("/requests?box=in&due=overdue").text
    web.clock.advance(days=3)
    blr = web.sign_in("blr-mvd.officer")
    assert sent in blr.get("/requests?box=in&due=overdue").text


def test_attached_documents_are_kept_listed_and_downloaded_by_the_parties_only(
    web: Web,
) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    content = "Выписка по счёту KZ-01: 1 000 000 тенге\n".encode()
    token = csrf_of(officer, "/requests/new")
    created = officer.post(
        "/requests/new", data={**FORM, "csrf": token},
        files=[("files", ("выписка.txt", content, "text/plain"))],
    )  # fmt: skip
    assert created.status_code == 303, created.text
    request_id = created.headers["location"].rsplit("/", 1)[1]
    page = officer.get(f"/requests/{request_id}").text
    digest = hashlib.sha256(content).hexdigest()
    assert "выписка.txt" in page and f"/attachments/{digest}" in page
    download = officer.get(f"/requests/{request_id}/attachments/{digest}")
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-type"] == "application/octet-stream"
    assert "attachment;" in download.headers["content-disposition"]
    stranger = web.sign_in("blr-mvd.officer")
    assert stranger.get(f"/requests/{request_id}/attachments/{digest}").status_code == 403
    same_name = officer.post(
        "/requests/new", data={**FORM, "csrf": token},
        files=[("files", ("a.txt", b"one", "text/plain")), ("files", ("a.txt", b"two", None))],
    )  # fmt: skip
    assert same_name.status_code == 422 and "two files have one name" in same_name.text


def test_a_refusal_is_explained_in_the_officers_language_with_its_article(web: Web) -> None:
    for lang, article in (("ru", "ст. 6 п. 5"), ("kk", "6-бап 5-тармақ"), ("en", "Art. 6 para 5")):
        officer = web.sign_in("kaz-mvd.officer", lang)
        request_id = compose(web, officer).headers["location"].rsplit("/", 1)[1]
        refused = act(officer, request_id, "sign")
        assert refused.status_code == 422 and article in refused.text, lang
    check = officer.post("/requests/check", data={**FORM, "purpose": "", "csrf": csrf_of(officer)})
    assert "Art. 6 para 2" in check.json()["violations"][0]["message"]


def test_odd_requests_get_a_clear_answer_not_a_server_error(web: Web) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    missing = officer.post(
        "/requests/KAZ-MVD-2026-99999/act", data={"action": "sign", "csrf": csrf_of(officer)}
    )
    assert missing.status_code == 404
    odd = web.browser()
    cookie = {"cookie": "ozara_session=\xe9t\xe9".encode("latin-1")}  # not ASCII: no session
    answer = odd.get("/requests", headers=cookie)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert odd.get("/login", headers=cookie).status_code == 200
