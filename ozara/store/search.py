"""Search over the records a node may see: persons by name across scripts, and full text.

Person search is the database form of :class:`ozara.core.names.NameIndex`: the blocking
keys of the query fetch candidates, and :mod:`ozara.core.names` scores them, the best of a
person's names. The blocking differs from the in-memory reference, so that a node holding
a million persons answers in milliseconds. One blocking key, such as that of a common
given name, is shared by tens of thousands of persons; two keys together by a few hundred
to a few thousand. So a query of several parts first fetches the persons who share a key
with *two* of its parts. The database ranks them by the parts they share (a patronymic
counting half), then the fewest keys, and Python scores the first :data:`BY_PARTS` of
that order and the first :data:`BY_TYPOS` of a second order that also counts a part
shared up to one typo in its first consonants. Only when none of them reaches
``MATCH_THRESHOLD`` (a typo that changed a key of a two-part query: Akhtemov) are the
persons sharing one part exactly and another up to such a typo fetched and ranked the same
way. A query of one part (a surname alone) fetches the persons sharing its keys, fewest
keys first. When no person reaches the threshold and fewer than ``k`` were found, up to
``5 k`` persons sharing any one key fill up the list, as :class:`NameIndex` would.

What the cap costs: where very many persons share two blocking keys with the query (keys
are three consonants, so Aliaksandr and Aliaksei both give ``c:lks``), the person looked
for may rank past the cap; see docs/benchmarks.md for the recall this leaves at a million.

On PostgreSQL the blocking step is a GIN index on ``string_to_array(blocks, ' ')`` and the
``&&`` operator; on SQLite (an embedded node, a few thousand records) it is a scan.

Full text: PostgreSQL matches the Russian and the English stems of each word and, for
Kazakh (which has no stemmer in PostgreSQL) and other languages, each word as a prefix of a
word of the record (``ұрлық`` finds ``ұрлықты``), from a GIN expression index. SQLite
matches each word's first letters anywhere in the text, case-folded in Python (SQLite's own
``lower`` knows only ASCII), and ranks the newest first.

Neither function decides what an officer may be shown of a hit (purpose limitation,
Art. 10): that is for the service above. Both return only records the Party may see at
all: its own, or those provided to it, and not revoked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Float,
    Table,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.types import Text

from ozara.core.names import MATCH_THRESHOLD, _parse, _Part, _score, _skeleton
from ozara.store import tables as t

__all__ = [
    "BY_PARTS",
    "BY_TYPOS",
    "PersonHit",
    "TextHit",
    "full_text",
    "has_words",
    "query_blocks",
    "search_persons",
    "search_text",
    "ts_document",
]

#: How many candidates are scored in Python at most, ranked by the parts they share and
#: ranked with typos counted (:func:`_rankings`). Scoring one costs some 20 to 200 µs (the
#: most for a name not seen before).
BY_PARTS = 400
BY_TYPOS = 80

#: The letters of a consonant skeleton (``ozara.core.names._skeleton``): voiceless
#: consonants, x for Ш/Ж, q for Ч; vowels and H are dropped.
_SKELETON_LETTERS = "fklmnpqrstx"

#: The expression the GIN index of migration 0009 is built on; the query must repeat it
#: exactly (a constant, not a bound parameter, or the planner cannot match the index).
_BLOCKS_ARRAY = "string_to_array(record_persons.blocks, ' ')"


@dataclass(frozen=True, slots=True)
class PersonHit:
    record_id: str
    person_index: int
    names: tuple[str, ...]
    score: float
    owner_body: str
    title: str


@dataclass(frozen=True, slots=True)
class TextHit:
    record_id: str
    title: str
    owner_body: str
    owner_party: str
    rank: float


# --- Blocking -----------------------------------------------------------------------


def _block(level: str) -> str:
    """The blocking key of one key of a part, as ``ozara.core.names.blocking_keys``."""
    skeleton = _skeleton(level)
    return f"c:{skeleton[:3]}" if len(skeleton) >= 2 else f"v:{level[:3]}"


def _one_edit(skeleton: str) -> set[str]:
    """The blocking keys of the skeletons one edit away within its first consonants: a
    letter dropped, added, changed, or two swapped (Akhtemov for Akhmetov)."""
    head = skeleton[:4]
    found: set[str] = set()
    for i in range(min(3, len(head) + 1)):
        if i < len(head):
            found.add(head[:i] + head[i + 1 :])
            found.update(head[:i] + letter + head[i + 1 :] for letter in _SKELETON_LETTERS)
        if i + 1 < len(head):
            found.add(head[:i] + head[i + 1] + head[i] + head[i + 2 :])
        found.update(head[:i] + letter + head[i:] for letter in _SKELETON_LETTERS)
    return {f"c:{s[:3]}" for s in found if len(s) >= 2}


@dataclass(frozen=True, slots=True)
class _QueryPart:
    exact: frozenset[str]
    #: ``exact`` and the keys one typo among the first consonants away.
    fuzzy: frozenset[str]
    #: A patronymic weighs half in the database's ranking: a person without one is still
    #: the person, while a patronymic's key shared with a given name (Аляксей,
    #: Аляксееўна) says little.
    patronymic: bool


def _query_part(part: _Part) -> _QueryPart:
    exact = frozenset(_block(level) for level in part.levels)
    fuzzy = set(exact)
    for level in set(part.levels):
        skeleton = _skeleton(level)
        if len(skeleton) >= 2:
            fuzzy |= _one_edit(skeleton)
    return _QueryPart(exact, frozenset(fuzzy), part.patronymic)


def query_blocks(query: str) -> list[frozenset[str]]:
    """The exact blocking keys of each part of ``query`` (their union is
    ``blocking_keys(query)``); parts with the same keys count once."""
    return list(dict.fromkeys(_query_part(p).exact for p in _parse(query)))


# --- Person search ------------------------------------------------------------------


def _visible(party: str, now: datetime) -> ColumnElement[bool]:
    """Records the Party may see at all: its own or provided to it, and not revoked."""
    shared = exists().where(
        t.record_recipients.c.record_id == t.records.c.id,
        t.record_recipients.c.party == party,
    )
    return and_(
        or_(t.records.c.owner_party == party, shared),
        or_(t.records.c.revoked_at.is_(None), t.records.c.revoked_at > now),
    )


#: What a blocking key is made of (``c:`` or ``v:`` and lower-case Latin letters).
_BLOCK = re.compile("[cv]:[a-z]{1,3}")


def _has_any(conn: Connection, blocks: frozenset[str]) -> ColumnElement[bool]:
    """Whether a person row has one of ``blocks``: a GIN lookup on PostgreSQL, a scan
    (``instr`` on the space-delimited keys) elsewhere.

    On PostgreSQL the keys are written into the statement, not bound: psycopg prepares a
    statement it has run five times, and the server may then plan it once for any keys,
    not knowing that one key is rare and another is shared by a tenth of the table (a
    plan that scanned the table for a rare key took half a second in the benchmark).
    """
    if not blocks:
        return false()
    if conn.dialect.name == "postgresql":
        if not all(_BLOCK.fullmatch(block) for block in blocks):
            raise ValueError(f"not a blocking key: {sorted(blocks)}")
        array = ",".join(f"'{block}'" for block in sorted(blocks))
        return literal_column(f"({_BLOCKS_ARRAY} && ARRAY[{array}]::text[])", Boolean)
    padded = " " + t.record_persons.c.blocks + " "
    return or_(*(func.instr(padded, f" {block} ") > 0 for block in sorted(blocks)))


def _candidates(
    conn: Connection,
    where: ColumnElement[bool],
    rankings: list[tuple[list[Any], int]],
    *,
    party: str,
    now: datetime,
) -> list[Any]:
    """The persons matching ``where`` in records visible to ``party``: for each ranking
    ``(order, cap)``, the first ``cap`` in that order (one scan, one window per ranking)."""
    p, r = t.record_persons, t.records
    numbers = [
        func.row_number().over(order_by=order).label(f"n{i}")
        for i, (order, _) in enumerate(rankings)
    ]
    ranked = (
        select(p.c.record_id, p.c.person_index, p.c.names, r.c.owner_body, r.c.title, *numbers)
        .join(r, r.c.id == p.c.record_id)
        .where(where, _visible(party, now))
        .subquery()
    )
    statement = select(
        ranked.c.record_id, ranked.c.person_index, ranked.c.names, ranked.c.owner_body,
        ranked.c.title,
    ).where(or_(*(ranked.c[f"n{i}"] <= cap for i, (_, cap) in enumerate(rankings))))  # fmt: skip
    return list(conn.execute(statement))


def _either(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*conditions) if conditions else false()


def search_persons(
    conn: Connection, query: str, *, party: str, now: datetime, k: int = 10
) -> list[PersonHit]:
    """The ``k`` persons of records visible to ``party`` whose names are most like
    ``query``, best first (ties by record and person), scored as ``NameIndex`` scores:
    the best of each person's names, whatever the script, order and spelling.

    Up to three fetches: persons sharing exact keys with two parts of the query (one
    part: with it); if none of them reaches :data:`MATCH_THRESHOLD`, those sharing one
    part exactly and another up to a typo in its first consonants; if still none does
    and fewer than ``k`` persons were found, up to ``5 k`` persons sharing any key. The
    first two are ranked in the database (:func:`_rankings`) and capped. So fewer than
    ``k`` hits may come back where a person matches: the rest would share one part only.
    """
    parsed = _parse(query)
    parts = list(dict.fromkeys(_query_part(part) for part in parsed))
    if not parts or k <= 0:
        return []
    exact = [_has_any(conn, part.exact) for part in parts]
    rankings = _rankings(conn, parts, exact)
    pairs = [and_(a, b) for i, a in enumerate(exact) for b in exact[i + 1 :]]
    first = _either(pairs) if pairs else exact[0]

    hits: dict[tuple[str, int], PersonHit] = {}
    scores: dict[tuple[str, ...], float] = {}  # namesakes are common: score a name once

    def score(rows: list[Any]) -> list[PersonHit]:
        for row in rows:
            names = tuple(row.names)
            if names not in scores:
                scores[names] = max((_score(parsed, _parse(n)) for n in names), default=0.0)
            best = scores[names]
            hit = PersonHit(row.record_id, row.person_index, names, best, row.owner_body, row.title)
            hits[hit.record_id, hit.person_index] = hit
        return sorted(hits.values(), key=lambda h: (-h.score, h.record_id, h.person_index))

    rows = _candidates(conn, first, rankings, party=party, now=now)
    ranked = score(rows)
    # A typo that changed a key leaves few persons sharing two exact keys, none alike; where
    # the cap was reached, the pairs were crowded, not missing (and a typo stage would cost
    # a scan of a hundred keys for as little).
    crowded = len(rows) >= BY_PARTS
    if len(parts) > 1 and not crowded and (not ranked or ranked[0].score < MATCH_THRESHOLD):
        typos = [
            and_(e, _has_any(conn, frozenset().union(*(o.fuzzy for o in parts if o is not part))))
            for e, part in zip(exact, parts, strict=True)
        ]
        ranked = score(
            _candidates(conn, and_(_either(typos), ~first), rankings, party=party, now=now)
        )
    if len(ranked) < k and (not ranked or ranked[0].score < MATCH_THRESHOLD):
        # Nothing like the name: show what shares a part of it, as NameIndex would. The
        # fewest keys first; an order also keeps the planner from reading the table in
        # its own order until a limit is reached, which can be most of it.
        fill = [(rankings[0][0][1:], 5 * k)]
        ranked = score(_candidates(conn, _either(exact), fill, party=party, now=now))
    return ranked[:k]


def _rankings(
    conn: Connection, parts: list[_QueryPart], exact: list[ColumnElement[bool]]
) -> list[tuple[list[Any], int]]:
    """How the database ranks candidates before Python scores them, and how many of each.

    By parts: the most query parts shared by exact key, a patronymic counting half (a
    person without one is still the person), then the fewest keys (a name with fewer
    parts: an unpaired patronymic costs nothing in the score, another part does). By
    typos: the same, but a part shared up to a typo counts half, so that a typo in a third
    part is found among the many persons sharing the other two.
    """
    p = t.record_persons
    weights = [1 if part.patronymic else 2 for part in parts]
    shares = [case((e, w), else_=0) for e, w in zip(exact, weights, strict=True)]
    near = [
        case((e, 2 * w), (_has_any(conn, part.fuzzy - part.exact), w), else_=0)
        for e, w, part in zip(exact, weights, parts, strict=True)
    ]
    tail = [func.length(p.c.blocks), p.c.record_id, p.c.person_index]
    return [
        ([sum(shares[1:], shares[0]).desc(), *tail], BY_PARTS),
        ([sum(near[1:], near[0]).desc(), *tail], BY_TYPOS),
    ]


# --- Full text ----------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
#: Websearch syntax (phrases, OR, exclusion): then only the stemmed queries are used.
_OPERATORS = re.compile(r"\"|(^|\s)-\w|\bor\b", re.IGNORECASE)


def _prefix_query(query: str) -> str | None:
    """A ``to_tsquery('simple', ...)`` text: every word of three letters or more as a
    prefix (shorter ones as they are: "a" as a prefix matches half the records), all
    required."""
    if _OPERATORS.search(query):
        return None
    words = _WORD.findall(query.lower())
    return " & ".join(f"{w}:*" if len(w) >= 3 else w for w in words) or None


def search_text(
    conn: Connection, query: str, *, party: str, now: datetime, limit: int = 20
) -> list[TextHit]:
    """Records visible to ``party`` whose text (title, summary, names, identifiers; see
    ``record_rows.search_text``) holds every word of ``query``, the best first."""
    if not _WORD.search(query) or limit <= 0:
        return []
    r = t.records
    match, rank = full_text(conn, query, r)
    statement = (
        select(r.c.id, r.c.title, r.c.owner_body, r.c.owner_party, rank)
        .where(match, _visible(party, now))
        .order_by(rank.desc(), r.c.updated_at.desc(), r.c.id)
        .limit(limit)
    )
    return [
        TextHit(row[0], row[1], row[2], row[3], float(row[4])) for row in conn.execute(statement)
    ]


def has_words(query: str) -> bool:
    """Whether ``query`` has a word to search for at all."""
    return _WORD.search(query) is not None


def full_text(
    conn: Connection, query: str, table: Table
) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    """Whether a row of ``table`` (with a ``search_text`` column, and on PostgreSQL the GIN
    index of :func:`ts_document` on it) holds every word of ``query``, and its rank: on
    PostgreSQL the stems and prefixes described above, elsewhere each word's first letters
    case-folded (rank 1). Records and the library of literature share it."""
    if conn.dialect.name == "postgresql":
        return _postgres_text(query, table)
    return _portable_text(conn, query, table)


def ts_document(table: str) -> str:
    """The full-text document of a table's ``search_text``, as its GIN index is built."""
    return (
        f"(to_tsvector('russian'::regconfig, {table}.search_text) || "
        f"to_tsvector('english'::regconfig, {table}.search_text))"
    )


def _postgres_text(query: str, table: Table) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    q: ColumnElement[str] = bindparam("q", query, type_=Text)
    tsquery = func.websearch_to_tsquery(literal_column("'russian'::regconfig"), q).op("||")(
        func.websearch_to_tsquery(literal_column("'english'::regconfig"), q)
    )
    prefix = _prefix_query(query)
    if prefix is not None:
        tsquery = tsquery.op("||")(
            func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("prefix", prefix))
        )
    # A constant, not a bound parameter, or the planner cannot match the index.
    document: ColumnElement[Any] = literal_column(ts_document(table.name))
    rank: ColumnElement[float] = func.ts_rank(document, tsquery)
    return document.op("@@")(tsquery), rank.label("rank")


def _stem(word: str) -> str:
    """A crude stem for the portable search: a word keeps its first letters, all but the
    last three and at least four, so inflected forms match (похищенные, похищены)."""
    return word[: max(4, len(word) - 3)]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _portable_text(
    conn: Connection, query: str, table: Table
) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    raw = conn.connection.driver_connection
    if raw is not None and hasattr(raw, "create_function"):  # sqlite3: Unicode case folding
        raw.create_function("ozara_fold", 1, _fold, deterministic=True)
        folded = func.ozara_fold(table.c.search_text)
    else:
        folded = func.lower(table.c.search_text)
    words = dict.fromkeys(_stem(w) for w in _WORD.findall(query.casefold()))
    match = and_(*(folded.like(_like(w), escape="\\") for w in words))
    return match, literal_column("1.0", Float).label("rank")


def _fold(text: str | None) -> str | None:
    return None if text is None else text.casefold()
