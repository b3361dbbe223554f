"""The calendar's entries and its iCalendar form, read back by an independent parser."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest

from ozara.core.calendar import Entry, EntryKind, by_day, kind_label, to_ical

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def deadline(ref: str, due: datetime, kind: EntryKind = EntryKind.EXECUTION) -> Entry:
    return Entry(kind, ref, due, "RUS-MVD", f"/requests/{ref}")


def task(ref: str, due: date, detail: str = "") -> Entry:
    return Entry(EntryKind.OPERATION_TASK, ref, due, "KAZ-MVD", "/operations/x", detail=detail)


def test_overdue_is_past_the_instant_for_deadlines_and_past_the_day_for_tasks() -> None:
    assert deadline("R1", NOW).is_overdue(NOW)
    assert not deadline("R1", NOW + timedelta(seconds=1)).is_overdue(NOW)
    assert not task("T1", NOW.date()).is_overdue(NOW)  # due today: still in time
    assert task("T1", NOW.date() - timedelta(days=1)).is_overdue(NOW)
    assert not Entry(
        EntryKind.OPERATION_TASK, "T1", date(2026, 1, 1), "KAZ-MVD", "/", done=True
    ).is_overdue(NOW)
    period = Entry(
        EntryKind.OPERATION_PERIOD, "OP", date(2026, 1, 1), "KAZ-MVD", "/", end=date(2026, 1, 2)
    )
    assert not period.is_overdue(NOW)  # a span is attended, not owed


def test_an_entry_refuses_a_naive_instant_and_an_end_before_its_start() -> None:
    with pytest.raises(ValueError, match="naive"):
        Entry(EntryKind.EXECUTION, "R", datetime(2026, 3, 2, 9), "B", "/")
    with pytest.raises(ValueError, match="end before"):
        Entry(EntryKind.TRAINING_EVENT, "E", date(2026, 3, 2), "B", "/", end=date(2026, 3, 1))
    with pytest.raises(ValueError, match="no end"):
        Entry(EntryKind.EXECUTION, "R", NOW, "B", "/", end=date(2026, 3, 3))


def test_by_day_groups_in_order() -> None:
    later = deadline("R2", NOW + timedelta(days=1, hours=3))
    early = deadline("R1", NOW + timedelta(days=1))
    today = task("T1", NOW.date())
    days = by_day([later, today, early])
    assert [d for d, _ in days] == [NOW.date(), NOW.date() + timedelta(days=1)]
    assert [e.ref for e in days[1][1]] == ["R1", "R2"]


def test_labels_in_three_languages_and_english_for_an_unknown_one() -> None:
    assert kind_label(EntryKind.EXECUTION, "ru") == "Срок исполнения запроса"
    assert kind_label(EntryKind.EXECUTION, "kk") == "Сұрауды орындау мерзімі"
    assert kind_label(EntryKind.EXECUTION, "de") == "Execution of the request due"
    for kind in EntryKind:
        assert kind.article.startswith("Art. ")


def parse(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text)


def test_the_export_reads_back_with_its_events_times_and_alarms() -> None:
    due = NOW + timedelta(days=3)
    period = Entry(
        EntryKind.OPERATION_PERIOD, "OP-1", date(2026, 3, 10), "KAZ-MVD", "/operations/OP-1",
        end=date(2026, 3, 12), detail="Operation Phishnet",
    )  # fmt: skip
    text = to_ical(
        [period, deadline("KAZ-2026-0001", due)], now=NOW, base_url="https://node.example/"
    )
    events = parse(text).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [
        "execution.KAZ-2026-0001@ozara",
        "operation_period.OP-1@ozara",
    ]
    first, second = events
    assert first.decoded("DTSTART") == due
    assert str(first["SUMMARY"]) == "Срок исполнения запроса: KAZ-2026-0001 (Art. 7 para 2)"
    assert str(first["URL"]) == "https://node.example/requests/KAZ-2026-0001"
    triggers = [a.decoded("TRIGGER") for a in first.walk("VALARM")]
    assert triggers == [timedelta(days=-1), timedelta(0)]
    # A span of days: DTEND is the day after the last (RFC 5545 3.6.1).
    assert second.decoded("DTSTART") == date(2026, 3, 10)
    assert second.decoded("DTEND") == date(2026, 3, 13)


def test_the_export_carries_no_case_content() -> None:
    secret = "Surveillance of Akhmetov, phone +77011234567"
    text = to_ical([task("OP-1/t1", date(2026, 3, 3), detail=secret)], now=NOW)
    assert "Akhmetov" not in text
    assert "77011234567" not in text
    assert "OP-1/t1" in text


def test_an_overdue_entry_rings_no_alarm() -> None:
    text = to_ical([deadline("R1", NOW - timedelta(hours=1))], now=NOW)
    (event,) = parse(text).walk("VEVENT")
    assert event.walk("VALARM") == []


def test_lines_are_crlf_folded_at_75_octets_without_splitting_a_letter() -> None:
    ref = "ҚАЗ-" + "Ө" * 60  # two octets a letter: the fold must fall between letters
    text = to_ical([deadline(ref, NOW + timedelta(days=1))], now=NOW, lang="kk")
    assert text.endswith("\r\n")
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    (event,) = parse(text).walk("VEVENT")
    assert ref in str(event["SUMMARY"])
    assert str(event["SUMMARY"]).startswith("Сұрауды орындау мерзімі")


def test_text_values_are_escaped() -> None:
    ref = "A,B;C\\D"
    text = to_ical([deadline(ref, NOW + timedelta(days=1))], now=NOW, lang="en")
    assert "A\\,B\\;C\\\\D" in text
    (event,) = parse(text).walk("VEVENT")
    assert ref in str(event["SUMMARY"])
