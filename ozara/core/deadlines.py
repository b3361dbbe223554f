"""Deadlines of Art. 6 para 4 and Art. 7, and how they are counted.

How "within N days of receipt" is counted (Art. 7 paras 2 and 4), applied everywhere:

* Days are calendar days. The Protocol names no working days, so weekends and public
  holidays do not extend a term.
* The day of receipt is day 0; the term runs out at the end of day N, i.e. at local
  midnight that starts day N + 1, in the time zone of the body that received the request
  (its own calendar decides what "the day of receipt" is). This is the rule of the civil
  codes of all six Parties (a term fixed in days begins on the day after the event).
  So a request received on 31 January 10:00 in Almaty must be executed by the end of
  2 March (in a non-leap year), 23:59:59 Almaty time.
* A request stays due at that instant; it is overdue from that instant on.
* The urgent confirmation of Art. 6 para 4 ("within 3 days", 72 hours) is counted in
  hours from the moment of transmission, not in calendar days: it is a term about
  communications, and the two bodies may be in different time zones.
* A postponement (Art. 7 para 6) stops the execution clock: on resumption the execution
  term is extended by the whole days the request was postponed (rounded up), since
  the requested Party cannot be late for work it was entitled to defer.

All instants are stored in UTC; they are shown in the body's local time.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: Art. 7 para 2.
EXECUTION_DAYS = 30
#: Art. 7 para 4.
FORWARDING_DAYS = 3
#: Art. 6 para 4: "within 3 days" (тәулік: periods of 24 hours).
URGENT_CONFIRMATION = timedelta(hours=72)
#: What counts as "due soon" in listings.
DUE_SOON = timedelta(days=5)


class DeadlineKind(enum.StrEnum):
    EXECUTION = "execution"  # Art. 7 para 2
    FORWARDING = "forwarding"  # Art. 7 para 4
    URGENT_CONFIRMATION = "urgent_confirmation"  # Art. 6 para 4

    @property
    def article(self) -> str:
        return {
            DeadlineKind.EXECUTION: "Art. 7 para 2",
            DeadlineKind.FORWARDING: "Art. 7 para 4",
            DeadlineKind.URGENT_CONFIRMATION: "Art. 6 para 4",
        }[self]


def require_utc(moment: datetime) -> datetime:
    """The core accepts aware datetimes only; naive ones are a programming error."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: the core needs an aware datetime")
    return moment.astimezone(UTC)


def end_of_day_n(received_at: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The instant a term of ``days`` calendar days from ``received_at`` runs out (UTC)."""
    local_day = require_utc(received_at).astimezone(zone).date()
    last_day = local_day + timedelta(days=days)
    # Local midnight at the start of the day after the last day; fold=0 settles a DST gap.
    boundary = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
    return boundary.astimezone(UTC)


def execution_due(received_at: datetime, zone: ZoneInfo, agreed_days: int | None) -> datetime:
    return end_of_day_n(received_at, agreed_days or EXECUTION_DAYS, zone)


def forwarding_due(received_at: datetime, zone: ZoneInfo) -> datetime:
    return end_of_day_n(received_at, FORWARDING_DAYS, zone)


def confirmation_due(transmitted_at: datetime) -> datetime:
    return require_utc(transmitted_at) + URGENT_CONFIRMATION


def extend_for_postponement(
    due: datetime, postponed_at: datetime, resumed_at: datetime, zone: ZoneInfo | None = None
) -> datetime:
    """Art. 7 para 6: the clock stops while postponed; whole days are added on resumption.

    With ``zone``, the days are calendar days of that zone: a term that ran out at local
    midnight still runs out at local midnight, across a change of the zone's UTC offset.
    """
    paused = require_utc(resumed_at) - require_utc(postponed_at)
    days = max(0, math.ceil(paused / timedelta(days=1)))
    if zone is None:
        return require_utc(due) + timedelta(days=days)
    local = require_utc(due).astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Deadline:
    kind: DeadlineKind
    due_at: datetime  # UTC
    #: Set once the act the deadline asks for is done (forwarded, executed, confirmed).
    met_at: datetime | None = None
    #: Set while the clock is stopped (postponement).
    paused_at: datetime | None = None

    def is_open(self) -> bool:
        return self.met_at is None

    def is_overdue(self, now: datetime) -> bool:
        return self.met_at is None and self.paused_at is None and require_utc(now) >= self.due_at

    def remaining(self, now: datetime) -> timedelta:
        return self.due_at - require_utc(now)

    def local_due(self, zone: ZoneInfo) -> datetime:
        return self.due_at.astimezone(zone)

    def last_minute(self, zone: ZoneInfo) -> datetime:
        """What to show as "due by": the last minute of the last day for a term in days,
        the exact instant for the 72 hours of Art. 6 para 4."""
        local = self.local_due(zone)
        if self.kind is DeadlineKind.URGENT_CONFIRMATION:
            return local
        return local - timedelta(minutes=1)

    def describe(self, zone: ZoneInfo, now: datetime) -> str:
        """A human line: '2025-03-02 23:59 Asia/Almaty (in 3 days)' or '(overdue by 2 days)'."""
        when = f"{self.last_minute(zone):%Y-%m-%d %H:%M} {zone.key}"
        if self.met_at is not None:
            if self.met_at > self.due_at:
                # Closed after it ran out: a missed term stays visible (Art. 6 para 4, 7).
                return f"{when} (closed late by {_span(self.met_at - self.due_at)})"
            return f"{when} (met)"
        if self.paused_at is not None:
            return f"{when} (paused)"
        left = self.remaining(now)
        return f"{when} ({_humanize(left)})"


def _span(span: timedelta) -> str:
    if span >= timedelta(days=1):
        return f"{span.days} day{'s' if span.days != 1 else ''}"
    hours = int(span.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _humanize(left: timedelta) -> str:
    if left < timedelta(0):
        return f"overdue by {_span(-left)}"
    return f"in {_span(left)}"
