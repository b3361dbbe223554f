"""The values of the cooperation on a request (Art. 8, 11, 12): what the core decides on.

A request's ``Cooperation`` holds every participation request (Art. 8), consultation
(Art. 11) and cost proposal (Art. 12) with its answer. It is changed only by the request's
cooperation actions (``ozara.core.cooperation``), kept with the request in its stored
JSON form (``ozara.core.cooperation_forms``), and read by the pages and the documents.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from ozara.core.events import Side


class Status(enum.StrEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"  # participation
    REFUSED = "refused"
    ACCEPTED = "accepted"  # costs
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Representative:
    name: str
    post: str
    body: str


@dataclass(frozen=True, slots=True)
class Participation:
    """A request that representatives of the requesting body take part (Art. 8)."""

    number: int
    representatives: tuple[Representative, ...]
    date_from: date
    date_to: date
    actions: tuple[str, ...]
    proposed_by: str
    proposed_at: datetime
    note: str = ""
    status: Status = Status.PROPOSED
    #: The names the requested body agreed to (all of them, or some).
    agreed: tuple[str, ...] = ()
    answered_by: str | None = None
    answered_at: datetime | None = None
    reasons: str = ""
    #: Who actually took part: None until recorded, then a subset of ``agreed``.
    took_part: tuple[str, ...] | None = None
    recorded_by: str | None = None
    recorded_at: datetime | None = None

    def agreed_representatives(self) -> tuple[Representative, ...]:
        return tuple(r for r in self.representatives if r.name in self.agreed)


@dataclass(frozen=True, slots=True)
class Consultation:
    """Consultations and negotiations held on the request or a disagreement (Art. 11)."""

    number: int
    bodies: tuple[str, ...]
    persons: tuple[str, ...]
    held_on: date
    subject: str
    outcome: str
    recorded_by: str
    body_id: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class CostShare:
    borne_by: Side
    what: str
    amount: str | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class CostProposal:
    """Costs borne otherwise than each Party its own, agreed for this case (Art. 12)."""

    number: int
    side: Side  # the side that proposed; the other one answers
    shares: tuple[CostShare, ...]
    description: str
    proposed_by: str
    proposed_at: datetime
    status: Status = Status.PROPOSED
    answered_by: str | None = None
    answered_at: datetime | None = None
    reasons: str = ""


@dataclass(frozen=True, slots=True)
class Cooperation:
    participations: tuple[Participation, ...] = ()
    consultations: tuple[Consultation, ...] = ()
    costs: tuple[CostProposal, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.participations or self.consultations or self.costs)

    def participation(self, number: int) -> Participation | None:
        return next((p for p in self.participations if p.number == number), None)

    def cost_proposal(self, number: int) -> CostProposal | None:
        return next((c for c in self.costs if c.number == number), None)

    def costs_in_force(self) -> CostProposal | None:
        """The last accepted agreement; None: each Party bears its own costs (Art. 12)."""
        accepted = [c for c in self.costs if c.status is Status.ACCEPTED]
        return accepted[-1] if accepted else None

    def agreed_representatives(self) -> tuple[Representative, ...]:
        return tuple(r for p in self.participations for r in p.agreed_representatives())
