"""One view of what is due: request deadlines, operation tasks, training events (issue 6).

The calendar gathers dated entries from every form of cooperation and writes them as an
iCalendar file (RFC 5545) an officer can load into a desktop calendar. That file leaves the
node, so an entry's ``title`` names only the kind, the reference and the article; the case
content (a task's text, an operation's name) is in ``detail``, shown on the node's own pages
and never exported (Art. 10 para 1: confidentiality under national law).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ozara.core.deadlines import require_utc

__all__ = ["Entry", "EntryKind", "by_day", "kind_label", "to_ical"]


class EntryKind(enum.StrEnum):
    EXECUTION = "execution"  # Art. 7 para 2: 30 days to execute
    FORWARDING = "forwarding"  # Art. 7 para 4: 3 days to forward
    URGENT_CONFIRMATION = "urgent_confirmation"  # Art. 6 para 4: 72 hours to confirm
    OPERATION_TASK = "operation_task"  # Art. 5 para 3
    OPERATION_PERIOD = "operation_period"  # Art. 5 para 3
    TRAINING_EVENT = "training_event"  # Art. 5 para 4
    NOMINATION_DEADLINE = "nomination_deadline"  # Art. 5 para 4

    @property
    def article(self) -> str:
        return _ARTICLES[self]


_ARTICLES = {
    EntryKind.EXECUTION: "Art. 7 para 2",
    EntryKind.FORWARDING: "Art. 7 para 4",
    EntryKind.URGENT_CONFIRMATION: "Art. 6 para 4",
    EntryKind.OPERATION_TASK: "Art. 5 para 3",
    EntryKind.OPERATION_PERIOD: "Art. 5 para 3",
    EntryKind.TRAINING_EVENT: "Art. 5 para 4",
    EntryKind.NOMINATION_DEADLINE: "Art. 5 para 4",
}

#: The kinds' names in the three languages of the system (Art. 13: Russian first).
_LABELS: dict[EntryKind, dict[str, str]] = {
    EntryKind.EXECUTION: {
        "ru": "Срок исполнения запроса",
        "kk": "Сұрауды орындау мерзімі",
        "en": "Execution of the request due",
    },
    EntryKind.FORWARDING: {
        "ru": "Срок передачи запроса",
        "kk": "Сұрауды беру мерзімі",
        "en": "Forwarding of the request due",
    },
    EntryKind.URGENT_CONFIRMATION: {
        "ru": "Срок письменного подтверждения срочного запроса",
        "kk": "Шұғыл сұрауды жазбаша растау мерзімі",
        "en": "Written confirmation of the urgent request due",
    },
    EntryKind.OPERATION_TASK: {
        "ru": "Срок задачи операции",
        "kk": "Операция тапсырмасының мерзімі",
        "en": "Operation task due",
    },
    EntryKind.OPERATION_PERIOD: {
        "ru": "Период скоординированной операции",
        "kk": "Үйлестірілген операция кезеңі",
        "en": "Coordinated operation period",
    },
    EntryKind.TRAINING_EVENT: {
        "ru": "Мероприятие по подготовке кадров",
        "kk": "Кадрларды даярлау іс-шарасы",
        "en": "Training event",
    },
    EntryKind.NOMINATION_DEADLINE: {
        "ru": "Срок выдвижения кандидатов",
        "kk": "Үміткерлерді ұсыну мерзімі",
        "en": "Nominations close",
    },
}


def kind_label(kind: EntryKind, lang: str) -> str:
    labels = _LABELS[kind]
    return labels.get(lang, labels["en"])


@dataclass(frozen=True, slots=True)
class Entry:
    """One dated thing to do or attend.

    ``start`` is an instant (a deadline, UTC) or a day (a task's due date, an event's first
    day); ``end`` is the last day of a span of days, inclusive. ``ref`` is the reference an
    officer can quote (a request id, ``operation/task``); ``path`` the node's page for it.
    ``body_id`` is the body that must act, or hosts; ``detail`` stays on the node.
    """

    kind: EntryKind
    ref: str
    start: datetime | date
    body_id: str
    path: str
    end: date | None = None
    detail: str = ""
    done: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.start, datetime):
            require_utc(self.start)
            if self.end is not None:
                raise ValueError("a deadline (an instant) has no end day")
        elif self.end is not None and self.end < self.start:
            raise ValueError("an entry cannot end before it starts")

    @property
    def day(self) -> date:
        return self.start.date() if isinstance(self.start, datetime) else self.start

    @property
    def last_day(self) -> date:
        return self.end or self.day

    def is_overdue(self, now: datetime) -> bool:
        """A deadline past its instant, a task past its day; a span of days is never overdue."""
        if self.done or self.kind in _SPANS:
            return False
        if isinstance(self.start, datetime):
            return self.start <= now
        return self.start < now.date()

    @property
    def uid(self) -> str:
        # Stable across exports, so a calendar program updates an entry instead of adding one.
        return f"{self.kind.value}.{self.ref}@ozara"

    def title(self, lang: str) -> str:
        return f"{kind_label(self.kind, lang)}: {self.ref} ({self.kind.article})"


_SPANS = frozenset({EntryKind.OPERATION_PERIOD, EntryKind.TRAINING_EVENT})


def by_day(entries: Iterable[Entry]) -> list[tuple[date, list[Entry]]]:
    """The entries in order of their day, then instant, then reference; grouped by day."""
    ordered = sorted(entries, key=_order)
    days: list[tuple[date, list[Entry]]] = []
    for entry in ordered:
        if days and days[-1][0] == entry.day:
            days[-1][1].append(entry)
        else:
            days.append((entry.day, [entry]))
    return days


def _order(entry: Entry) -> tuple[date, datetime, str, str]:
    start = entry.start
    instant = start if isinstance(start, datetime) else datetime(1, 1, 1, tzinfo=UTC)
    return entry.day, instant, entry.kind.value, entry.ref


#: Reminders: a deadline a day before (and at the time), a day-entry in the morning before.
_ALARMS = {True: ("-P1D", "PT0S"), False: ("-PT15H",)}


def to_ical(
    entries: Sequence[Entry], *, now: datetime, lang: str = "ru", base_url: str = ""
) -> str:
    """The entries as an RFC 5545 calendar (CRLF lines folded at 75 octets), titles only."""
    now = require_utc(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Ozara//CSTO Protocol 2014 calendar//" + lang.upper(),
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + _text(_CALENDAR_NAME.get(lang, _CALENDAR_NAME["en"])),
    ]
    for entry in sorted(entries, key=_order):
        lines += _event(entry, now, lang, base_url)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


_CALENDAR_NAME = {"ru": "Озара: сроки", "kk": "Озара: мерзімдер", "en": "Ozara: what is due"}


def _event(entry: Entry, now: datetime, lang: str, base_url: str) -> list[str]:
    title = entry.title(lang)
    lines = ["BEGIN:VEVENT", f"UID:{_text(entry.uid)}", f"DTSTAMP:{_instant(now)}"]
    if isinstance(entry.start, datetime):
        lines += [f"DTSTART:{_instant(entry.start)}", f"DTEND:{_instant(entry.start)}"]
    else:
        after = entry.last_day + timedelta(days=1)  # DTEND of a day span is exclusive
        lines += [f"DTSTART;VALUE=DATE:{_day(entry.start)}", f"DTEND;VALUE=DATE:{_day(after)}"]
    lines += [f"SUMMARY:{_text(title)}", f"CATEGORIES:{_text(entry.kind.article)}"]
    if base_url:
        lines.append(f"URL:{base_url.rstrip('/')}{entry.path}")
    # A done or overdue entry rings no more: the officer already knows.
    if not entry.done and not entry.is_overdue(now):
        for trigger in _ALARMS[isinstance(entry.start, datetime)]:
            lines += [
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"TRIGGER:{trigger}",
                f"DESCRIPTION:{_text(title)}",
                "END:VALARM",
            ]
    lines.append("END:VEVENT")
    return lines


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(day: date) -> str:
    return day.strftime("%Y%m%d")


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    escaped = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return escaped.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1) without splitting a UTF-8 sequence."""
    out: list[str] = []
    current = ""
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        # Continuation lines start with a space, which counts towards their 75 octets.
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)
