"""The request page's sections for Art. 8, 11 and 12: each form offered only to whom the
core allows it now, and a refusal shown with its article."""

from __future__ import annotations

import httpx

from ozara.services import accounts
from ozara.store.uow import SqlUnitOfWork
from tests.web.conftest import PASSWORD, Web, csrf_of
from tests.web.test_request_pages import act, compose


def post(client: httpx.Client, request_id: str, path: str, **fields: str) -> httpx.Response:
    token = csrf_of(client, f"/requests/{request_id}")
    return client.post(f"/requests/{request_id}/{path}", data={"csrf": token, **fields})


def enrolled(web: Web, officer_id: str) -> httpx.Client:
    """An officer the shared fixture does not enroll (the requested body's head)."""
    if officer_id not in web.secrets:
        with SqlUnitOfWork(web.engine) as uow:
            accounts.set_password(uow, officer_id, PASSWORD, web.clock.now)
        with SqlUnitOfWork(web.engine) as uow:
            web.secrets[officer_id] = accounts.enroll_totp(uow, officer_id, web.clock.now)
    return web.sign_in(officer_id)


def executing(web: Web) -> tuple[str, httpx.Client, httpx.Client, httpx.Client]:
    kaz, head = web.sign_in("kaz-mvd.officer"), web.sign_in("kaz-mvd.head")
    request_id = compose(web, kaz).headers["location"].rsplit("/", 1)[1]
    assert act(head, request_id, "sign").status_code == 303
    assert act(kaz, request_id, "send").status_code == 303
    rus = web.sign_in("rus-mvd.officer")
    for action in ("receive", "start_execution"):
        assert act(rus, request_id, action).status_code == 303
    return request_id, kaz, rus, enrolled(web, "rus-mvd.head")


def test_participation_through_the_page(web: Web) -> None:
    request_id, kaz, rus, rus_head = executing(web)
    page = kaz.get(f"/requests/{request_id}").text
    assert "Participation of representatives (Art. 8)" in page
    assert (
        "/participation/propose" in page
        and "/participation/propose" not in rus.get(f"/requests/{request_id}").text
    )
    day = "2099-01-01"
    done = post(kaz, request_id, "participation/propose",
                representatives="A. Ivanov; Investigator; KAZ-MVD\nB. Seitov; Expert; KAZ-MVD",
                date_from=day, date_to=day, actions="Search of the server room")  # fmt: skip
    assert done.status_code == 303
    # The answer is the requested head's: an officer is not offered the form.
    assert "/participation/answer" not in rus.get(f"/requests/{request_id}").text
    assert "/participation/answer" in rus_head.get(f"/requests/{request_id}").text
    done = post(rus_head, request_id, "participation/answer", proposal="1", decision="agreed",
                agree_0="A. Ivanov", reasons="The expert is not cleared")  # fmt: skip
    assert done.status_code == 303
    refused = post(rus, request_id, "participation/record", proposal="1", took_0="B. Seitov")
    assert refused.status_code == 422
    assert "Art. 8" in refused.text
    assert "B. Seitov" in refused.text
    assert post(rus, request_id, "participation/record", proposal="1",
                took_0="A. Ivanov").status_code == 303  # fmt: skip
    page = kaz.get(f"/requests/{request_id}").text
    assert "took part" in page and "not agreed" in page


def test_consultation_and_costs_through_the_page(web: Web) -> None:
    request_id, kaz, rus, rus_head = executing(web)
    assert "Each Party bears its own costs" in kaz.get(f"/requests/{request_id}").text
    done = post(rus, request_id, "consultations", bodies="KAZ-MVD, RUS-MVD", persons="P. Petrov",
                held_on="2020-01-01", subject="request", outcome="Item 2 narrowed")  # fmt: skip
    assert done.status_code == 303
    refused = post(kaz, request_id, "consultations", bodies="KAZ-MVD", persons="X",
                   held_on="2020-01-01", subject="refusal", outcome="Y")  # fmt: skip
    assert refused.status_code == 422 and "Art. 11" in refused.text
    assert post(kaz, request_id, "costs/propose",
                shares="requesting; Travel; 1500.00; USD").status_code == 303  # fmt: skip
    assert "/costs/answer" not in web.sign_in("kaz-mvd.head").get(f"/requests/{request_id}").text
    assert post(rus_head, request_id, "costs/answer", proposal="1",
                decision="accepted").status_code == 303  # fmt: skip
    page = kaz.get(f"/requests/{request_id}").text
    assert "Agreement no. 1 is in force" in page and "1500.00 USD" in page
    assert "Item 2 narrowed" in page
