"""An audit entry's stored bytes, read without the database: its link, its members, and
a whole page checked at C speed (ozara/store/audit.py walks the log with these).

No SQLAlchemy here: ``audit_split`` runs ``fast_batch`` in a second process on SQLite, which
should start in a blink.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from itertools import repeat
from operator import add, methodcaller
from typing import Any, NamedTuple

from ozara.core.audit import ChainWalker

_hexdigest = methodcaller("hexdigest")
_sha256 = hashlib.sha256

#: One page of entries in id order, on SQLite (keyset pagination: see ``verify_chain``).
SQLITE_PAGE = (
    "SELECT id, canonical, entry_hash FROM audit_log WHERE id > ? AND id <= ? ORDER BY id LIMIT ?"
)


def _number(text: str) -> int | float:
    value = int(text)
    return value if abs(value) < 2**53 else float(value)


def load_json(text: str) -> Any:
    """JSON as RFC 8785 reads it: an integer beyond 2**53 is a double, as it was written."""
    return json.loads(text, parse_int=_number)


#: Where the entry's own ``prev_hash`` is in its bytes, and what must follow it there.
PREV_MARK, RULESET_MARK = b',"prev_hash":"', b'","ruleset":"'


def prev_hash_of(text: bytes) -> str | None:
    """The entry's ``prev_hash``, found in its bytes without parsing them, or None where
    it is not found (then the entry is parsed: ``StoredEntry``).

    It is the last ``,"prev_hash":"`` that the ruleset's name follows 64 characters on:
    ``prev_hash`` and ``ruleset`` are the entry's last members, and a string cannot hold
    the name's quotes unescaped. PostgreSQL looks where the ruleset column says it is
    (``audit_pg.UNHASHED``): for the bytes the node wrote, the same place.
    """
    at = text.rfind(PREV_MARK)
    if at < 0 or text[at + 78 : at + 91] != RULESET_MARK:
        return None
    return text[at + 14 : at + 78].decode("ascii", "replace")


class StoredEntry(NamedTuple):
    """A stored entry as the row-by-row walk reads it (its bytes parsed)."""

    id: int
    prev_hash: str
    entry_hash: str
    computed: str
    at: str
    written_as: int | None  # the id in its bytes

    @classmethod
    def of(cls, row: Sequence[Any]) -> StoredEntry:
        text, stored = bytes(row[1]), str(row[2])
        try:
            members = load_json(text.decode("utf-8"))
        except ValueError:
            members = None
        if not isinstance(members, dict):
            members = {}
        written_as = members.get("id")
        prev = prev_hash_of(text)
        return cls(
            int(row[0]),
            prev or str(members.get("prev_hash", "none")),
            stored,
            _sha256(text).hexdigest(),
            str(members.get("at", "unknown")),
            written_as if isinstance(written_as, int) else None,
        )


def at_of(row: Sequence[Any]) -> str:
    return StoredEntry.of(row).at


def fast_batch(rows: Sequence[Sequence[Any]], walker: ChainWalker) -> bool:
    """Check a whole page at C speed; False: walk it row by row instead (never a verdict).

    Each entry must end with its link to the one before, ``,"prev_hash":"H","ruleset":"R"}``
    (``R`` as the page's last entry has it, with no quote in it): then ``H`` is the link
    ``prev_hash_of`` finds, and the whole page is compared with ``bytes.endswith``.
    """
    try:
        ids, texts, hashes = zip(*rows, strict=True)
        computed = list(map(_hexdigest, map(_sha256, texts)))
        last = texts[-1]
        tail = last[last.rfind(RULESET_MARK) :]
        links = [walker.last_hash or prev_hash_of(texts[0]) or "", *hashes[:-1]]
        ends = map(add, map(add, repeat(PREV_MARK), map(str.encode, links)), repeat(tail))
        linked = (
            tail.count(b'"') == 5 and tail.endswith(b'"}') and all(map(bytes.endswith, texts, ends))
        )
    except (TypeError, ValueError):  # a NULL where bytes belong
        return False
    first = walker.next_id
    if not linked or computed != list(hashes) or ids != tuple(range(first, first + len(rows))):
        return False
    walker.advance(len(rows), ids[-1], hashes[-1], at_of(rows[-1]))
    return True
