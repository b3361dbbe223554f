"""The demo's second story: information exchanged under Art. 5 para 1 and Art. 10.

Kazakhstan's MVD shares what it knows of a phishing organiser with Russia and Kyrgyzstan:
his name in Cyrillic and Latin, a telephone, an address range, a wallet. Russia finds him
by a third spelling of his name, reads the record for the investigation, is refused for
training until the provider consents, and may not pass the record on. A stamped state
secret never enters the system. The provider revokes, and the record closes everywhere.
Each step runs on the acting body's node; each document it causes is shown with its route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ozara.core.parties import Party
from ozara.core.records import Purpose
from ozara.core.rules import ProtocolError
from ozara.federation.records import FederatedRecordPeers
from ozara.services import records as records_svc
from ozara.services import search as search_svc
from ozara.store.uow import SqlUnitOfWork

if TYPE_CHECKING:
    from ozara.demo.scenario import Demo

INVESTIGATION, TRAINING = Purpose.INVESTIGATION, Purpose.TRAINING


def person_record() -> dict[str, Any]:
    return {
        "kind": "person",
        "title": "Организатор фишинговых рассылок от имени банков",
        "summary": "Рассылает письма от имени банков второго уровня, выводит средства "
        "через криптовалютные кошельки. Действует с территории нескольких Сторон.",
        "crime_category": "c",
        "legal_qualification": "ст. 190 ч. 4 УК Республики Казахстан",
        "handling": {
            "purposes": ["investigation", "detection"],
            "confidentiality": "official_use",
            "onward_sharing": False,
        },
        "persons": [
            {
                "kind": "natural",
                "names": ["Ахметов Кайрат Нурланович", "Kairat Nurlanovich Akhmetov"],
                "birth_date": "1991-04-12",
                "citizenship": ["KAZ"],
                "identifiers": [
                    {"kind": "phone", "value": "8 (701) 555-12-34"},
                    {"kind": "handle", "value": "telegram:@kairat_pay"},
                ],
                "role": "организатор",
            }
        ],
        "identifiers": [
            {"kind": "ip_range", "value": "203.0.113.0/24"},
            {"kind": "domain", "value": "halyk-bank-login.example"},
            {"kind": "wallet", "value": "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"},
        ],
        "reference": "KZ-2026-0417",
    }


def _peers(d: Demo, who: str) -> FederatedRecordPeers:
    node = d.node(who)
    return FederatedRecordPeers(node.keys, node.trust)


def _line(d: Demo, who: str, name: str, article: str, text: str = "") -> None:
    d.line(who, name, article, text or None)


def play(d: Demo) -> list[str]:
    """Run the story; returns the record ids it made (for the report)."""
    kaz = "kaz-mvd.officer"
    d.say("\n== Information exchange (Art. 5 para 1) under purpose limitation (Art. 10)")
    with SqlUnitOfWork(d.node(kaz).engine) as uow:
        rid = records_svc.create_record(uow, person_record(), kaz, d.now)
    _line(d, kaz, "record:created", "Art. 5 para 1", f"record {rid[:8]}")

    secret = person_record() | {"summary": "СЕКРЕТНО\nЭкз. № 1\nСведения об источнике ..."}
    try:
        with SqlUnitOfWork(d.node(kaz).engine) as uow:
            records_svc.create_record(uow, secret, kaz, d.now)
    except ProtocolError as e:
        d.refused(kaz, "a record stamped secret", e)

    with SqlUnitOfWork(d.node(kaz).engine) as uow:
        records_svc.share_record(
            uow, rid, [Party.RUSSIA, Party.KYRGYZSTAN], kaz, d.now, _peers(d, kaz)
        )
    _line(d, kaz, "record:shared", "Art. 10 para 2", "with RUS and KGZ")
    d.show_hops()

    _find_and_read(d, rid)
    _consent(d, rid)
    _revoke(d, rid)
    return [rid]


def _find_and_read(d: Demo, rid: str) -> None:
    rus = "rus-mvd.officer"
    d.advance(hours=2)
    with SqlUnitOfWork(d.node(rus).engine) as uow:
        found = search_svc.find(uow, rus, "Qairat Akhmetov", INVESTIGATION, d.now)
    best = found.persons[0] if found.persons else None
    hit = f"{' / '.join(best.names)} ({best.score:.2f})" if best and best.readable else "none"
    _line(d, rus, "record:searched", "Art. 10 para 2", f"'Qairat Akhmetov' → {hit}")
    with SqlUnitOfWork(d.node(rus).engine) as uow:
        view = records_svc.read_record(uow, rid, rus, INVESTIGATION, d.now, case="RU-2026-118")
    phones = [i.value for i in view.content.all_identifiers() if i.kind.value == "phone"]
    _line(d, rus, "record:read", "Art. 10 para 2", f"for investigation; phone {phones[0]}")
    try:
        with SqlUnitOfWork(d.node(rus).engine) as uow:
            records_svc.read_record(uow, rid, rus, TRAINING, d.now)
    except ProtocolError as e:
        d.refused(rus, "reading for training", e)


def _consent(d: Demo, rid: str) -> None:
    kaz, rus = "kaz-mvd.officer", "rus-mvd.officer"
    with SqlUnitOfWork(d.node(rus).engine) as uow:
        cid = records_svc.ask_consent(
            uow, rid, TRAINING, "Учебный курс по фишинговым схемам для следователей",
            rus, d.now, _peers(d, rus),
        )  # fmt: skip
    _line(d, rus, "record_consent:asked", "Art. 10 para 2", "to use it for training")
    d.show_hops()

    d.advance(hours=20)
    with SqlUnitOfWork(d.node(kaz).engine) as uow:
        records_svc.answer_consent(
            uow, cid, True, "Согласны при обезличивании", "kaz-mvd.head", d.now, _peers(d, kaz)
        )
    _line(d, "kaz-mvd.head", "record_consent:granted", "Art. 10 para 2")
    d.show_hops()
    with SqlUnitOfWork(d.node(rus).engine) as uow:
        records_svc.read_record(uow, rid, rus, TRAINING, d.now)
    _line(d, rus, "record:read", "Art. 10 para 2", "for training, with the provider's consent")
    try:
        with SqlUnitOfWork(d.node(rus).engine) as uow:
            records_svc.share_record(uow, rid, [Party.BELARUS], rus, d.now, _peers(d, rus))
    except ProtocolError as e:
        d.refused(rus, "passing it on to BLR", e)


def _revoke(d: Demo, rid: str) -> None:
    kaz, rus = "kaz-mvd.officer", "rus-mvd.officer"
    d.advance(days=3)
    with SqlUnitOfWork(d.node(kaz).engine) as uow:
        records_svc.revoke_record(uow, rid, "Лицо установлено ошибочно", kaz, d.now, _peers(d, kaz))
    _line(d, kaz, "record:revoked", "Art. 10 para 2", "everywhere it was shared")
    d.show_hops()
    try:
        with SqlUnitOfWork(d.node(rus).engine) as uow:
            records_svc.read_record(uow, rid, rus, INVESTIGATION, d.now)
    except ProtocolError as e:
        d.refused(rus, "reading the revoked record", e)
