"""Training events in the browser (Art. 5 para 4): the announcement form and its faults,
nominations within each Party's places, who sees a nominee's name, the host's decisions,
withdrawal, closing, holding and cancelling; who may see and do what. One node here (every
body on it), through real HTTP (the ``web`` fixture)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import func, select

from ozara.store import tables as t
from ozara.store.training import TrainingRepository
from ozara.store.uow import SqlUnitOfWork
from tests.web.conftest import Web, csrf_of
from tests.web.test_operation_pages import buttons, errors_of, field_error, shown, sign_in

TITLE = "Investigating phishing with cryptocurrency cash-out"
TOPIC = "Tracing wallets, preserving evidence, requests under Art. 6"
#: A seminar in Almaty, six weeks after the tests' clock (2026-01-30): RUS 2 places, BLR 1.
EVENT = {
    "kind": "seminar",
    "title": TITLE,
    "topic": TOPIC,
    "date_from": "2026-03-10",
    "date_to": "2026-03-12",
    "venues": "Almaty, Academy of the MVD\nOnline",
    "language": "ru",
    "nomination_deadline": "2026-02-20",
    "places.RUS": "2",
    "places.BLR": "1",
}
KAZ_HEAD, KAZ, RUS, FSB, BLR = (
    "kaz-mvd.head", "kaz-mvd.officer", "rus-mvd.officer", "rus-fsb.officer", "blr-mvd.officer"
)  # fmt: skip


def post(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    return client.post(path, data={"csrf": csrf_of(client, "/training"), **fields})


def announce(client: httpx.Client, **changes: str | None) -> httpx.Response:
    form = {**EVENT, **changes}
    return post(client, "/training/new", **{k: v for k, v in form.items() if v is not None})


def announced_id(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text[-3000:]
    return answer.headers["location"].rsplit("/", 1)[1]


def act(client: httpx.Client, eid: str, action: str, **fields: str) -> httpx.Response:
    return post(client, f"/training/{eid}/act", action=action, **fields)


def done(client: httpx.Client, eid: str, action: str, **fields: str) -> None:
    answer = act(client, eid, action, **fields)
    assert answer.status_code == 303, (action, answer.status_code, errors_of(answer))


def nominate(client: httpx.Client, eid: str, name: str) -> httpx.Response:
    return act(client, eid, "nominate", name=name, post="senior detective",
               contact=f"{name.split(maxsplit=1)[0].lower()}@example.org")  # fmt: skip


def nomination_ids(web: Web, eid: str) -> dict[str, str]:
    """Each nominee's name → their nomination's id."""
    with SqlUnitOfWork(web.engine) as uow:
        event = TrainingRepository(uow.connection).get(eid).event
    return {n.nominee.name: n.id for n in event.nominations}


def states(web: Web, eid: str) -> tuple[str, dict[str, str]]:
    with SqlUnitOfWork(web.engine) as uow:
        event = TrainingRepository(uow.connection).get(eid).event
    return event.state.value, {n.nominee.name: n.state.value for n in event.nominations}


def event_count(web: Web) -> int:
    with SqlUnitOfWork(web.engine) as uow:
        query = select(func.count()).select_from(t.training_events)
        return int(uow.connection.execute(query).scalar_one())


@pytest.fixture
def event(web: Web) -> tuple[str, dict[str, httpx.Client]]:
    """A seminar KAZ-MVD's head announced; the browsers used."""
    clients = {o: sign_in(web, o) for o in (KAZ_HEAD, KAZ, RUS, FSB, BLR)}
    return announced_id(announce(clients[KAZ_HEAD])), clients


def test_the_announcement_shows_every_fault_beside_its_field_and_keeps_what_was_typed(
    web: Web,
) -> None:
    head = sign_in(web, KAZ_HEAD)
    form = head.get("/training/new")
    assert form.status_code == 200
    for party in ("RUS", "BLR", "ARM", "KGZ", "TJK"):  # every Party bound with Kazakhstan
        assert f'name="places.{party}"' in form.text
    kinds = re.findall(r'<option value="([a-z]+)"', form.text[: form.text.index('id="title"')])
    assert kinds == ["internship", "conference", "seminar", "course", "training"]
    answer = announce(
        head, title="", date_from="2026-03-12", date_to="2026-03-10",
        nomination_deadline="2026-03-13", **{"places.RUS": "two", "places.BLR": "501"},
    )  # fmt: skip
    assert answer.status_code == 422
    assert field_error(answer, "title") == (
        "a training event or a nomination must state this field (Art. 5 para 4)"
    )
    assert "it ends on 2026-03-10, before it begins on 2026-03-12" in field_error(answer, "date_to")
    assert "nominations close on 2026-03-13, after it begins" in field_error(
        answer, "nomination_deadline"
    )
    assert field_error(answer, "date_to").endswith("(Art. 5 para 4)")
    assert "a whole number of places from 1 to 500" in field_error(answer, "places.RUS")
    assert "a whole number of places from 1 to 500" in field_error(answer, "places.BLR")
    assert field_error(answer, "topic") == ""
    assert TOPIC in shown(answer) and 'value="two"' in answer.text  # kept as typed
    assert "Almaty, Academy of the MVD\nOnline" in shown(answer)
    # A kind not of Art. 5 para 4; then only the host's own Party and a deadline past.
    answer = announce(head, kind="webinar")
    assert answer.status_code == 422
    assert "an internship, a conference, a seminar, a course or a training" in field_error(
        answer, "kind"
    )
    answer = announce(head, nomination_deadline="2026-01-29",
                      **{"places.RUS": None, "places.BLR": None, "places.KAZ": "3"})  # fmt: skip
    assert answer.status_code == 422
    assert "at least one other Party (Art. 5 para 4)" in field_error(answer, "places")
    assert "2026-01-29 has passed" in field_error(answer, "nomination_deadline")
    # An officer who is not the head or a deputy: the form is refused, above it.
    officer = sign_in(web, KAZ)
    answer = announce(officer)
    assert answer.status_code == 422
    assert "the head of the host body or a deputy" in errors_of(answer)
    assert event_count(web) == 0


def test_an_announced_event_is_listed_for_the_host_and_the_invited_and_no_one_else(
    web: Web, event: tuple[str, dict[str, httpx.Client]]
) -> None:
    eid, c = event
    page = c[KAZ].get(f"/training/{eid}")
    assert page.status_code == 200 and TITLE in shown(page) and TOPIC in shown(page)
    assert "Almaty, Academy of the MVD; Online" in shown(page)
    assert buttons(page) == ["close"]  # staff close; cancelling is the head's
    assert buttons(c[KAZ_HEAD].get(f"/training/{eid}")) == ["close", "cancel"]
    listed = c[RUS].get("/training")
    assert TITLE in shown(listed) and "open for nominations" in shown(listed)
    assert re.search(r"<td>2</td>\s*<td>0</td>", listed.text)  # RUS: 2 places, none taken
    assert TITLE in shown(c[FSB].get("/training"))  # every body of an invited Party
    assert TITLE in shown(c[BLR].get("/training", params={"state": "announced"}))
    assert TITLE not in shown(c[BLR].get("/training", params={"state": "held"}))
    assert buttons(c[RUS].get(f"/training/{eid}")) == ["nominate"]
    # Kyrgyzstan was given no places: no list entry, no page, no nomination; never the title.
    kgz = sign_in(web, "kgz-mvd.officer")
    assert TITLE not in shown(kgz.get("/training"))
    for answer in (kgz.get(f"/training/{eid}"), nominate(kgz, eid, "Asanov Bakyt")):
        assert answer.status_code == 403, answer.status_code
        assert TITLE not in shown(answer) and TOPIC not in shown(answer)
        assert "does not concern KGZ-MVD (Art. 5 para 4)" in shown(answer)
    assert nomination_ids(web, eid) == {}
    # The auditor and the Secretariat take no part in training events.
    for officer in ("auditor", "csto.secretariat"):
        other = web.sign_in(officer)
        for answer in (other.get("/training"), other.get(f"/training/{eid}"),
                       other.get("/training/new"), announce(other)):  # fmt: skip
            assert answer.status_code == 403 and TITLE not in shown(answer)
    assert web.client.get("/training").headers["location"] == "/login"
    assert c[KAZ].get("/training/no-such-event").status_code == 404
    assert act(c[KAZ], eid, "destroy").status_code == 400
    forged = c[RUS].post(f"/training/{eid}/act", data={"action": "nominate", "csrf": "forged"})
    assert forged.status_code == 403 and nomination_ids(web, eid) == {}


def test_nominations_within_the_places_and_who_sees_the_names(
    web: Web, event: tuple[str, dict[str, httpx.Client]]
) -> None:
    eid, c = event
    empty = act(c[RUS], eid, "nominate", name="", post=" ", contact="")
    assert empty.status_code == 422
    for name in ("name", "post", "contact"):
        assert field_error(empty, name).endswith("must state this field (Art. 5 para 4)")
    kept = act(c[RUS], eid, "nominate", name="Ivanov Ivan", post="detective", contact="")
    assert kept.status_code == 422 and 'value="Ivanov Ivan"' in kept.text
    done(c[RUS], eid, "nominate", name="Ivanov Ivan", post="senior detective",
         contact="ivanov@example.ru")  # fmt: skip
    assert nominate(c[FSB], eid, "Petrov Pyotr").status_code == 303  # the Party's second place
    over = nominate(c[RUS], eid, "Sidorov Sergei")
    assert over.status_code == 422
    assert "RUS has 2 place(s), all nominated (Art. 5 para 4)" in field_error(over, "nominee")
    assert "do not exceed the places offered to it" in errors_of(over)
    assert "nominate" not in buttons(c[RUS].get(f"/training/{eid}"))  # no place left
    done(c[BLR], eid, "nominate", name="Kovalenko Olga", post="inspector",
         contact="+375 17 000 00 00")  # fmt: skip
    # The host's own staff nominate only into places given to the host's own Party.
    own = nominate(c[KAZ], eid, "Nurlanov Arman")
    assert own.status_code == 422
    assert "the host gave KAZ no places of its own (Art. 5 para 4)" in errors_of(own)
    assert set(nomination_ids(web, eid)) == {"Ivanov Ivan", "Petrov Pyotr", "Kovalenko Olga"}
    # Names: the host sees every nominee; each Party its own; the counts are for all.
    host_page = shown(c[KAZ].get(f"/training/{eid}"))
    for name in ("Ivanov Ivan", "Petrov Pyotr", "Kovalenko Olga", "+375 17 000 00 00"):
        assert name in host_page
    rus_page = shown(c[FSB].get(f"/training/{eid}"))
    assert "Ivanov Ivan" in rus_page and "Petrov Pyotr" in rus_page
    assert "Kovalenko" not in rus_page and "+375" not in rus_page
    assert "1 nomination of another Party is not shown" in rus_page
    blr_page = shown(c[BLR].get(f"/training/{eid}"))
    assert "Kovalenko Olga" in blr_page and "Ivanov" not in blr_page and "Petrov" not in blr_page
    assert re.search(r"RUS — [^<]*</td><td>2</td><td>2</td><td>0</td>", blr_page)
    # The audit keeps ids, never a nominee's name (docs/training.md).
    with SqlUnitOfWork(web.engine) as uow:
        rows = uow.audit.for_object(eid)
    assert [r["action"] for r in rows].count("training:nominated") == 3
    assert "Ivanov" not in repr(rows)


def test_the_host_confirms_and_declines_a_body_withdraws_its_own(
    web: Web, event: tuple[str, dict[str, httpx.Client]]
) -> None:
    eid, c = event
    for client, name in ((c[RUS], "Ivanov Ivan"), (c[FSB], "Petrov Pyotr"),
                         (c[BLR], "Kovalenko Olga")):  # fmt: skip
        assert nominate(client, eid, name).status_code == 303
    ids = nomination_ids(web, eid)
    # Each body withdraws only its own pending nomination.
    assert buttons(c[RUS].get(f"/training/{eid}")) == ["withdraw"]
    other = act(c[RUS], eid, "withdraw", nomination_id=ids["Petrov Pyotr"])
    assert other.status_code == 422
    assert "RUS-FSB made this nomination (Art. 5 para 4)" in errors_of(other)
    assert act(c[RUS], eid, "confirm", nomination_id=ids["Ivanov Ivan"]).status_code == 422
    done(c[FSB], eid, "withdraw", nomination_id=ids["Petrov Pyotr"])
    # The host decides on each pending nomination, a decline with its reasons.
    assert buttons(c[KAZ].get(f"/training/{eid}")) == ["confirm", "decline"] * 2 + ["close"]
    done(c[KAZ], eid, "confirm", nomination_id=ids["Ivanov Ivan"])
    done(c[KAZ], eid, "decline", nomination_id=ids["Kovalenko Olga"], text="Places for heads")
    again = act(c[KAZ], eid, "confirm", nomination_id=ids["Ivanov Ivan"])
    assert again.status_code == 422 and "it is confirmed already (Art. 5 para 4)" in shown(again)
    late = act(c[FSB], eid, "withdraw", nomination_id=ids["Petrov Pyotr"])
    assert late.status_code == 422 and "it is withdrawn already" in shown(late)
    assert states(web, eid)[1] == {
        "Ivanov Ivan": "confirmed", "Petrov Pyotr": "withdrawn", "Kovalenko Olga": "declined"
    }  # fmt: skip
    page = shown(c[BLR].get(f"/training/{eid}"))
    assert "declined" in page and "Places for heads" in page
    # A withdrawn or declined nomination frees its place.
    assert nominate(c[FSB], eid, "Smirnov Oleg").status_code == 303
    assert nominate(c[BLR], eid, "Lukashenko Anna").status_code == 303


def test_close_hold_and_what_a_closed_or_cancelled_event_refuses(
    web: Web, event: tuple[str, dict[str, httpx.Client]]
) -> None:
    eid, c = event
    assert nominate(c[RUS], eid, "Ivanov Ivan").status_code == 303
    assert act(c[RUS], eid, "close").status_code == 422  # the host's
    done(c[KAZ], eid, "close")
    page = c[RUS].get(f"/training/{eid}?done=close")
    assert "closed for nominations" in shown(page) and "nominate" not in buttons(page)
    closed = nominate(c[BLR], eid, "Kovalenko Olga")
    assert closed.status_code == 422
    assert "nominate is not possible while it is closed (Art. 5 para 4)" in errors_of(closed)
    early = act(c[KAZ], eid, "hold", text="Held")
    assert early.status_code == 422 and "it begins on 2026-03-10 (Art. 5 para 4)" in shown(early)
    ivanov = nomination_ids(web, eid)["Ivanov Ivan"]
    done(c[KAZ], eid, "confirm", nomination_id=ivanov)  # still decided once closed
    web.clock.advance(days=40)  # 2026-03-11: the seminar has begun (new sessions needed)
    kaz, head, rus = (sign_in(web, o) for o in (KAZ, KAZ_HEAD, RUS))
    done(kaz, eid, "hold", text="Held with 12 participants")
    text = shown(rus.get(f"/training/{eid}"))
    assert "held" in text and "Held with 12 participants" in text
    assert buttons(head.get(f"/training/{eid}")) == []
    late = act(head, eid, "cancel", text="Too late")
    assert late.status_code == 422 and "the event is held (Art. 5 para 4)" in errors_of(late)


def test_a_head_cancels_with_reasons_and_a_cancelled_event_refuses_nominations(
    web: Web, event: tuple[str, dict[str, httpx.Client]]
) -> None:
    eid, c = event
    refused = act(c[KAZ], eid, "cancel", text="No hall")
    assert refused.status_code == 422 and "cancel: another role" in errors_of(refused)
    blank = act(c[KAZ_HEAD], eid, "cancel", text=" ")
    assert blank.status_code == 422
    assert "the reasons for cancelling (Art. 5 para 4)" in field_error(blank, "text-cancel")
    done(c[KAZ_HEAD], eid, "cancel", text="The academy's hall is under repair")
    page = c[RUS].get(f"/training/{eid}")
    assert "cancelled" in shown(page) and "under repair" in shown(page)
    assert buttons(page) == []
    answer = nominate(c[RUS], eid, "Ivanov Ivan")
    assert answer.status_code == 422
    assert "the event is cancelled (Art. 5 para 4)" in errors_of(answer)
    assert "a held or cancelled event does not change" in errors_of(answer)
    assert nomination_ids(web, eid) == {}
    assert TITLE not in shown(c[RUS].get("/training", params={"state": "announced"}))


#: Labels of each page in the officer's language, and the article as that language cites it.
LABELS = {
    "ru": ("Учебные мероприятия", "семинар", "открыто для выдвижения кандидатур",
           "Выдвинуть участника", "(ст. 5 п. 4)"),
    "kk": ("Оқу іс-шаралары", "семинар", "кандидатураларды ұсыну ашық",
           "Қатысушыны ұсыну", "(5-бап 4-тармақ)"),
}  # fmt: skip


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_pages_in_russian_and_kazakh(
    web: Web, event: tuple[str, dict[str, httpx.Client]], lang: str
) -> None:
    eid, _ = event
    rus = web.sign_in(RUS, lang=lang)
    text = shown(rus.get("/training")) + shown(rus.get(f"/training/{eid}"))
    refused = shown(act(rus, eid, "nominate", name="Ivanov Ivan", post="detective", contact=""))
    for label in LABELS[lang]:
        assert label in text + refused, label
    rule = {"ru": "кандидатура должны содержать это поле", "kk": "осы өрісті қамтуға тиіс"}
    assert rule[lang] in refused
