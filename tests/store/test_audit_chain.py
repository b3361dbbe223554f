"""The audit log as a hash chain (issue 7), on SQLite and PostgreSQL.

Every action appends an entry chained to the one before; ``verify_chain`` names the first
entry that was altered, removed or moved, and a signed checkpoint catches a rewrite that
recomputed every hash after it. Extracts verify offline against the node's public key.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, bindparam, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from ozara.core.audit import GENESIS, Problem
from ozara.core.lifecycle import Action
from ozara.crypto import DEFAULT_SUITE_ID
from ozara.documents import NodeKeys, generate_node_keys
from ozara.documents.fields import format_time
from ozara.services.node import demo_officers, init_node
from ozara.store import audit as store_audit
from ozara.store import audit_context, audit_pg, audit_split, db
from ozara.store import tables as t
from ozara.store.audit import (
    CheckpointInvalid,
    EntryFields,
    canonical_details,
    checkpoint,
    entry_bytes,
    entry_digest,
    verify_chain,
    verify_checkpoint,
)
from ozara.store.audit_export import export, verify_export
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock, _postgres_engine
from tests.services.test_request_services import act, create

LIFECYCLE = [
    ("kaz-mvd.head", Action.SIGN),
    ("kaz-mvd.officer", Action.SEND),
    ("rus-mvd.officer", Action.RECEIVE),
    ("rus-mvd.officer", Action.START_EXECUTION),
]


@pytest.fixture(scope="module")
def keys() -> NodeKeys:
    return generate_node_keys("KAZ-MVD-NODE", DEFAULT_SUITE_ID)


def busy(node: Engine, clock: Clock, requests: int = 3) -> None:
    """Requests through part of their lifecycle: one audit entry per step."""
    for _ in range(requests):
        rid = create(node, clock)
        for who, action in LIFECYCLE:
            clock.advance(minutes=7, microseconds=123_457)
            act(node, clock, rid, who, action)


def rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(t.audit_log).order_by(t.audit_log.c.id)))


def head(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        found = conn.execute(select(t.audit_head.c.last_id, t.audit_head.c.last_hash)).one()
    return int(found[0]), str(found[1])


#: The hashed members, as docs/audit.md specifies them.
MEMBERS = ("id", "at", "actor_id", "body_id", "action", "object_type", "object_id", "details",
           "ruleset", "prev_hash")  # fmt: skip


def definition(row: Any) -> str:
    """SHA-256 of RFC 8785 of the entry, straight from the specification (docs/audit.md)."""
    entry = {name: getattr(row, name) for name in MEMBERS} | {"at": format_time(row.at)}
    return hashlib.sha256(rfc8785.dumps(entry)).hexdigest()


def record(engine: Engine, clock: Clock, n: int = 1, **fields: Any) -> None:
    values: dict[str, Any] = {
        "actor_id": "kaz-mvd.officer",
        "body_id": "KAZ-MVD",
        "action": "request:viewed",
        "object_type": "request",
        "object_id": "KAZ-MVD-2026-00001",
        "details": {},
    } | fields
    with SqlUnitOfWork(engine) as uow:
        for _ in range(n):
            uow.audit.record(clock.now, **values)
        uow.commit()


def sql(engine: Engine, statement: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def forge(engine: Engine, entry_id: int, *, rehash: bool = False, **members: Any) -> None:
    """Change what entry ``entry_id`` says (its hashed bytes: no other column can be
    changed apart from them), re-encoded as RFC 8785; ``rehash``: its hash too."""
    log = t.audit_log.c
    with engine.begin() as conn:
        stored = conn.execute(select(log.canonical).where(log.id == entry_id)).scalar_one()
        entry = json.loads(stored) | members
        values: dict[str, Any] = {"canonical": rfc8785.dumps(entry)}
        if rehash:
            values["entry_hash"] = hashlib.sha256(values["canonical"]).hexdigest()
        conn.execute(update(t.audit_log).where(log.id == entry_id).values(**values))


def rewrite_from(engine: Engine, first: int) -> None:
    """What a careful forger does: recompute every hash from ``first`` on, and the head."""
    with engine.begin() as conn:
        log = t.audit_log.c
        prev = conn.execute(select(log.entry_hash).where(log.id == first - 1)).scalar()
        for row in conn.execute(select(t.audit_log).where(log.id >= first).order_by(log.id)):
            text = rfc8785.dumps(json.loads(row.canonical) | {"prev_hash": prev or GENESIS})
            digest = hashlib.sha256(text).hexdigest()
            conn.execute(
                update(t.audit_log)
                .where(log.id == row.id)
                .values(canonical=text, entry_hash=digest)
            )
            prev = digest
        conn.execute(update(t.audit_head).values(last_hash=prev))


# --- the chain as written ---------------------------------------------------------------


def test_every_action_is_chained_and_the_chain_verifies(node: Engine, clock: Clock) -> None:
    busy(node, clock)
    # Strings that need escaping take the serializer's path, not the template's.
    details = {"причина": "отказ", "n": 2, "ok": True, "nested": {"b": [1, None]}}
    record(node, clock, actor_id='a "quoted" \\ officer', object_id="KAZ\nMVD", body_id=None,
           details=details)  # fmt: skip
    entries = rows(node)
    assert [r.id for r in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
    assert [r.entry_hash for r in entries] == [definition(r) for r in entries]
    assert head(node) == (entries[-1].id, entries[-1].entry_hash)

    report = verify_chain(node)
    assert report.intact, report.broken
    assert (report.checked, report.first_id, report.last_id) == (len(entries), 1, len(entries))
    assert report.last_hash == entries[-1].entry_hash
    # Pages of any size give the same answer (the fast path and the row-by-row walk).
    assert verify_chain(node, batch=3).intact
    assert verify_chain(node, 5, 9).checked == 5


def test_ordinary_pages_are_checked_whole(
    node: Engine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries as the node writes them never need the row-by-row walk (it would still find
    them intact, only several times slower: this is what keeps verification fast)."""
    busy(node, clock, requests=2)

    def row_by_row(*args: Any) -> None:
        raise AssertionError("an ordinary page was walked row by row")

    monkeypatch.setattr(store_audit, "_walk_rows", row_by_row)
    assert verify_chain(node, batch=7).intact


def test_an_entry_is_stored_as_the_bytes_its_hash_covers(node: Engine, clock: Clock) -> None:
    """``canonical`` is RFC 8785 of the entry, and every other column reads back the member
    it is generated from, strings that need escaping and instants of any precision too."""
    record(node, clock, details={"z": 1, "a": "б", "m": [True, None]})
    clock.advance(microseconds=-clock.now.microsecond)  # a whole second: no fraction written
    record(node, clock, actor_id='a "quoted" \\ officer', object_id="KAZ\nMVD\u2028😀",
           body_id=None, action="request:viewed\t", details={"n": 2.5})  # fmt: skip
    for row in rows(node)[-2:]:
        assert row.canonical == rfc8785.dumps(
            {name: getattr(row, name) for name in MEMBERS} | {"at": format_time(row.at)}
        )
        assert hashlib.sha256(row.canonical).hexdigest() == row.entry_hash
    last = rows(node)[-1]
    assert (last.actor_id, last.object_id, last.body_id, last.action) == (
        'a "quoted" \\ officer', "KAZ\nMVD\u2028😀", None, "request:viewed\t",
    )  # fmt: skip
    assert (last.at, last.details) == (clock.now, {"n": 2.5})
    assert rows(node)[-2].details == {"a": "б", "m": [True, None], "z": 1}


@pytest.mark.parametrize(
    "moment",
    [datetime(999, 5, 1, 10, 0, 0, 500_000, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC),
     datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)],
)  # fmt: skip
def test_the_instant_reads_back_as_it_was_written(node: Engine, moment: datetime) -> None:
    record(node, Clock(moment))
    assert rows(node)[-1].at == moment
    assert verify_chain(node).intact


@pytest.mark.parametrize("column", [name for name in MEMBERS if name != "id"])
def test_no_member_changes_apart_from_the_hashed_bytes(node: Engine, column: str) -> None:
    """The columns are generated: an UPDATE of one alone is refused by the database."""
    with pytest.raises(DBAPIError, match=r"(?i)generated"):
        sql(node, f"UPDATE audit_log SET {column} = {column} WHERE id = 3")


def test_another_spelling_of_the_same_values_is_named(node: Engine, clock: Clock) -> None:
    """The hash covers the stored bytes: the same values spelled otherwise are not them."""
    record(node, clock, details={"state_from": "draft", "state_to": "signed", "n": 1})
    target, _ = head(node)
    log = t.audit_log.c
    with node.begin() as conn:
        stored = conn.execute(select(log.canonical).where(log.id == target)).scalar_one()
        respelled = json.dumps(json.loads(stored), indent=2).encode()
        conn.execute(update(t.audit_log).where(log.id == target).values(canonical=respelled))
    assert rows(node)[-1].details == {"state_from": "draft", "state_to": "signed", "n": 1}
    broken = verify_chain(node).broken
    assert broken is not None and (broken.entry_id, broken.problem) == (target, Problem.ALTERED)


@pytest.mark.parametrize("change", ["column", "function"])
def test_a_changed_definition_is_reported_first(node: Engine, change: str) -> None:
    """A column made plain again (and then changed), or the function that reads the bytes
    for the columns replaced, is reported before any entry is read."""
    if node.dialect.name == "postgresql" and change == "function":
        sql(
            node,
            "CREATE OR REPLACE FUNCTION ozara_audit_text(bytea) RETURNS text LANGUAGE "
            "sql IMMUTABLE STRICT AS $$SELECT pg_catalog.convert_from($1, 'UTF8')$$ ",
        )
        assert verify_chain(node).intact  # the same function, spelled as created
        sql(node, "CREATE OR REPLACE FUNCTION ozara_audit_text(bytea) RETURNS text LANGUAGE "
                  "sql IMMUTABLE STRICT AS $$SELECT pg_catalog.replace(pg_catalog.convert_from("
                  "$1, 'UTF8'), 'signed', 'deleted')$$")  # fmt: skip
        found = "function ozara_audit_text is not the one the migration created"
    elif change == "function":
        pytest.skip("SQLite's columns call no function of the node's")
    elif node.dialect.name == "postgresql":
        sql(node, "ALTER TABLE audit_log ALTER COLUMN action DROP EXPRESSION")
        sql(node, "UPDATE audit_log SET action = 'request:deleted' WHERE id = 3")
        found = "column action is no longer generated from the hashed bytes"
    else:
        with node.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE plain AS SELECT * FROM audit_log")
            conn.exec_driver_sql("DROP TABLE audit_log")
            conn.exec_driver_sql("ALTER TABLE plain RENAME TO audit_log")
            conn.exec_driver_sql("UPDATE audit_log SET action = 'request:deleted' WHERE id = 3")
        found = "the audit_log table is not the one the migration created"
    broken = verify_chain(node, batch=4).broken
    assert broken is not None
    assert (broken.entry_id, broken.problem, broken.found) == (1, Problem.ALTERED, found)
    assert "definition changed" in broken.describe()
    assert verify_chain(node, 5).broken is not None  # whatever range is asked for


def test_a_link_is_read_in_the_entry_itself_not_in_its_details(node: Engine) -> None:
    """An entry chained to another hash, whose details hold the hash it should be chained to
    under the same names: the fast paths must not take that one for the entry's own."""
    target = 9
    true_prev = rows(node)[target - 2].entry_hash
    forge(node, target, rehash=True, prev_hash="1" * 64,
          details={"a": 1, "prev_hash": true_prev, "ruleset": "r"})  # fmt: skip
    for batch in (4, 10_000):
        broken = verify_chain(node, batch=batch).broken
        assert broken is not None
        assert (broken.entry_id, broken.problem) == (target - 1, Problem.ALTERED)
        assert f"entry #{target} was chained to" in broken.note


@given(
    strings=st.lists(st.text(st.characters(exclude_categories=["Cs"])), min_size=6, max_size=6),
    body=st.none() | st.text(st.characters(exclude_categories=["Cs"])),
    details=st.dictionaries(
        st.text(st.characters(exclude_categories=["Cs"])),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
            lambda inner: st.lists(inner, max_size=3)
            | st.dictionaries(st.text(), inner, max_size=3),
            max_leaves=6,
        ),
        max_size=4,
    ),
    entry_id=st.integers(1, 2**31),
    micro=st.integers(0, 999_999),
)  # fmt: skip
def test_the_fast_encoding_is_rfc8785(
    strings: list[str], body: str | None, details: dict[str, Any], entry_id: int, micro: int
) -> None:
    """The template ``record`` and verification use gives the RFC 8785 bytes, always."""
    at = format_time(datetime(2026, 1, 30, 7, 0, 0, micro, tzinfo=UTC))
    actor, action, object_type, object_id, ruleset, prev = strings
    fields = EntryFields(entry_id, at, actor, body, action, object_type, object_id,
                         canonical_details(details), ruleset, prev)  # fmt: skip
    expected = {**fields._asdict(), "details": details}
    assert entry_bytes(fields) == rfc8785.dumps(expected)


# --- what verification finds -------------------------------------------------------------


@pytest.mark.parametrize("batch", [4, 10_000])
@pytest.mark.parametrize(
    ("column", "value"),
    [("details", {"state_from": "draft"}), ("actor_id", "someone.else"), ("body_id", None),
     ("at", "2026-01-30T07:00:00.000001Z")],
)  # fmt: skip
def test_an_altered_entry_is_named(
    node: Engine, clock: Clock, column: str, value: Any, batch: int
) -> None:
    before, _ = head(node)
    busy(node, clock, requests=1)
    target = before + 2  # a request's entry
    forge(node, target, **{column: value})
    report = verify_chain(node, batch=batch)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (target, Problem.ALTERED)
    assert report.checked == target - 1
    assert report.broken.expected == rows(node)[target - 1].entry_hash
    assert report.broken.at is not None
    # The entries after it still hold together among themselves.
    assert verify_chain(node, target + 1, batch=batch).intact


def test_the_first_of_two_alterations_is_named(node: Engine) -> None:
    forge(node, 9, object_id="x")
    forge(node, 4, object_id="x")
    broken = verify_chain(node).broken
    assert broken is not None and broken.entry_id == 4


def test_an_entry_altered_and_given_a_new_hash_is_named(node: Engine) -> None:
    """Rehashing one entry breaks the link the next entry holds: the rehashed one is named."""
    forge(node, 6, rehash=True, object_id="x")
    broken = verify_chain(node).broken
    assert broken is not None
    assert (broken.entry_id, broken.problem) == (6, Problem.ALTERED)
    assert "entry #7 was chained to" in broken.note


@pytest.mark.parametrize("batch", [4, 10_000])
def test_a_removed_entry_is_named(node: Engine, batch: int) -> None:
    last, _ = head(node)
    sql(node, "DELETE FROM audit_log WHERE id = 5")
    broken = verify_chain(node, batch=batch).broken
    assert broken is not None
    assert (broken.entry_id, broken.problem) == (5, Problem.REMOVED)
    # The last entry: the head still names it.
    sql(node, "DELETE FROM audit_log WHERE id = :id", id=last)
    broken = verify_chain(node, 6, batch=batch).broken
    assert broken is not None
    assert (broken.entry_id, broken.problem) == (last, Problem.REMOVED)


def swap(engine: Engine, a: int, b: int, columns: list[str]) -> None:
    with engine.begin() as conn:
        log = t.audit_log
        first = conn.execute(select(log).where(log.c.id == a)).one()._asdict()
        second = conn.execute(select(log).where(log.c.id == b)).one()._asdict()
        for target, source in ((a, second), (b, first)):
            values = {c: source[c] for c in columns}
            conn.execute(update(log).where(log.c.id == target).values(**values))


WHOLE, CONTENT = ["canonical", "entry_hash"], ["canonical"]


@pytest.mark.parametrize(("a", "b"), [(4, 9), (7, 8)])
def test_two_swapped_entries_are_found(node: Engine, a: int, b: int) -> None:
    """Whole entries moved (hashes and all) are named as reordered; content alone swapped
    under the hashes is an alteration. Either way the lower of the two is named."""
    swap(node, a, b, WHOLE)
    broken = verify_chain(node).broken
    assert broken is not None
    assert (broken.entry_id, broken.problem) == (a, Problem.REORDERED)
    assert broken.found == f"entry #{b}"
    swap(node, a, b, WHOLE)  # back in place
    assert verify_chain(node).intact
    swap(node, a, b, CONTENT)
    broken = verify_chain(node).broken
    assert broken is not None
    assert (broken.entry_id, broken.problem) == (a, Problem.ALTERED)


# --- a long log on SQLite: two processes ------------------------------------------------


SCENARIOS = {
    "intact": lambda *_: None,
    "altered early": lambda engine, _last: forge(engine, 5, object_id="x"),
    "altered late": lambda engine, last: forge(engine, last - 3, object_id="x"),
    "rehashed late": lambda engine, last: forge(engine, last - 3, rehash=True, actor_id="x"),
    "removed at the middle": lambda engine, last: sql(
        engine, "DELETE FROM audit_log WHERE id = :id", id=last // 2
    ),
    "rewritten late": lambda engine, last: (
        forge(engine, last - 8, actor_id="x"),
        rewrite_from(engine, last - 8),
    ),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("batch", [4, 10_000])
def test_a_long_log_on_sqlite_is_checked_in_two_processes(
    node: Engine, clock: Clock, keys: NodeKeys, monkeypatch: pytest.MonkeyPatch, *,
    scenario: str, batch: int,
) -> None:  # fmt: skip
    """Past ``SPLIT_AT`` entries a second process checks the second half: the report is
    the one a single walk gives, checkpoints in either half and breaks anywhere."""
    if node.dialect.name != "sqlite":
        pytest.skip("PostgreSQL hashes in parallel itself")
    busy(node, clock, requests=2)
    checkpoint(node, keys, clock.now)
    busy(node, clock, requests=2)
    checkpoint(node, keys, clock.now)
    busy(node, clock, requests=1)
    last, _ = head(node)
    SCENARIOS[scenario](node, last)
    halves: list[Any] = []
    second_half = audit_split.SecondHalf

    def spy(half: Any) -> Any:
        halves.append(half)
        return second_half(half)

    monkeypatch.setattr(audit_split, "SecondHalf", spy)
    monkeypatch.setattr(audit_split, "SPLIT_AT", 10**9)
    alone = verify_chain(node, public_key=keys.signing.public, batch=batch)
    assert halves == []
    monkeypatch.setattr(audit_split, "SPLIT_AT", 10)
    split = verify_chain(node, public_key=keys.signing.public, batch=batch)
    assert split == alone
    assert alone.intact == (scenario == "intact")
    assert scenario == "removed at the middle" or [(h.first, h.upto) for h in halves] == [
        (1 + last // 2, last)
    ]


def test_the_second_half_vouches_only_for_pages_intact_at_c_speed(
    node: Engine, clock: Clock
) -> None:
    """``check_half`` gives up (None) at a page it cannot pass whole, never a verdict."""
    if node.dialect.name != "sqlite":
        pytest.skip("SQLite's")
    busy(node, clock, requests=2)
    last, _ = head(node)
    database = str(node.url.database)
    anchor = rows(node)[9].entry_hash
    whole = audit_split.check_half(audit_split.Half(database, 11, last, anchor, 4, (12, 20)))
    assert whole is not None and [stop.last_id for stop in whole] == [12, 20, last]
    assert whole[-1].last_hash == head(node)[1]
    wrong = audit_split.Half(database, 11, last, "1" * 64, 4, ())
    assert audit_split.check_half(wrong) is None
    forge(node, 15, object_id="x")
    assert audit_split.check_half(audit_split.Half(database, 11, last, anchor, 4, ())) is None


# --- checkpoints ---------------------------------------------------------------------------


def test_a_checkpoint_is_signed_over_the_head_and_is_itself_audited(
    node: Engine, clock: Clock, keys: NodeKeys
) -> None:
    last, last_hash = head(node)
    signed = checkpoint(node, keys, clock.now)
    assert (signed["last_id"], signed["last_hash"], signed["node_id"]) == (
        last, last_hash, keys.node_id,
    )  # fmt: skip
    assert verify_checkpoint(signed, keys.signing.public).last_id == last
    entry = rows(node)[-1]
    assert (entry.id, entry.action, entry.object_id) == (last + 1, "audit:checkpoint", str(last))
    with node.connect() as conn:
        assert conn.execute(select(t.audit_checkpoints.c.signed)).scalar_one() == signed
    report = verify_chain(node, public_key=keys.signing.public)
    assert report.intact and report.checkpoints == 1

    other = generate_node_keys("RUS-MVD-NODE", DEFAULT_SUITE_ID)
    with pytest.raises(CheckpointInvalid, match="another key"):
        verify_checkpoint(signed, other.signing.public)
    forged = {**signed, "key": other.signing_key_fingerprint}
    with pytest.raises(CheckpointInvalid, match="signature"):
        verify_checkpoint(forged, other.signing.public)
    with pytest.raises(CheckpointInvalid, match="signature"):
        verify_checkpoint({**signed, "last_id": last - 1}, keys.signing.public)
    broken = verify_chain(node, public_key=other.signing.public).broken
    assert broken is not None and broken.problem is Problem.REWRITTEN


@pytest.mark.parametrize("batch", [4, 10_000])
def test_a_consistent_rewrite_is_caught_by_the_checkpoint(
    node: Engine, clock: Clock, keys: NodeKeys, batch: int
) -> None:
    busy(node, clock, requests=1)
    signed = checkpoint(node, keys, clock.now)
    busy(node, clock, requests=1)
    forge(node, 20, actor_id="someone.else")
    rewrite_from(node, 20)
    report = verify_chain(node, batch=batch)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (
        signed["last_id"], Problem.REWRITTEN,
    )  # fmt: skip
    assert report.broken.expected == signed["last_hash"]
    # Without the checkpoint the rewrite holds together: the checkpoint is what caught it.
    sql(node, "DELETE FROM audit_checkpoints")
    assert verify_chain(node, batch=batch).intact


def test_a_rewrite_after_the_checkpoint_is_not_its_business(
    node: Engine, clock: Clock, keys: NodeKeys
) -> None:
    signed = checkpoint(node, keys, clock.now)
    busy(node, clock, requests=1)
    rewrite_from(node, int(signed["last_id"]) + 3)  # recomputes the same hashes
    assert verify_chain(node).intact
    forge(node, int(signed["last_id"]) + 3, action="x")
    rewrite_from(node, int(signed["last_id"]) + 3)
    assert verify_chain(node).intact  # what only the peers' copies will catch (docs/audit.md)


# --- extracts --------------------------------------------------------------------------------


def test_an_extract_verifies_offline_and_fails_when_edited(
    node: Engine, clock: Clock, keys: NodeKeys
) -> None:
    busy(node, clock, requests=1)
    signed = checkpoint(node, keys, clock.now)
    last = int(signed["last_id"])
    extract = json.loads(json.dumps(export(node, 5)))  # as a file carries it
    assert (extract["from_id"], extract["to_id"], extract["checkpoint"]) == (5, last, signed)
    assert extract["prev_hash"] == rows(node)[3].entry_hash
    report = verify_export(extract, keys.signing.public)
    assert report.intact and report.anchored_to == last and report.checked == last - 4

    def edited(change: Any) -> Any:
        copy = json.loads(json.dumps(extract))
        change(copy)
        return verify_export(copy, keys.signing.public)

    def alter(copy: Any) -> None:
        copy["entries"][3]["details"] = {"roles": ["signatory"]}

    def drop(copy: Any) -> None:
        del copy["entries"][2]

    def rehash(copy: Any) -> None:  # a forger who recomputes every hash after the edit
        alter(copy)
        prev = copy["entries"][2]["entry_hash"]
        for entry in copy["entries"][3:]:
            entry["prev_hash"] = prev
            body = {k: v for k, v in entry.items() if k != "entry_hash"}
            entry["entry_hash"] = prev = hashlib.sha256(rfc8785.dumps(body)).hexdigest()

    def resign(copy: Any) -> None:
        copy["checkpoint"]["last_hash"] = copy["entries"][-1]["entry_hash"]

    for change, entry_id, problem in [
        (alter, 8, Problem.ALTERED),
        (drop, 7, Problem.REMOVED),
        (rehash, last, Problem.REWRITTEN),
        (lambda c: (rehash(c), resign(c)), last, Problem.REWRITTEN),
    ]:
        report = edited(change)
        assert report.broken is not None, change
        assert (report.broken.entry_id, report.broken.problem) == (entry_id, problem)
        assert report.anchored_to is None
    other = generate_node_keys("RUS-MVD-NODE", DEFAULT_SUITE_ID)
    assert not verify_export(extract, other.signing.public).intact


def test_an_extract_without_a_checkpoint_is_not_anchored(node: Engine, clock: Clock) -> None:
    extract = export(node, 2, 6)
    assert extract["checkpoint"] is None and extract["to_id"] == 6
    report = verify_export(extract, generate_node_keys("X", DEFAULT_SUITE_ID).signing.public)
    assert report.intact and report.anchored_to is None
    with pytest.raises(ValueError, match="no such range"):
        export(node, 6, 2)


# --- concurrency and the migration ------------------------------------------------------------


def test_concurrent_appends_make_one_chain(node: Engine, clock: Clock) -> None:
    """Two writers at once: every entry chained to the one before, no fork, no lost entry."""
    threads, per_thread = 2, 25
    start = threading.Barrier(threads)
    errors: list[BaseException] = []
    before, _ = head(node)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with SqlUnitOfWork(node) as uow:
                    for part in range(2):  # two entries in one transaction, the head held
                        uow.audit.record(clock.now, actor_id=f"writer-{n}", body_id=None,
                                         action="test:write", object_type="test",
                                         object_id=f"{i}.{part}")  # fmt: skip
                    uow.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    with node.connect() as conn:
        forks = conn.execute(
            select(t.audit_log.c.prev_hash)
            .group_by(t.audit_log.c.prev_hash)
            .having(func.count() > 1)
        ).all()
    assert forks == []
    report = verify_chain(node)
    assert report.intact and report.checked == before + threads * per_thread * 2


def test_the_migration_chains_the_entries_already_there(engine: Engine) -> None:
    """Entries written before 0008 (JSON in any spelling, ids with a gap) are chained."""
    db.upgrade(engine, "0007")
    cast = "CAST(:details AS json)" if engine.dialect.name == "postgresql" else ":details"
    t0 = datetime(2026, 1, 30, 7, 0, 0, 250_000, tzinfo=UTC)
    insert = text(
        "INSERT INTO audit_log (id, at, actor_id, body_id, action, object_type, object_id, "
        f"details, ruleset) VALUES (:id, :at, 'system', NULL, 'officer:created', 'officer', "
        f":oid, {cast}, 'r1')"
    ).bindparams(bindparam("at", type_=t.UTCDateTime()))
    with engine.begin() as conn:
        for entry_id, details in ((1, '{"b": 1, "a": "é"}'), (2, "{}"), (5, '{"x": [1, 2]}')):
            conn.execute(insert, {"id": entry_id, "at": t0, "oid": f"o{entry_id}",
                                  "details": details})  # fmt: skip
    db.upgrade(engine)
    entries = rows(engine)
    assert [r.id for r in entries] == [1, 2, 3]
    assert [r.object_id for r in entries] == ["o1", "o2", "o5"]
    assert entries[0].details == {"a": "é", "b": 1}
    assert [r.entry_hash for r in entries] == [definition(r) for r in entries]
    assert head(engine) == (3, entries[-1].entry_hash)
    assert verify_chain(engine).intact
    record(engine, Clock(t0))
    assert verify_chain(engine).checked == 4
    with engine.begin() as conn:  # the head is one row
        with pytest.raises(IntegrityError, match=r"(?i)check"), conn.begin_nested():
            conn.execute(t.audit_head.insert().values(id=2, last_id=0, last_hash=GENESIS))
        conn.execute(delete(t.audit_head))
    assert verify_chain(engine).broken is not None


def test_the_migration_stores_the_bytes_each_entry_was_hashed_as(engine: Engine) -> None:
    """0018 keeps every hash: each entry's bytes are rebuilt from its columns (details
    spelled otherwise but holding the same values too), and an entry altered before it
    is still named after it."""
    db.upgrade(engine, "0017")
    t0 = datetime(2026, 1, 30, 7, 0, 0, 250_000, tzinfo=UTC)
    is_pg = engine.dialect.name == "postgresql"
    insert = text(
        "INSERT INTO audit_log (id, at, actor_id, body_id, action, object_type, object_id, "
        "details, ruleset, prev_hash, entry_hash) VALUES (:id, :at, :actor, :body, "
        f"'officer:created', 'officer', :oid, {'CAST(:details AS json)' if is_pg else ':details'},"
        " 'r1', :prev, :hash)"
    ).bindparams(bindparam("at", type_=t.UTCDateTime()))
    prev, hashes = GENESIS, []
    entries = [('a "quoted" officer', "KAZ-MVD", {"b": 1, "a": "é"}), ("system", None, {})]
    entries += [("system", None, {"x": [1, 2.5]}), ("system", "KAZ-MVD", {"n": 1})]
    with engine.begin() as conn:
        for entry_id, (actor, body, details) in enumerate(entries, 1):
            fields = EntryFields(entry_id, format_time(t0), actor, body, "officer:created",
                                 "officer", f"o{entry_id}", canonical_details(details), "r1",
                                 prev)  # fmt: skip
            hashes.append(prev := entry_digest(fields))
            stored = json.dumps(details, indent=1) if entry_id == 3 else fields.details
            conn.execute(insert, {"id": entry_id, "at": t0, "actor": actor, "body": body,
                                  "oid": f"o{entry_id}", "details": stored,
                                  "prev": fields.prev_hash, "hash": prev})  # fmt: skip
        conn.execute(t.audit_head.update().values(last_id=len(entries), last_hash=prev))
        # Altered before the migration: a column no longer gives the hash.
        conn.execute(text("UPDATE audit_log SET object_id = 'forged' WHERE id = 4"))
    db.upgrade(engine)
    migrated = rows(engine)
    assert [r.entry_hash for r in migrated] == hashes
    assert [hashlib.sha256(r.canonical).hexdigest() for r in migrated[:3]] == hashes[:3]
    assert [r.actor_id for r in migrated] == [e[0] for e in entries]
    assert [r.details for r in migrated] == [e[2] for e in entries]
    assert migrated[3].object_id == "forged" and migrated[0].at == t0
    broken = verify_chain(engine).broken
    assert broken is not None and (broken.entry_id, broken.problem) == (4, Problem.ALTERED)
    command.downgrade(db.alembic_config(engine), "0017")  # and back: the columns as they were
    with engine.connect() as conn:
        back = conn.execute(text("SELECT actor_id, object_id, entry_hash FROM audit_log "
                                 "ORDER BY id")).all()  # fmt: skip
    assert [tuple(r) for r in back] == [
        (e[0], "forged" if n == 4 else f"o{n}", h)
        for n, (e, h) in enumerate(zip(entries, hashes, strict=True), 1)
    ]


# --- where an action came from (issue 7: "who, role, ... from where") -------------------


def test_an_entry_carries_the_origin_the_adapter_declared(node: Engine, clock: Clock) -> None:
    record(node, clock)
    assert "origin" not in rows(node)[-1].details  # none declared: none written
    web = audit_context.Origin("web", "10.20.30.40", ("officer", "signatory"))
    with audit_context.acting(web):
        record(node, clock)
        with audit_context.acting(audit_context.Origin("node", "RUS-MVD-NODE")):
            record(node, clock)
        record(node, clock, details={"origin": {"channel": "given"}})  # the caller's own wins
    record(node, clock)
    origins = [r.details.get("origin") for r in rows(node)[-5:]]
    assert origins == [
        None,
        {"channel": "web", "address": "10.20.30.40", "roles": ["officer", "signatory"]},
        {"channel": "node", "address": "RUS-MVD-NODE"},
        {"channel": "given"},
        None,
    ]
    # The origin is hashed with the rest of the entry: the chain verifies as a whole.
    assert verify_chain(node).intact


# --- on PostgreSQL the database checks the entries itself (issue 7: at hashing speed) ------


@pytest.fixture
def pg_node(postgres_server: str, clock: Clock) -> Iterator[Engine]:
    """A node on PostgreSQL with requests' entries and one entry whose strings need
    escaping."""
    for engine in _postgres_engine(postgres_server):
        init_node(engine, clock.now, demo_officers())
        busy(engine, clock, requests=2)
        record(engine, clock, actor_id='a "quoted" \\ officer', object_id="KAZ\nMVD",
               body_id=None, details={"причина": "отказ", "n": 2})  # fmt: skip
        busy(engine, clock, requests=1)
        yield engine


def escaped(engine: Engine) -> int:
    return int(next(r.id for r in rows(engine) if r.object_id == "KAZ\nMVD"))


def both_ways(engine: Engine, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> Any:
    """``verify_chain`` in the database and by reading every page in Python: the same
    report. Returns it, and the entries the database left to Python."""
    walked: list[int] = []
    walk_rows = store_audit._walk_rows

    def spy(page: Any, *args: Any) -> Any:
        walked.extend(int(row[0]) for row in page)
        return walk_rows(page, *args)

    def no_pages(*args: Any) -> None:
        raise AssertionError("the database path read the log page by page")

    with monkeypatch.context() as m:
        m.setattr(store_audit, "_walk_rows", spy)
        m.setattr(store_audit, "_walk_pages", no_pages)
        in_database = verify_chain(engine, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(store_audit, "_walk_in_database", store_audit._walk_pages)
        by_pages = verify_chain(engine, **kwargs)
    assert in_database == by_pages
    return in_database, walked


@pytest.mark.postgres
def test_postgres_checks_an_intact_chain_without_python_reading_it(
    pg_node: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    last, last_hash = head(pg_node)
    for batch in (3, 10_000):
        report, walked = both_ways(pg_node, monkeypatch, batch=batch)
        assert report.intact and (report.checked, report.last_id) == (last, last)
        assert report.last_hash == last_hash
        assert walked == []
    report, walked = both_ways(pg_node, monkeypatch, start_id=5, end_id=last - 2)
    assert report.intact and report.checked == last - 6
    # An entry rewritten with its own values lies elsewhere in the table now: the scan of
    # the links names it and the one after it, Python finds them intact.
    sql(pg_node, "UPDATE audit_log SET entry_hash = entry_hash WHERE id = 6")
    report, walked = both_ways(pg_node, monkeypatch)
    assert report.intact and set(walked) <= {6, 7}


@pytest.mark.postgres
def test_postgres_checks_the_links_in_the_snapshot_it_hashed(
    pg_node: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link scan runs on a connection of its own, at the same time as the hashing: it
    must see the log as the hashing scan does, not as it is when it starts. An entry's link
    broken by a transaction committed in between is left to the next verification."""
    target = escaped(pg_node) - 2
    run = audit_pg._LinkScan._run

    def late_writer(scan: Any) -> None:
        forge(pg_node, target, rehash=True, prev_hash="1" * 64)
        run(scan)

    walked: list[int] = []
    walk_rows = store_audit._walk_rows

    def spy(page: Any, *args: Any) -> Any:
        walked.extend(int(row[0]) for row in page)
        return walk_rows(page, *args)

    with monkeypatch.context() as m:
        m.setattr(audit_pg._LinkScan, "_run", late_writer)
        m.setattr(store_audit, "_walk_rows", spy)
        assert verify_chain(pg_node).intact
    assert walked == []  # the changed link was never seen
    broken = verify_chain(pg_node).broken  # the next verification sees it
    assert broken is not None and broken.entry_id == target - 1


@pytest.mark.postgres
def test_postgres_link_scan_failing_fails_the_verification(
    pg_node: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error on the second connection reaches the caller (never a silent pass), and both
    connections go back to the pool."""
    monkeypatch.setattr(audit_pg, "UNLINKED", "SELECT no_such_column FROM audit_log")
    with pytest.raises(Exception, match="no_such_column"):
        verify_chain(pg_node)
    assert pg_node.pool.checkedout() == 0  # type: ignore[attr-defined]
    monkeypatch.undo()
    assert verify_chain(pg_node).intact


def _public_first(conn: Any) -> None:
    name = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET search_path = public, pg_catalog')


def shadow_equality(engine: Engine, target: int) -> None:
    """Alter an entry, put ``public`` ahead of ``pg_catalog`` and define ``=`` between two
    texts there as always true."""
    forge(engine, target, action="request:deleted")
    with engine.begin() as conn:
        _public_first(conn)
        conn.exec_driver_sql(
            "CREATE FUNCTION public.ozara_yes(text, text) RETURNS boolean LANGUAGE sql "
            "IMMUTABLE AS 'SELECT true'; CREATE OPERATOR public.= (LEFTARG = text, "
            "RIGHTARG = text, FUNCTION = public.ozara_yes)"
        )
    engine.dispose()  # new connections, with the new search path


def shadow_sha256(engine: Engine, target: int) -> None:
    """Alter an entry, put ``public`` ahead of ``pg_catalog`` and define a ``sha256`` there
    that gives the old hash for the new bytes."""
    forge(engine, target, action="request:deleted")
    with engine.begin() as conn:
        forged, old = conn.exec_driver_sql(
            "SELECT canonical, entry_hash FROM audit_log WHERE id = %(id)s",
            {"id": target},
        ).one()
        _public_first(conn)
        conn.exec_driver_sql(
            "CREATE FUNCTION public.sha256(bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS "
            f"$$SELECT CASE WHEN $1 = '\\x{bytes(forged).hex()}'::bytea "
            f"THEN pg_catalog.decode('{old}', 'hex') ELSE pg_catalog.sha256($1) END$$"
        )
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("shadow", [shadow_equality, shadow_sha256])
def test_postgres_uses_the_servers_own_functions_only(
    pg_node: Engine, monkeypatch: pytest.MonkeyPatch, shadow: Any
) -> None:
    """What a role that may create objects in a schema on the search path could do to make a
    forged entry pass changes nothing: both paths name it, as without the shadow."""
    target = escaped(pg_node) - 2
    shadow(pg_node, target)
    report, _ = both_ways(pg_node, monkeypatch)
    assert report.broken is not None and report.broken.entry_id == target


def _forging(**members: Any) -> Any:
    return lambda engine, entry_id: forge(engine, entry_id, **members)


def _hash(value: Any) -> Any:
    def change(engine: Engine, entry_id: int) -> None:
        with engine.begin() as conn:
            log = t.audit_log
            stored = conn.execute(select(log.c.entry_hash).where(log.c.id == entry_id)).scalar()
            new = value(stored)
            conn.execute(update(log).where(log.c.id == entry_id).values(entry_hash=new))

    return change


def _delete(engine: Engine, entry_id: int) -> None:
    sql(engine, "DELETE FROM audit_log WHERE id = :id", id=entry_id)


ALTERATIONS = {
    "action": _forging(action="request:deleted"),
    "actor": _forging(actor_id="someone.else"),
    "body": _forging(body_id="ARM-MVD"),
    "object type": _forging(object_type="operation"),
    "object id escaped": _forging(object_id='KAZ"MVD'),  # a string that needs escaping now
    "details": _forging(details={"state_from": "draft"}),
    "ruleset": _forging(ruleset="r0"),
    "at": _forging(at="2026-01-30T07:00:00.000001Z"),
    "prev_hash": _forging(prev_hash="1" * 64),
    "entry_hash zeros": _hash(lambda _: "0" * 64),
    "entry_hash upper": _hash(str.upper),
    "removed": _delete,
}


@pytest.mark.postgres
@pytest.mark.parametrize("alteration", ALTERATIONS)
@pytest.mark.parametrize("which", ["ordinary", "escaped"])
def test_postgres_names_the_entry_python_names(
    pg_node: Engine, monkeypatch: pytest.MonkeyPatch, alteration: str, which: str
) -> None:
    target = escaped(pg_node) - (2 if which == "ordinary" else 0)  # a request's entry
    ALTERATIONS[alteration](pg_node, target)
    report, _ = both_ways(pg_node, monkeypatch)
    expected = Problem.REMOVED if alteration == "removed" else Problem.ALTERED
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (target, expected)
    assert report.checked == target - 1
    # Entries after it still hold together among themselves (a changed hash aside: the
    # entry after it is chained to the hash it had).
    after, _ = both_ways(pg_node, monkeypatch, start_id=target + 1)
    assert after.intact != alteration.startswith("entry_hash")


@pytest.mark.postgres
def test_postgres_finds_removed_swapped_and_rechained_entries(
    pg_node: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    last, _ = head(pg_node)
    sql(pg_node, "DELETE FROM audit_log WHERE id IN (1, :last)", last=last)
    report, _ = both_ways(pg_node, monkeypatch, batch=4)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (1, Problem.REMOVED)
    report, _ = both_ways(pg_node, monkeypatch, start_id=2)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (last, Problem.REMOVED)

    swap(pg_node, 4, 9, WHOLE)  # whole entries moved, hashes and all
    report, _ = both_ways(pg_node, monkeypatch, start_id=2)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (4, Problem.REORDERED)
    swap(pg_node, 4, 9, WHOLE)
    swap(pg_node, 7, 8, CONTENT)  # content alone swapped under the hashes
    report, _ = both_ways(pg_node, monkeypatch, start_id=2)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (7, Problem.ALTERED)


@pytest.mark.postgres
def test_postgres_finds_an_entry_chained_to_another_hash(
    pg_node: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry given another ``prev_hash`` and rehashed over it: its content gives its
    hash, the link does not hold, and the entry before it is named."""
    entry = rows(pg_node)[9]
    forge(pg_node, entry.id, rehash=True, prev_hash="1" * 64)
    report, _ = both_ways(pg_node, monkeypatch)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (entry.id - 1, Problem.ALTERED)
    assert f"entry #{entry.id} was chained to" in report.broken.note
    # From the entry itself on, nothing before it to blame: it is not chained.
    report, _ = both_ways(pg_node, monkeypatch, start_id=entry.id)
    assert report.broken is not None and report.broken.entry_id == entry.id


@pytest.mark.postgres
def test_postgres_catches_a_rewrite_with_the_checkpoint(
    pg_node: Engine, clock: Clock, keys: NodeKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = checkpoint(pg_node, keys, clock.now)
    busy(pg_node, clock, requests=1)
    forge(pg_node, 10, actor_id="someone.else")
    rewrite_from(pg_node, 10)
    report, _ = both_ways(pg_node, monkeypatch, public_key=keys.signing.public)
    assert report.broken is not None and report.checkpoints == 1
    assert (report.broken.entry_id, report.broken.problem) == (
        signed["last_id"], Problem.REWRITTEN,
    )  # fmt: skip


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("members", "walked_if_intact"),
    [
        ({"details": {"a": 1, "prev_hash": "b" * 64, "ruleset": "r"}}, False),
        ({"object_id": ',"prev_hash":"' + "b" * 64 + '","ruleset":"'}, False),
        ({"ruleset": 'r"1'}, True),  # escaped in the bytes: not where the column says
        ({"ruleset": ""}, False),
        ({"ruleset": "р1"}, False),  # two bytes to a letter
    ],
)
def test_postgres_finds_each_entrys_own_link(
    pg_node: Engine, monkeypatch: pytest.MonkeyPatch, members: dict[str, Any],
    walked_if_intact: bool,
) -> None:  # fmt: skip
    """The link scan reads the link where the entry's ruleset says it ends: entries shaped
    to mislead it are read by Python or found intact as they are, and a broken link among
    them is named as Python names it."""
    target = escaped(pg_node) - 2
    forge(pg_node, target, **members)
    rewrite_from(pg_node, target)  # a consistent chain with that entry in it
    report, walked = both_ways(pg_node, monkeypatch)
    assert report.intact, report.broken
    assert (target in walked) == walked_if_intact
    forge(pg_node, target, rehash=True, prev_hash="1" * 64)
    report, _ = both_ways(pg_node, monkeypatch)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (target - 1, Problem.ALTERED)


@pytest.mark.postgres
def test_postgres_reads_pages_on_an_autocommit_connection(
    pg_node: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No transaction, no snapshot, no settings for the link scan: the entries are read
    page by page, as on SQLite."""
    pages: list[int] = []
    walk_pages = store_audit._walk_pages

    def spy(*args: Any) -> Any:
        pages.append(1)
        return walk_pages(*args)

    monkeypatch.setattr(store_audit, "_walk_pages", spy)
    autocommit = pg_node.execution_options(isolation_level="AUTOCOMMIT")
    assert verify_chain(autocommit).intact and pages == [1]
    assert verify_chain(pg_node).intact and pages == [1]
