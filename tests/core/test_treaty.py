"""Treaty status: entry into force (Art. 16) and withdrawal (Art. 18)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ozara import seed
from ozara.core.parties import Party
from ozara.core.rules import ProtocolError
from ozara.core.treaty import (
    NOTIFICATIONS_FOR_ENTRY_INTO_FORCE,
    NotificationKind,
    TreatyNotification,
    TreatyStatus,
    add_months,
    check_withdrawal,
    earliest_withdrawal,
)

ARM, BLR, KAZ, KGZ, RUS, TJK = (
    Party.ARMENIA,
    Party.BELARUS,
    Party.KAZAKHSTAN,
    Party.KYRGYZSTAN,
    Party.RUSSIA,
    Party.TAJIKISTAN,
)


def ratified(party: Party, on: date) -> TreatyNotification:
    return TreatyNotification(party, NotificationKind.RATIFICATION, on)


def withdrawal(party: Party, received_on: date, effective_on: date | None) -> TreatyNotification:
    return TreatyNotification(party, NotificationKind.WITHDRAWAL, received_on, effective_on)


# --- Art. 16: entry into force ------------------------------------------------------


def test_art16_enters_into_force_on_the_fourth_notification() -> None:
    status = TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS)
    assert NOTIFICATIONS_FOR_ENTRY_INTO_FORCE == 4
    assert status.entry_into_force == date(2016, 11, 2)
    for party in (KAZ, RUS, BLR, ARM):
        assert status.in_force_from[party] == date(2016, 11, 2)


def test_art16_early_notifiers_are_not_bound_before_entry_into_force() -> None:
    """Kazakhstan notified first (2015-12-28) but is bound only from the 4th notification."""
    status = TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS)
    assert not status.is_bound(KAZ, date(2016, 11, 1))
    assert status.is_bound(KAZ, date(2016, 11, 2))


def test_art16_later_party_is_bound_from_its_own_notification() -> None:
    status = TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS)
    assert status.in_force_from[KGZ] == date(2017, 4, 20)
    assert status.in_force_from[TJK] == date(2018, 2, 9)
    assert not status.is_bound(TJK, date(2018, 2, 8))
    assert status.is_bound(TJK, date(2018, 2, 9))


def test_art16_fewer_than_four_notifications_bind_nobody() -> None:
    status = TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS[:3])
    assert status.entry_into_force is None
    assert status.in_force_from == {}
    for party in Party:
        assert not status.is_bound(party, date(2030, 1, 1))


def test_art16_notifications_are_ordered_by_date_not_by_arrival_in_the_list() -> None:
    status = TreatyStatus.from_notifications(reversed(seed.TREATY_NOTIFICATIONS))
    assert status.entry_into_force == date(2016, 11, 2)
    assert status.in_force_from[TJK] == date(2018, 2, 9)


def test_art16_a_repeated_notification_does_not_count_twice() -> None:
    day = date(2016, 1, 1)
    notes = [ratified(KAZ, day), ratified(KAZ, day + timedelta(1)), ratified(RUS, day)]
    notes += [ratified(BLR, day + timedelta(5))]
    assert TreatyStatus.from_notifications(notes).entry_into_force is None


def test_art16_never_notified_party_is_never_bound() -> None:
    status = TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS[:5])
    assert not status.is_bound(TJK, date(2030, 1, 1))


def test_art16_check_pair_names_the_unbound_side() -> None:
    status = TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS)
    decision = status.check_pair(KAZ, TJK, date(2017, 6, 1))
    assert not decision.allowed
    assert [v.field for v in decision.violations] == ["requested_party"]
    assert decision.articles == ("Art. 16", "Art. 18")
    assert status.check_pair(KAZ, TJK, date(2018, 2, 9)).allowed


# --- Art. 18: withdrawal ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 8, 31), 6, date(2026, 2, 28)),  # month end: no 31 February
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # ... and a leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 1, 15), 6, date(2025, 7, 15)),
        (date(2025, 7, 31), 6, date(2026, 1, 31)),  # across the year end
        (date(2025, 12, 31), 6, date(2026, 6, 30)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 5, 10), 0, date(2025, 5, 10)),
    ],
)
def test_art18_add_months_clamps_to_the_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_art18_earliest_withdrawal_is_six_calendar_months_after_the_notice() -> None:
    assert earliest_withdrawal(date(2025, 8, 31)) == date(2026, 2, 28)


def test_art18_notice_of_less_than_six_months_is_refused() -> None:
    notice = withdrawal(ARM, date(2025, 8, 31), date(2026, 2, 27))
    with pytest.raises(ProtocolError) as caught:
        check_withdrawal(notice)
    (v,) = caught.value.violations
    assert (v.field, v.rule, v.article) == ("effective_on", "art18.withdrawal", "Art. 18")
    assert "2026-02-28" in v.message


def test_art18_notice_of_exactly_six_months_is_accepted() -> None:
    check_withdrawal(withdrawal(ARM, date(2025, 8, 31), date(2026, 2, 28)))


def test_art18_withdrawal_without_a_date_is_refused() -> None:
    with pytest.raises(ProtocolError):
        check_withdrawal(withdrawal(ARM, date(2025, 1, 1), None))


def test_art18_short_notice_is_refused_when_building_the_status() -> None:
    notes = [*seed.TREATY_NOTIFICATIONS, withdrawal(ARM, date(2025, 1, 10), date(2025, 3, 1))]
    with pytest.raises(ProtocolError) as caught:
        TreatyStatus.from_notifications(notes)
    assert caught.value.violations[0].rule == "art18.withdrawal"


def test_art18_ratification_is_not_checked_as_a_withdrawal() -> None:
    check_withdrawal(ratified(ARM, date(2025, 1, 1)))


def test_art18_party_is_bound_until_the_day_before_its_withdrawal_date() -> None:
    notes = [*seed.TREATY_NOTIFICATIONS, withdrawal(ARM, date(2025, 1, 10), date(2025, 7, 10))]
    status = TreatyStatus.from_notifications(notes)
    assert status.withdrawn_from[ARM] == date(2025, 7, 10)
    assert status.is_bound(ARM, date(2025, 7, 9))
    assert not status.is_bound(ARM, date(2025, 7, 10))
    assert not status.is_bound(ARM, date(2030, 1, 1))
    assert status.is_bound(KAZ, date(2030, 1, 1)), "the others stay bound"
    decision = status.check_pair(KAZ, ARM, date(2025, 7, 10))
    assert [v.field for v in decision.violations] == ["requested_party"]
