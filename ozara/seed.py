"""A starting registry for a new node and for the demo: one or two bodies per Party.

The bodies are the kinds of body each Party designates (interior ministries' cyber-crime
units, a security service); the treaty dates are illustrative, not the depositary's
record, and a real node replaces them with the Secretariat's broadcast (Art. 4, 16).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from ozara.core.parties import CompetentBody, Officer, Party, Role
from ozara.core.treaty import NotificationKind, TreatyNotification

DESIGNATED_FROM = datetime(2017, 1, 1, tzinfo=UTC)


def _body(body_id: str, party: Party, name_ru: str, name_en: str, zone: str) -> CompetentBody:
    return CompetentBody(body_id, party, name_ru, name_en, zone, DESIGNATED_FROM)


BODIES: tuple[CompetentBody, ...] = (
    _body(
        "ARM-POLICE",
        Party.ARMENIA,
        "Управление по борьбе с высокотехнологичными преступлениями Полиции Республики Армения",
        "High-Tech Crime Department, Police of the Republic of Armenia",
        "Asia/Yerevan",
    ),
    _body(
        "BLR-MVD",
        Party.BELARUS,
        "Главное управление по противодействию киберпреступности МВД Республики Беларусь",
        "Main Directorate for Countering Cybercrime, Ministry of Internal Affairs of Belarus",
        "Europe/Minsk",
    ),
    _body(
        "KAZ-MVD",
        Party.KAZAKHSTAN,
        "Управление по противодействию киберпреступности МВД Республики Казахстан",
        "Cybercrime Directorate, Ministry of Internal Affairs of Kazakhstan",
        "Asia/Almaty",
    ),
    _body(
        "KGZ-MVD",
        Party.KYRGYZSTAN,
        "Служба по борьбе с киберпреступностью МВД Кыргызской Республики",
        "Cybercrime Service, Ministry of Internal Affairs of the Kyrgyz Republic",
        "Asia/Bishkek",
    ),
    _body(
        "RUS-MVD",
        Party.RUSSIA,
        "Управление по организации борьбы с противоправным использованием ИКТ МВД России",
        "Directorate against the Illegal Use of ICT, Ministry of Internal Affairs of Russia",
        "Europe/Moscow",
    ),
    _body(
        "RUS-FSB",
        Party.RUSSIA,
        "Центр информационной безопасности ФСБ России",
        "Information Security Centre, Federal Security Service of Russia",
        "Europe/Moscow",
    ),
    _body(
        "TJK-MVD",
        Party.TAJIKISTAN,
        "Управление по борьбе с киберпреступностью МВД Республики Таджикистан",
        "Cybercrime Directorate, Ministry of Internal Affairs of Tajikistan",
        "Asia/Dushanbe",
    ),
)

#: Illustrative dates: the fourth notification (Armenia's) brings the Protocol into force
#: for the first four on 2016-11-02; Kyrgyzstan and Tajikistan join later (Art. 16).
TREATY_NOTIFICATIONS: tuple[TreatyNotification, ...] = (
    TreatyNotification(Party.KAZAKHSTAN, NotificationKind.RATIFICATION, date(2015, 12, 28)),
    TreatyNotification(Party.RUSSIA, NotificationKind.RATIFICATION, date(2016, 3, 14)),
    TreatyNotification(Party.BELARUS, NotificationKind.RATIFICATION, date(2016, 7, 5)),
    TreatyNotification(Party.ARMENIA, NotificationKind.RATIFICATION, date(2016, 11, 2)),
    TreatyNotification(Party.KYRGYZSTAN, NotificationKind.RATIFICATION, date(2017, 4, 20)),
    TreatyNotification(Party.TAJIKISTAN, NotificationKind.RATIFICATION, date(2018, 2, 9)),
)


def officers_for(body: CompetentBody) -> tuple[Officer, ...]:
    """An officer, a head (signatory) and a liaison for a body, for the demo and tests."""
    prefix = body.id.lower()
    return (
        Officer(
            f"{prefix}.officer",
            f"Officer of {body.id}",
            body.id,
            frozenset({Role.OFFICER}),
            "senior operative officer",
        ),
        Officer(
            f"{prefix}.head",
            f"Head of {body.id}",
            body.id,
            frozenset({Role.SIGNATORY, Role.OFFICER}),
            "head of directorate",
        ),
        Officer(
            f"{prefix}.liaison",
            f"Liaison of {body.id}",
            body.id,
            frozenset({Role.LIAISON}),
            "liaison officer",
        ),
    )


SECRETARIAT_OFFICER = Officer(
    "csto.secretariat",
    "CSTO Secretariat duty officer",
    None,
    frozenset({Role.SECRETARIAT}),
    "adviser",
)
AUDITOR = Officer("auditor", "Node auditor", None, frozenset({Role.AUDITOR}), "auditor")
