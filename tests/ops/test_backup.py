"""Backup and restore: a node backed up and restored into a fresh SQLite and a fresh
PostgreSQL database has every row of every table, its node files, and an intact audit chain;
a tampered archive and a target that is not empty are refused before anything is written."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Column, Date, Engine, LargeBinary, func, select, text

from ozara.core.lifecycle import Action, Command
from ozara.crypto import b64url_encode
from ozara.ops.backup import MANIFEST, BackupError, backup, encode, sign_manifest
from ozara.ops.restore import decoder, restore
from ozara.services import requests as svc
from ozara.services.node import demo_officers, init_node
from ozara.store import db
from ozara.store import tables as t
from ozara.store.tables import UTCDateTime, metadata
from ozara.store.uow import SqlUnitOfWork
from ozara.transport.nodefiles import KEYS_FILE, load_node
from tests.conftest import _postgres_engine
from tests.documents.federation import build_federation
from tests.ops.conftest import PopulatedNode
from tests.services.test_request_services import document


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A second, empty database (no schema) to restore into."""
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
        yield engine
        engine.dispose()
    else:
        yield from _postgres_engine(request.getfixturevalue("postgres_server"))


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Engine]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    yield engine
    engine.dispose()


def table_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in metadata.sorted_tables
        }


def archive_of(node: PopulatedNode, tmp_path: Path) -> Path:
    out = tmp_path / "backup" / "kaz.tar.gz"
    backup(node.engine, node.node_dir, out, node.clock.now)
    return out


def test_restored_node_has_every_row_and_an_intact_chain(
    populated: PopulatedNode, target: Engine, tmp_path: Path
) -> None:
    out = archive_of(populated, tmp_path)
    assert out.stat().st_mode & 0o777 == 0o600  # it holds the node's private keys
    restored_dir = tmp_path / "restored-node"
    summary = restore(target, out, restored_dir)

    before, after = table_rows(populated.engine), table_rows(target)
    for name, rows in before.items():
        assert after[name] == rows, name
    for name in ("requests", "request_events", "audit_log", "audit_checkpoints", "outbox",
                 "inbox", "request_deadlines", "request_signatures"):  # fmt: skip
        assert before[name], f"the fixture should fill {name}"
        assert summary.tables[name] == len(before[name])
    states = {row[t.outbox.c.state.name] for row in _dicts(target, t.outbox)}
    assert states == {"delivered", "pending", "failed"}

    assert summary.audit.intact and summary.audit.checked == len(before["audit_log"])
    assert summary.audit.checkpoints == 1  # verified with the node's key
    assert summary.anchored is False and summary.notes
    for name in (KEYS_FILE, "trust-list.json", "secretariat.json", "officers/kaz-mvd.head.json"):
        assert (restored_dir / name).read_bytes() == (populated.node_dir / name).read_bytes()
    assert (restored_dir / KEYS_FILE).stat().st_mode & 0o777 == 0o600
    assert load_node(restored_dir).keys == populated.world.kaz.keys

    # The restored node goes on: new events, audit entries and ids follow the restored ones
    # (on PostgreSQL the identity sequences were moved past them).
    with SqlUnitOfWork(target) as uow:
        rid = svc.create_request(uow, document(), "kaz-mvd.officer", populated.clock.now)
    with SqlUnitOfWork(target) as uow:
        svc.act(uow, rid, Command(Action.SIGN), "kaz-mvd.head", populated.clock.now)
    with target.connect() as conn:
        events = conn.execute(select(func.count()).select_from(t.request_events)).scalar_one()
    assert events > len(before["request_events"])


def _dicts(engine: Engine, table: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table))]


def rewrite(archive: Path, change: Callable[[str, bytes], bytes | None], extra: str = "") -> Path:
    """A copy of ``archive`` with each member passed through ``change`` (None drops it)."""
    out = archive.with_name("tampered.tar.gz")
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for info in src:
            source = src.extractfile(info)
            assert source is not None
            data = change(info.name, source.read())
            if data is None:
                continue
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
        if extra:
            info = tarfile.TarInfo(extra)
            info.size = 2
            dst.addfile(info, io.BytesIO(b"{}"))
    return out


def _audit_member(name: str, data: bytes) -> bytes:
    """One audit entry's hashed bytes edited (they are dumped as base64)."""
    if "audit_log" not in name or name == MANIFEST:
        return data
    lines = data.decode().splitlines()
    for n, line in enumerate(lines):
        row = json.loads(line)
        entry = base64.b64decode(row[1])
        if b"request:signed" in entry:
            row[1] = base64.b64encode(entry.replace(b"request:signed", b"request:sighed"))
            lines[n] = json.dumps([row[0], row[1].decode(), *row[2:]])
            break
    return ("\n".join(lines) + "\n").encode()


def _escape(name: str, data: bytes) -> bytes:
    """A manifest naming a node file outside the node directory (``../``)."""
    if name != MANIFEST:
        return data
    manifest = json.loads(data)
    manifest["files"][0]["path"] = "../outside.json"
    return json.dumps(manifest).encode()


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda a: rewrite(a, _audit_member), "does not have the SHA-256 its manifest names"),
        (lambda a: rewrite(a, lambda _n, d: d, extra="tables/999-x.jsonl"), "not in its manifest"),
        (
            lambda a: rewrite(a, lambda n, d: None if n.endswith("-outbox.jsonl") else d),
            "incomplete",
        ),
        (
            lambda a: rewrite(
                a, lambda n, d: d.replace(b'"rows": 1', b'"rows": 2') if n == MANIFEST else d
            ),
            "signature does not verify",
        ),
        (lambda a: rewrite(a, _escape), "not a path inside a node directory"),
    ],
    ids=["member-altered", "member-added", "member-removed", "manifest-altered", "path-escapes"],
)
def test_a_tampered_archive_is_refused(
    populated: PopulatedNode,
    fresh: Engine,
    tmp_path: Path,
    tamper: Callable[[Path], Path],
    message: str,
) -> None:
    tampered = tamper(archive_of(populated, tmp_path))
    with pytest.raises(BackupError, match=message):
        restore(fresh, tampered, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    with fresh.connect() as conn:
        assert not conn.execute(text("SELECT name FROM sqlite_master")).all()


def test_an_archive_resigned_by_another_key_is_refused(
    populated: PopulatedNode, fresh: Engine, tmp_path: Path
) -> None:
    """Whoever rebuilds the manifest signs it with a key of their own: not the node's."""
    other = build_federation().kaz

    def resign(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["tables"][0]["rows"] += 0
        manifest["signing_key"] = b64url_encode(other.signing.public)
        return json.dumps(sign_manifest(manifest, other)).encode()

    tampered = rewrite(archive_of(populated, tmp_path), resign)
    with pytest.raises(BackupError, match="not signed with the key of the node in the archive"):
        restore(fresh, tampered, tmp_path / "restored")


def test_the_anchor_given_must_be_the_archives(
    populated: PopulatedNode, fresh: Engine, tmp_path: Path
) -> None:
    out = archive_of(populated, tmp_path)
    other = build_federation().secretariat.signing.public
    with pytest.raises(BackupError, match="trust anchor is not the Secretariat key given"):
        restore(fresh, out, tmp_path / "restored", anchor_key=other)
    anchored = restore(
        fresh, out, tmp_path / "ok", anchor_key=populated.world.fed.secretariat.signing.public
    )
    assert anchored.anchored and anchored.audit.intact


def test_not_an_archive_is_refused(fresh: Engine, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar file at all")
    with pytest.raises(BackupError, match="not a readable Ozara backup"):
        restore(fresh, junk, tmp_path / "restored")


def test_restore_into_a_database_that_is_not_empty_is_refused(
    populated: PopulatedNode, target: Engine, tmp_path: Path
) -> None:
    out = archive_of(populated, tmp_path)
    init_node(target, populated.clock.now, demo_officers())
    with pytest.raises(BackupError, match=r"not empty \(table \w+ holds data\)"):
        restore(target, out, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_restore_into_a_migrated_empty_database_is_allowed(
    populated: PopulatedNode, fresh: Engine, tmp_path: Path
) -> None:
    db.upgrade(fresh)  # the audit chain's head row is the migrations' own
    summary = restore(fresh, archive_of(populated, tmp_path), tmp_path / "restored")
    assert summary.audit.intact


def test_restore_into_an_existing_node_directory_is_refused(
    populated: PopulatedNode, fresh: Engine, tmp_path: Path
) -> None:
    with pytest.raises(BackupError, match="already holds a node"):
        restore(fresh, archive_of(populated, tmp_path), populated.node_dir)


def test_the_dump_is_one_instant_and_does_not_block_the_node(
    populated: PopulatedNode, tmp_path: Path
) -> None:
    """A row committed while the dump runs (after its first read) is not in the archive,
    and committing it did not wait for the dump (SQLite: WAL and a deferred BEGIN)."""
    engine = populated.engine
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.rejections)).scalar_one()
    written: list[str] = []

    def meanwhile(table: str, done: int, total: int) -> None:
        if not written:
            with engine.begin() as conn:
                conn.execute(
                    t.rejections.insert().values(
                        at=populated.clock.now, reason="test", detail="during the dump"
                    )
                )
            written.append(table)

    out = tmp_path / "kaz.tar.gz"
    summary = backup(engine, populated.node_dir, out, populated.clock.now, meanwhile)
    assert written and summary.tables["rejections"] == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.rejections)).scalar_one() == (
            before + 1
        )


def test_values_round_trip_through_the_dump_encoding() -> None:
    """Each kind of column comes back as it was, JSON ``null`` apart from SQL NULL."""

    def again(column: Column[Any], value: Any) -> Any:
        return decoder(column)(json.loads(json.dumps(encode(value))))

    moment = datetime(2026, 1, 30, 7, 0, 0, 123456, tzinfo=UTC)
    assert again(Column("at", UTCDateTime()), moment) == moment
    assert again(Column("born", Date), date(1990, 5, 17)) == date(1990, 5, 17)
    assert again(Column("blob", LargeBinary), b"\x00\xff sealed") == b"\x00\xff sealed"
    document = Column("document", JSON)
    assert decoder(document)('{"a": [1, null]}') == {"a": [1, None]}
    assert decoder(document)("null") is JSON.NULL
    assert decoder(document)(None) is None
    assert decoder(t.audit_log.c.canonical)("eyJhIjoxfQ==") == b'{"a":1}'  # the hashed bytes
