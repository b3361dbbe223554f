"""Encryption at rest (issue 7): a copy of the database gives away no file, a value moved to
another row does not decrypt, and keys rotate without losing anything."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from ozara.store import at_rest
from ozara.store.at_rest_rotation import keys_in_use, reencrypt
from ozara.store.attachments import AttachmentRepository, StoredFile
from ozara.store.tables import attachments
from tests.conftest import Clock
from tests.services.test_request_services import create

SECRET = "Протокол допроса: Ахметов К.Н., 12.04.1991".encode() * 50


def stored_file(content: bytes = SECRET, name: str = "protocol.pdf") -> StoredFile:
    digest = hashlib.sha256(content).hexdigest()
    return StoredFile(digest, name, "application/pdf", len(content), content)


def add(node: Engine, rid: str, file: StoredFile) -> None:
    with node.begin() as conn:
        AttachmentRepository(conn).add(rid, file)


def raw(node: Engine) -> list[bytes]:
    with node.connect() as conn:
        return [bytes(c) for c in conn.execute(select(attachments.c.content)).scalars()]


def read(node: Engine, rid: str, sha256: str) -> bytes:
    with node.connect() as conn:
        found = AttachmentRepository(conn).get(rid, sha256)
    assert found is not None
    return found.content


@pytest.fixture
def keyring(node: Engine) -> at_rest.Keyring:
    ring = at_rest.Keyring.generate()
    at_rest.attach(node, ring)
    yield ring
    at_rest.attach(node, None)


# --- the keyring ------------------------------------------------------------------------


def test_a_value_decrypts_only_in_its_place() -> None:
    ring = at_rest.Keyring.generate()
    sealed = ring.encrypt(b"files", "attachments.content:A:1")
    assert sealed.startswith(at_rest.MAGIC) and b"files" not in sealed
    assert ring.decrypt(sealed, "attachments.content:A:1") == b"files"
    with pytest.raises(at_rest.AtRestError, match="altered or moved"):
        ring.decrypt(sealed, "attachments.content:B:1")
    altered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(at_rest.AtRestError, match="altered or moved"):
        ring.decrypt(altered, "attachments.content:A:1")
    with pytest.raises(at_rest.AtRestError, match="not in this node's keyring"):
        at_rest.Keyring.generate().decrypt(sealed, "attachments.content:A:1")
    with pytest.raises(at_rest.AtRestError, match="truncated"):
        ring.decrypt(sealed[:20], "attachments.content:A:1")


def test_a_rotated_keyring_reads_old_values_and_writes_new_ones() -> None:
    ring = at_rest.Keyring.generate()
    old = ring.encrypt(b"x", "p")
    rotated = ring.rotated()
    assert rotated.active != ring.active
    assert rotated.decrypt(old, "p") == b"x"
    assert rotated.key_of(rotated.encrypt(b"x", "p")) == rotated.active
    retired = rotated.without(ring.active)
    with pytest.raises(at_rest.AtRestError, match="retired"):
        retired.decrypt(old, "p")
    with pytest.raises(at_rest.AtRestError, match="rotate first"):
        retired.without(retired.active)


def test_the_keyring_file_is_the_owners_alone(tmp_path: Path) -> None:
    ring = at_rest.Keyring.generate()
    path = tmp_path / at_rest.KEYRING_FILE
    at_rest.save(ring, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert at_rest.load(path) == ring
    path.write_text('{"active": "x", "keys": {}}')
    with pytest.raises(at_rest.AtRestError, match="not in the keyring"):
        at_rest.load(path)
    path.write_text("not json")
    with pytest.raises(at_rest.AtRestError, match=str(path)):
        at_rest.load(path)


# --- attachments in the database ---------------------------------------------------------


def test_files_are_stored_encrypted_and_read_back(
    node: Engine, clock: Clock, keyring: at_rest.Keyring
) -> None:
    rid = create(node, clock)
    file = stored_file()
    add(node, rid, file)
    [stored] = raw(node)
    assert keyring.key_of(stored) == keyring.active
    assert SECRET[:40] not in stored and "Ахметов".encode() not in stored
    assert read(node, rid, file.sha256) == SECRET


def test_a_file_moved_to_another_request_does_not_decrypt(
    node: Engine, clock: Clock, keyring: at_rest.Keyring
) -> None:
    first, second = create(node, clock), create(node, clock)
    mine, theirs = stored_file(), stored_file(b"other", "other.txt")
    add(node, first, mine)
    add(node, second, theirs)
    with node.begin() as conn:
        sealed = conn.execute(
            select(attachments.c.content).where(attachments.c.request_id == first)
        ).scalar_one()
        conn.execute(
            update(attachments).where(attachments.c.request_id == second).values(content=sealed)
        )
    with pytest.raises(at_rest.AtRestError, match="altered or moved"):
        read(node, second, theirs.sha256)


def test_without_a_keyring_an_encrypted_file_is_not_served(
    node: Engine, clock: Clock, keyring: at_rest.Keyring
) -> None:
    rid = create(node, clock)
    add(node, rid, stored_file())
    at_rest.attach(node, None)
    with pytest.raises(at_rest.AtRestError, match="no keyring"):
        read(node, rid, stored_file().sha256)


def test_turning_encryption_on_then_rotating_loses_nothing(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    files = [stored_file(), stored_file(b"second file", "b.txt")]
    for f in files:
        add(node, rid, f)  # no keyring yet: in clear, as before encryption was turned on
    assert keys_in_use(node) == {None: 2}
    ring = at_rest.Keyring.generate()
    at_rest.attach(node, ring)
    try:
        assert read(node, rid, files[0].sha256) == SECRET  # clear values still read
        seen: list[tuple[str, int, int]] = []
        assert reencrypt(node, lambda *p: seen.append(p)) == {
            "attachments.content": 2,
            "literature_files.content": 0,
        }
        assert ("attachments.content", 2, 2) in seen
        assert keys_in_use(node) == {ring.active: 2}
        rotated = ring.rotated()
        at_rest.attach(node, rotated)
        assert reencrypt(node)["attachments.content"] == 2
        assert set(reencrypt(node).values()) == {0}  # a second pass has nothing left
        assert keys_in_use(node) == {rotated.active: 2}
        at_rest.attach(node, rotated.without(ring.active))
        assert [read(node, rid, f.sha256) for f in files] == [f.content for f in files]
    finally:
        at_rest.attach(node, None)
