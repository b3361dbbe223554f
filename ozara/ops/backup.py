"""``ozara backup``: the whole node in one signed archive (``ozara restore`` reads it back).

Why a logical dump and not a copy of the database file: the archive must restore into either
backend (a node moving from SQLite to PostgreSQL, or a PostgreSQL node recovered on a laptop),
and a logical dump can be checked row by row. The archive (tar, gzip) holds:

``manifest.json``
    format, time, node id, the Alembic revision of the schema, the tables in dependency
    order (member, columns, row count), the node directory's files (path, mode), the SHA-256
    of every other member, and the node's signature over all of it (RFC 8785, label
    ``ozara-backup-manifest-v1``), so a changed, added or removed member is detected.
``tables/NNN-<table>.jsonl``
    one JSON array per row in the manifest's column order; instants as ISO 8601 UTC, dates
    as ISO dates, bytes as base64, JSON columns as their JSON text (so that SQL NULL and JSON
    ``null`` stay apart, and the audit log's canonical details stay byte for byte).
``node/...``
    the node directory: keys (private!), trust list, trust anchor, officers' keys.

The tables are read in one transaction, so the dump is one instant of the node: REPEATABLE
READ on PostgreSQL, a single read transaction on SQLite (a deferred ``BEGIN``: in WAL mode the
node keeps writing meanwhile). The dump is generic over ``metadata.sorted_tables``: a table
added to the schema is backed up without a change here.

The archive holds the node's private keys in clear: keep it as the node directory is kept.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Table,
    Text,
    cast,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy import func as sqlfunc
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from ozara.crypto import CryptoError, b64url_decode, b64url_encode, fingerprint, get_suite
from ozara.documents import NodeKeys
from ozara.documents.canonical import (
    CanonicalJSONError,
    JSONObject,
    JSONValue,
    parse_json,
)
from ozara.documents.fields import format_time
from ozara.documents.signing import signed_bytes
from ozara.store import db
from ozara.store.tables import metadata
from ozara.transport.nodefiles import NodeFilesError, load_node

FORMAT = "ozara-backup-v1"
MANIFEST = "manifest.json"
MANIFEST_LABEL = b"ozara-backup-manifest-v1"
#: Rows per batch read from or written to the database, and per progress report.
BATCH = 1000

#: ``progress(table, rows done, rows in all)``, called every ``BATCH`` rows and at the end.
Progress = Callable[[str, int, int], None]


class BackupError(Exception):
    """A backup that cannot be made or an archive that is refused; the message says why."""


@dataclass(frozen=True, slots=True)
class BackupSummary:
    path: Path
    node_id: str
    revision: str
    tables: dict[str, int]
    files: list[str]


@dataclass(slots=True)
class Archive:
    """A verified archive, its members extracted under ``root`` (deleted by ``close``)."""

    root: Path
    manifest: JSONObject
    signing_key: bytes
    anchored: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def tables(self) -> list[dict[str, Any]]:
        value = self.manifest["tables"]
        assert isinstance(value, list)
        return [dict(entry) for entry in value if isinstance(entry, dict)]

    @property
    def files(self) -> list[dict[str, Any]]:
        value = self.manifest["files"]
        assert isinstance(value, list)
        return [dict(entry) for entry in value if isinstance(entry, dict)]

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


# -- column encoding ------------------------------------------------------------------------


def is_json(column: Column[Any]) -> bool:
    """A JSON column: dumped as its JSON text."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, JSON)


def encode(value: Any) -> Any:
    """A value read from the database as JSON (the column's type says how to read it back)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def stored(table: Table) -> list[Column[Any]]:
    """The columns a dump holds: not those the database generates (the audit log's members,
    generated from the bytes they were hashed as)."""
    return [c for c in table.columns if c.computed is None]


def selected(table: Table) -> Any:
    """The statement that reads ``table`` for the dump: JSON columns as text, rows in
    primary-key order (the same archive for the same data)."""
    columns = [cast(c, Text).label(c.name) if is_json(c) else c for c in stored(table)]
    return select(*columns).order_by(*table.primary_key.columns)


# -- reading the node in one transaction ---------------------------------------------------


def reader_engine(engine: Engine) -> Engine:
    """An engine whose transactions read one instant without blocking the node.

    The node's SQLite engine begins with ``BEGIN IMMEDIATE`` (a writer's lock); readers (the
    dump, the metrics, the readiness probe) need a plain ``BEGIN``, whose first read fixes
    the snapshot in WAL mode while the node goes on writing. Other backends: ``engine``.
    """
    if engine.dialect.name != "sqlite":
        return engine
    reader = create_engine(engine.url, poolclass=NullPool)

    def connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA busy_timeout=10000")

    event.listen(reader, "connect", connect)
    event.listen(reader, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return reader


def _begin_snapshot(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))


def _dump_table(conn: Connection, table: Table, out: Path, progress: Progress | None) -> int:
    total = conn.execute(select(sqlfunc.count()).select_from(table)).scalar_one()
    done = 0
    with out.open("w", encoding="utf-8") as f:
        result = conn.execution_options(yield_per=BATCH).execute(selected(table))
        for rows in result.partitions():
            for row in rows:
                f.write(json.dumps([encode(v) for v in row], ensure_ascii=False))
                f.write("\n")
            done += len(rows)
            if progress is not None:
                progress(table.name, done, total)
    if progress is not None and done == 0:
        progress(table.name, 0, 0)
    return done


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _node_files(node_dir: Path) -> Iterator[Path]:
    """Regular files of the node directory (links are not followed: nothing outside it)."""
    for path in sorted(node_dir.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def sign_manifest(manifest: JSONObject, keys: NodeKeys) -> JSONObject:
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    signature = get_suite(keys.suite_id).sign(
        keys.signing.private, signed_bytes(MANIFEST_LABEL, unsigned)
    )
    return {**unsigned, "signature": b64url_encode(signature)}


def _dump_tables(
    engine: Engine, work: Path, members: dict[str, str], progress: Progress | None
) -> tuple[str, list[JSONObject]]:
    """Every table into ``work/tables`` in one read transaction; the revision read in it."""
    head = db.head_revision(engine)
    tables: list[JSONObject] = []
    reader = reader_engine(engine)
    try:
        with reader.connect() as conn, conn.begin():
            _begin_snapshot(conn)
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if revision != head:
                raise BackupError(
                    f"the database is at revision {revision}, this Ozara needs {head}: "
                    "upgrade it first (ozara serve migrates)"
                )
            for number, table in enumerate(metadata.sorted_tables):
                member = f"tables/{number:03d}-{table.name}.jsonl"
                count = _dump_table(conn, table, work / member, progress)
                members[member] = _sha256(work / member)
                columns: list[JSONValue] = [c.name for c in stored(table)]
                tables.append(
                    {"name": table.name, "member": member, "columns": columns, "rows": count}
                )
    finally:
        if reader is not engine:
            reader.dispose()
    return str(revision), tables


def _copy_node_files(node_dir: Path, work: Path, members: dict[str, str]) -> list[JSONObject]:
    files: list[JSONObject] = []
    for path in _node_files(node_dir):
        relative = path.relative_to(node_dir).as_posix()
        member = f"node/{relative}"
        target = work / member
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        members[member] = _sha256(target)
        files.append({"path": relative, "member": member, "mode": path.stat().st_mode & 0o777})
    return files


def _write_tar(partial: Path, manifest: JSONObject, work: Path, mtime: int) -> None:
    """The manifest first (a reader checks it before anything else), then the members."""
    members = manifest["members"]
    assert isinstance(members, dict)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(data), 0o600, mtime
        tar.addfile(info, io.BytesIO(data))
        for member in members:
            info = tar.gettarinfo(str(work / member), arcname=member)
            info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
            with (work / member).open("rb") as f:
                tar.addfile(info, f)


def backup(
    engine: Engine, node_dir: Path, out: Path, now: datetime, progress: Progress | None = None
) -> BackupSummary:
    """Write the archive to ``out`` (mode 0600, replaced atomically when complete)."""
    try:
        node = load_node(node_dir)
    except NodeFilesError as exc:
        raise BackupError(f"--node-dir: {exc}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".ozara-backup-", dir=out.parent))
    try:
        (work / "tables").mkdir()
        members: dict[str, str] = {}
        revision, tables = _dump_tables(engine, work, members, progress)
        files = _copy_node_files(node_dir, work, members)
        manifest = sign_manifest(
            {
                "format": FORMAT,
                "created_at": format_time(now),
                "node_id": node.keys.node_id,
                "suite": node.keys.suite_id,
                "signing_key": b64url_encode(node.keys.signing.public),
                "key": node.keys.signing_key_fingerprint,
                "alembic_revision": revision,
                "source_dialect": engine.dialect.name,
                "tables": list(tables),
                "files": list(files),
                "members": dict(members),
            },
            node.keys,
        )
        _write_tar(work / "archive.tar.gz", manifest, work, int(now.timestamp()))
        os.replace(work / "archive.tar.gz", out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BackupSummary(
        out,
        node.keys.node_id,
        revision,
        {str(t["name"]): int(str(t["rows"])) for t in tables},
        [str(f["path"]) for f in files],
    )


# -- reading an archive back ---------------------------------------------------------------


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def _check_manifest(manifest: Any) -> tuple[JSONObject, bytes]:
    """The manifest and its signing key, if well formed and signed by that key."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"not an Ozara backup ({MANIFEST} is not of format {FORMAT})")
    for name, kind in (("signature", str), ("signing_key", str), ("suite", str),
                       ("node_id", str), ("alembic_revision", str), ("tables", list),
                       ("files", list), ("members", dict)):  # fmt: skip
        if not isinstance(manifest.get(name), kind):
            raise BackupError(f"{MANIFEST}: {name} is missing or malformed")
    members = manifest["members"]
    for entry in [*manifest["tables"], *manifest["files"]]:
        member = entry.get("member") if isinstance(entry, dict) else None
        if not isinstance(member, str) or member not in members or not _safe_member(member):
            raise BackupError(f"{MANIFEST}: {member!r} is not one of its members")
        path = entry.get("path", "x")
        if not isinstance(path, str) or not _safe_member(path):
            raise BackupError(f"{MANIFEST}: {path!r} is not a path inside a node directory")
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    try:
        key = b64url_decode(str(manifest["signing_key"]))
        get_suite(str(manifest["suite"])).verify(
            key, signed_bytes(MANIFEST_LABEL, unsigned), b64url_decode(str(manifest["signature"]))
        )
    except (CryptoError, LookupError, ValueError, CanonicalJSONError) as exc:
        raise BackupError(
            f"the archive was altered: the manifest's signature does not verify ({exc})"
        ) from None
    return manifest, key


def _extract(tar: tarfile.TarFile, root: Path, expected: dict[str, str]) -> None:
    """Extract the listed members, each checked against its hash; anything else refused."""
    seen: set[str] = set()
    for info in tar:
        name = info.name
        if name == MANIFEST:
            continue
        if name not in expected or not info.isfile() or not _safe_member(name):
            raise BackupError(f"the archive was altered: {name!r} is not in its manifest")
        if name in seen:
            raise BackupError(f"the archive was altered: {name!r} appears twice")
        seen.add(name)
        source = tar.extractfile(info)
        assert source is not None
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != expected[name]:
            raise BackupError(
                f"the archive was altered: {name} does not have the SHA-256 its manifest names"
            )
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"the archive is incomplete: {', '.join(missing)} missing")


def open_archive(path: Path, anchor_key: bytes | None = None) -> Archive:
    """Verify ``path`` (manifest signature, every member's hash, the node's key against the
    trust list and its anchor) and extract it to a temporary directory.

    The manifest's key must be the one in the archive's ``keys.json``, and the Secretariat's
    trust list in the archive must list it for this node. With ``anchor_key`` (the
    Secretariat's key from outside the archive) the archive's anchor must be that key, so that
    an archive rebuilt around other keys is refused; without, the archive vouches for itself.
    """
    root = Path(tempfile.mkdtemp(prefix=".ozara-restore-"))
    archive: Archive | None = None
    try:
        try:
            with tarfile.open(path, mode="r:*") as tar:
                first = tar.next()
                if first is None or first.name != MANIFEST or not first.isfile():
                    raise BackupError(f"not an Ozara backup: {MANIFEST} is not its first member")
                raw = tar.extractfile(first)
                assert raw is not None
                manifest, key = _check_manifest(parse_json(raw.read()))
                members = manifest["members"]
                assert isinstance(members, dict)
                _extract(tar, root, {str(k): str(v) for k, v in members.items()})
        except (tarfile.TarError, EOFError, OSError, CanonicalJSONError) as exc:
            raise BackupError(f"{path}: not a readable Ozara backup ({exc})") from None
        archive = Archive(root, manifest, key)
        _check_node(archive, anchor_key)
        return archive
    finally:
        if archive is None or not root.exists():
            shutil.rmtree(root, ignore_errors=True)


def _check_node(archive: Archive, anchor_key: bytes | None) -> None:
    node_id = str(archive.manifest["node_id"])
    try:
        node = load_node(archive.root / "node")
    except NodeFilesError as exc:
        archive.close()
        raise BackupError(f"the archive's node directory: {exc}") from None
    problem = None
    if node.keys.node_id != node_id or node.keys.signing.public != archive.signing_key:
        problem = "the manifest is not signed with the key of the node in the archive"
    elif anchor_key is not None and node.secretariat_key != anchor_key:
        problem = "the archive's trust anchor is not the Secretariat key given (--anchor)"
    elif not any(
        e.signing_key == archive.signing_key for e in node.trust.current.entries_for(node_id)
    ):
        archive.notes.append(
            f"the trust list in the archive (version {node.trust.current.version}) does not "
            f"list key {fingerprint(archive.signing_key)} for {node_id}"
        )
        if anchor_key is not None:
            problem = archive.notes[-1]
    if problem is not None:
        archive.close()
        raise BackupError(f"the archive was altered or is not this node's: {problem}")
    archive.anchored = anchor_key is not None
    if anchor_key is None:
        archive.notes.append(
            "checked against the archive's own trust anchor; give --anchor to check it "
            "against the Secretariat's key from elsewhere"
        )
