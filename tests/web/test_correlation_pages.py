"""A case's matches on its page (issue 8): the request page draws the graph request ↔
record ↔ identifier under the purpose of the case, and shows an officer only what they may
read (Art. 10): a record the purpose does not open names only its body, a record of another
Party that was never shared is not there at all; the requested body sees a request's
matches once it is sent, never while it is a draft."""

from __future__ import annotations

import re

import httpx

from ozara.services import correlation
from tests.web.conftest import Web
from tests.web.test_record_pages import audit_rows, create, created_id, read, share
from tests.web.test_request_pages import act, compose

MAIL = "drop@evil.example.ru"
TRAINING_ONLY = {"purpose.investigation": "", "purpose.detection": "", "purpose.training": "1"}


def record(client: httpx.Client, title: str, identifiers: str, **changes: str) -> str:
    """A person record naming ``identifiers`` (its person has none of the request's)."""
    return created_id(create(
        client, title=title, identifiers=identifiers, **{"p0.names": "Secretus Personus",
        "p0.identifiers": "", "p0.documents": "", **changes},
    ))  # fmt: skip


def request_id(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[1]


def graph_of(page: str) -> str:
    found = re.search(r"<svg[^>]*class=\"graph\".*?</svg>", page, re.S)
    assert found is not None, "no graph on the page"
    return found.group(0)


def test_the_request_page_draws_its_matches_and_the_requested_body_sees_them_once_sent(
    web: Web,
) -> None:
    kaz, rus = web.sign_in("kaz-mvd.officer"), web.sign_in("rus-mvd.officer")
    rus_open = record(rus, "Same mailbox, Russian file", f"email: {MAIL}")
    rus_closed = record(rus, "Russian training file", f"email: {MAIL}\ndomain: only-rus.example",
                        **TRAINING_ONLY)  # fmt: skip
    kaz_own = record(kaz, "Kazakh file on the mailbox", f"email: {MAIL}")
    kaz_closed = record(kaz, "Kazakh training file", f"email: {MAIL}\ndomain: only-kaz.example",
                        **TRAINING_ONLY)  # fmt: skip
    for rid in (rus_open, rus_closed):
        assert share(rus, rid, "KAZ").status_code == 303
    assert share(kaz, kaz_closed, "RUS").status_code == 303  # kaz_own stays Kazakh
    case = request_id(compose(web, kaz, substance=f"Phishing letters came from {MAIL}"))
    assert correlation.run_pending(web.engine, web.clock.now) >= 5

    # The requesting body: its own record and the open Russian one in full, the closed one
    # as a match that exists, with the body to ask and the consent form to ask it with.
    page = kaz.get(f"/requests/{case}")
    assert page.status_code == 200
    svg = graph_of(page.text)
    assert 'aria-describedby="matches-list"' in svg and 'id="matches-list"' in page.text
    for shown in ("Same mailbox, Russian file", "Kazakh file on the mailbox", MAIL):
        assert shown in svg
    assert "A match in a record of RUS-MVD" in svg and "ask for consent" in svg
    assert f"/records/{rus_closed}/consent?purpose=detection" in svg
    for hidden in ("Russian training file", "only-rus.example", "Secretus"):
        assert hidden not in page.text
    # The case asks for operational-search measures: its purpose is detection, and the
    # record opens under it, for this case.
    assert f"/records/{rus_open}?purpose=detection&amp;case={case}" in page.text
    viewed = audit_rows(web, "correlation:viewed")[-1]
    assert {"purpose": "detection", "case": case}.items() <= viewed.items()
    assert viewed["hidden"] == [f"record:{rus_closed}"]

    # A draft is the requesting body's alone (Art. 6 para 3): the requested body learns
    # nothing of it, its matches included.
    denied = rus.get(f"/requests/{case}")
    assert denied.status_code == 403 and MAIL not in denied.text
    assert act(web.sign_in("kaz-mvd.head"), case, "sign").status_code == 303
    assert act(kaz, case, "send").status_code == 303

    # Sent: the requested body sees the request's matches as its own Party may — its own
    # records in full (a provider reads its own for any purpose), the Kazakh record shared
    # for training only as a match of KAZ-MVD, the one never shared with Russia not at all.
    page = rus.get(f"/requests/{case}")
    assert page.status_code == 200
    svg = graph_of(page.text)
    assert "Same mailbox, Russian file" in svg and "Russian training file" in svg
    assert "A match in a record of KAZ-MVD" in svg
    assert "A match exists in a record of KAZ-MVD that this purpose does not open." in page.text
    for hidden in ("Kazakh training file", "only-kaz.example", "Kazakh file on the mailbox",
                   kaz_own, "Secretus"):  # fmt: skip
        assert hidden not in page.text
    # A third Party's officer is not shown the case, nor anything it matched.
    denied = web.sign_in("blr-mvd.officer").get(f"/requests/{case}")
    assert denied.status_code == 403 and "Same mailbox" not in denied.text


def test_another_purpose_is_chosen_stated_and_audited(web: Web) -> None:
    kaz, rus = web.sign_in("kaz-mvd.officer"), web.sign_in("rus-mvd.officer")
    closed = record(rus, "Russian training file", f"email: {MAIL}", **TRAINING_ONLY)
    assert share(rus, closed, "KAZ").status_code == 303
    case = request_id(compose(web, kaz, substance=f"Letters from {MAIL}"))
    correlation.run_pending(web.engine, web.clock.now)
    assert "Russian training file" not in kaz.get(f"/requests/{case}").text
    page = kaz.get(f"/requests/{case}", params={"purpose": "training"})
    assert page.status_code == 200 and "Russian training file" in graph_of(page.text)
    assert '<option value="training" selected>' in page.text
    viewed = audit_rows(web, "correlation:viewed")[-1]
    assert viewed["purpose"] == "training" and viewed["shown"] == [f"record:{closed}"]
    # A purpose that is not one reads as the case's own.
    page = kaz.get(f"/requests/{case}", params={"purpose": "curiosity"})
    assert page.status_code == 200 and "Russian training file" not in page.text
    assert audit_rows(web, "correlation:viewed")[-1]["purpose"] == "detection"


def test_a_request_without_matches_says_so_and_an_auditor_reads_none(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    case = request_id(compose(web, kaz))
    correlation.run_pending(web.engine, web.clock.now)
    page = kaz.get(f"/requests/{case}")
    assert "No match with what this node holds, under this purpose." in page.text
    assert 'class="graph"' not in page.text
    # An auditor reads the case but belongs to no body: correlations are a body's to read.
    audited = web.sign_in("auditor").get(f"/requests/{case}")
    assert audited.status_code == 200 and "Matches with what this node holds" not in audited.text


def test_the_record_page_draws_the_graph_with_the_record_in_the_centre(web: Web) -> None:
    kaz, rus = web.sign_in("kaz-mvd.officer"), web.sign_in("rus-mvd.officer")
    ours = record(kaz, "Kazakh file", f"email: {MAIL}")
    closed = record(rus, "Russian training file", f"email: {MAIL}", **TRAINING_ONLY)
    assert share(rus, closed, "KAZ").status_code == 303
    correlation.run_pending(web.engine, web.clock.now)
    page = read(kaz, ours, "investigation", case="KZ-2026-7")
    svg = graph_of(page.text)
    assert "<title>Kazakh file</title>" in svg and "A match in a record of RUS-MVD" in svg
    assert "Russian training file" not in page.text
    assert f"/records/{closed}/consent?purpose=investigation" in svg
    assert audit_rows(web, "correlation:viewed")[-1]["case"] == "KZ-2026-7"
    assert "Read under the purpose" not in page.text  # the record page asks for it above
