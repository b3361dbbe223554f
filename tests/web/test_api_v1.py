"""The officers' read-only JSON API (``ozara/web/api_v1.py``): what each officer reads.

The API answers with the session of the web application: signed out is a 401 in JSON (no
redirect), another body's request a 403 and an unknown one a 404, as the pages answer.
"""

from __future__ import annotations

import httpx

from tests.web.conftest import Web
from tests.web.test_request_pages import act, compose

API = "/api/v1"


def sent_request(web: Web, officer: httpx.Client, head: httpx.Client, **changes: str) -> str:
    created = compose(web, officer, **changes)
    assert created.status_code == 303, created.text[-500:]
    request_id = created.headers["location"].rsplit("/", 1)[1]
    assert act(head, request_id, "sign").status_code == 303
    assert act(officer, request_id, "send").status_code == 303
    return request_id


def refused(answer: httpx.Response, status: int) -> dict[str, str | None]:
    assert answer.status_code == status, answer.text[-500:]
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"error", "rule", "article"} and body["error"]
    return body  # type: ignore[no-any-return]


def test_signed_out_is_a_401_in_json_not_a_redirect(web: Web) -> None:
    anonymous = web.browser()
    for path in ("/me", "/requests", "/requests/KAZ-MVD-2026-00001", "/calendar",
                 "/notifications"):  # fmt: skip
        refused(anonymous.get(API + path), 401)
    # The schema is public: it describes the API, it holds nothing of a case.
    schema = anonymous.get(f"{API}/openapi.json")
    assert schema.status_code == 200
    assert set(schema.json()["paths"]) == {
        "/me", "/requests", "/requests/{request_id}", "/calendar", "/notifications"
    }  # fmt: skip
    # The web application's pages still publish no schema of their own.
    assert anonymous.get("/openapi.json").status_code == 404


def test_the_security_headers_and_the_body_limit_apply(web: Web) -> None:
    officer = web.sign_in("kaz-mvd.officer")
    answer = officer.get(f"{API}/me")
    assert answer.status_code == 200
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    # A body of no declared length is refused before anything reads it (``limits.py``).
    unsized = officer.post(f"{API}/me", content=iter([b"{}"]))
    assert unsized.status_code == 411
    refused(officer.post(f"{API}/me", content=b"{}"), 405)
    refused(officer.get(f"{API}/no-such-thing"), 404)


def test_me_names_the_officer_their_body_roles_and_language(web: Web) -> None:
    me = web.sign_in("kaz-mvd.head", lang="kk").get(f"{API}/me").json()
    assert me["id"] == "kaz-mvd.head" and me["body_id"] == "KAZ-MVD"
    assert me["party"] == "KAZ" and "signatory" in me["roles"] and me["language"] == "kk"
    staff = web.sign_in("csto.secretariat").get(f"{API}/me").json()
    assert staff["body_id"] is None and staff["party"] is None


def test_a_request_is_read_by_its_two_bodies_and_the_auditor_only(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    head = web.sign_in("kaz-mvd.head")
    rus = web.sign_in("rus-mvd.officer")
    request_id = sent_request(web, kaz, head)
    assert act(rus, request_id, "receive").status_code == 303

    mine = rus.get(f"{API}/requests/{request_id}")
    assert mine.status_code == 200, mine.text
    r = mine.json()
    assert r["id"] == request_id and r["state"] == "received"
    assert r["requesting_body"] == "KAZ-MVD" and r["requested_body"] == "RUS-MVD"
    assert r["purpose"].startswith("Identify the holder")
    assert r["assistance"][0]["description"] == "Establish the subscriber of 198.51.100.7"
    # What the page offers the receiving officer now, and the clock that runs (Art. 7).
    offered = {a["action"] for a in r["allowed_actions"]}
    assert "start_execution" in offered and "sign" not in offered
    clocks = {d["kind"]: d for d in r["deadlines"]}
    assert set(clocks) == {"execution", "forwarding"}
    assert clocks["execution"]["body_id"] == "RUS-MVD" and not clocks["execution"]["overdue"]
    assert r["events"][0]["name"] == "request:created"
    # The requesting side is offered none of the receiving side's actions.
    theirs = kaz.get(f"{API}/requests/{request_id}").json()
    assert "start_execution" not in {a["action"] for a in theirs["allowed_actions"]}
    auditor = web.sign_in("auditor").get(f"{API}/requests/{request_id}").json()
    assert auditor["allowed_actions"] == []

    # An officer of another Party: 403 with the article, and no word of the case.
    denied = web.sign_in("blr-mvd.officer").get(f"{API}/requests/{request_id}")
    assert refused(denied, 403)["article"] == "Art. 4"
    assert "Identify the holder" not in denied.text
    refused(rus.get(f"{API}/requests/KAZ-MVD-2026-99999"), 404)
    refused(rus.get(f"{API}/requests/{'X' * 500}"), 404)


def test_the_lists_are_the_inbox_and_the_outbox(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    head = web.sign_in("kaz-mvd.head")
    rus = web.sign_in("rus-mvd.officer")
    first = sent_request(web, kaz, head)
    second = sent_request(web, kaz, head, purpose="Identify a second account holder")
    draft = compose(web, kaz).headers["location"].rsplit("/", 1)[1]

    out = kaz.get(f"{API}/requests", params={"box": "out"}).json()
    assert [i["id"] for i in out["items"]] == [draft, second, first]
    assert out["box"] == "out" and out["next_offset"] is None
    assert kaz.get(f"{API}/requests", params={"box": "in"}).json()["items"] == []
    inbox = rus.get(f"{API}/requests").json()  # the inbox by default; no draft
    assert [i["id"] for i in inbox["items"]] == [second, first]
    assert inbox["items"][0]["next_deadline"] is None  # the clocks start on receipt
    drafts = kaz.get(f"{API}/requests", params={"box": "out", "state": "draft"}).json()
    assert [i["id"] for i in drafts["items"]] == [draft]
    # Pages: bounded, and the next one named.
    page = kaz.get(f"{API}/requests", params={"box": "out", "limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_offset"] == 2
    rest = kaz.get(f"{API}/requests", params={"box": "out", "limit": 2, "offset": 2}).json()
    assert [i["id"] for i in rest["items"]] == [first] and rest["next_offset"] is None
    for bad in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"offset": 10_001},
                {"limit": "many"}, {"box": "sideways"}, {"state": "lost"}):  # fmt: skip
        refused(kaz.get(f"{API}/requests", params=bad), 400)
    refused(kaz.get(f"{API}/requests", params={"q": "KAZ\x00"}), 400)
    # The auditor reads every request; the Secretariat's staff take no part (Art. 4).
    everything = web.sign_in("auditor").get(f"{API}/requests").json()
    assert everything["box"] == "all" and {first, second, draft} <= {
        i["id"] for i in everything["items"]
    }
    assert refused(web.sign_in("csto.secretariat").get(f"{API}/requests"), 403)["article"]


def test_labels_and_messages_follow_the_officers_language(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer", lang="ru")
    head = web.sign_in("kaz-mvd.head")
    request_id = sent_request(web, kaz, head)
    russian = kaz.get(f"{API}/requests/{request_id}").json()["state_label"]
    english = kaz.get(f"{API}/requests/{request_id}", params={"lang": "en"}).json()
    assert english["state_label"] == "sent" and russian != "sent"
    # ``?lang=`` is for one answer: the officer's language stays Russian.
    assert kaz.get(f"{API}/me").json()["language"] == "ru"
    denied = web.sign_in("blr-mvd.officer", lang="ru").get(f"{API}/requests/{request_id}")
    assert refused(denied, 403)["error"] != "This request is not a case of your competent body."


def test_the_calendar_and_the_notifications_are_a_body_officers(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    head = web.sign_in("kaz-mvd.head")
    rus = web.sign_in("rus-mvd.officer")
    request_id = sent_request(web, kaz, head)
    assert act(rus, request_id, "receive").status_code == 303
    calendar = rus.get(f"{API}/calendar").json()
    entries = {e["kind"]: e for e in calendar["entries"] if e["ref"] == request_id}
    assert set(entries) == {"execution", "forwarding"}
    entry = entries["execution"]
    assert entry["article"] == "Art. 7 para 2" and entry["body_id"] == "RUS-MVD"
    assert entry["at"] is not None and entry["path"] == f"/requests/{request_id}"
    assert calendar["horizon_days"] > 0
    notes = rus.get(f"{API}/notifications", params={"limit": 10}).json()
    assert notes["limit"] == 10 and notes["total"] >= notes["unread"] >= 0
    assert isinstance(notes["items"], list)
    refused(rus.get(f"{API}/notifications", params={"limit": 500}), 400)
    for other in ("auditor", "csto.secretariat"):
        client = web.sign_in(other)
        refused(client.get(f"{API}/calendar"), 403)
        refused(client.get(f"{API}/notifications"), 403)
