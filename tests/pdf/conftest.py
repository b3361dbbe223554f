"""A request of KAZ-MVD to RUS-MVD taken through the lifecycle, and PDF text extraction.

The documents are checked the way a reader meets them: as the text pypdf extracts from
the bytes, so a glyph missing from the font or a line cut off at a page end shows up.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from ozara import seed
from ozara.core.events import RequestEvent
from ozara.core.lifecycle import Action, Command, Context, new_request, transition
from ozara.core.parties import Officer, Registry
from ozara.core.requests import parse_request
from ozara.core.treaty import TreatyStatus
from tests.core.conftest import T0, all_officers, request_document

REQUEST_ID = "KAZ-MVD-2025-00001"


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, as a reader (and a search index) extracts it."""
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return "\n".join(pdf_pages(data))


def flat(text: str) -> str:
    """Whitespace collapsed: a wrapped line reads as the sentence it was."""
    return " ".join(text.split())


class Story:
    """Drives one request through the lifecycle, an hour a step, keeping every event."""

    def __init__(self, **overrides: Any) -> None:
        self.registry = Registry.of(seed.BODIES)
        self.context = Context(
            self.registry, TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS)
        )
        self.officers = all_officers()
        self.now = T0
        content = parse_request(request_document(**overrides))
        self.request = new_request(REQUEST_ID, content, self.officers["kaz-mvd.officer"], T0)
        self.events: list[RequestEvent] = []

    def officer(self, officer_id: str) -> Officer:
        return self.officers[officer_id]

    def act(self, officer_id: str, action: Action, text: str = "", **kw: Any) -> RequestEvent:
        self.now += timedelta(hours=1)
        result = transition(
            self.request,
            Command(action, text=text, **kw),
            self.officers[officer_id],
            self.context,
            self.now,
        )
        self.request = result.request
        self.events.extend(result.events)
        return result.events[-1]

    def run(self, steps: Sequence[tuple[str, Action]]) -> None:
        for officer_id, action in steps:
            self.act(officer_id, action)

    def signed(self) -> Story:
        self.act("kaz-mvd.head", Action.SIGN)
        return self

    def received(self) -> Story:
        self.signed().run([("kaz-mvd.officer", Action.SEND), ("rus-mvd.officer", Action.RECEIVE)])
        return self

    @property
    def signed_at(self) -> datetime:
        assert self.request.signed_at is not None
        return self.request.signed_at


@pytest.fixture
def story() -> Story:
    return Story()
