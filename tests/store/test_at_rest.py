"""Encryption at rest (issue 7): a copy of the database gives away no file, a value moved to
another row does not decrypt, and keys rotate without losing anything."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlalchemy import Engine, select, update

from ozara.services import accounts as account_services
from ozara.store import at_rest
from ozara.store.accounts import AccountRepository
from ozara.store.at_rest_rotation import ENCRYPTED, keys_in_use, reencrypt
from ozara.store.attachments import AttachmentRepository, StoredFile
from ozara.store.tables import accounts, attachments, records, requests
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.services.test_request_services import create
from tests.store.test_records_repository import add as add_record

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
    assert keys_in_use(node) == {None: 4}  # the two files, the request's content and event
    ring = at_rest.Keyring.generate()
    at_rest.attach(node, ring)
    try:
        assert read(node, rid, files[0].sha256) == SECRET  # clear values still read
        seen: list[tuple[str, int, int]] = []
        done = reencrypt(node, lambda *p: seen.append(p))
        assert done["attachments.content"] == 2
        assert set(done) == {f"{c.table.name}.{c.column}" for c in ENCRYPTED}
        assert ("attachments.content", 2, 2) in seen
        assert keys_in_use(node) == {ring.active: 4}
        rotated = ring.rotated()
        at_rest.attach(node, rotated)
        assert reencrypt(node)["attachments.content"] == 2
        assert set(reencrypt(node).values()) == {0}  # a second pass has nothing left
        assert keys_in_use(node) == {rotated.active: 4}
        at_rest.attach(node, rotated.without(ring.active))
        assert [read(node, rid, f.sha256) for f in files] == [f.content for f in files]
    finally:
        at_rest.attach(node, None)


# --- the TOTP secret of an account -------------------------------------------------------

OFFICER, OTHER = "kaz-mvd.officer", "rus-mvd.officer"


def enrolled(node: Engine, clock: Clock, officer_id: str) -> str:
    with SqlUnitOfWork(node) as uow:
        account_services.set_password(uow, officer_id, "a long enough password", clock.now)
    with SqlUnitOfWork(node) as uow:
        return account_services.enroll_totp(uow, officer_id, clock.now)


def raw_secret(node: Engine, officer_id: str) -> str:
    with node.connect() as conn:
        return str(
            conn.execute(
                select(accounts.c.totp_secret).where(accounts.c.officer_id == officer_id)
            ).scalar_one()
        )


def secret_of(node: Engine, officer_id: str) -> str | None:
    with node.connect() as conn:
        found = AccountRepository(conn).get(officer_id)
    assert found is not None
    return found.totp_secret


def signs_in(node: Engine, clock: Clock, officer_id: str, secret: str) -> bool:
    code = pyotp.TOTP(secret).at(clock.now)
    with SqlUnitOfWork(node) as uow:
        try:
            account_services.sign_in(uow, officer_id, "a long enough password", code, clock.now)
        except account_services.SignInRefused:
            return False
    return True


def test_the_totp_secret_is_stored_encrypted_and_sign_in_still_works(
    node: Engine, clock: Clock, keyring: at_rest.Keyring
) -> None:
    secret = enrolled(node, clock, OFFICER)
    stored = raw_secret(node, OFFICER)
    assert stored.startswith(at_rest.TEXT_PREFIX) and secret not in stored
    assert keyring.key_of(at_rest.text_bytes(stored)) == keyring.active
    assert secret_of(node, OFFICER) == secret
    assert signs_in(node, clock, OFFICER, secret)


def test_a_totp_secret_moved_to_another_officer_does_not_decrypt(
    node: Engine, clock: Clock, keyring: at_rest.Keyring
) -> None:
    enrolled(node, clock, OFFICER)
    enrolled(node, clock, OTHER)
    mine = raw_secret(node, OFFICER)
    with node.begin() as conn:
        conn.execute(
            update(accounts).where(accounts.c.officer_id == OTHER).values(totp_secret=mine)
        )
    with pytest.raises(at_rest.AtRestError, match="altered or moved"):
        secret_of(node, OTHER)


def test_totp_secrets_in_clear_are_encrypted_by_rotation(node: Engine, clock: Clock) -> None:
    secret = enrolled(node, clock, OFFICER)  # no keyring yet: in clear
    assert raw_secret(node, OFFICER) == secret
    ring = at_rest.Keyring.generate()
    at_rest.attach(node, ring)
    try:
        assert secret_of(node, OFFICER) == secret  # a secret in clear still reads
        assert reencrypt(node)["accounts.totp_secret"] == 1
        assert raw_secret(node, OFFICER).startswith(at_rest.TEXT_PREFIX)
        rotated = ring.rotated()
        at_rest.attach(node, rotated)
        assert reencrypt(node)["accounts.totp_secret"] == 1
        assert keys_in_use(node) == {rotated.active: 1}
        at_rest.attach(node, rotated.without(ring.active))
        assert secret_of(node, OFFICER) == secret
        assert signs_in(node, clock, OFFICER, secret)
    finally:
        at_rest.attach(node, None)


# --- the content of requests and records ---------------------------------------------------

CONTENT = {"requests": (requests, "phishing campaign"), "records": (records, "Иванов Иван")}


def raw_content(node: Engine, table_name: str, row_id: str) -> Any:
    table = CONTENT[table_name][0]
    with node.connect() as conn:
        return conn.execute(select(table.c.content).where(table.c.id == row_id)).scalar_one()


def content_text(node: Engine, table_name: str, row_id: str) -> str:
    """What the node reads of the content: the request's purpose, the record's first name."""
    with SqlUnitOfWork(node) as uow:
        if table_name == "requests":
            return uow.requests.get(row_id).content.purpose
        stored = uow.records.get(row_id)
        assert uow.records.holdings([row_id])[row_id].handling == stored.holding.handling
        return stored.content.persons[0].names[0]


def make(node: Engine, clock: Clock, table_name: str, row_id: str) -> str:
    if table_name == "requests":
        return create(node, clock)
    add_record(node, clock, row_id)
    return row_id


@pytest.mark.parametrize("table_name", sorted(CONTENT))
def test_the_content_is_stored_encrypted_and_read_back(
    node: Engine, clock: Clock, keyring: at_rest.Keyring, table_name: str
) -> None:
    row_id = make(node, clock, table_name, "r1")
    stored = raw_content(node, table_name, row_id)
    assert at_rest.is_sealed_json(stored)
    assert CONTENT[table_name][1] not in json.dumps(stored, ensure_ascii=False)
    assert keyring.key_of(at_rest.json_bytes(stored)) == keyring.active
    assert CONTENT[table_name][1] in content_text(node, table_name, row_id)


@pytest.mark.parametrize("table_name", sorted(CONTENT))
def test_content_moved_to_another_row_does_not_decrypt(
    node: Engine, clock: Clock, keyring: at_rest.Keyring, table_name: str
) -> None:
    first, second = make(node, clock, table_name, "r1"), make(node, clock, table_name, "r2")
    table, sealed = CONTENT[table_name][0], raw_content(node, table_name, first)
    with node.begin() as conn:
        conn.execute(update(table).where(table.c.id == second).values(content=sealed))
    with pytest.raises(at_rest.AtRestError, match="altered or moved"):
        content_text(node, table_name, second)


@pytest.mark.parametrize("table_name", sorted(CONTENT))
def test_content_in_clear_is_encrypted_by_rotation(
    node: Engine, clock: Clock, table_name: str
) -> None:
    row_id = make(node, clock, table_name, "r1")  # no keyring yet: in clear
    column = f"{table_name}.content"
    assert not at_rest.is_sealed_json(raw_content(node, table_name, row_id))
    ring = at_rest.Keyring.generate()
    at_rest.attach(node, ring)
    try:
        assert CONTENT[table_name][1] in content_text(node, table_name, row_id)  # still reads
        assert reencrypt(node)[column] == 1
        assert at_rest.is_sealed_json(raw_content(node, table_name, row_id))
        rotated = ring.rotated()
        at_rest.attach(node, rotated)
        assert reencrypt(node)[column] == 1
        assert set(reencrypt(node).values()) == {0}
        assert set(keys_in_use(node)) == {rotated.active}
        at_rest.attach(node, rotated.without(ring.active))
        assert CONTENT[table_name][1] in content_text(node, table_name, row_id)
    finally:
        at_rest.attach(node, None)
