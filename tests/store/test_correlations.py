"""Correlation's tables and lookups (issue 8), on SQLite and PostgreSQL: the queue, the
index lookups for identifiers, ranges, domains and files, and links written exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event

from ozara.core.correlation import (
    DOMAIN_PARENT,
    FILE,
    Evidence,
    MatchKind,
    Subject,
    SubjectType,
    Term,
    link_key,
)
from ozara.store import correlations as store
from ozara.store import db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def rec(name: str) -> Subject:
    return Subject(SubjectType.RECORD, name)


def req(name: str) -> Subject:
    return Subject(SubjectType.REQUEST, name)


@pytest.fixture
def store_db(engine: Engine) -> Engine:
    db.upgrade(engine)
    return engine


def put(engine: Engine, subject: Subject, *terms: tuple[str, str]) -> list[Term]:
    written = [Term(kind, value, "identifiers") for kind, value in terms]
    with engine.begin() as conn:
        store.replace_terms(conn, subject, written)
    return written


def matches(engine: Engine, subject: Subject, terms: list[Term]) -> set[tuple[str, str, str, str]]:
    with engine.connect() as conn:
        return {
            (str(other), e.kind.value, e.value_a, e.value_b)
            for other, e in store.term_matches(conn, subject, terms)
        }


def test_the_queue_keeps_a_job_until_it_is_done(store_db: Engine) -> None:
    with store_db.begin() as conn:
        store.add_job(conn, rec("a"), NOW)
        store.add_job(conn, req("b"), NOW)
    with store_db.begin() as conn:
        first, second = store.pending_jobs(conn, 10)
        assert (first.subject, second.subject) == (rec("a"), req("b"))
        store.fail_jobs(conn, [first.id], "boom")
        store.finish_jobs(conn, [second.id], NOW)
    with store_db.begin() as conn:
        [again] = store.pending_jobs(conn, 10)
        assert (again.id, again.attempts) == (first.id, 1)
        for _ in range(store.MAX_ATTEMPTS):
            store.fail_jobs(conn, [first.id], "boom")
    with store_db.connect() as conn:
        assert store.pending_jobs(conn, 10) == []
        assert store.queue_counts(conn) == (0, 1)


def test_identifiers_files_and_addresses_in_ranges_are_found_by_index(store_db: Engine) -> None:
    put(store_db, rec("r1"), ("email", "a@example.kz"), ("ip_range", "203.0.113.0/24"))
    put(store_db, rec("r2"), ("ip", "198.51.100.9"), ("ip_range", "198.51.100.0/28"))
    put(store_db, req("q1"), (FILE, "ab" * 32))
    mine = put(
        store_db, req("q2"),
        ("email", "a@example.kz"), ("ip", "203.0.113.200"), ("ip_range", "198.51.100.0/24"),
        (FILE, "ab" * 32), ("ip", "192.0.2.1"),
    )  # fmt: skip
    assert matches(store_db, req("q2"), mine) == {
        ("record:r1", "identifier", "a@example.kz", "a@example.kz"),
        ("record:r1", "in_range", "203.0.113.200", "203.0.113.0/24"),
        ("record:r2", "in_range", "198.51.100.0/24", "198.51.100.9"),
        ("record:r2", "in_range", "198.51.100.0/24", "198.51.100.0/28"),
        ("request:q1", "identifier", "ab" * 32, "ab" * 32),
    }


def test_a_very_wide_range_says_nothing_and_a_wide_one_is_capped(store_db: Engine) -> None:
    for n in range(store.CAP + 5):
        put(store_db, rec(f"r{n:04}"), ("ip", f"10.0.{n // 250}.{n % 250}"))
    assert matches(store_db, req("q"), put(store_db, req("q"), ("ip_range", "0.0.0.0/0"))) == set()
    found = matches(store_db, req("q"), put(store_db, req("q"), ("ip_range", "10.0.0.0/8")))
    assert len(found) == store.CAP


def test_domains_match_their_sub_domains_either_way_round(store_db: Engine) -> None:
    put(store_db, rec("parent"), ("domain", "example.kz"))
    child = put(
        store_db, rec("child"), ("domain", "a.b.example.kz"),
        (DOMAIN_PARENT, "b.example.kz"), (DOMAIN_PARENT, "example.kz"),
    )  # fmt: skip
    assert matches(store_db, rec("child"), child) == {
        ("record:parent", "subdomain", "a.b.example.kz", "example.kz")
    }
    parent = put(store_db, rec("parent"), ("domain", "example.kz"))
    assert matches(store_db, rec("parent"), parent) == {
        ("record:child", "subdomain", "example.kz", "a.b.example.kz")
    }
    other = put(store_db, rec("other"), ("domain", "notexample.kz"))
    assert matches(store_db, rec("other"), other) == set()


def test_the_sub_domains_of_a_domain_are_read_in_one_capped_statement(
    store_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "CAP", 3)
    for n in range(5):
        put(store_db, rec(f"c{n}"), ("domain", f"x{n}.example.kz"), (DOMAIN_PARENT, "example.kz"))
    parent = put(store_db, rec("parent"), ("domain", "example.kz"))
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(store_db, "before_cursor_execute", seen)
    try:
        found = matches(store_db, rec("parent"), parent)
    finally:
        event.remove(store_db, "before_cursor_execute", seen)
    # The first CAP in subject order; the holders in one statement, their names in one more
    # (not one per subject).
    assert found == {
        (f"record:c{n}", "subdomain", "example.kz", f"x{n}.example.kz") for n in range(3)
    }
    assert len([s for s in statements if "correlation_terms" in s]) == 2


def test_a_value_held_by_too_many_subjects_links_nothing_and_is_said_so(
    store_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "TOO_COMMON", 3)
    for n in range(3):
        put(store_db, rec(f"r{n}"), ("domain", "popular.kz"), ("wallet", f"w{n}"))
    mine = put(store_db, rec("mine"), ("domain", "popular.kz"), ("wallet", "w0"))
    with store_db.connect() as conn:
        looked = store.lookup(conn, rec("mine"), mine)
    assert looked.too_common == ()  # three others: not more than TOO_COMMON
    assert len(looked.found) == 4
    put(store_db, rec("r3"), ("domain", "popular.kz"))
    with store_db.connect() as conn:
        looked = store.lookup(conn, rec("mine"), mine)
    assert looked.too_common == (("domain", "popular.kz"),)
    assert {(str(o), e.value_a) for o, e in looked.found} == {("record:r0", "w0")}


def test_common_infrastructure_stored_before_it_was_listed_is_not_looked_up(
    store_db: Engine,
) -> None:
    put(store_db, rec("old"), ("domain", "t.me"), ("ip", "8.8.8.8"), ("domain", "m.vk.com"))
    mine = put(store_db, rec("new"), ("domain", "t.me"), ("ip", "8.8.8.8"), ("domain", "vk.com"))
    assert matches(store_db, rec("new"), mine) == set()


def test_links_are_written_once_kept_updated_and_removed(store_db: Engine) -> None:
    a, b, c = rec("a"), req("b"), rec("c")
    email = Evidence(MatchKind.IDENTIFIER, "substance", "x@y.kz", "identifiers", "x@y.kz", 1.0)
    with store_db.begin() as conn:
        assert len(store.write_links(conn, b, [(a, email), (c, email)], NOW).new) == 2
    later = NOW + timedelta(hours=1)
    with store_db.begin() as conn:
        # Found again from the other side: the same link, turned, first finding kept.
        assert store.write_links(conn, a, [(b, email.swapped())], later) == store.LinkChanges()
        [link] = store.links_of(conn, a)
        assert (link.key.a, link.key.b, link.found_at) == (a, b, NOW)
        assert link.evidence == (email.swapped(),) and link.other(a) == b
    phone = Evidence(MatchKind.IDENTIFIER, "substance", "+77011234567", "identifiers",
                     "+77011234567", 1.0)  # fmt: skip
    with store_db.begin() as conn:
        changes = store.write_links(conn, b, [(a, email), (a, phone)], later)
        assert changes == store.LinkChanges(gone=(link_key(b, c, MatchKind.IDENTIFIER),))
        links = store.links_of(conn, b)
    assert [str(link.other(b)) for link in links] == ["record:a"]
    assert len(links[0].evidence) == 2 and links[0].found_at == NOW
    with store_db.begin() as conn:
        store.forget_links(conn, a)
        assert store.links_of(conn, b) == []
