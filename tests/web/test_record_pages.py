"""Records of information in the browser (Art. 5 para 1, Art. 10): compose, share, read
under a purpose, consent, revoke, search, import, STIX export; who may see what."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from sqlalchemy import func, select

from ozara.services import correlation
from ozara.store.tables import audit_log, records
from ozara.store.uow import SqlUnitOfWork
from tests.web.conftest import Web, csrf_of

RECORD = {
    "kind": "person",
    "title": "Organizer of phishing mailings",
    "summary": "Letters sent in the name of second-tier banks.",
    "crime_category": "c",
    "legal_qualification": "Criminal Code of Kazakhstan, Art. 190 part 4",
    "reference": "KZ-2026-114",
    "identifiers": "ip_range: 203.0.113.9/24\ndomain: bank-kz-secure.example",
    "p0.kind": "natural",
    "p0.names": "Kairat Nurlanovich Akhmetov",
    "p0.birth_date": "1991-04-12",
    "p0.citizenship": "KAZ",
    "p0.documents": "passport: N 1234-567, KAZ",
    "p0.identifiers": "phone: 8 (701) 123-45-67",
    "p0.role": "organizer",
    "purpose.investigation": "1",
    "purpose.detection": "1",
    "confidentiality": "official_use",
}


def create(client: httpx.Client, **changes: str) -> httpx.Response:
    data = {**RECORD, **changes, "csrf": csrf_of(client, "/records/new")}
    return client.post("/records/new", data={k: v for k, v in data.items() if v is not None})


def created_id(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].split("?")[0].rsplit("/", 1)[1]


def post(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    return client.post(path, data={"csrf": csrf_of(client, "/records"), **fields})


def share(client: httpx.Client, record_id: str, *parties: str) -> httpx.Response:
    return post(client, f"/records/{record_id}/share", **{f"party.{p}": "1" for p in parties})


def read(client: httpx.Client, record_id: str, purpose: str, **more: str) -> httpx.Response:
    return client.get(f"/records/{record_id}", params={"purpose": purpose, **more})


def record_count(web: Web) -> int:
    with SqlUnitOfWork(web.engine) as uow:
        return int(uow.connection.execute(select(func.count()).select_from(records)).scalar_one())


def audit_rows(web: Web, action: str) -> list[dict[str, Any]]:
    with SqlUnitOfWork(web.engine) as uow:
        rows = uow.connection.execute(
            select(audit_log.c.details).where(audit_log.c.action == action)
        ).scalars()
        return [dict(r or {}) for r in rows]


def test_a_shared_record_is_read_under_a_permitted_purpose_only(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    record_id = created_id(create(kaz))
    page = kaz.get(f"/records/{record_id}")
    assert page.status_code == 200 and 'name="purpose"' in page.text
    assert "Kairat" not in page.text  # nothing before a purpose is chosen
    assert share(kaz, record_id, "RUS").status_code == 303
    rus = web.sign_in("rus-mvd.officer")
    listed = rus.get("/records").text
    assert record_id in listed and "Organizer of phishing mailings" in listed
    opened = read(rus, record_id, "investigation", case="RU-77-2026")
    assert opened.status_code == 200
    assert "Kairat Nurlanovich Akhmetov" in opened.text and "+77011234567" in opened.text
    assert 'action="/records/' + record_id + '/revoke"' not in opened.text  # not the owner
    reads = audit_rows(web, "record:read")
    assert {"purpose": "investigation", "case": "RU-77-2026"}.items() <= reads[-1].items()
    # A purpose the providing body did not permit: the article, and the consent form.
    denied = read(rus, record_id, "training")
    assert denied.status_code == 403
    assert "Art. 10 para 2" in denied.text and "Kairat" not in denied.text
    assert f'action="/records/{record_id}/consent"' in denied.text
    asked = post(rus, f"/records/{record_id}/consent", purpose="training",
                 justification="A course for investigators of phishing")  # fmt: skip
    assert asked.status_code == 303
    waiting = kaz.get("/records").text
    assert "1 request for consent waits for your answer" in waiting
    consents = kaz.get("/consents").text
    consent_id = re.search(r'action="/consents/([^"]+)"', consents).group(1)  # type: ignore[union-attr]
    assert "A course for investigators of phishing" in consents
    assert post(kaz, f"/consents/{consent_id}", decision="grant", reason="").status_code == 303
    assert read(rus, record_id, "training").status_code == 200
    assert "granted" in rus.get("/consents").text


def test_a_revoked_record_is_denied_to_the_receiving_party(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    record_id = created_id(create(kaz))
    share(kaz, record_id, "RUS")
    revoked = post(kaz, f"/records/{record_id}/revoke", reason="Information proved wrong",
                   purpose="investigation")  # fmt: skip
    assert revoked.status_code == 303
    rus = web.sign_in("rus-mvd.officer")
    denied = read(rus, record_id, "investigation")
    assert denied.status_code == 403 and "revoked" in denied.text
    assert "Kairat" not in denied.text
    assert "revoked" in rus.get("/records").text
    own = read(kaz, record_id, "investigation")
    assert own.status_code == 200 and "Information proved wrong" in own.text


def test_a_party_the_record_was_not_shared_with_gets_403(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    record_id = created_id(create(kaz))
    share(kaz, record_id, "RUS")
    blr = web.sign_in("blr-mvd.officer")
    assert record_id not in blr.get("/records").text
    denied = read(blr, record_id, "investigation")
    assert denied.status_code == 403 and "Art. 10 para 1" in denied.text
    assert "Kairat" not in denied.text and "consent" not in denied.text.lower().split("<main")[1]
    assert share(blr, record_id, "TJK").status_code == 403
    assert read(blr, "no-such-record", "investigation").status_code == 404
    assert web.sign_in("csto.secretariat").get("/records").status_code == 403


def test_a_state_secret_marking_is_refused_with_article_10_para_3(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    answer = create(kaz, summary="СЕКРЕТНО\nСведения о негласных сотрудниках")
    assert answer.status_code == 422
    assert "Art. 10 para 3" in answer.text and "18 June 2004" in answer.text
    assert "State secret: not accepted" in answer.text
    crafted = create(kaz, confidentiality="top_secret")  # not offered, posted anyway
    assert crafted.status_code == 422 and "Art. 10 para 3" in crafted.text
    ru = create(web.sign_in("kaz-mvd.officer", "ru"), summary="Совершенно секретно\n…")
    assert ru.status_code == 422 and "ст. 10 п. 3" in ru.text
    assert record_count(web) == 0


def test_each_fault_is_shown_at_its_field_with_its_article(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    answer = create(kaz, **{"title": "", "purpose.investigation": "", "purpose.detection": "",
                            "identifiers": "email: not-an-address"})  # fmt: skip
    assert answer.status_code == 422
    errors = dict(re.findall(r'<span class="field-error" id="err-([^"]+)">([^<]*)</span>',
                             answer.text))  # fmt: skip
    assert "Art. 5 para 1" in errors["title"]
    assert "Art. 10 para 2" in errors["purposes"]
    assert "line 1" in errors["identifiers"] and "Art. 5 para 1" in errors["identifiers"]
    assert 'value="Kairat Nurlanovich Akhmetov"' in answer.text or "Kairat" in answer.text
    assert record_count(web) == 0


def test_a_post_without_the_session_token_is_refused(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    answer = kaz.post("/records/new", data={**RECORD, "csrf": "not-the-token"})
    assert answer.status_code == 403
    assert record_count(web) == 0
    record_id = created_id(create(kaz))
    refused = kaz.post(f"/records/{record_id}/share", data={"party.RUS": "1"})
    assert refused.status_code == 403
    assert record_id not in web.sign_in("rus-mvd.officer").get("/records").text


def test_the_owner_updates_the_record_and_the_recipient_sees_the_new_version(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    record_id = created_id(create(kaz))
    share(kaz, record_id, "RUS")
    form = kaz.get(f"/records/{record_id}/edit", params={"purpose": "investigation"})
    assert form.status_code == 200 and "Kairat Nurlanovich Akhmetov" in form.text
    changed = {**RECORD, "p0.names": "Kairat Nurlanovich Akhmetov\nКайрат Нурланович Ахметов",
               "purpose": "investigation", "csrf": csrf_of(kaz)}  # fmt: skip
    assert kaz.post(f"/records/{record_id}/edit", data=changed).status_code == 303
    rus = web.sign_in("rus-mvd.officer")
    page = read(rus, record_id, "detection").text
    assert "Кайрат Нурланович Ахметов" in page and "<dd>2 ·" in page
    assert f"/records/{record_id}/edit" not in page
    assert rus.get(f"/records/{record_id}/edit", params={"purpose": "detection"}).status_code == 303
    forged = rus.post(f"/records/{record_id}/edit", data={**changed, "csrf": csrf_of(rus)})
    assert forged.status_code == 403 and "Art. 10 para 2" in forged.text  # the provider's only


def test_the_stix_export_is_a_bundle_read_under_the_chosen_purpose(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    record_id = created_id(create(kaz))
    link = re.search(r'href="(/records/[^"]+/stix\?[^"]+)"', read(kaz, record_id, "analysis").text)
    assert link is not None
    answer = kaz.get(link.group(1).replace("&amp;", "&"))
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    bundle = json.loads(answer.content)
    assert bundle["type"] == "bundle"
    assert any(o["type"] == "report" for o in bundle["objects"])
    assert audit_rows(web, "record:read")[-1]["purpose"] == "analysis"
    share(kaz, record_id, "RUS")
    rus = web.sign_in("rus-mvd.officer")
    assert rus.get(f"/records/{record_id}/stix", params={"purpose": "training"}).status_code == 403


def test_a_csv_import_reports_each_refused_row_with_its_article(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    csv_text = (
        "kind,title,summary,crime_category,legal_qualification,purposes,confidentiality,email\n"
        "crime,Botnet C2,Servers in the region,c,Art. 207,investigation,open,c2@example.kz\n"
        "crime,,No title,c,Art. 207,investigation,open,\n"
        "crime,Stamped,СЕКРЕТНО,c,Art. 207,investigation,open,\n"
    )
    answer = kaz.post(
        "/records/import", data={"csrf": csrf_of(kaz, "/records/import")},
        files=[("files", ("records.csv", csv_text.encode(), "text/csv"))],
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert "1 record imported" in answer.text and "2 rows refused" in answer.text
    assert "Art. 10 para 3" in answer.text and "Art. 5 para 1" in answer.text
    assert record_count(web) == 1
    unreadable = kaz.post(
        "/records/import", data={"csrf": csrf_of(kaz, "/records/import")},
        files=[("files", ("bundle.json", b"{not json", "application/json"))],
    )  # fmt: skip
    assert unreadable.status_code == 422


def test_search_finds_a_latin_name_from_a_cyrillic_query_and_hides_what_it_must(
    web: Web,
) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    record_id = created_id(create(kaz))
    share(kaz, record_id, "RUS")
    rus = web.sign_in("rus-mvd.officer")
    found = rus.get("/search", params={"q": "Кайрат Ахметов", "purpose": "investigation"})
    assert found.status_code == 200
    assert "Kairat Nurlanovich Akhmetov" in found.text and record_id in found.text
    hidden = rus.get("/search", params={"q": "Кайрат Ахметов", "purpose": "training"})
    assert hidden.status_code == 200
    assert "Kairat" not in hidden.text and "Organizer of phishing" not in hidden.text
    assert "A match exists" in hidden.text and "KAZ-MVD" in hidden.text
    assert f"/records/{record_id}/consent?purpose=training" in hidden.text
    blr = web.sign_in("blr-mvd.officer")
    nothing = blr.get("/search", params={"q": "Кайрат Ахметов", "purpose": "investigation"})
    assert record_id not in nothing.text and "A match exists" not in nothing.text


def test_the_records_pages_speak_russian_and_kazakh(web: Web) -> None:
    for lang, heading in (("ru", "Записи информации"), ("kk", "Ақпарат жазбалары")):
        officer = web.sign_in("kaz-mvd.officer", lang)
        for path in ("/records", "/records/new", "/records/import", "/consents", "/search"):
            page = officer.get(path)
            assert page.status_code == 200, (lang, path)
        assert heading in officer.get("/records").text


def test_a_recipient_passes_a_record_on_only_where_onward_sharing_is_allowed(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    closed = created_id(create(kaz))
    open_ = created_id(create(kaz, title="Botnet controllers", onward_sharing="1"))
    share(kaz, closed, "RUS")
    share(kaz, open_, "RUS")
    rus = web.sign_in("rus-mvd.officer")
    assert f'action="/records/{closed}/share"' not in read(rus, closed, "investigation").text
    refused = share(rus, closed, "BLR")
    assert refused.status_code == 422 and "Art. 10 para 2" in refused.text
    page = read(rus, open_, "investigation").text
    assert f'action="/records/{open_}/share"' in page and 'name="party.KAZ"' not in page
    assert share(rus, open_, "BLR").status_code == 303
    blr = web.sign_in("blr-mvd.officer")
    assert read(blr, open_, "detection").status_code == 200
    assert read(blr, closed, "detection").status_code == 403


def test_a_consent_is_refused_with_reasons_and_the_purpose_stays_closed(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    record_id = created_id(create(kaz))
    share(kaz, record_id, "RUS")
    rus = web.sign_in("rus-mvd.officer")
    form = rus.get(f"/records/{record_id}/consent", params={"purpose": "research"})
    assert form.status_code == 200 and 'value="research" selected' in form.text
    empty = post(rus, f"/records/{record_id}/consent", purpose="research", justification=" ")
    assert empty.status_code == 422 and "Art. 10 para 2" in empty.text
    already = post(rus, f"/records/{record_id}/consent", purpose="investigation",
                   justification="Already permitted")  # fmt: skip
    assert already.status_code == 422
    post(rus, f"/records/{record_id}/consent", purpose="research", justification="A study")
    consent_id = re.search(  # type: ignore[union-attr]
        r'action="/consents/([^"]+)"', kaz.get("/consents").text
    ).group(1)
    no_reason = post(kaz, f"/consents/{consent_id}", decision="refuse", reason="")
    assert no_reason.status_code == 422
    assert post(rus, f"/consents/{consent_id}", decision="grant", reason="").status_code in (
        403,
        422,
    )  # only the providing body answers
    assert post(kaz, f"/consents/{consent_id}", decision="refuse",
                reason="Operational reasons").status_code == 303  # fmt: skip
    assert "Operational reasons" in rus.get("/consents").text
    assert read(rus, record_id, "research").status_code == 403


def test_an_exported_stix_bundle_imports_back_as_a_record(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    record_id = created_id(create(kaz))
    bundle = kaz.get(f"/records/{record_id}/stix", params={"purpose": "analysis"}).content
    answer = kaz.post(
        "/records/import", data={"csrf": csrf_of(kaz, "/records/import")},
        files=[("files", ("bundle.json", bundle, "application/json"))],
    )  # fmt: skip
    assert answer.status_code == 200 and "1 record imported" in answer.text, answer.text
    assert record_count(web) == 2


def test_the_record_page_shows_its_matches_and_hides_what_the_purpose_does_not_open(
    web: Web,
) -> None:
    """Issue 8 on the page: a match with a readable record shows its title and evidence; a
    match with a record the purpose does not open names only the body to ask (Art. 10)."""
    kaz, rus = web.sign_in("kaz-mvd.officer"), web.sign_in("rus-mvd.officer")
    ours = created_id(create(kaz, title="Phishing organiser, Kazakh file"))
    open_one = created_id(create(rus, title="Same telephone, Russian file", identifiers=""))
    closed = created_id(
        create(rus, title="Secret-ish training file", identifiers="", **{
            "purpose.investigation": "", "purpose.detection": "", "purpose.training": "1"})
    )  # fmt: skip
    for rid in (open_one, closed):
        assert share(rus, rid, "KAZ").status_code == 303
    assert correlation.run_pending(web.engine, web.clock.now) >= 3
    page = read(kaz, ours, "investigation")
    assert page.status_code == 200
    assert "Same telephone, Russian file" in page.text and "+77011234567" in page.text
    assert "Secret-ish training file" not in page.text
    assert "A match exists in a record of RUS-MVD" in page.text
    assert f"/records/{closed}/consent" in page.text
