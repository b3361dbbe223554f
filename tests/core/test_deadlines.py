"""How terms are counted (Art. 6 para 4, Art. 7 paras 2, 4, 6); see ``ozara.core.deadlines``.

Expected instants are written in the body's local time, so the tests say what the rule
says ("the end of 2 March in Almaty") whatever the zone's UTC offset.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ozara.core.deadlines import (
    EXECUTION_DAYS,
    FORWARDING_DAYS,
    URGENT_CONFIRMATION,
    Deadline,
    DeadlineKind,
    confirmation_due,
    end_of_day_n,
    execution_due,
    extend_for_postponement,
    forwarding_due,
    require_utc,
)

ALMATY = ZoneInfo("Asia/Almaty")
MINSK = ZoneInfo("Europe/Minsk")
MOSCOW = ZoneInfo("Europe/Moscow")


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


def end_of(zone: ZoneInfo, year: int, month: int, day: int) -> datetime:
    """The instant a local day ends: the midnight that starts the next day."""
    return local(zone, year, month, day) + timedelta(days=1)


# --- Art. 7 para 2: 30 days from receipt ------------------------------------------


def test_art7_para2_thirty_days_across_february_in_a_common_year() -> None:
    """Received 31 January 10:00 Almaty: day 0; due at the end of 2 March, Almaty time."""
    received = local(ALMATY, 2025, 1, 31, 10, 0)
    due = execution_due(received, ALMATY, None)
    assert EXECUTION_DAYS == 30
    assert due == end_of(ALMATY, 2025, 3, 2)
    assert due.astimezone(ALMATY) == local(ALMATY, 2025, 3, 3, 0, 0)
    assert due.tzinfo is UTC


def test_art7_para2_thirty_days_across_february_in_a_leap_year() -> None:
    received = local(ALMATY, 2024, 1, 31, 10, 0)
    assert execution_due(received, ALMATY, None) == end_of(ALMATY, 2024, 3, 1)


def test_art7_para2_thirty_days_across_a_year_end() -> None:
    received = local(MOSCOW, 2024, 12, 15, 18, 0)
    assert execution_due(received, MOSCOW, None) == end_of(MOSCOW, 2025, 1, 14)


@pytest.mark.parametrize("hour", [0, 9, 23])
def test_art7_para2_the_hour_of_receipt_does_not_matter(hour: int) -> None:
    received = local(ALMATY, 2025, 1, 31, hour, 0)
    assert execution_due(received, ALMATY, None) == end_of(ALMATY, 2025, 3, 2)


def test_art7_para2_day_of_receipt_is_the_receiving_body_local_day() -> None:
    """20:30 UTC on 31 March is 1 April 01:30 in Almaty but still 31 March 23:30 in Minsk."""
    received = datetime(2025, 3, 31, 20, 30, tzinfo=UTC)
    assert received.astimezone(ALMATY).day == 1
    assert received.astimezone(MINSK).day == 31
    almaty_due = execution_due(received, ALMATY, None)
    minsk_due = execution_due(received, MINSK, None)
    assert almaty_due == end_of(ALMATY, 2025, 5, 1)
    assert minsk_due == end_of(MINSK, 2025, 4, 30)
    assert almaty_due - minsk_due == timedelta(hours=22)  # a local day later, 2 h further east


def test_art7_para2_after_22_30_utc_both_capitals_are_on_the_next_day() -> None:
    received = datetime(2025, 3, 31, 22, 30, tzinfo=UTC)
    assert execution_due(received, ALMATY, None) == end_of(ALMATY, 2025, 5, 1)
    assert execution_due(received, MINSK, None) == end_of(MINSK, 2025, 5, 1)


@pytest.mark.parametrize(("days", "last_day"), [(1, (2025, 2, 1)), (45, (2025, 3, 17))])
def test_art7_para2_an_agreed_term_replaces_the_thirty_days(
    days: int, last_day: tuple[int, int, int]
) -> None:
    received = local(ALMATY, 2025, 1, 31, 10, 0)
    assert execution_due(received, ALMATY, days) == end_of(ALMATY, *last_day)


def test_end_of_day_n_zero_is_the_end_of_the_day_of_receipt() -> None:
    received = local(MINSK, 2025, 6, 1, 12, 0)
    assert end_of_day_n(received, 0, MINSK) == end_of(MINSK, 2025, 6, 1)


# --- Art. 7 para 4: forwarding within 3 days ----------------------------------------


def test_art7_para4_forwarding_within_three_days() -> None:
    received = local(MOSCOW, 2025, 2, 27, 16, 0)
    assert FORWARDING_DAYS == 3
    assert forwarding_due(received, MOSCOW) == end_of(MOSCOW, 2025, 3, 2)
    leap = local(MOSCOW, 2024, 2, 27, 16, 0)
    assert forwarding_due(leap, MOSCOW) == end_of(MOSCOW, 2024, 3, 1)


# --- Art. 6 para 4: urgent confirmation within 72 hours ---------------------------


def test_art6_para4_confirmation_is_due_exactly_72_hours_after_transmission() -> None:
    sent = local(ALMATY, 2025, 3, 1, 23, 10)
    due = confirmation_due(sent)
    assert timedelta(hours=72) == URGENT_CONFIRMATION
    assert due - sent == timedelta(hours=72)
    assert due == datetime(2025, 3, 4, 18, 10, tzinfo=UTC)  # 23:10 +05:00 is 18:10 UTC
    assert due.tzinfo is UTC


def test_art6_para4_confirmation_is_counted_in_hours_not_local_days() -> None:
    """Late evening sending gets no extra day, unlike the Art. 7 terms."""
    sent = local(ALMATY, 2025, 3, 1, 23, 59)
    assert confirmation_due(sent) < end_of(ALMATY, 2025, 3, 4)


# --- Art. 7 para 6: postponement stops the clock ----------------------------------

DUE = datetime(2025, 3, 2, 19, 0, tzinfo=UTC)
POSTPONED = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("paused", "days_added"),
    [
        (timedelta(0), 0),
        (timedelta(seconds=1), 1),
        (timedelta(hours=23, minutes=59), 1),
        (timedelta(days=1), 1),
        (timedelta(days=1, seconds=1), 2),
        (timedelta(days=9, hours=12), 10),
        (timedelta(days=10), 10),
    ],
)
def test_art7_para6_postponement_extends_by_whole_days_rounded_up(
    paused: timedelta, days_added: int
) -> None:
    assert extend_for_postponement(DUE, POSTPONED, POSTPONED + paused) == DUE + timedelta(
        days=days_added
    )


def test_art7_para6_resuming_before_postponing_never_shortens_the_term() -> None:
    assert extend_for_postponement(DUE, POSTPONED, POSTPONED - timedelta(days=2)) == DUE


# --- the boundary instant -----------------------------------------------------------


def test_deadline_is_due_until_its_instant_and_overdue_from_it() -> None:
    deadline = Deadline(DeadlineKind.EXECUTION, end_of(ALMATY, 2025, 3, 2))
    last_second = local(ALMATY, 2025, 3, 2, 23, 59, 59)
    assert not deadline.is_overdue(last_second)
    assert not deadline.is_overdue(deadline.due_at - timedelta(microseconds=1))
    assert deadline.is_overdue(deadline.due_at)
    assert deadline.is_overdue(local(ALMATY, 2025, 3, 3, 0, 0))
    assert deadline.remaining(deadline.due_at) == timedelta(0)


def test_urgent_confirmation_is_overdue_at_exactly_72_hours() -> None:
    sent = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    deadline = Deadline(DeadlineKind.URGENT_CONFIRMATION, confirmation_due(sent))
    assert not deadline.is_overdue(sent + timedelta(hours=72) - timedelta(seconds=1))
    assert deadline.is_overdue(sent + timedelta(hours=72))


def test_a_met_or_paused_deadline_is_never_overdue() -> None:
    due = datetime(2025, 3, 1, tzinfo=UTC)
    later = due + timedelta(days=100)
    assert not Deadline(DeadlineKind.EXECUTION, due, met_at=later).is_overdue(later)
    assert not Deadline(DeadlineKind.EXECUTION, due, paused_at=due).is_overdue(later)
    assert not Deadline(DeadlineKind.EXECUTION, due, met_at=later).is_open()


def test_is_overdue_compares_instants_not_wall_clocks() -> None:
    deadline = Deadline(DeadlineKind.FORWARDING, datetime(2025, 3, 1, 19, 0, tzinfo=UTC))
    assert deadline.is_overdue(local(ALMATY, 2025, 3, 2, 0, 0))  # = 19:00 UTC
    assert not deadline.is_overdue(local(MINSK, 2025, 3, 1, 21, 59))  # = 18:59 UTC


@pytest.mark.parametrize(
    ("kind", "article"),
    [
        (DeadlineKind.EXECUTION, "Art. 7 para 2"),
        (DeadlineKind.FORWARDING, "Art. 7 para 4"),
        (DeadlineKind.URGENT_CONFIRMATION, "Art. 6 para 4"),
    ],
)
def test_each_deadline_kind_cites_its_article(kind: DeadlineKind, article: str) -> None:
    assert kind.article == article


def test_describe_shows_the_last_local_minute() -> None:
    deadline = Deadline(DeadlineKind.EXECUTION, end_of(ALMATY, 2025, 3, 2))
    now = local(ALMATY, 2025, 2, 27, 12, 0)
    assert deadline.describe(ALMATY, now) == "2025-03-02 23:59 Asia/Almaty (in 3 days)"
    assert deadline.describe(ALMATY, deadline.due_at + timedelta(days=2, hours=1)).endswith(
        "(overdue by 2 days)"
    )
    assert deadline.describe(ALMATY, deadline.due_at - timedelta(hours=5)).endswith("(in 5 hours)")


# --- naive datetimes are a programming error ----------------------------------------

NAIVE = datetime(2025, 3, 1, 12, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: require_utc(NAIVE),
        lambda: execution_due(NAIVE, ALMATY, None),
        lambda: forwarding_due(NAIVE, ALMATY),
        lambda: confirmation_due(NAIVE),
        lambda: extend_for_postponement(DUE, NAIVE, DUE),
        lambda: Deadline(DeadlineKind.EXECUTION, DUE).is_overdue(NAIVE),
    ],
    ids=["require_utc", "execution", "forwarding", "confirmation", "postponement", "overdue"],
)
def test_naive_datetime_is_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        call()


def test_require_utc_converts_any_aware_datetime() -> None:
    plus_five = timezone(timedelta(hours=5))
    assert require_utc(datetime(2025, 3, 1, 5, 0, tzinfo=plus_five)) == datetime(
        2025, 3, 1, 0, 0, tzinfo=UTC
    )
    assert require_utc(datetime(2025, 3, 1, 5, 0, tzinfo=plus_five)).tzinfo is UTC


def test_a_deadline_closed_after_it_ran_out_shows_as_late_not_met() -> None:
    """A missed term stays visible after the request is closed (Art. 6 para 4, Art. 7)."""
    zone = ZoneInfo("Asia/Almaty")
    due = datetime(2026, 1, 1, tzinfo=UTC)
    late = Deadline(DeadlineKind.URGENT_CONFIRMATION, due, met_at=due + timedelta(days=2))
    on_time = Deadline(DeadlineKind.URGENT_CONFIRMATION, due, met_at=due - timedelta(hours=1))
    assert late.describe(zone, due + timedelta(days=5)).endswith("(closed late by 2 days)")
    assert on_time.describe(zone, due + timedelta(days=5)).endswith("(met)")
