"""The demo scenario: requests between the six Parties through every branch of Art. 6–9.

It runs on a simulated clock (deadlines are days long) against a fresh node database,
through the same services the CLI uses, and returns a printable timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from ozara.cli import render
from ozara.core.lifecycle import Action, Command
from ozara.core.rules import ProtocolError
from ozara.services import requests as svc
from ozara.services.node import demo_officers, init_node
from ozara.store.uow import SqlUnitOfWork

START = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)


def _doc(
    src: str, dst: str, purpose: str, qualification: str, category: str = "c", **extra: Any
) -> dict[str, Any]:
    return {
        "requesting_body": src,
        "requested_body": dst,
        "purpose": purpose,
        "justification": "Уголовное дело возбуждено; требуется содействие компетентного органа "
        "запрашиваемой Стороны",
        "substance": "Преступление совершено с использованием информационных технологий; "
        "следы ведут на территорию запрашиваемой Стороны",
        "assistance": {
            "items": [
                {
                    "kind": "operational_search_measure",
                    "description": "Установить пользователя IP-адреса 203.0.113.24 на 12.09.2026",
                },
                {
                    "kind": "procedural_action",
                    "description": "Получить сведения о владельце электронного кошелька",
                },
            ],
            "text": "",
        },
        "execution_terms": "30 суток согласно уголовно-процессуальному закону",
        "crime_category": category,
        "legal_qualification": qualification,
        **extra,
    }


@dataclass
class Demo:
    engine: Engine
    now: datetime = START
    lines: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def create(self, who: str, document: dict[str, Any], title: str) -> str:
        with SqlUnitOfWork(self.engine) as uow:
            rid = svc.create_request(uow, document, who, self.now)
        self.requests.append(rid)
        self.say(f"\n== {rid}: {title}")
        self._line(rid, who, "request:created", "Art. 6 para 1")
        return rid

    def act(self, rid: str, who: str, action: Action, **kw: Any) -> None:
        with SqlUnitOfWork(self.engine) as uow:
            svc.act(uow, rid, Command(action, **kw), who, self.now)
            events = uow.events.for_request(rid)
        last = events[-1]
        text = kw.get("text")
        self._line(rid, who, last.name, ", ".join(last.articles), text)

    def attempt(self, rid: str, who: str, action: Action, **kw: Any) -> None:
        """An action the Protocol forbids: show the refusal, with its article."""
        try:
            self.act(rid, who, action, **kw)
        except ProtocolError as e:
            for v in e.violations:
                self.say(
                    f"   {self._stamp(who)}  REFUSED {action.value} by {who}: "
                    f"{v.message} ({v.article})"
                )
        else:  # pragma: no cover - the scenario is built so that this cannot happen
            raise AssertionError(f"{action} by {who} should have been refused")

    def _stamp(self, who: str) -> str:
        body_id = who.split(".", maxsplit=1)[0].upper()
        with SqlUnitOfWork(self.engine) as uow:
            zone = render.zone_of(uow.registry.registry(), body_id)
        return f"{render.local(self.now, zone):<33}"

    def _line(self, rid: str, who: str, name: str, articles: str, text: str | None = None) -> None:
        suffix = f" — {text}" if text else ""
        self.say(f"   {self._stamp(who)}  {name:<28} {who:<20} [{articles}]{suffix}")


def run(engine: Engine) -> Demo:
    init_node(engine, START - timedelta(days=1), demo_officers())
    d = Demo(engine)

    # 1. Kazakhstan → Russia; the MVD forwards to the FSB (Art. 7 para 4), which asks
    #    for more information (para 5) and executes in full (para 7).
    r1 = d.create(
        "kaz-mvd.officer",
        _doc(
            "KAZ-MVD",
            "RUS-MVD",
            "Установить лиц, похитивших средства клиентов банков через фишинговые сайты",
            "ст. 190 ч. 4 УК Республики Казахстан (мошенничество)",
        ),
        "Kazakhstan asks Russia; forwarded to the FSB, executed",
    )
    d.attempt(r1, "kaz-mvd.officer", Action.SIGN)
    d.attempt(r1, "kaz-mvd.officer", Action.SEND)
    d.act(r1, "kaz-mvd.head", Action.SIGN)
    d.act(r1, "kaz-mvd.liaison", Action.SEND)
    d.advance(hours=3)
    d.act(r1, "rus-mvd.liaison", Action.RECEIVE)
    d.advance(days=2)
    d.act(
        r1,
        "rus-mvd.officer",
        Action.FORWARD,
        target_body="RUS-FSB",
        text="Относится к компетенции ФСБ России",
    )
    d.act(r1, "rus-fsb.officer", Action.START_EXECUTION)
    d.advance(days=4)
    d.act(r1, "rus-fsb.officer", Action.REQUEST_INFO, text="Уточните время соединений (UTC)")
    d.advance(days=1)
    d.act(r1, "kaz-mvd.officer", Action.PROVIDE_INFO, text="12.09.2026 с 08:14 до 08:51 UTC")
    d.advance(days=12)
    d.act(
        r1, "rus-fsb.officer", Action.EXECUTE, text="Пользователь установлен; протокол прилагается"
    )
    d.act(r1, "kaz-mvd.officer", Action.CLOSE)

    # 2. Armenia → Kyrgyzstan, urgent (Art. 6 para 4): sent before signature and never
    #    confirmed in writing — overdue after 72 hours.
    d.now = START + timedelta(days=2)
    r2 = d.create(
        "arm-police.officer",
        _doc(
            "ARM-POLICE",
            "KGZ-MVD",
            "Предотвратить готовящуюся DDoS-атаку на государственные ресурсы",
            "ст. 256 УК Республики Армения",
            category="a",
            urgent=True,
            urgent_grounds="Получена оперативная информация о готовящейся атаке 05.10.2026",
        ),
        "Armenia asks Kyrgyzstan urgently; written confirmation never comes",
    )
    d.act(r2, "arm-police.officer", Action.SEND_URGENT)
    d.advance(hours=1)
    d.act(r2, "kgz-mvd.officer", Action.RECEIVE)
    d.act(r2, "kgz-mvd.officer", Action.START_EXECUTION)

    # 3. Armenia → Belarus, urgent, confirmed in writing within 72 hours.
    r3 = d.create(
        "arm-police.officer",
        _doc(
            "ARM-POLICE",
            "BLR-MVD",
            "Заблокировать управляющий сервер бот-сети",
            "ст. 254 УК Республики Армения",
            urgent=True,
            urgent_grounds="Бот-сеть готовит рассылку вредоносной программы",
        ),
        "Armenia asks Belarus urgently; confirmed in writing in time; Belarus refuses",
    )
    d.act(r3, "arm-police.officer", Action.SEND_URGENT)
    d.advance(hours=30)
    d.act(r3, "arm-police.head", Action.CONFIRM)
    d.act(r3, "blr-mvd.liaison", Action.RECEIVE)
    d.advance(days=3)
    d.attempt(r3, "blr-mvd.head", Action.REFUSE, text="")
    d.act(
        r3,
        "blr-mvd.head",
        Action.REFUSE,
        text="Исполнение противоречит законодательству Республики Беларусь (ст. 9 Протокола): "
        "требуемое действие допускается только по решению суда",
    )
    d.act(r3, "arm-police.officer", Action.CLOSE)

    # 4. Russia → Kazakhstan: conditions proposed after consultations and accepted
    #    (Art. 7 para 6); partial results, then execution.
    d.now = START + timedelta(days=5)
    r4 = d.create(
        "rus-mvd.officer",
        _doc(
            "RUS-MVD",
            "KAZ-MVD",
            "Получить сведения о переводах криптовалюты",
            "ст. 272 УК Российской Федерации",
        ),
        "Russia asks Kazakhstan; conditions accepted",
    )
    d.act(r4, "rus-mvd.head", Action.SIGN)
    d.act(r4, "rus-mvd.officer", Action.SEND)
    d.advance(hours=20)
    d.act(r4, "kaz-mvd.liaison", Action.RECEIVE)
    d.act(r4, "kaz-mvd.officer", Action.START_EXECUTION)
    d.advance(days=3)
    d.act(
        r4,
        "kaz-mvd.head",
        Action.PROPOSE_CONDITIONS,
        text="Сведения используются только в уголовном деле, указанном в запросе",
    )
    d.advance(days=1)
    d.act(r4, "rus-mvd.head", Action.ACCEPT_CONDITIONS)
    d.advance(days=6)
    d.act(r4, "kaz-mvd.officer", Action.REPORT_RESULTS, text="Первая часть выписок направлена")
    d.advance(days=9)
    d.act(r4, "kaz-mvd.officer", Action.EXECUTE, text="Выписки по всем кошелькам направлены")

    # 5. Tajikistan → Armenia: postponed (Art. 7 para 6), delay notice (para 3),
    #    partial refusal (Art. 9), then partial execution.
    d.now = START + timedelta(days=7)
    r5 = d.create(
        "tjk-mvd.officer",
        _doc(
            "TJK-MVD",
            "ARM-POLICE",
            "Допросить свидетеля и изъять сервер",
            "ст. 300 УК Республики Таджикистан",
        ),
        "Tajikistan asks Armenia; postponed, partly refused",
    )
    d.act(r5, "tjk-mvd.head", Action.SIGN)
    d.act(r5, "tjk-mvd.officer", Action.SEND)
    d.advance(hours=7)
    d.act(r5, "arm-police.officer", Action.RECEIVE)
    d.act(r5, "arm-police.officer", Action.START_EXECUTION)
    d.advance(days=2)
    d.act(
        r5,
        "arm-police.head",
        Action.POSTPONE,
        text="Немедленное исполнение помешает расследованию, ведущемуся в Армении",
    )
    d.advance(days=8, hours=2)
    d.act(r5, "arm-police.officer", Action.RESUME)
    d.act(r5, "arm-police.officer", Action.NOTIFY_DELAY, text="Свидетель в командировке до 05.11")
    d.act(
        r5,
        "arm-police.head",
        Action.REFUSE,
        partial=True,
        text="Изъятие сервера без решения суда не допускается законом Республики Армения",
    )
    d.advance(days=12)
    d.act(r5, "arm-police.officer", Action.EXECUTE, partial=True, text="Свидетель допрошен")
    d.act(r5, "tjk-mvd.officer", Action.CLOSE)

    # 6. Kazakhstan → Tajikistan: conditions declined, then the request is withdrawn.
    d.now = START + timedelta(days=9)
    r6 = d.create(
        "kaz-mvd.officer",
        _doc(
            "KAZ-MVD",
            "TJK-MVD",
            "Установить администратора интернет-магазина",
            "ст. 296 УК Республики Казахстан",
        ),
        "Kazakhstan asks Tajikistan; conditions declined",
    )
    d.act(r6, "kaz-mvd.head", Action.SIGN)
    d.act(r6, "kaz-mvd.officer", Action.SEND)
    d.advance(hours=4)
    d.act(r6, "tjk-mvd.officer", Action.RECEIVE)
    d.advance(days=1)
    d.act(
        r6,
        "tjk-mvd.head",
        Action.PROPOSE_CONDITIONS,
        text="Представители запрашивающей Стороны не участвуют в исполнении",
    )
    d.advance(days=2)
    d.act(r6, "kaz-mvd.head", Action.DECLINE_CONDITIONS)
    d.act(r6, "kaz-mvd.head", Action.WITHDRAW)

    # 7. Belarus → Russia: received, still in execution: its clocks keep running.
    d.now = START + timedelta(days=20)
    r7 = d.create(
        "blr-mvd.officer",
        _doc(
            "BLR-MVD",
            "RUS-MVD",
            "Получить журналы доступа к серверу",
            "ст. 349 УК Республики Беларусь",
        ),
        "Belarus asks Russia; received, not yet forwarded",
    )
    d.act(r7, "blr-mvd.head", Action.SIGN)
    d.act(r7, "blr-mvd.officer", Action.SEND)
    d.advance(hours=2)
    d.act(r7, "rus-mvd.officer", Action.RECEIVE)
    d.attempt(r7, "rus-mvd.officer", Action.FORWARD, target_body="KAZ-MVD")
    d.attempt(r7, "blr-mvd.officer", Action.START_EXECUTION)

    # The end of the story: a month after it began.
    d.now = START + timedelta(days=31)
    return d


def report(d: Demo) -> str:
    """The timeline, each request's deadlines, and what is due or overdue at the end."""
    out = [
        "Ozara demo — a node holding the registry of the six Parties (Art. 4)",
        f"Simulated clock from {START:%Y-%m-%d %H:%M} UTC to {d.now:%Y-%m-%d %H:%M} UTC;",
        "each line shows the local time of the body acting.",
        *d.lines,
        "",
        f"== Deadlines on {d.now:%Y-%m-%d %H:%M} UTC, by the body that must act, local time",
    ]
    with SqlUnitOfWork(d.engine) as uow:
        out.append(render.due_text(svc.deadlines(uow, d.now, soon=timedelta(days=40))))
        out.append("")
        out.append("== Final state of each request")
        for rid in d.requests:
            r = uow.requests.get(rid)
            out.append(f"   {rid:<24} {r.state.value:<14} outcome: {r.outcome or '-'}")
        out.append("")
        out.append("== One request in full (ozara request show)")
        view = svc.show(uow, d.requests[0], "kaz-mvd.officer", d.now)
    out.append(render.request_text(view, d.now))
    return "\n".join(out)
