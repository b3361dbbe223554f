"""The audit log's table: each entry stored as the very bytes its hash covers.

``canonical`` holds the RFC 8785 text of the entry (``ozara.store.audit.entry_bytes``);
``entry_hash`` is SHA-256 over exactly those bytes. Every other member of the entry is a
column the database *generates* from ``canonical`` (a virtual column on SQLite, a stored
one on PostgreSQL, which has no other kind before version 18), so it cannot be updated on
its own: whoever changes what the log says must change the hashed bytes. Verification then
hashes one column per entry instead of rebuilding the text from ten
(docs/benchmarks.md, "Audit chain verification").

That holds while the columns stay generated, so verification first reads the table's
definition from the catalog (``definition_changed``): a column turned into a plain one
(``ALTER ... DROP EXPRESSION``, a rebuilt table) is reported before any entry is read.
The links are never taken from a generated column (a superuser who edits the catalog
could make a stored one disagree with the bytes): they are read in the bytes themselves.
"""

from __future__ import annotations

import re
from typing import Any

#: The generated members, in the order they are declared, with their column types.
MEMBERS = (
    ("at", "timestamp with time zone"),
    ("actor_id", "character varying(128)"),
    ("body_id", "character varying(64)"),
    ("action", "character varying(64)"),
    ("object_type", "character varying(32)"),
    ("object_id", "character varying(128)"),
    ("details", "json"),
    ("ruleset", "character varying(32)"),
    ("prev_hash", "character varying(64)"),
)
NULLABLE = {"body_id"}

# -- PostgreSQL ---------------------------------------------------------------------------


#: The bytes as text, for the generated columns (``convert_from`` itself is not marked
#: immutable, since it reads the server's encoding; a node's database is UTF-8).
PG_FUNCTION = "ozara_audit_text"
PG_FUNCTION_SOURCE = "SELECT pg_catalog.convert_from($1, 'UTF8')"
PG_CREATE_FUNCTION = (
    f"CREATE FUNCTION {PG_FUNCTION}(bytea) RETURNS text LANGUAGE sql IMMUTABLE STRICT "
    f"PARALLEL SAFE AS $${PG_FUNCTION_SOURCE}$$"
)
_PG_CHECK_FUNCTION = (
    "SELECT n.nspname, p.prosrc, p.provolatile, l.lanname, p.prosecdef, p.proconfig, "
    "p.prorettype OPERATOR(pg_catalog.=) 'pg_catalog.text'::pg_catalog.regtype "
    "FROM pg_catalog.pg_proc AS p "
    "JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace "
    "JOIN pg_catalog.pg_language AS l ON l.oid OPERATOR(pg_catalog.=) p.prolang "
    f"WHERE p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure('{PG_FUNCTION}(bytea)')"
)


def _pg_member(name: str, op: str = "->>") -> str:
    return f"(({{fn}}(canonical))::json OPERATOR(pg_catalog.{op}) '{name}'::text)"


_PG_AT_TEXT = _pg_member("at")
#: ``format_time``'s text (``2026-01-30T07:00:00Z``, or with ``.123457`` before the Z) as an
#: instant, with functions PostgreSQL marks immutable (a cast of text to timestamptz is not:
#: it reads the session's time zone), as a generated column requires.
_PG_AT = (
    "pg_catalog.timezone('UTC'::text, pg_catalog.make_timestamp("
    + ", ".join(
        f"(pg_catalog.substr({_PG_AT_TEXT}, {start}, {length}))::integer"
        for start, length in ((1, 4), (6, 2), (9, 2), (12, 2), (15, 2))
    )
    + f", (pg_catalog.substr({_PG_AT_TEXT}, 18, (pg_catalog.length({_PG_AT_TEXT}) "
    "OPERATOR(pg_catalog.-) 18)))::double precision))"
)
_PG_TEMPLATES = {
    name: _PG_AT if name == "at" else _pg_member(name, "->" if name == "details" else "->>")
    for name, _ in MEMBERS
}
PG_EXPRESSIONS = {name: text.format(fn=PG_FUNCTION) for name, text in _PG_TEMPLATES.items()}


def pg_printed(schema: str) -> dict[str, str]:
    """The expressions as the server prints them back with only ``pg_catalog`` on the
    search path (the function of the node's schema named with it)."""
    return {
        name: re.sub(r"OPERATOR\(pg_catalog\.(\S+?)\)", r"\1", text)
        .replace("pg_catalog.", "")
        .format(fn=f"{schema}.{PG_FUNCTION}")
        for name, text in _PG_TEMPLATES.items()
    }


def pg_columns() -> str:
    """The generated columns, as ``ALTER TABLE ... ADD COLUMN`` clauses."""
    return ", ".join(
        f"ADD COLUMN {name} {kind} GENERATED ALWAYS AS ({PG_EXPRESSIONS[name]}) STORED"
        + ("" if name in NULLABLE else " NOT NULL")
        for name, kind in MEMBERS
    )


_PG_DEFINITION = (
    "SELECT a.attname, a.attgenerated, pg_catalog.format_type(a.atttypid, a.atttypmod), "
    "pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attribute AS a "
    "LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid OPERATOR(pg_catalog.=) a.attrelid "
    "AND d.adnum OPERATOR(pg_catalog.=) a.attnum "
    "WHERE a.attrelid OPERATOR(pg_catalog.=) %(table)s "
    "AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
)

# -- SQLite ---------------------------------------------------------------------------------


def _sqlite_member(name: str) -> str:
    return f"json_extract(CAST(canonical AS TEXT), '$.{name}')"


_SQLITE_AT_TEXT = _sqlite_member("at")
#: ``format_time``'s text as SQLAlchemy stores an instant on SQLite (``2026-01-30
#: 07:00:00.000000``), so that the column reads back as it did when it was written.
_SQLITE_AT = (
    f"CASE WHEN length({_SQLITE_AT_TEXT}) = 20 "
    f"THEN substr({_SQLITE_AT_TEXT}, 1, 10) || ' ' || substr({_SQLITE_AT_TEXT}, 12, 8) "
    "|| '.000000' "
    f"ELSE substr({_SQLITE_AT_TEXT}, 1, 10) || ' ' || substr({_SQLITE_AT_TEXT}, 12, 15) END"
)
_SQLITE_TYPES = {"at": "DATETIME", "details": "JSON"}
SQLITE_EXPRESSIONS = {
    name: _SQLITE_AT if name == "at" else _sqlite_member(name) for name, _ in MEMBERS
}

#: The table as the migration creates it on SQLite, and as verification expects to find it
#: in ``sqlite_schema`` (SQLite keeps the text of the statement).
SQLITE_TABLE = (
    "CREATE TABLE audit_log (\n"
    "\tid INTEGER NOT NULL,\n"
    "\tcanonical BLOB NOT NULL,\n"
    "\tentry_hash VARCHAR(64) NOT NULL,\n"
    + "".join(
        f"\t{name} {_SQLITE_TYPES.get(name, kind.replace('character varying', 'VARCHAR'))} "
        f"GENERATED ALWAYS AS ({SQLITE_EXPRESSIONS[name]}) VIRTUAL"
        + ("" if name in NULLABLE else " NOT NULL")
        + ",\n"
        for name, kind in MEMBERS
    )
    + "\tCONSTRAINT pk_audit_log PRIMARY KEY (id)\n)"
)

# -- the check ------------------------------------------------------------------------------


def definition_changed(conn: Any) -> str | None:
    """What in ``audit_log``'s definition differs from the migration's, or None.

    ``conn`` is a SQLAlchemy connection in a transaction it may end. On PostgreSQL the
    expressions are printed with only ``pg_catalog`` on the search path, so a function of
    another schema shows its schema.
    """
    if conn.dialect.name == "sqlite":
        found = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'audit_log'"
        ).scalar()
        if found is None or _squeeze(found) != _squeeze(SQLITE_TABLE):
            return "the audit_log table is not the one the migration created"
        return None
    table = conn.exec_driver_sql("SELECT pg_catalog.to_regclass('audit_log')::oid").scalar()
    function = conn.exec_driver_sql(_PG_CHECK_FUNCTION).first()
    expected = (PG_FUNCTION_SOURCE, "i", "sql", False, None, True)
    if function is None or tuple(function[1:]) != expected:
        return f"function {PG_FUNCTION} is not the one the migration created"
    # SET LOCAL needs a transaction: an autocommit connection has none of its own.
    outside = bool(getattr(conn.connection.dbapi_connection, "autocommit", False))
    if outside:
        conn.exec_driver_sql("BEGIN")
    try:
        conn.exec_driver_sql("SET LOCAL search_path = pg_catalog")
        found = conn.exec_driver_sql(_PG_DEFINITION, {"table": table})
        columns = {row[0]: tuple(row[1:]) for row in found}
    finally:
        if outside:
            conn.exec_driver_sql("ROLLBACK")
    printed = pg_printed(function[0])
    if columns.get("canonical", (None, None))[:2] != ("", "bytea"):
        return "column canonical is not the hashed bytes"
    for name, kind in MEMBERS:
        generated, found_kind, expression = columns.get(name, (None, None, None))
        if generated != "s" or found_kind != kind or expression != printed[name]:
            return f"column {name} is no longer generated from the hashed bytes"
    return None


def _squeeze(statement: str) -> str:
    return re.sub(r"\s+", " ", statement).strip()
