"""The notifications table (issue 8): one row per officer and pair either way round, rows
that outlive no link, marking read only one's own, and the mail outbox's bookkeeping."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, insert

from ozara.core.correlation import Subject
from ozara.store import notifications as store
from ozara.store import tables as t
from tests.conftest import Clock

A, B, C = (Subject.parse(s) for s in ("record:a", "request:b", "record:c"))
KAZ, HEAD = "kaz-mvd.officer", "kaz-mvd.head"


def new(
    officer: str, subject: Subject, other: Subject, mail: bool = False
) -> store.NewNotification:
    return store.NewNotification(officer, subject, other, "RUS-MVD", mail)


def link(node: Engine, clock: Clock, a: Subject, b: Subject) -> None:
    with node.begin() as conn:
        conn.execute(insert(t.correlations).values(
            subject_a=str(min(a, b)), subject_b=str(max(a, b)), kind="identifier", evidence=[],
            score=1.0, found_at=clock.now,
        ))  # fmt: skip


def test_one_row_per_officer_and_pair_either_way_round(node: Engine, clock: Clock) -> None:
    with node.begin() as conn:
        assert store.add(conn, [new(KAZ, A, B), new(KAZ, B, A), new(HEAD, A, B)], clock.now) == 2
        assert store.add(conn, [new(KAZ, B, A), new(KAZ, A, C)], clock.now) == 1
        assert store.unread_count(conn, KAZ) == 2 and store.unread_count(conn, HEAD) == 1
        [first, second] = store.of_officer(conn, KAZ, limit=10, offset=0)[::-1]
    assert (first.subject, first.other, first.other_body) == (A, B, "RUS-MVD")
    assert (second.subject, second.other, second.read_at) == (A, C, None)


def test_rows_of_a_pair_no_longer_linked_are_dropped(node: Engine, clock: Clock) -> None:
    link(node, clock, A, B)
    with node.begin() as conn:
        store.add(conn, [new(KAZ, A, B), new(KAZ, A, C), new(HEAD, C, A)], clock.now)
        assert store.forget_unlinked(conn, A) == 2  # A~C has no link; A~B stays
        [kept] = store.of_officer(conn, KAZ, limit=10, offset=0)
        assert (kept.subject, kept.other) == (A, B)
        assert store.total(conn, HEAD) == 0


def test_marking_read_touches_only_the_officers_own(node: Engine, clock: Clock) -> None:
    with node.begin() as conn:
        store.add(conn, [new(KAZ, A, B, mail=True), new(HEAD, A, B, mail=True)], clock.now)
        [theirs] = store.of_officer(conn, HEAD, limit=1, offset=0)
        assert store.mark_read(conn, KAZ, clock.now, [theirs.id]) == []
        assert store.mark_read(conn, KAZ, clock.now, []) == []
        assert len(store.mark_read(conn, KAZ, clock.now)) == 1
        assert store.unread_count(conn, KAZ) == 0 and store.unread_count(conn, HEAD) == 1
        assert store.mark_read(conn, KAZ, clock.now) == []
        # Read: no longer due for mail (the head's is).
        assert [b.officer_id for b in store.mail_due(conn, clock.now)] == [HEAD]


def test_the_mail_outbox(node: Engine, clock: Clock) -> None:
    with node.begin() as conn:
        store.set_email(conn, KAZ, "k@mvd.example.kz")
        store.add(conn, [new(KAZ, A, B, mail=True), new(KAZ, A, C, mail=True),
                         new(HEAD, A, B)], clock.now)  # fmt: skip
        [batch] = store.mail_due(conn, clock.now)
        assert (batch.officer_id, batch.email, batch.language, len(batch.ids)) == (
            KAZ, "k@mvd.example.kz", "ru", 2,
        )  # fmt: skip
        later = clock.now + timedelta(minutes=5)
        store.mail_failed(conn, batch.ids, "ConnectionRefusedError", later)
        assert store.mail_due(conn, clock.now) == []
        [again] = store.mail_due(conn, later)
        assert again.attempts == 1
        assert store.mail_counts(conn) == (2, 0)
        store.mail_sent(conn, again.ids, later)
        assert store.mail_counts(conn) == (0, 0) and store.mail_due(conn, later) == []
