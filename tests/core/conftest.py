"""Fixtures for the pure domain core: the seed world, a valid request, and a driver.

The world is ``ozara.seed``: seven competent bodies of the six Parties, the treaty
notifications (Art. 16) and, per body, an officer, a head (signatory) and a liaison.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ozara import seed
from ozara.core.lifecycle import Command, Context, Request, new_request, transition
from ozara.core.parties import Officer, Registry
from ozara.core.requests import RequestContent, parse_request
from ozara.core.treaty import TreatyStatus

#: A moment when every seed body is designated and every Party is bound.
T0 = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)

Step = tuple[str, Command]
Drive = Callable[..., Request]


def all_officers() -> dict[str, Officer]:
    officers = {o.id: o for body in seed.BODIES for o in seed.officers_for(body)}
    officers[seed.SECRETARIAT_OFFICER.id] = seed.SECRETARIAT_OFFICER
    officers[seed.AUDITOR.id] = seed.AUDITOR
    return officers


def request_document(**overrides: Any) -> dict[str, Any]:
    """A complete request of KAZ-MVD to RUS-MVD, as its JSON form (Art. 3, Art. 6 para 2)."""
    doc: dict[str, Any] = {
        "requesting_body": "KAZ-MVD",
        "requested_body": "RUS-MVD",
        "purpose": "Identify the operators of a phishing domain",
        "justification": "Criminal case No. 123 opened under Art. 190 of the Criminal Code",
        "substance": "Phishing pages imitating a bank collected card data of 300 victims",
        "assistance": {
            "items": [
                {
                    "kind": "operational_search_measure",
                    "description": "Establish the subscriber behind IP 198.51.100.7",
                },
                {"kind": "procedural_action", "description": "Question the hosting provider"},
            ],
            "text": "",
        },
        "execution_terms": "Within the term of Art. 7 para 2",
        "other_information": "",
        "crime_category": "c",
        "legal_qualification": "Criminal Code of the Republic of Kazakhstan, Art. 190 part 4",
        "urgent": False,
        "urgent_grounds": "",
        "agreed_term_days": None,
        "attachments": [
            {
                "filename": "screenshots.zip",
                "size": 1024,
                "sha256": "a" * 64,
                "media_type": "application/zip",
            }
        ],
        "reference": "KZ-2025-001",
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def t0() -> datetime:
    """The default clock start: every seed body designated, every Party bound."""
    return T0


@pytest.fixture
def make_document() -> Callable[..., dict[str, Any]]:
    """``make_document(**overrides)``: a valid request document with some fields replaced."""
    return request_document


@pytest.fixture
def registry() -> Registry:
    return Registry.of(seed.BODIES)


@pytest.fixture
def treaty() -> TreatyStatus:
    return TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS)


@pytest.fixture
def context(registry: Registry, treaty: TreatyStatus) -> Context:
    return Context(registry, treaty)


@pytest.fixture
def officers() -> dict[str, Officer]:
    """Every demo officer by id: ``kaz-mvd.officer``, ``kaz-mvd.head``, ``kaz-mvd.liaison``..."""
    return all_officers()


@pytest.fixture
def document() -> dict[str, Any]:
    """A fresh, valid request document; tests may mutate it."""
    return copy.deepcopy(request_document())


@pytest.fixture
def content(document: dict[str, Any]) -> RequestContent:
    return parse_request(document)


@pytest.fixture
def make_request(officers: dict[str, Officer]) -> Callable[..., Request]:
    """A draft created by the requesting body's officer at ``T0`` (or ``at``)."""

    def make(content: RequestContent | None = None, at: datetime = T0, **overrides: Any) -> Request:
        content = content or parse_request(request_document(**overrides))
        creator = officers[f"{content.requesting_body.lower()}.officer"]
        return new_request("REQ-1", content, creator, at)

    return make


class Driver:
    """Applies (officer id, command) steps, one hour apart unless told otherwise.

    Keeps every transition's events and the clock, so scenario tests read as a story.
    """

    def __init__(self, context: Context, officers: dict[str, Officer], start: datetime) -> None:
        self.context = context
        self.officers = officers
        self.now = start
        self.events: list[Any] = []

    def __call__(
        self,
        request: Request,
        steps: Sequence[Step],
        *,
        every: timedelta = timedelta(hours=1),
    ) -> Request:
        for officer_id, command in steps:
            self.now += every
            result = transition(request, command, self.officers[officer_id], self.context, self.now)
            self.events.extend(result.events)
            request = result.request
        return request

    def step(self, request: Request, officer_id: str, command: Command, at: datetime) -> Request:
        """One step at an exact instant."""
        self.now = at
        result = transition(request, command, self.officers[officer_id], self.context, at)
        self.events.extend(result.events)
        return result.request


@pytest.fixture
def drive(context: Context, officers: dict[str, Officer]) -> Driver:
    """``drive(request, [(officer_id, Command), ...])`` -> the request after all steps."""
    return Driver(context, officers, T0)
