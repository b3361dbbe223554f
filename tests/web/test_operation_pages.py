"""Coordinated operations in the browser (Art. 5 para 3): the plan form and its faults, the
invitation answered by a head, tasks, reports and links, the close with the joint summary,
its PDF; who may see and do what. One node here (every body on it); between nodes, see
``test_operation_pages_federation.py``."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from sqlalchemy import func, select

from ozara.core.actions import Action
from ozara.services import accounts
from ozara.store import tables as t
from ozara.store.operations import OperationRepository
from ozara.store.uow import SqlUnitOfWork
from tests.pdf.conftest import flat, pdf_text
from tests.services.test_request_services import act as act_on_request
from tests.services.test_request_services import create as create_request
from tests.web.conftest import PASSWORD, Web, csrf_of
from tests.web.test_record_pages import create as create_record
from tests.web.test_record_pages import created_id

NAME = "Operation Steppe Hook"
GOALS = "Identify and stop the operators of phishing pages imitating Kazakh banks"
PLAN = {
    "name": NAME,
    "goals": GOALS,
    "period_from": "2026-02-01",
    "period_to": "2026-04-30",
    "category.c": "1",
    "invited.RUS-MVD": "1",
}


def plan_form(**changes: str | None) -> dict[str, str]:
    form = {**PLAN, **changes}
    return {k: v for k, v in form.items() if v is not None}


def sign_in(web: Web, officer_id: str) -> httpx.Client:
    """``web.sign_in`` for any demo officer (the fixture enrols a few only)."""
    if officer_id not in web.secrets:
        with SqlUnitOfWork(web.engine) as uow:
            accounts.set_password(uow, officer_id, PASSWORD, web.clock.now)
        with SqlUnitOfWork(web.engine) as uow:
            web.secrets[officer_id] = accounts.enroll_totp(uow, officer_id, web.clock.now)
    return web.sign_in(officer_id)


def post(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    return client.post(path, data={"csrf": csrf_of(client, "/operations"), **fields})


def propose(client: httpx.Client, **changes: str | None) -> httpx.Response:
    return post(client, "/operations/new", **plan_form(**changes))


def proposed_id(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text[-3000:]
    return answer.headers["location"].rsplit("/", 1)[1]


def act(client: httpx.Client, oid: str, action: str, **fields: str) -> httpx.Response:
    return post(client, f"/operations/{oid}/act", action=action, **fields)


def done(client: httpx.Client, oid: str, action: str, **fields: str) -> None:
    answer = act(client, oid, action, **fields)
    assert answer.status_code == 303, (action, answer.status_code, answer.text[-3000:])


def buttons(page: httpx.Response) -> list[str]:
    """The actions the page offers, in order."""
    return re.findall(r'name="do" value="([a-z_]+)"', page.text)


def shown(answer: httpx.Response) -> str:
    """The page's text as the officer reads it (entities such as ``&#39;`` decoded)."""
    return html.unescape(answer.text)


def field_error(page: httpx.Response, field: str) -> str:
    match = re.search(rf'id="err-{re.escape(field)}">([^<]*)<', page.text)
    assert match is not None, f"no error slot for {field}"
    return html.unescape(match.group(1))


def errors_of(page: httpx.Response) -> str:
    match = re.search(r'<div class="error" role="alert">(.*?)</div>', page.text, re.S)
    return html.unescape(match.group(1)) if match else ""


def operation_count(web: Web) -> int:
    with SqlUnitOfWork(web.engine) as uow:
        query = select(func.count()).select_from(t.operations)
        return int(uow.connection.execute(query).scalar_one())


def version(web: Web, oid: str) -> int:
    with SqlUnitOfWork(web.engine) as uow:
        return OperationRepository(uow.connection).get(oid).operation.version


def audit_actions(web: Web, oid: str) -> list[str]:
    with SqlUnitOfWork(web.engine) as uow:
        return [str(a["action"]) for a in uow.audit.for_object(oid)]


@pytest.fixture
def active(web: Web) -> tuple[str, dict[str, httpx.Client]]:
    """An operation of KAZ-MVD that RUS-MVD's head accepted; the browsers used."""
    clients = {o: sign_in(web, o) for o in ("kaz-mvd.officer", "kaz-mvd.head", "rus-mvd.head")}
    oid = proposed_id(propose(clients["kaz-mvd.officer"]))
    done(clients["rus-mvd.head"], oid, "accept")
    return oid, clients


def test_the_plan_form_shows_every_fault_beside_its_field_and_keeps_what_was_typed(
    web: Web,
) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    form = kaz.get("/operations/new")
    assert form.status_code == 200
    assert 'name="invited.RUS-MVD"' in shown(form) and 'name="invited.ARM-POLICE"' in shown(form)
    assert 'name="invited.KAZ-MVD"' not in shown(form)  # only bodies of other Parties
    answer = propose(
        kaz, name="", period_from="2026-04-30", period_to="2026-02-01", **{"category.c": None},
        **{"invited.RUS-MVD": None},
    )  # fmt: skip
    assert answer.status_code == 422
    assert field_error(answer, "name") == (
        "a coordinated operation must state this field (Art. 5 para 3)"
    )
    assert "ends on or after its first day" in field_error(answer, "period_to")
    assert "(Art. 5 para 3)" in field_error(answer, "period_to")
    assert "at least one (Art. 5 para 3)" in field_error(answer, "categories")
    assert "at least one (Art. 5 para 3)" in field_error(answer, "invited")
    assert field_error(answer, "goals") == ""
    assert GOALS in shown(answer) and 'value="2026-04-30"' in shown(answer)  # kept as typed
    # A body of the lead's own Party, and a date that is no date.
    answer = propose(kaz, **{"invited.KAZ-MVD": "1"})
    assert answer.status_code == 422
    assert "KAZ-MVD is a body of the lead's own Party" in field_error(answer, "invited")
    assert "joins the lead body with competent bodies of other Parties" in field_error(
        answer, "invited"
    )
    assert field_error(answer, "invited").endswith("(Art. 5 para 3)")
    assert 'name="invited.RUS-MVD" value="1" checked' in shown(answer)
    answer = propose(kaz, period_from="1 February")
    assert answer.status_code == 422
    assert "a date as YYYY-MM-DD" in field_error(answer, "period_from")
    assert operation_count(web) == 0
    # In Russian, the rule and the article in Russian.
    ru = sign_in(web, "kaz-mvd.liaison")
    answer = ru.post(
        "/operations/new?lang=ru",
        data={"csrf": csrf_of(ru, "/operations"), **plan_form(name="")},
    )
    assert "согласованная операция должна содержать это поле (ст. 5 п. 3)" in shown(answer)


def test_a_proposal_is_listed_for_the_lead_and_the_invited_and_no_one_else(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    oid = proposed_id(propose(kaz))
    page = kaz.get(f"/operations/{oid}")
    assert page.status_code == 200 and NAME in shown(page) and GOALS in shown(page)
    # Links are open while proposed; only the head cancels, and tasks wait for an acceptance.
    assert buttons(page) == ["link"]
    listed = kaz.get("/operations")
    assert NAME in shown(listed) and "leads it" in shown(listed)
    assert NAME not in shown(kaz.get("/operations", params={"state": "active"}))
    assert NAME in shown(kaz.get("/operations", params={"state": "proposed"}))
    rus = web.sign_in("rus-mvd.officer")
    assert NAME in shown(rus.get("/operations")) and "invited" in shown(rus.get("/operations"))
    assert audit_actions(web, oid)[:2] == ["operation:proposed", "operation:viewed"]
    # BLR-MVD was not invited: no list entry, no page, no action, no PDF; never the name.
    blr = web.sign_in("blr-mvd.officer")
    assert NAME not in shown(blr.get("/operations"))
    for answer in (
        blr.get(f"/operations/{oid}"),
        act(blr, oid, "report", text="Nothing"),
        act(blr, oid, "accept"),
        blr.get(f"/operations/{oid}/summary.pdf"),
    ):
        assert answer.status_code == 403, answer.status_code
        assert NAME not in shown(answer) and GOALS not in shown(answer)
        assert "does not involve BLR-MVD (Art. 5 para 3)" in shown(answer)
    # The auditor and the Secretariat take no part in operations.
    for officer in ("auditor", "csto.secretariat"):
        other = web.sign_in(officer)
        for answer in (other.get("/operations"), other.get(f"/operations/{oid}"),
                       other.get("/operations/new"), propose(other)):  # fmt: skip
            assert answer.status_code == 403 and NAME not in shown(answer)
    assert web.client.get("/operations").headers["location"] == "/login"
    assert operation_count(web) == 1
    assert kaz.get("/operations/no-such-operation").status_code == 404


def test_the_invitation_is_answered_by_a_head_only(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    oid = proposed_id(propose(kaz, **{"invited.BLR-MVD": "1"}))
    rus_officer = web.sign_in("rus-mvd.officer")
    assert buttons(rus_officer.get(f"/operations/{oid}")) == []
    refused = act(rus_officer, oid, "accept")
    assert refused.status_code == 422
    assert "reserved to another role or another competent body" in errors_of(refused)
    assert "accept: another role (Art. 4)" in errors_of(refused)
    assert version(web, oid) == 1
    rus_head = sign_in(web, "rus-mvd.head")
    assert buttons(rus_head.get(f"/operations/{oid}")) == ["accept", "decline"]
    done(rus_head, oid, "accept")
    page = rus_head.get(f"/operations/{oid}?done=accept")
    assert "active" in shown(page) and "accepted" in shown(page)
    assert "accept" not in buttons(page)
    again = act(rus_head, oid, "accept")  # once only
    assert again.status_code == 422 and "only a body invited" in errors_of(again)
    blr_head = sign_in(web, "blr-mvd.head")
    done(blr_head, oid, "decline", text="No capacity this quarter")
    assert "No capacity this quarter" in shown(kaz.get(f"/operations/{oid}"))
    assert version(web, oid) == 3


def test_tasks_reports_and_links(web: Web, active: tuple[str, dict[str, httpx.Client]]) -> None:
    oid, c = active
    kaz, rus = c["kaz-mvd.officer"], sign_in(web, "rus-mvd.officer")
    page = kaz.get(f"/operations/{oid}")
    assert buttons(page) == ["assign_task", "report", "link"]
    outside = act(kaz, oid, "assign_task", body_id="RUS-MVD", due="2026-06-01", text="Trace")
    assert outside.status_code == 422
    assert "outside 2026-02-01–2026-04-30" in shown(outside) and "(Art. 5 para 3)" in shown(outside)
    assert 'value="2026-06-01"' in shown(outside)  # the form keeps what was typed
    not_member = act(kaz, oid, "assign_task", body_id="BLR-MVD", due="2026-03-01", text="X")
    assert not_member.status_code == 422 and "BLR-MVD has not accepted" in shown(not_member)
    no_date = act(kaz, oid, "assign_task", body_id="RUS-MVD", due="soon", text="X")
    assert no_date.status_code == 422 and "a date as YYYY-MM-DD" in shown(no_date)
    assert buttons(rus.get(f"/operations/{oid}")) == ["report", "link"]  # not the lead's
    assert act(rus, oid, "assign_task", body_id="RUS-MVD", due="2026-03-01",
               text="X").status_code == 422  # fmt: skip
    done(kaz, oid, "assign_task", body_id="RUS-MVD", due="2026-03-01", text="Trace the hosting")
    page = rus.get(f"/operations/{oid}")
    assert "Trace the hosting" in shown(page) and "2026-03-01" in shown(page)
    assert buttons(page) == ["complete_task", "report", "link"]
    task_id = re.findall(r'<option value="([0-9a-f-]{36})">1\. Trace', page.text)[0]
    done(rus, oid, "report", text="Traced to AS64500", task_id=task_id)
    done(rus, oid, "complete_task", task_id=task_id)
    page = kaz.get(f"/operations/{oid}")
    assert "Traced to AS64500" in shown(page) and "rus-mvd.officer" in shown(page)
    assert "complete_task" not in buttons(rus.get(f"/operations/{oid}"))
    # Links: a record of KAZ-MVD, not shared with Russia; and one that is no one's here.
    record_id = created_id(create_record(kaz))
    foreign = act(rus, oid, "link", link_kind="record", ref=record_id)
    assert foreign.status_code == 422 and "is not one of RUS-MVD's" in shown(foreign)
    done(kaz, oid, "link", link_kind="record", ref=record_id)
    assert f'href="/records/{record_id}"' in shown(kaz.get(f"/operations/{oid}"))
    page = rus.get(f"/operations/{oid}")
    assert record_id not in shown(page) and "not held by your body" in shown(page)
    assert audit_actions(web, oid).count("operation:linked") == 1


def test_close_with_the_signed_summary_and_its_pdf(
    web: Web, active: tuple[str, dict[str, httpx.Client]]
) -> None:
    oid, c = active
    kaz, head = c["kaz-mvd.officer"], c["kaz-mvd.head"]
    done(kaz, oid, "assign_task", body_id="RUS-MVD", due="2026-03-01", text="Trace the hosting")
    done(c["rus-mvd.head"], oid, "report", text="Traced to AS64500, four servers")
    assert kaz.get(f"/operations/{oid}/summary.pdf").status_code == 404  # not closed yet
    # A staff member who is not the head or a deputy: no close button, and refused.
    assert "close" not in buttons(kaz.get(f"/operations/{oid}"))
    refused = act(kaz, oid, "close", text="Four servers seized")
    assert refused.status_code == 422
    assert "signed by the head of the lead body or a deputy: kaz-mvd.officer may not sign" in (
        errors_of(refused)
    )
    assert "may not sign (Art. 5 para 3)" in errors_of(refused)
    assert "close" not in buttons(c["rus-mvd.head"].get(f"/operations/{oid}"))  # not the lead
    assert buttons(head.get(f"/operations/{oid}")) == [
        "assign_task", "report", "link", "close", "cancel"
    ]  # fmt: skip
    empty = act(head, oid, "close", text="  ")
    assert empty.status_code == 422 and "joint summary of its results" in shown(empty)
    before = version(web, oid)
    done(head, oid, "close", text="Four servers seized; two operators identified")
    assert version(web, oid) == before + 1
    page = c["rus-mvd.head"].get(f"/operations/{oid}")
    assert "closed" in shown(page) and "Four servers seized" in shown(page)
    assert "did not leave this node" in shown(page)  # one node: no signed document was made
    assert buttons(page) == [] and f"/operations/{oid}/summary.pdf" in shown(page)
    pdf = c["rus-mvd.head"].get(f"/operations/{oid}/summary.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = flat(pdf_text(pdf.content))
    for expected in (
        "СОВМЕСТНЫЙ ИТОГОВЫЙ ДОКУМЕНТ", "ст. 5 п. 3", NAME, GOALS, "с 01.02.2026 по 30.04.2026",
        "RUS-MVD: принял участие", "Trace the hosting", "срок: 01.03.2026", "не выполнена",
        "Traced to AS64500, four servers", "Four servers seized; two operators identified",
        "Head of KAZ-MVD", "Хэш итогового документа", "Отпечаток ключа электронной подписи",
    ):  # fmt: skip
        assert expected in text, expected
    assert audit_actions(web, oid).count("operation:closed") == 1
    # Nothing changes a closed operation: every action refused with its article.
    for officer, action, fields in (
        (head, "report", {"text": "Late news"}),
        (head, "cancel", {"text": "Too late"}),
        (c["rus-mvd.head"], "report", {"text": "Late news"}),
        (kaz, "assign_task", {"body_id": "RUS-MVD", "due": "2026-03-02", "text": "More"}),
    ):
        answer = act(officer, oid, action, **fields)
        assert answer.status_code == 422
        assert "a closed or cancelled operation does not change" in shown(answer)
        assert "(Art. 5 para 3)" in shown(answer)
    assert version(web, oid) == before + 1


def test_a_head_cancels_with_reasons(web: Web) -> None:
    kaz = web.sign_in("kaz-mvd.officer")
    oid = proposed_id(propose(kaz))
    head = web.sign_in("kaz-mvd.head")
    assert buttons(head.get(f"/operations/{oid}")) == ["link", "cancel"]
    assert act(kaz, oid, "cancel", text="No longer needed").status_code == 422
    done(head, oid, "cancel", text="The servers went offline")
    page = kaz.get(f"/operations/{oid}")
    assert "cancelled" in shown(page) and "The servers went offline" in shown(page)
    assert buttons(page) == []
    assert kaz.get(f"/operations/{oid}/summary.pdf").status_code == 404


def test_a_forged_or_unknown_action_is_refused(
    web: Web, active: tuple[str, dict[str, httpx.Client]]
) -> None:
    oid, c = active
    kaz = c["kaz-mvd.officer"]
    assert act(kaz, oid, "destroy").status_code == 400
    answer = kaz.post(f"/operations/{oid}/act", data={"action": "report", "text": "x",
                                                      "csrf": "forged"})  # fmt: skip
    assert answer.status_code == 403
    assert act(kaz, "no-such-operation", "report", text="x").status_code == 404
    assert version(web, oid) == 2


def test_a_case_names_its_operations_to_the_bodies_taking_part_only(
    web: Web, active: tuple[str, dict[str, httpx.Client]]
) -> None:
    """A request and a record linked to an operation show it on their pages (Art. 5 para
    3); to a body that takes no part in the operation it stays unknown, as on its page."""
    oid, c = active
    kaz = c["kaz-mvd.officer"]
    rid = create_request(web.engine, web.clock, requested_body="BLR-MVD")
    act_on_request(web.engine, web.clock, rid, "kaz-mvd.head", Action.SIGN)
    act_on_request(web.engine, web.clock, rid, "kaz-mvd.officer", Action.SEND)
    link = f'href="/operations/{oid}"'
    assert link not in kaz.get(f"/requests/{rid}").text  # not linked yet
    done(kaz, oid, "link", link_kind="request", ref=rid)
    assert link in kaz.get(f"/requests/{rid}").text
    blr = sign_in(web, "blr-mvd.officer")  # the requested body, not invited to the operation
    page = blr.get(f"/requests/{rid}")
    assert page.status_code == 200 and oid not in page.text
    record_id = created_id(create_record(kaz))
    done(kaz, oid, "link", link_kind="record", ref=record_id)
    assert link in kaz.get(f"/records/{record_id}?purpose=investigation").text
