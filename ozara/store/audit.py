"""The audit log as a hash chain: the entry encoding and its verification.

An entry's hash is SHA-256 over the RFC 8785 canonical JSON of the object::

    {"action", "actor_id", "at", "body_id", "details", "id", "object_id", "object_type",
     "prev_hash", "ruleset"}

with ``at`` as ``ozara.documents.fields.format_time`` writes it and ``prev_hash`` the hash of
the entry before (``GENESIS`` for the first). ``AuditRepository.record`` appends entries
(ozara/store/repository.py); the rules of an intact chain are in ``ozara.core.audit``.

Each entry is stored as these very bytes (``audit_log.canonical``; the other columns are
generated from them: ``audit_schema``), written by ``entry_bytes``: one ``str.format`` of a
template where no string but the details needs JSON escaping (then the template's bytes
*are* RFC 8785), the serializer otherwise. Verification hashes the stored bytes and reads
each link in them (``audit_bytes``), a page at a time at C speed; a long log on SQLite in
two processes (``audit_split``); on PostgreSQL the database hashes and Python reads only
the entries it names (``_walk_in_database``, ``audit_pg``). docs/audit.md has the format.
"""

from __future__ import annotations

import gc
import hashlib
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, select

from ozara.core.audit import (
    GENESIS,
    Break,
    ChainWalker,
    Link,
    Problem,
    Report,
    checkpoint_break,
)
from ozara.documents.canonical import JSONValue, canonicalize
from ozara.documents.fields import (
    format_time,
)
from ozara.store import audit_pg, audit_schema, audit_split
from ozara.store import tables as t
from ozara.store.audit_bytes import (
    SQLITE_PAGE,
    StoredEntry,
    at_of,
    fast_batch,
)
from ozara.store.audit_checkpoints import (
    CHECKPOINT_LABEL,
    CHECKPOINT_TYPE,
    SELECT_HEAD,
    Checkpoint,
    CheckpointInvalid,
    checkpoint,
    checkpoint_on,
    sign_checkpoint,
    verify_checkpoint,
)

__all__ = [
    "CHECKPOINT_LABEL",
    "CHECKPOINT_TYPE",
    "ENTRY_FIELDS",
    "GENESIS",
    "Checkpoint",
    "CheckpointInvalid",
    "EntryFields",
    "canonical_details",
    "canonical_entry",
    "checkpoint",
    "checkpoint_on",
    "entry_bytes",
    "entry_digest",
    "sign_checkpoint",
    "verify_chain",
    "verify_checkpoint",
]

#: The members of the hashed object, in the order RFC 8785 sorts them.
ENTRY_FIELDS = (
    "action", "actor_id", "at", "body_id", "details", "id", "object_id", "object_type",
    "prev_hash", "ruleset",
)  # fmt: skip
#: RFC 8785 of the entry when no string in it needs escaping (``details`` already canonical).
_TEMPLATE = (
    '{{"action":"{}","actor_id":"{}","at":"{}","body_id":{},"details":{},"id":{},'
    '"object_id":"{}","object_type":"{}","prev_hash":"{}","ruleset":"{}"}}'
)
#: The same with every member's value given as JSON text (when strings need escaping).
_MEMBERS = (
    '{{"action":{},"actor_id":{},"at":{},"body_id":{},"details":{},"id":{},'
    '"object_id":{},"object_type":{},"prev_hash":{},"ruleset":{}}}'
)
#: What JSON escapes in a string (RFC 8785 escapes nothing else).
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]').search
_sha256 = hashlib.sha256


def canonical_details(details: Mapping[str, Any]) -> str:
    """The details as stored and hashed: RFC 8785 text."""
    return canonicalize(dict(details)).decode("utf-8")


class EntryFields(NamedTuple):
    """An entry's hashed members in the columns' order; ``at`` as ``format_time`` writes
    it, ``details`` as canonical JSON text."""

    id: int
    at: str
    actor_id: str
    body_id: str | None
    action: str
    object_type: str
    object_id: str
    details: str
    ruleset: str
    prev_hash: str


def entry_bytes(entry: EntryFields) -> bytes:
    """RFC 8785 of the entry: the template where no string needs escaping, else the
    serializer (the two agree: tests/store/test_audit_chain.py)."""
    strings = (entry.actor_id, entry.action, entry.object_type, entry.object_id, entry.ruleset,
               entry.prev_hash, entry.at, entry.body_id or "")  # fmt: skip
    if not _NEEDS_ESCAPE("".join(strings)):
        body = "null" if entry.body_id is None else f'"{entry.body_id}"'
        text = _TEMPLATE.format(
            entry.action, entry.actor_id, entry.at, body, entry.details, entry.id,
            entry.object_id, entry.object_type, entry.prev_hash, entry.ruleset,
        )  # fmt: skip
        return text.encode("utf-8")
    # Each value serialized alone; the details stay the canonical text they are (parsing
    # them again could turn a number into one RFC 8785 refuses, e.g. 2.0**53 into 2**53).
    encoded = {name: canonicalize(value).decode("utf-8") for name, value in entry._asdict().items()}
    encoded["details"] = entry.details
    return _MEMBERS.format(*(encoded[name] for name in ENTRY_FIELDS)).encode("utf-8")


def entry_digest(entry: EntryFields) -> str:
    """The entry's hash (hex SHA-256), as ``AuditRepository.record`` stores it."""
    return _sha256(entry_bytes(entry)).hexdigest()


def canonical_entry(entry: Mapping[str, JSONValue]) -> bytes:
    """The definition: RFC 8785 of the entry's hashed members (as in an extract)."""
    return canonicalize({name: entry[name] for name in ENTRY_FIELDS})


# -- verification of the stored chain ----------------------------------------------------

#: An entry as verification reads it: its id, the bytes its hash covers, the hash.
_PG_ROW = "SELECT id, canonical, entry_hash FROM audit_log "
_GT, _GE, _LE, _EQ = (audit_pg.op(o) for o in (">", ">=", "<=", "="))
#: One page of entries in id order (keyset pagination: see ``verify_chain``).
_PAGE = {
    "sqlite": SQLITE_PAGE,
    "postgresql": _PG_ROW + f"WHERE id{_GT}%s AND id{_LE}%s ORDER BY id LIMIT %s",
}

_PG_ROWS = _PG_ROW + f"WHERE id{_EQ}ANY(%s) ORDER BY id"
_PG_LAST = _PG_ROW + f"WHERE id{_GE}%s AND id{_LE}%s ORDER BY id DESC LIMIT 1"
_SELECT_HASH = select(t.audit_log.c.entry_hash).where(t.audit_log.c.id == bindparam("b_id"))


@dataclass(slots=True)
class _Pending:
    """The stored checkpoints still to compare, lowest ``last_id`` first."""

    items: list[tuple[int, str, str]]  # (last_id, last_hash, at)
    checked: int = 0

    def due(self, upto: int) -> bool:
        return bool(self.items) and self.items[0][0] <= upto

    def check(self, upto: int, hashes: Mapping[int, str]) -> Break | None:
        """Compare those over entries up to ``upto`` with the entries' ``hashes``."""
        while self.due(upto):
            last_id, signed_hash, signed_at = self.items.pop(0)
            self.checked += 1
            broken = checkpoint_break(last_id, signed_hash, signed_at, hashes.get(last_id))
            if broken is not None:
                return broken
        return None


def verify_chain(
    engine: Engine,
    start_id: int | None = None,
    end_id: int | None = None,
    *,
    public_key: bytes | None = None,
    batch: int = 10_000,
    peer_checkpoints: Sequence[object] = (),
) -> Report:
    """Recompute every entry's hash in id order and check the links, the head and every
    stored checkpoint; the report names the first broken entry.

    With ``public_key`` (this node's signing key) each checkpoint's signature is verified
    too. ``peer_checkpoints`` are this node's checkpoints as other nodes hold them
    (``ozara audit peer-checkpoints`` there): they are checked like the stored ones, and
    they catch what the stored ones cannot, a rewrite by someone who also replaced this
    node's own checkpoints. Entries appended while it runs are left out: it checks up to
    the head it read first. First of all, the table must still be the one whose columns
    the database generates from the hashed bytes (``audit_schema.definition_changed``).
    """
    if peer_checkpoints and public_key is None:
        raise ValueError("checking peers' checkpoints needs the node's public signing key")
    with engine.connect() as conn:
        head = conn.execute(SELECT_HEAD).first()
        if head is None:
            gone = Break(0, Problem.REMOVED, "the chain's head", "none", None,
                         "the audit_head row is missing")  # fmt: skip
            return Report(0, None, None, None, 0, gone)
        head_id, head_hash = int(head.last_id), str(head.last_hash)
        first = max(1, start_id or 1)
        upto = head_id if end_id is None else min(end_id, head_id)
        anchor: str | None = GENESIS
        if first > 1:
            anchor = conn.execute(_SELECT_HASH, {"b_id": first - 1}).scalar_one_or_none()
        pending, broken = _stored_checkpoints(conn, first, upto, public_key)
        if broken is None and public_key is not None:
            broken = _peer_checkpoints(pending, peer_checkpoints, public_key, first, upto)
            if broken is None and end_id is None:
                broken = _beyond_head(pending, peer_checkpoints, head_id)
        changed = audit_schema.definition_changed(conn)
        if broken is None and changed is not None:
            broken = Break(first, Problem.ALTERED, "columns generated from the hashed bytes",
                           changed, None, "the audit_log table's definition changed")  # fmt: skip
        # A short transaction for the reads above (on SQLite every transaction takes the
        # write lock); the pages below are single statements outside any (keyset pages on
        # the raw connection: no write lock on SQLite, no long transaction on PostgreSQL,
        # and no SQLAlchemy row objects, which would cost more than the hashing).
        conn.rollback()
        walker = ChainWalker(first, anchor)
        if broken is None:
            broken = _walk(conn, walker, pending, upto, batch)
        if broken is None:
            broken = walker.end(upto, head_hash if upto == head_id else None)
    return walker.report(pending.checked, broken)


def _walk(
    conn: Connection, walker: ChainWalker, pending: _Pending, upto: int, batch: int
) -> Break | None:
    if conn.dialect.name == "postgresql":
        return _walk_in_database(conn, walker, pending, upto, batch)
    return _walk_pages(conn, walker, pending, upto, batch)


def _walk_pages(
    conn: Connection, walker: ChainWalker, pending: _Pending, upto: int, batch: int
) -> Break | None:
    """Read every entry in pages and check them in Python (a long log on SQLite in two
    processes: ``audit_split``).

    The cyclic garbage collector is paused meanwhile: each page is ten thousand new row
    tuples, which it would otherwise scan again and again (measured: a third of the time),
    and the walk makes no cycles. Reference counting still frees each page.
    """
    dialect = conn.dialect.name
    cursor = conn.connection.cursor()
    collecting = gc.isenabled()
    gc.disable()
    try:
        database = conn.engine.url.database if dialect == "sqlite" else None
        mid = audit_split.split_point(database, walker.next_id, upto)
        if database is None or mid is None:
            return _read_pages(cursor, _PAGE[dialect], walker, pending, upto=upto, batch=batch)
        return _walk_halves(cursor, walker, pending, split=(database, mid), upto=upto, batch=batch)
    finally:
        if collecting:
            gc.enable()
        cursor.close()


def _read_pages(
    cursor: Any, sql: str, walker: ChainWalker, pending: _Pending, *, upto: int, batch: int
) -> Break | None:
    after = walker.next_id - 1
    while after < upto:
        cursor.execute(sql, (after, upto, batch))
        rows = cursor.fetchall()
        if not rows:
            break
        broken = _walk_page(rows, walker, pending)
        if broken is not None:
            return broken
        after = rows[-1][0]
    return None


def _walk_halves(
    cursor: Any,
    walker: ChainWalker,
    pending: _Pending,
    *,
    split: tuple[str, int],
    upto: int,
    batch: int,
) -> Break | None:
    """The first half here, the second in another process (``audit_split.SecondHalf``),
    chained to the stored hash of the entry before it; this walk checks that hash is the
    one the first half ends with."""
    (database, mid), sql = split, _PAGE["sqlite"]
    cursor.execute("SELECT entry_hash FROM audit_log WHERE id = ?", (mid - 1,))
    found = cursor.fetchone()
    if found is None:  # the walk names what is missing
        return _read_pages(cursor, sql, walker, pending, upto=upto, batch=batch)
    anchor = str(found[0])
    marks = tuple(item[0] for item in pending.items)
    second = audit_split.SecondHalf(audit_split.Half(database, mid, upto, anchor, batch, marks))
    try:
        broken = _read_pages(cursor, sql, walker, pending, upto=mid - 1, batch=batch)
    except BaseException:
        second.cancel()
        raise
    if broken is not None:
        second.cancel()
        return broken
    stops = second.result()
    if stops is None or walker.next_id != mid or walker.last_hash != anchor:
        return _read_pages(cursor, sql, walker, pending, upto=upto, batch=batch)
    for stop in stops:
        broken = _reach(walker, pending, *stop)
        if broken is not None:
            return broken
    return None


def _reach(
    walker: ChainWalker, pending: _Pending, last_id: int, last_hash: str, at: str
) -> Break | None:
    """Advance over the entries up to ``last_id``, found intact in bulk (by the database,
    or by the second process), and compare the checkpoints over it."""
    walker.advance(last_id - walker.next_id + 1, last_id, last_hash, at)
    return pending.check(last_id, {last_id: last_hash})


def _walk_page(
    rows: Sequence[Sequence[Any]], walker: ChainWalker, pending: _Pending
) -> Break | None:
    """A page at C speed where it can be, cut after each checkpoint's entry, so that a
    checkpoint is compared where the row-by-row walk compares it."""
    while rows:
        cut = len(rows)
        if pending.items:
            ids = [row[0] for row in rows]
            cut = max(1, min(cut, bisect_right(ids, pending.items[0][0])))
        part, rows = rows[:cut], rows[cut:]
        if fast_batch(part, walker):
            last = part[-1][0]
            broken = pending.check(last, {last: part[-1][2]})
        else:
            broken = _walk_rows(part, walker, pending)
        if broken is not None:
            return broken
    return None


def _walk_in_database(
    conn: Connection, walker: ChainWalker, pending: _Pending, upto: int, batch: int
) -> Break | None:
    """PostgreSQL checks the entries itself and names the few it cannot vouch for.

    ``audit_pg.named_entries``: two scans at once, one hashing every entry's bytes, one
    checking the ids and links. Every entry neither names passes the rules
    ``ChainWalker.feed`` applies, so between two named entries the walker is advanced in
    bulk; each named entry is read and walked in Python (``_walk_rows``: the report of a
    break), so the report is the one ``_walk_pages`` gives. Python touches no entry of an
    intact chain.
    """
    raw = conn.connection.dbapi_connection
    idle = getattr(getattr(raw, "info", None), "transaction_status", None) == 0
    if raw is None or getattr(raw, "autocommit", True) or not idle:
        return _walk_pages(conn, walker, pending, upto, batch)
    cursor = conn.connection.cursor()
    try:
        named = audit_pg.named_entries(cursor, conn.engine, walker.next_id, upto, walker.last_hash)
        cursor.execute(_PG_ROWS, (sorted({item[0] for item in pending.items}),))
        marks = {int(row[0]): row for row in cursor.fetchall()}  # the checkpoints' entries
        ordered = sorted(named)
        for start in range(0, len(ordered), batch):
            chunk = ordered[start : start + batch]
            cursor.execute(_PG_ROWS, (sorted({*chunk, *(n - 1 for n in chunk)}),))
            rows = {int(row[0]): row for row in cursor.fetchall()} | marks
            for entry_id in chunk:
                broken = _checked(cursor, walker, pending, entry_id - 1, rows)
                if broken is None and entry_id not in rows:  # gone since: read the rest
                    return _walk_pages(conn, walker, pending, upto, batch)
                if broken is None:
                    broken = _walk_rows([rows[entry_id]], walker, pending)
                if broken is not None:
                    return broken
        return _checked(cursor, walker, pending, upto, marks)
    finally:
        cursor.close()


def _checked(
    cursor: Any,
    walker: ChainWalker,
    pending: _Pending,
    upto: int,
    rows: Mapping[int, Sequence[Any]],
) -> Break | None:
    """Advance the walker over the entries up to ``upto`` the database found intact (all
    there from ``walker.next_id`` to the last one: a gap names the entry after it), and
    compare the checkpoints on the way, each where the row-by-row walk compares it."""
    while upto >= walker.next_id:
        due = [item[0] for item in pending.items if walker.next_id <= item[0] <= upto]
        stop = min(due, default=upto)
        row = rows.get(stop)
        if row is None:
            cursor.execute(_PG_LAST, (walker.next_id, stop))
            row = cursor.fetchone()
            if row is None:
                return None
        broken = _reach(walker, pending, int(row[0]), row[2], at_of(row))
        if broken is not None:
            return broken
    return None


def _walk_rows(
    rows: Sequence[Sequence[Any]], walker: ChainWalker, pending: _Pending
) -> Break | None:
    for row in rows:
        entry = StoredEntry.of(row)
        # A checkpoint over a missing entry before this one comes first: lowest id first.
        broken = pending.check(entry.id - 1, {})
        if broken is not None:
            return broken
        if entry.id == walker.next_id and entry.written_as not in (None, entry.id):
            broken = _reordered(entry)
        else:
            link = Link(entry.id, entry.prev_hash, entry.entry_hash, entry.computed, entry.at)
            broken = walker.feed(link)
        if broken is not None:
            return broken
        broken = pending.check(entry.id, {entry.id: entry.entry_hash})
        if broken is not None:
            return broken
    return None


def _reordered(entry: StoredEntry) -> Break:
    """An entry whose bytes name another id: moved there whole (its hash still holds), or
    altered."""
    if entry.computed == entry.entry_hash:
        return Break(
            entry.id,
            Problem.REORDERED,
            expected=f"entry #{entry.id}",
            found=f"entry #{entry.written_as}",
            at=entry.at,
            note=f"it holds the entry written as #{entry.written_as}",
        )
    return Break(
        entry.id,
        Problem.ALTERED,
        expected=entry.entry_hash,
        found=entry.computed,
        at=entry.at,
        note="its content no longer gives its hash",
    )


def _stored_checkpoints(
    conn: Connection, first: int, upto: int, public_key: bytes | None
) -> tuple[_Pending, Break | None]:
    cp = t.audit_checkpoints.c
    rows = conn.execute(
        select(cp.id, cp.last_id, cp.signed)
        .where(cp.last_id >= first, cp.last_id <= upto)
        .order_by(cp.last_id, cp.id)
    ).all()
    pending = _Pending([])
    for row_id, last_id, signed in rows:
        try:
            parsed = Checkpoint.from_json(signed)
            if public_key is not None:
                verify_checkpoint(parsed, public_key)
        except CheckpointInvalid as exc:
            return pending, bad_checkpoint(last_id, f"stored checkpoint {row_id}: {exc}")
        pending.items.append((parsed.last_id, parsed.last_hash, format_time(parsed.at)))
    pending.items.sort(key=lambda item: item[0])
    return pending, None


def _peer_checkpoints(
    pending: _Pending, given: Sequence[object], public_key: bytes, first: int, upto: int
) -> Break | None:
    for number, value in enumerate(given, 1):
        try:
            parsed = verify_checkpoint(value, public_key)
        except CheckpointInvalid as exc:
            last_id = value.get("last_id") if isinstance(value, dict) else None
            at = last_id if isinstance(last_id, int) else 0
            return bad_checkpoint(at, f"peer checkpoint {number}: {exc}")
        if first <= parsed.last_id <= upto:
            pending.items.append((parsed.last_id, parsed.last_hash, format_time(parsed.at)))
    pending.items.sort(key=lambda item: item[0])
    return None


def _beyond_head(pending: _Pending, given: Sequence[object], head_id: int) -> Break | None:
    """A peer holds a signature over an entry past the head: the end of the log was cut."""
    beyond = [Checkpoint.from_json(v) for v in given if not isinstance(v, Checkpoint)]
    beyond += [v for v in given if isinstance(v, Checkpoint)]
    late = max((c for c in beyond if c.last_id > head_id), key=lambda c: c.last_id, default=None)
    if late is None:
        return None
    pending.checked += 1
    return Break(
        head_id + 1, Problem.REMOVED, f"entries up to #{late.last_id}", f"the head #{head_id}",
        format_time(late.at), f"a peer holds this node's checkpoint over entry #{late.last_id}",
    )  # fmt: skip


def bad_checkpoint(last_id: int, why: str) -> Break:
    return Break(
        last_id, Problem.REWRITTEN, "a checkpoint signed with the node's key",
        "a checkpoint that does not verify", None, why,
    )  # fmt: skip
