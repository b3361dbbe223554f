"""PostgreSQL checks the audit chain itself and names the entries Python must read.

Two scans over one snapshot: ``UNHASHED`` fills the template of ``ozara.store.audit`` in
the database and hashes it (a parallel scan: SHA-256 in C, in as many processes as the
server gives the query); ``UNLINKED`` checks the ids and the links (a window over the
table in one process). They run at once, the second on a connection of its own that
imports the first one's snapshot (``pg_export_snapshot``): the link scan is cheap but
cannot be split, and run after the hashing it left a core idle for a fifth of the time.
Every entry neither scan names passes the rules ``ChainWalker.feed`` applies.
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
# true, and a forged entry would pass. Syntax (``coalesce``, ``AT TIME ZONE``, ``CASE``) and
# casts do not go through the search path.
_CAT, _EQ, _GE, _LE, _LT = op("||"), op("="), op(">="), op("<="), op("<")

#: What the checks below assume: the details kept verbatim (``json``), text in UTF-8.
CAN = (
    "SELECT pg_catalog.current_setting('server_encoding'), pg_catalog.format_type(atttypid, "
    f"NULL) FROM pg_catalog.pg_attribute WHERE attrelid{_EQ}'audit_log'::regclass "
    f"AND attname{_EQ}'details'"
)
#: ``format_time`` of ``at``, as ``_rfc3339`` makes it of the text ``_PG_ROW`` selects.
AT = (
    "pg_catalog.replace(pg_catalog.to_char(at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z')"
)
#: ``ozara.store.audit._TEMPLATE``, filled in the database.
TEMPLATE = _CAT.join([
    """'{"action":"'""", "action", """'","actor_id":"'""", "actor_id", """'","at":"'""", AT,
    """'","body_id":'""", f"""coalesce('"'{_CAT}body_id{_CAT}'"', 'null')""",
    """',"details":'""", "details::text", """',"id":'""", "id::text", """',"object_id":"'""",
    "object_id", """'","object_type":"'""", "object_type", """'","prev_hash":"'""",
    "prev_hash", """'","ruleset":"'""", "ruleset", """'"}'""",
])  # fmt: skip
#: Whether the strings in ``{}`` need no JSON escaping: PostgreSQL's JSON string escapes
#: exactly what ``_NEEDS_ESCAPE`` finds (text holds no NUL), so it adds only the quotes.
PLAIN = (
    f"pg_catalog.octet_length(pg_catalog.to_json({{0}})::text){_EQ}"
    f"(pg_catalog.octet_length({{0}}){op('+')}2)"
)
#: The strings ``PLAIN`` checks, in one text.
_STRINGS = _CAT.join(
    ["actor_id", "action", "object_type", "object_id", "ruleset", "coalesce(body_id, '')"]
)
#: The entries the template does not verify: those whose template hash is not their hash,
#: and those the template does not apply to (a string that needs escaping; an instant
#: ``_rfc3339`` cannot read). ``prev_hash`` is left to ``UNLINKED``: an entry it does not
#: name is chained to a hash that was computed, hex.
UNHASHED = (
    f"SELECT id FROM audit_log WHERE id{_GE}%s AND id{_LE}%s AND NOT coalesce("
    "pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to("
    f"{TEMPLATE}, 'UTF8')), 'hex'){_EQ}entry_hash::text AND "
    + PLAIN.format(f"({_STRINGS})")
    + f" AND at{_GE}'0001-01-01 00:00:00+00'::timestamptz "
    f"AND at{_LT}'10000-01-01 00:00:00+00'::timestamptz, false)"
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
    f"CASE WHEN id{_EQ}%(first)s THEN (%(trust)s OR prev_hash::text{_EQ}%(anchor)s::text) "
    "AND " + PLAIN.format("prev_hash::text") + " "
    f"ELSE lag_id{_EQ}(id{op('-')}1) AND lag_hash::text{_EQ}prev_hash::text END, false)"
)
#: The link scan in the order the entries lie in the table, in one process from its start;
#: JIT compiling costs more than it saves on these expressions (measured: bench/audit.py).
_LINK_SETTINGS = (
    "SET LOCAL max_parallel_workers_per_gather = 0",
    "SET LOCAL synchronize_seqscans = off",
    "SET LOCAL jit = off",
)


def named_entries(
    cursor: Any, engine: Engine, first: int, upto: int, anchor: str | None
) -> set[int] | None:
    """The ids of the entries from ``first`` to ``upto`` the scans cannot vouch for, or
    None where the template does not apply here (Python reads every page then).

    ``cursor`` is on a connection outside any transaction; the transaction begun here, one
    read-only snapshot for both scans, stays open for the caller to read the named entries.
    """
    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    cursor.execute(CAN)
    if tuple(cursor.fetchone() or ()) != ("UTF8", "json"):
        return None
    cursor.execute("SELECT pg_catalog.pg_export_snapshot()")
    links = _LinkScan(engine, str(cursor.fetchone()[0]), {
        "first": first, "upto": upto, "trust": anchor is None, "anchor": anchor or "",
    })  # fmt: skip
    links.start()
    try:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(UNHASHED, (first, upto))
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
