"""PostgreSQL checks the audit chain itself and names the entries Python must read.

Two scans over one snapshot: ``UNHASHED`` hashes every entry's bytes (``canonical``: a
parallel scan, SHA-256 in C, in as many processes as the server gives the query);
``UNLINKED`` checks the ids and the links (a window over the table in one process). They
run at once, the second on a connection of its own that imports the first one's snapshot
(``pg_export_snapshot``): the link scan cannot be split, and run after the hashing it would
leave a core idle. Every entry neither scan names passes the rules ``ChainWalker.feed``
applies.
"""

from __future__ import annotations

import threading
from typing import Any

from psycopg import sql
from sqlalchemy import Engine


def op(symbol: str) -> str:
    """An operator of the server's own (``pg_catalog``), whatever the search path holds."""
    return f" OPERATOR(pg_catalog.{symbol}) "


# Every function and operator below is the server's own, named with its schema: a role that
# may create objects in a schema on the search path could otherwise define, say, ``=``
# between text and varchar (a closer match to these columns than the server's) as always
# true, and a forged entry would pass. Syntax (``coalesce``, ``CASE``, ``position``,
# ``substring``) and casts do not go through the search path.
_EQ, _GE, _LE, _PLUS, _MINUS = op("="), op(">="), op("<="), op("+"), op("-")

#: Where the entry's own ``prev_hash`` lies in its bytes: an entry ends with
#: ``,"prev_hash":"``, the 64 characters, ``","ruleset":"``, the ruleset and ``"}``. The
#: ruleset column only says where to look; the bytes found there are what counts (where
#: the ruleset needs escaping nothing is found there, and Python reads the entry).
_AT = (
    f"(pg_catalog.octet_length(canonical){_MINUS}92{_MINUS}pg_catalog.octet_length(ruleset::text))"
)
#: The entries whose bytes do not give their hash, or whose ``prev_hash`` column (the one
#: ``UNLINKED`` checks the links with) is not the one in their bytes: checked here, in the
#: parallel scan, so that the link scan reads no bytes. A stored generated column can only
#: differ from its bytes by an edit of the catalog, and ``prev_hash`` is the one that
#: would matter.
UNHASHED = (
    f"SELECT id FROM audit_log WHERE id{_GE}%(first)s AND id{_LE}%(upto)s AND NOT coalesce("
    f"pg_catalog.encode(pg_catalog.sha256(canonical), 'hex'){_EQ}entry_hash::text "
    f"AND substring(canonical FROM {_AT} FOR 14){_EQ}%(prev_mark)s "
    f"AND substring(canonical FROM {_AT}{_PLUS}78 FOR 13){_EQ}%(ruleset_mark)s "
    f"AND substring(canonical FROM {_AT}{_PLUS}14 FOR 64)"
    f"{_EQ}pg_catalog.convert_to(prev_hash::text, 'UTF8'), false)"
)
#: The entries not chained to their predecessor: ``lag`` is the row before in the scan's
#: order, which is the id order as the log is appended; an entry moved out of that order
#: is only named here needlessly (and walked in Python), never passed: for every entry not
#: named, the entry with the id before is there and has the hash it is chained to. The
#: first entry is chained to the anchor (any ``prev_hash`` where there is none to check).
UNLINKED = (
    "SELECT id FROM (SELECT id, prev_hash, pg_catalog.lag(id) OVER () AS lag_id, "
    "pg_catalog.lag(entry_hash) OVER () AS lag_hash FROM audit_log "
    f"WHERE id{_GE}%(first)s AND id{_LE}%(upto)s) AS scan WHERE NOT coalesce("
    f"CASE WHEN id{_EQ}%(first)s THEN %(trust)s OR prev_hash::text{_EQ}%(anchor)s::text "
    f"ELSE lag_id{_EQ}(id{_MINUS}1) AND lag_hash::text{_EQ}prev_hash::text END, false)"
)
#: The link scan in the order the entries lie in the table, in one process from its start;
#: JIT compiling costs more than it saves on these expressions (measured: bench/audit.py).
_LINK_SETTINGS = (
    "SET LOCAL max_parallel_workers_per_gather = 0",
    "SET LOCAL synchronize_seqscans = off",
    "SET LOCAL jit = off",
)


_MARKS = {"prev_mark": b',"prev_hash":"', "ruleset_mark": b'","ruleset":"'}


#: The hashing scan in parallel: the planner reckons half the rows come out of it (it
#: cannot know a hash almost never differs) and would not pay to pass them between
#: processes; none do in an intact log. The link scan runs at the same time in a process
#: of its own, so the hashing takes one worker fewer than the server allows a query
#: (measured on 2 cores: 10% faster than both scans crowding the cores; bench/audit.py).
_HASH_SETTINGS = (
    "SET LOCAL jit = off",
    "SET LOCAL parallel_tuple_cost = 0",
    "SELECT pg_catalog.set_config('max_parallel_workers_per_gather', "
    "CASE WHEN n OPERATOR(pg_catalog.>) 1 THEN (n OPERATOR(pg_catalog.-) 1)::text "
    "ELSE n::text END, true) FROM (SELECT pg_catalog.current_setting("
    "'max_parallel_workers_per_gather')::integer AS n) AS workers",
)


def named_entries(
    cursor: Any, engine: Engine, first: int, upto: int, anchor: str | None
) -> set[int]:
    """The ids of the entries from ``first`` to ``upto`` the scans cannot vouch for.

    ``cursor`` is on a connection outside any transaction; the transaction begun here, one
    read-only snapshot for both scans, stays open for the caller to read the named entries.
    """
    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    cursor.execute("SELECT pg_catalog.pg_export_snapshot()")
    links = _LinkScan(engine, str(cursor.fetchone()[0]), {
        "first": first, "upto": upto, "trust": anchor is None,
        "anchor": anchor or "",
    })  # fmt: skip
    links.start()
    try:
        for setting in _HASH_SETTINGS:
            cursor.execute(setting)
        cursor.execute(UNHASHED, {"first": first, "upto": upto, **_MARKS})
        named = {int(row[0]) for row in cursor.fetchall()}
    finally:
        unlinked = links.result()
    return named | unlinked


class _LinkScan:
    """``UNLINKED`` on a connection of its own, in the snapshot it is given."""

    def __init__(self, engine: Engine, snapshot: str, params: dict[str, Any]) -> None:
        self._engine, self._snapshot, self._params = engine, snapshot, params
        self._named: set[int] = set()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="audit-link-scan", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def result(self) -> set[int]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._named

    def _run(self) -> None:
        try:
            raw = self._engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute(
                    sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(self._snapshot))
                )
                for setting in _LINK_SETTINGS:
                    cursor.execute(setting)
                cursor.execute(UNLINKED, self._params)
                self._named = {int(row[0]) for row in cursor.fetchall()}
                cursor.close()
            finally:
                raw.rollback()
                raw.close()
        except BaseException as exc:  # handed to the caller's thread by ``result``
            self._error = exc
