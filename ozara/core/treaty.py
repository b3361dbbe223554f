"""Treaty status: who is bound by the Protocol on which date (Art. 16–18).

Art. 16: the Protocol enters into force on the day the depositary receives the fourth
notification of completed domestic procedures; for a Party that notifies later, on the
day of its own notification. Art. 18: a Party withdraws by written notice to the
Secretary General given no later than six months before the withdrawal date.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ozara.core.parties import Party
from ozara.core.rules import Decision, ProtocolError, violation

#: Art. 16: the number of notifications that brings the Protocol into force.
NOTIFICATIONS_FOR_ENTRY_INTO_FORCE = 4
#: Art. 18: the least time between a withdrawal notice and the withdrawal date.
WITHDRAWAL_NOTICE_MONTHS = 6


class NotificationKind(enum.StrEnum):
    RATIFICATION = "ratification"  # domestic procedures completed (Art. 16)
    WITHDRAWAL = "withdrawal"  # Art. 18


@dataclass(frozen=True, slots=True)
class TreatyNotification:
    party: Party
    kind: NotificationKind
    received_on: date
    #: For a withdrawal: the date it takes effect, as stated in the notice.
    effective_on: date | None = None


def add_months(day: date, months: int) -> date:
    """Calendar months; the 31 August plus six months is the last day of February."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def earliest_withdrawal(notice_received_on: date) -> date:
    return add_months(notice_received_on, WITHDRAWAL_NOTICE_MONTHS)


def check_withdrawal(notice: TreatyNotification) -> None:
    """Reject a withdrawal notice whose date is less than six months away (Art. 18)."""
    if notice.kind is not NotificationKind.WITHDRAWAL:
        return
    earliest = earliest_withdrawal(notice.received_on)
    if notice.effective_on is None or notice.effective_on < earliest:
        raise ProtocolError(
            [violation("effective_on", "art18.withdrawal", f"earliest possible date {earliest}")]
        )


@dataclass(frozen=True, slots=True)
class TreatyStatus:
    """Dates computed from the depositary's and Secretary General's notifications."""

    in_force_from: dict[Party, date]
    withdrawn_from: dict[Party, date]

    @classmethod
    def from_notifications(cls, notifications: Iterable[TreatyNotification]) -> TreatyStatus:
        ratified: dict[Party, date] = {}
        withdrawn: dict[Party, date] = {}
        for n in sorted(notifications, key=lambda n: n.received_on):
            if n.kind is NotificationKind.RATIFICATION:
                ratified.setdefault(n.party, n.received_on)
            else:
                check_withdrawal(n)
                assert n.effective_on is not None
                withdrawn.setdefault(n.party, n.effective_on)
        in_force: dict[Party, date] = {}
        ordered = sorted(ratified.items(), key=lambda kv: kv[1])
        if len(ordered) >= NOTIFICATIONS_FOR_ENTRY_INTO_FORCE:
            entry = ordered[NOTIFICATIONS_FOR_ENTRY_INTO_FORCE - 1][1]
            for party, notified in ordered:
                in_force[party] = max(entry, notified)
        return cls(in_force, withdrawn)

    @property
    def entry_into_force(self) -> date | None:
        return min(self.in_force_from.values(), default=None)

    def is_bound(self, party: Party, on: date) -> bool:
        start = self.in_force_from.get(party)
        if start is None or on < start:
            return False
        end = self.withdrawn_from.get(party)
        return end is None or on < end

    def check_pair(self, requesting: Party, requested: Party, on: date) -> Decision:
        """A request between Parties not both bound on that date is refused (Art. 16, 18)."""
        problems = [
            violation(
                f"{role}_party",
                "art16.in_force",
                f"{party.name_en} is not bound by the Protocol on {on.isoformat()}",
            )
            for role, party in (("requesting", requesting), ("requested", requested))
            if not self.is_bound(party, on)
        ]
        return Decision(not problems, ("art16.in_force", "art18.withdrawal"), tuple(problems))
