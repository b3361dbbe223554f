"""``ozara restore``: a verified archive (``ozara.ops.backup``) into a fresh node.

Order of work, each step refusing before anything is written when it fails: the archive is
verified and extracted (``open_archive``); its schema revision must be this code's head (a
restore then an upgrade is for later: the dump is read with the current schema's types);
the node directory must hold no node yet; the database must be empty, i.e. hold nothing but
what the migrations themselves write (the audit chain's head row). Then the schema is built
by the migrations, every row is loaded in one transaction (in the archive's dependency
order; on PostgreSQL the identity sequences are moved past the highest id), the node files
are written, and the audit chain is verified over what was loaded (``verify_chain``), with
the node's key for its checkpoints.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, Connection, Engine, MetaData, Table, inspect, select, text
from sqlalchemy.types import TypeDecorator

from ozara.core.audit import Report
from ozara.ops.backup import (
    BATCH,
    Archive,
    BackupError,
    Progress,
    is_json,
    open_archive,
    stored,
)
from ozara.store import db
from ozara.store.audit import verify_chain
from ozara.store.tables import metadata
from ozara.transport.nodefiles import KEYS_FILE


@dataclass(frozen=True, slots=True)
class RestoreSummary:
    node_id: str
    revision: str
    tables: dict[str, int]
    files: list[str]
    audit: Report
    anchored: bool
    notes: list[str] = field(default_factory=list)


# -- reading the archive's rows ---------------------------------------------------------


def _python_type(column: Column[Any]) -> type | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):  # it does not pass python_type on
        kind = kind.impl_instance
    try:
        value: type = kind.python_type
    except NotImplementedError:
        return None
    return value


def decoder(column: Column[Any]) -> Callable[[Any], Any]:
    """The inverse of ``encode`` for ``column``; JSON columns give their text back parsed
    (``JSON.NULL`` for a JSON ``null``) as the value to insert."""
    if is_json(column):

        def parse(v: Any) -> Any:
            if v is None:
                return None
            parsed = json.loads(v)
            return JSON.NULL if parsed is None else parsed

        return parse
    kind = _python_type(column)
    if kind is datetime:
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if kind is date:
        return lambda v: None if v is None else date.fromisoformat(v)
    if kind is bytes:
        return lambda v: None if v is None else base64.b64decode(v, validate=True)
    return lambda v: v


def rows(
    archive: Archive, entry: dict[str, Any], columns: Sequence[Column[Any]]
) -> Iterator[dict[str, Any]]:
    """The rows of one table of the archive, decoded for ``columns`` (named as dumped)."""
    names = [str(n) for n in entry["columns"]]
    by_name = {c.name: c for c in columns}
    unknown = sorted(set(names) - set(by_name))
    if unknown:
        raise BackupError(f"{entry['name']}: columns {', '.join(unknown)} are not in the schema")
    decoders = [decoder(by_name[n]) for n in names]
    with (archive.root / str(entry["member"])).open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            values = json.loads(line)
            if not isinstance(values, list) or len(values) != len(names):
                raise BackupError(f"{entry['member']} line {number}: not a row of {names}")
            yield {n: d(v) for n, d, v in zip(names, decoders, values, strict=True)}


def _shadow(table: Table) -> Table:
    """``table`` for inserting dumped values: plain JSON columns take SQL NULL for ``None``
    (``JSON.NULL`` for a JSON ``null``), so that the two stay apart as they were."""
    columns = []
    for c in stored(table):
        kind = c.type
        if is_json(c) and not isinstance(kind, TypeDecorator):
            kind = JSON(none_as_null=True)
        columns.append(Column(c.name, kind, key=c.key))
    return Table(table.name, MetaData(), *columns)


def _table_rows(conn: Connection, table: Table) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]


@functools.cache
def _pristine() -> dict[str, list[tuple[Any, ...]]]:
    """What the migrations alone write, per table (read from a scratch SQLite database):
    a database holding exactly that is empty, whatever backend and however it was made."""
    with tempfile.TemporaryDirectory(prefix=".ozara-pristine-") as scratch:
        engine = db.make_engine(f"sqlite:///{Path(scratch) / 'pristine.sqlite3'}")
        try:
            db.upgrade(engine)
            with engine.connect() as conn:
                return {t.name: _table_rows(conn, t) for t in metadata.sorted_tables}
        finally:
            engine.dispose()


def _check_empty(engine: Engine, head: str | None) -> None:
    names = set(inspect(engine).get_table_names())
    if not names:
        return
    if names & {t.name for t in metadata.sorted_tables} or "alembic_version" in names:
        revision = db.current_revision(engine)
        if revision != head:
            raise BackupError(
                f"the target database is not empty (it has a schema at revision {revision}); "
                "restore into an empty database"
            )
        pristine = _pristine()
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                if _table_rows(conn, table) != pristine[table.name]:
                    raise BackupError(
                        f"the target database is not empty (table {table.name} holds data); "
                        "restore into an empty database"
                    )
            conn.rollback()
    else:
        raise BackupError(
            f"the target database holds other tables ({', '.join(sorted(names)[:5])}); "
            "restore into an empty database"
        )


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: the next generated id follows the highest one restored."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    for table in metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        t, c = quote(table.name), quote(column.name)
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), "  # names quoted above
                f"COALESCE((SELECT MAX({c}) FROM {t}), 0) + 1, false)"
            ),
            {"t": table.name, "c": column.name},
        )


def _load(engine: Engine, archive: Archive, progress: Progress | None) -> dict[str, int]:
    known = {t.name: t for t in metadata.sorted_tables}
    entries = archive.tables
    unknown = sorted({str(e["name"]) for e in entries} - set(known))
    if unknown:
        raise BackupError(f"the archive has tables this schema lacks: {', '.join(unknown)}")
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        # The migrations' own rows (the chain's head) give way to the archive's.
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        for entry in entries:
            table = known[str(entry["name"])]
            shadow = _shadow(table)
            total, done, batch = int(entry["rows"]), 0, []
            for row in rows(archive, entry, stored(table)):
                batch.append(row)
                if len(batch) >= BATCH:
                    conn.execute(shadow.insert(), batch)
                    done += len(batch)
                    batch = []
                    if progress is not None:
                        progress(table.name, done, total)
            if batch:
                conn.execute(shadow.insert(), batch)
                done += len(batch)
            if done != total:
                raise BackupError(f"{table.name}: {done} rows, the manifest says {total}")
            if progress is not None:
                progress(table.name, done, total)
            counts[table.name] = done
        _reset_sequences(conn)
    return counts


def _check_node_dir(node_dir: Path) -> None:
    if (node_dir / KEYS_FILE).exists():
        raise BackupError(
            f"--node-dir: {node_dir} already holds a node ({KEYS_FILE}); give a new one"
        )


def _write_files(archive: Archive, node_dir: Path) -> list[str]:
    written = []
    for entry in archive.files:
        relative = Path(str(entry["path"]))
        target = node_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = int(entry.get("mode", 0o600)) & 0o777
        data = (archive.root / str(entry["member"])).read_bytes()
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(target, mode)
        written.append(relative.as_posix())
    return written


def restore(
    engine: Engine,
    archive_path: Path,
    node_dir: Path,
    *,
    anchor_key: bytes | None = None,
    progress: Progress | None = None,
) -> RestoreSummary:
    """Restore the archive into the empty database ``engine`` and the new ``node_dir``."""
    archive = open_archive(archive_path, anchor_key)
    try:
        head = db.head_revision(engine)
        revision = str(archive.manifest["alembic_revision"])
        if revision != head:
            raise BackupError(
                f"the archive's schema is at revision {revision}, this Ozara's at {head}: "
                "restore it with the version that made it, then upgrade"
            )
        _check_node_dir(node_dir)
        _check_empty(engine, head)
        db.upgrade(engine)
        counts = _load(engine, archive, progress)
        files = _write_files(archive, node_dir)
        report = verify_chain(engine, public_key=archive.signing_key)
        return RestoreSummary(
            str(archive.manifest["node_id"]), revision, counts, files, report,
            archive.anchored, list(archive.notes),
        )  # fmt: skip
    finally:
        archive.close()
