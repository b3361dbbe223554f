"""Domain events: what happened to a request, with the article that allowed it.

Each event becomes an audit row in the same transaction (``subject:action``), and an
event that carries ``notify`` is a notice the other side must receive (Art. 7, 9).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ozara.core.rules import RULESET_VERSION


class Side(enum.StrEnum):
    REQUESTING = "requesting"
    REQUESTED = "requested"


@dataclass(frozen=True, slots=True)
class RequestEvent:
    request_id: str
    name: str  # e.g. "request:forwarded"
    at: datetime
    actor_id: str
    body_id: str | None
    state_from: str
    state_to: str
    articles: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)
    #: The side that must be informed of this event (Art. 7 paras 3, 4, 6; Art. 9 para 2).
    notify: Side | None = None
    ruleset: str = RULESET_VERSION

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "name": self.name,
            "at": self.at.isoformat(),
            "actor_id": self.actor_id,
            "body_id": self.body_id,
            "state_from": self.state_from,
            "state_to": self.state_to,
            "articles": list(self.articles),
            "details": self.details,
            "notify": self.notify.value if self.notify else None,
            "ruleset": self.ruleset,
        }
