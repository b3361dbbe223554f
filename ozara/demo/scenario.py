"""The demo scenario: requests between the six Parties through every branch of Art. 6–9,
then information exchange (Art. 5 para 1, 10), a seminar (Art. 5 para 4) and a coordinated
operation (Art. 5 para 3).

It runs on the seven-node federation of ``federation.py`` (a simulated clock: deadlines
are days long), each action taken on the node of the officer's body through the same
services the CLI uses; every document it causes is delivered over HTTP and applied on the
other side before the next step. It returns a printable timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ozara.cli import render
from ozara.core.lifecycle import Action, Command
from ozara.core.parties import CompetentBody, Party
from ozara.core.rules import ProtocolError
from ozara.demo import information, operations, training
from ozara.demo.federation import Federation, Node
from ozara.federation import broadcast_designation
from ozara.federation.statistics import organization_figures, send_report
from ozara.seed import officers_for
from ozara.services import requests as svc
from ozara.services.node import add_officer
from ozara.store.repository import NotFound
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
    fed: Federation
    lines: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)

    @property
    def now(self) -> datetime:
        return self.fed.clock.now

    @now.setter
    def now(self, value: datetime) -> None:
        self.fed.clock.now = value

    def say(self, text: str) -> None:
        self.lines.append(text)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def node(self, who: str) -> Node:
        return self.fed.node_of(who.split(".", maxsplit=1)[0].upper())

    def create(self, who: str, document: dict[str, Any], title: str) -> str:
        with SqlUnitOfWork(self.node(who).engine) as uow:
            rid = svc.create_request(uow, document, who, self.now)
        self.requests.append(rid)
        self.say(f"\n== {rid}: {title}")
        self.line(who, "request:created", "Art. 6 para 1")
        return rid

    def act(self, rid: str, who: str, action: Action, **kw: Any) -> None:
        node = self.node(who)
        with SqlUnitOfWork(node.engine) as uow:
            svc.act(uow, rid, Command(action, **kw), who, self.now, node.peers)
            last = uow.events.for_request(rid)[-1]
        self.line(who, last.name, ", ".join(last.articles), kw.get("text"))
        self.show_hops()

    def show_hops(self, first: str | None = None) -> None:
        """Deliver and show what moved; documents of type ``first`` are shown first (an
        action that reached the lead's node before the update it caused went out)."""
        hops = self.fed.pump()
        for hop in sorted(hops, key=lambda h: h.type != first) if first else hops:
            self.say(
                f"{'':<39}⇢ {hop.type} {hop.sender} → {hop.recipient}: {hop.delivery}"
                f"{', receipt verified' if hop.delivery == 'delivered' else ''}; {hop.processing}"
            )

    def attempt(self, rid: str, who: str, action: Action, **kw: Any) -> None:
        """An action the Protocol forbids: show the refusal, with its article."""
        try:
            self.act(rid, who, action, **kw)
        except ProtocolError as e:
            self.refused(who, action.value, e)
        else:  # pragma: no cover - the scenario is built so that this cannot happen
            raise AssertionError(f"{action} by {who} should have been refused")

    def refused(self, who: str, what: str, error: ProtocolError) -> None:
        for v in error.violations:
            self.say(f"   {self._stamp(who)}  REFUSED {what} by {who}: {v.message} ({v.article})")

    def _stamp(self, who: str) -> str:
        body_id = who.split(".", maxsplit=1)[0].upper()
        with SqlUnitOfWork(self.node(who).engine) as uow:
            zone = render.zone_of(uow.registry.registry(), body_id)
        return f"{render.local(self.now, zone):<33}"

    def line(self, who: str, name: str, articles: str, text: str | None = None) -> None:
        suffix = f" — {text}" if text else ""
        self.say(f"   {self._stamp(who)}  {name:<28} {who:<20} [{articles}]{suffix}")


def run(fed: Federation) -> Demo:
    """Play the scenario on the running federation (its clock starts at ``START``)."""
    d = Demo(fed)

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

    # 8. The Secretariat designates a new Kyrgyz body (Art. 4) and broadcasts it to every
    #    Party's node; requests can be addressed to it from that moment, not before.
    d.now = START + timedelta(days=21)
    designate_and_use(d)

    # 9. Information exchange (Art. 5 para 1) under purpose limitation (Art. 10).
    d.now = START + timedelta(days=25)
    d.records = information.play(d)

    # 10. Training (Art. 5 para 4): a seminar announced, nominations, held a month later.
    d.now = START + timedelta(days=26)
    training.play(d)

    # 11. A coordinated operation (Art. 5 para 3) of three Parties against the phishing
    #     network of the first stories, linking their requests; closed with a signed summary.
    d.now = START + timedelta(days=28)
    operations.play(d)

    # The end of the story: two months after it began, the seminar held and the operation
    # closed. Each Party node reports its figures (aggregates only) to the Secretariat's
    # node, whose pages draw the whole picture.
    d.now = START + timedelta(days=60)
    for node in d.fed.nodes.values():
        if node.party is not None:
            with SqlUnitOfWork(node.engine) as uow:
                send_report(uow, d.now, keys=node.keys, trust=node.trust.state)
    d.fed.pump()
    return d


GKNB = CompetentBody(
    "KGZ-GKNB",
    Party.KYRGYZSTAN,
    "Государственный комитет национальной безопасности Кыргызской Республики",
    "State Committee for National Security of the Kyrgyz Republic",
    "Asia/Bishkek",
    START + timedelta(days=21, hours=2),
)


def designate_and_use(d: Demo) -> None:
    document = _doc(
        "TJK-MVD",
        "KGZ-GKNB",
        "Установить организаторов незаконного майнинга",
        "ст. 304 УК Республики Таджикистан",
    )
    d.say("\n== KGZ-GKNB: a new competent body, designated through the Secretariat (Art. 4)")
    try:
        d.create("tjk-mvd.officer", document, "refused: not designated yet")
    except ProtocolError as e:
        d.refused("tjk-mvd.officer", "a request to KGZ-GKNB", e)
    d.advance(hours=2)
    sec = d.fed.nodes["CSTO-SEC"]
    with SqlUnitOfWork(sec.engine) as uow:
        broadcast_designation(
            uow, GKNB, "csto.secretariat", d.now, keys=sec.keys, trust=sec.trust.state
        )
    stamp = f"{d.now:%Y-%m-%d %H:%M} UTC"
    d.say(f"   {stamp:<33}  {'registry:designated':<28} {'csto.secretariat':<20} [Art. 4]")
    d.show_hops()
    kgz = d.fed.nodes["KGZ-NODE"]
    for officer in officers_for(GKNB):
        add_officer(kgz.engine, officer, d.now, by="kgz-node.admin")
    d.advance(hours=1)
    rid = d.create("tjk-mvd.officer", document, "Tajikistan asks the newly designated body")
    d.act(rid, "tjk-mvd.head", Action.SIGN)
    d.act(rid, "tjk-mvd.officer", Action.SEND)
    d.advance(hours=5)
    d.act(rid, "kgz-gknb.officer", Action.RECEIVE)


def report(d: Demo) -> str:
    """The timeline, each node's deadlines, both copies of each request, the documents."""
    fed = d.fed
    out = [
        "Ozara demo — seven nodes on localhost, each with its own database and keys:",
        *(
            f"   {n.node_id:<9} {n.url:<24} {n.party.value if n.party else 'CSTO':<5} "
            f"{', '.join(n.bodies) or '(the Secretariat: registry and trust list)'}"
            for n in fed.nodes.values()
        ),
        f"Simulated clock from {START:%Y-%m-%d %H:%M} UTC to {d.now:%Y-%m-%d %H:%M} UTC;",
        "each line shows the local time of the body acting, and under it (⇢) every document",
        "the action sent: from which node to which, its delivery, and what the receiver did.",
        *d.lines,
        "",
        f"== Deadlines on {d.now:%Y-%m-%d %H:%M} UTC, by the body that must act, local time",
    ]
    for node in fed.nodes.values():
        with SqlUnitOfWork(node.engine) as uow:
            due = svc.deadlines(uow, d.now, soon=timedelta(days=40))
        mine = [item for item in due if item.body_id in node.bodies]
        if mine:
            out.append(render.due_text(mine))
    out += ["", "== Each request on both nodes (state, version)"]
    for rid in d.requests:
        copies = []
        for node in fed.nodes.values():
            with SqlUnitOfWork(node.engine) as uow:
                try:
                    r = uow.requests.get(rid)
                except NotFound:
                    continue
            copies.append(f"{node.node_id} {r.state.value} v{r.version}")
        out.append(f"   {rid:<24} " + "  =  ".join(copies))
    with SqlUnitOfWork(fed.nodes["CSTO-SEC"].engine) as uow:
        whole = organization_figures(uow)
    if whole is not None:
        fig = whole.figures
        median = fig.median_execution_days
        out += [
            "",
            f"== Figures at the Secretariat's node, from the reports of {len(whole.reports)} "
            "Party nodes (aggregates only, no case)",
            "   requests by pair: "
            + ", ".join(f"{a.value}→{b.value} {n}" for (a, b), n in sorted(fig.pairs.items())),
            f"   executed: {len(fig.execution_days)}, median "
            + ("-" if median is None else f"{median:.1f} days")
            + "; refusals: "
            + ", ".join(f"{p.value} {n}" for p, n in sorted(fig.refusals.items())),
        ]
    delivered = sum(h.delivery == "delivered" for h in fed.hops)
    applied = sum(h.processing.startswith(("applied", "unchanged")) for h in fed.hops)
    out += [
        "",
        f"== Documents: {len(fed.hops)} sent, {delivered} delivered with a verified receipt, "
        f"{applied} applied by their recipient",
        "",
        "== One request in full, as the Kazakh node holds it (ozara request show)",
    ]
    with SqlUnitOfWork(fed.nodes["KAZ-NODE"].engine) as uow:
        view = svc.show(uow, d.requests[0], "kaz-mvd.officer", d.now)
    out.append(render.request_text(view, d.now))
    return "\n".join(out)
