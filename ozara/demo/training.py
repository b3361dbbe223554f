"""The demo's training story: a seminar with nominations (Art. 5 para 4).

Kazakhstan's MVD announces a seminar in Almaty on phishing investigations, with places for
Russia, Belarus and Kyrgyzstan. Russia's two bodies fill Russia's two places; a third
Russian nomination is refused (the quota), as is one of the host's own Party (it gave
itself no places). Belarus
nominates and withdraws; the host confirms and declines; nominations close; a Kyrgyz
nomination after the close is refused; the seminar is held. Each step runs on the acting
body's node; each document it causes is shown with its route.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ozara.core.rules import ProtocolError
from ozara.core.training import Nominee, TrainingAction, TrainingCommand
from ozara.federation.training import FederatedTrainingPeers
from ozara.services import training as svc
from ozara.store.uow import SqlUnitOfWork

if TYPE_CHECKING:
    from ozara.demo.scenario import Demo

A = TrainingAction
ARTICLE = "Art. 5 para 4"


def seminar(d: Demo) -> dict[str, Any]:
    start = (d.now + timedelta(days=30)).date()
    return {
        "kind": "seminar",
        "title": "Расследование фишинга с выводом средств через криптовалюту",
        "topic": "Отслеживание кошельков, закрепление доказательств, запросы по ст. 6",
        "date_from": start.isoformat(),
        "date_to": (start + timedelta(days=2)).isoformat(),
        "venues": ["Алматы, Академия МВД Республики Казахстан"],
        "language": "ru",
        "nomination_deadline": (start - timedelta(days=10)).isoformat(),
        "places": {"RUS": 2, "BLR": 1, "KGZ": 1},
    }


def peers(d: Demo, who: str) -> FederatedTrainingPeers:
    node = d.node(who)
    return FederatedTrainingPeers(node.keys, node.trust, node.peers.officer_keys)


def act(d: Demo, eid: str, who: str, command: TrainingCommand) -> svc.Outcome:
    with SqlUnitOfWork(d.node(who).engine) as uow:
        outcome = svc.act_on_event(uow, eid, command, who, d.now, peers(d, who))
    d.line(who, f"training:{command.action.value}", ARTICLE, command.text or None)
    d.show_hops()
    return outcome


def attempt(d: Demo, eid: str, who: str, command: TrainingCommand, what: str) -> None:
    """An action the Protocol forbids: show the refusal, with its article."""
    try:
        act(d, eid, who, command)
    except ProtocolError as e:
        d.refused(who, what, e)
    else:  # pragma: no cover - the story is built so that this cannot happen
        raise AssertionError(f"{what} by {who} should have been refused")


def nominate(name: str, post: str, contact: str) -> TrainingCommand:
    return TrainingCommand(A.NOMINATE, nominee=Nominee(name, post, contact))


def play(d: Demo) -> str:
    """Run the story; returns the event's id."""
    head = "kaz-mvd.head"
    d.say("\n== A seminar with nominations (Art. 5 para 4)")
    with SqlUnitOfWork(d.node(head).engine) as uow:
        eid = svc.announce_event(uow, seminar(d), head, d.now, peers(d, head))
    d.line(head, "training:announced", ARTICLE, "seminar in Almaty; RUS 2, BLR 1, KGZ 1")
    d.show_hops()

    d.advance(hours=3)
    act(d, eid, "rus-mvd.officer", nominate("Смирнов Павел", "старший оперуполномоченный",
                                            "smirnov@mvd.example.ru"))  # fmt: skip
    act(d, eid, "rus-fsb.officer", nominate("Орлова Анна", "аналитик", "orlova@fsb.example.ru"))
    attempt(d, eid, "rus-mvd.officer", nominate("Козлов Игорь", "следователь", "k@example.ru"),
            "a third Russian nomination")  # fmt: skip
    attempt(d, eid, "kaz-mvd.officer", nominate("Ахметов Ержан", "инспектор", "a@example.kz"),
            "a nomination into the host's own Party, which has no places")  # fmt: skip
    blr = act(d, eid, "blr-mvd.officer", nominate("Ковалёв Олег", "инспектор", "k@mvd.example.by"))
    with SqlUnitOfWork(d.node(head).engine) as uow:
        event = svc.show_event(uow, eid, "kaz-mvd.officer", d.now).event
    rus_mvd, rus_fsb, by = event.nominations
    d.advance(days=1)
    act(d, eid, "kaz-mvd.officer", TrainingCommand(A.CONFIRM, nomination_id=rus_mvd.id))
    act(d, eid, "kaz-mvd.officer", TrainingCommand(A.DECLINE, text="Нужен следователь",
                                                   nomination_id=rus_fsb.id))  # fmt: skip
    assert blr.forwarded
    act(d, eid, "blr-mvd.officer", TrainingCommand(A.WITHDRAW, nomination_id=by.id))

    d.now = d.now + timedelta(days=19)  # past the nomination deadline
    act(d, eid, "kaz-mvd.officer", TrainingCommand(A.CLOSE))
    attempt(d, eid, "kgz-mvd.officer", nominate("Асанов Бакыт", "инспектор", "a@example.kg"),
            "a nomination after the close")  # fmt: skip
    d.now = d.now + timedelta(days=11)  # the seminar has begun
    act(d, eid, "kaz-mvd.officer", TrainingCommand(A.HOLD, text="Проведён: 1 участник от РФ"))
    return eid
