"""Parties, their competent bodies and officers (Art. 1, 4).

A competent body is designated by its Party and notified to the Secretary General
(Art. 4); it carries the IANA time zone in which its deadlines are counted.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo


class Party(enum.StrEnum):
    """The six signatories, by ISO 3166-1 alpha-3 code."""

    ARMENIA = "ARM"
    BELARUS = "BLR"
    KAZAKHSTAN = "KAZ"
    KYRGYZSTAN = "KGZ"
    RUSSIA = "RUS"
    TAJIKISTAN = "TJK"

    @property
    def name_en(self) -> str:
        return _PARTY_NAMES[self][0]

    @property
    def name_ru(self) -> str:
        return _PARTY_NAMES[self][1]

    @property
    def capital_zone(self) -> str:
        return _PARTY_NAMES[self][2]


_PARTY_NAMES: dict[Party, tuple[str, str, str]] = {
    Party.ARMENIA: ("Republic of Armenia", "Республика Армения", "Asia/Yerevan"),
    Party.BELARUS: ("Republic of Belarus", "Республика Беларусь", "Europe/Minsk"),
    Party.KAZAKHSTAN: ("Republic of Kazakhstan", "Республика Казахстан", "Asia/Almaty"),
    Party.KYRGYZSTAN: ("Kyrgyz Republic", "Кыргызская Республика", "Asia/Bishkek"),
    Party.RUSSIA: ("Russian Federation", "Российская Федерация", "Europe/Moscow"),
    Party.TAJIKISTAN: ("Republic of Tajikistan", "Республика Таджикистан", "Asia/Dushanbe"),
}


class Role(enum.StrEnum):
    OFFICER = "officer"
    #: Head of a competent body or a deputy head: the only one who may sign (Art. 6 para 5).
    SIGNATORY = "signatory"
    LIAISON = "liaison"
    SECRETARIAT = "secretariat"
    AUDITOR = "auditor"


@dataclass(frozen=True, slots=True)
class CompetentBody:
    id: str
    party: Party
    name_ru: str
    name_en: str
    timezone: str
    designated_from: datetime
    designated_until: datetime | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_designated(self, at: datetime) -> bool:
        """Art. 4: only bodies designated at that moment take part in cooperation."""
        if at < self.designated_from:
            return False
        return self.designated_until is None or at < self.designated_until


@dataclass(frozen=True, slots=True)
class Officer:
    id: str
    name: str
    body_id: str | None  # None for the Secretariat's staff
    roles: frozenset[Role]
    post: str = ""

    def has(self, role: Role) -> bool:
        return role in self.roles


@dataclass(slots=True)
class Registry:
    """The bodies known to a node, as broadcast by the Secretariat (Art. 4)."""

    bodies: dict[str, CompetentBody] = field(default_factory=dict)

    @classmethod
    def of(cls, bodies: Iterable[CompetentBody]) -> Registry:
        return cls({b.id: b for b in bodies})

    def get(self, body_id: str) -> CompetentBody | None:
        return self.bodies.get(body_id)

    def designated(self, at: datetime, party: Party | None = None) -> list[CompetentBody]:
        return [
            b
            for b in self.bodies.values()
            if b.is_designated(at) and (party is None or b.party is party)
        ]
