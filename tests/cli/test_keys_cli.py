"""``ozara keys`` through the real command line: init encrypts what is in clear, rotate
rewrites under a new key, retire removes a key only once nothing is under it."""

from __future__ import annotations

import json
from pathlib import Path

from ozara.store import at_rest, db
from ozara.store.attachments import AttachmentRepository
from ozara.store.repository import RequestRepository
from tests.cli.test_cli import document, fails, ok, run_cli
from tests.store.test_at_rest import SECRET, raw, stored_file


def test_init_rotate_retire(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    node_dir = tmp_path / "node"
    node_dir.mkdir()
    ok(run_cli(url, tmp_path, "init", "--demo-officers"))
    request = tmp_path / "request.json"
    request.write_text(json.dumps(document()), encoding="utf-8")
    rid = ok(run_cli(url, tmp_path, "request", "new", str(request), "--as", "kaz-mvd.officer"))
    engine = db.make_engine(url)
    file = stored_file()
    with engine.begin() as conn:
        AttachmentRepository(conn).add(rid.out.strip(), file)
    assert raw(engine) == [SECRET]  # no keyring yet: in clear

    def keys(*args: str) -> str:
        return ok(run_cli(url, tmp_path, "keys", *args, "--node-dir", str(node_dir))).out

    initialized = keys("init")
    assert "encrypted: 1 in attachments.content" in initialized
    assert "1 in requests.content" in initialized
    assert "1 in request_events.details" in initialized  # its history: created
    first = at_rest.load(node_dir / at_rest.KEYRING_FILE).active
    assert raw(engine)[0].startswith(at_rest.MAGIC)
    assert f"key {first}: 3 value(s)" in keys("status")  # the file, the content, the event
    fails(run_cli(url, tmp_path, "keys", "init", "--node-dir", str(node_dir)), 2, "exists")

    rotated = keys("rotate")
    second = at_rest.load(node_dir / at_rest.KEYRING_FILE).active
    assert f"Key {second} is active; rewritten: 1 in attachments.content" in rotated
    assert "1 in requests.content" in rotated
    assert f"can be retired: {first}" in rotated
    retire = ("keys", "retire", "--node-dir", str(node_dir))
    fails(run_cli(url, tmp_path, *retire, second), 2, "rotate first")
    fails(run_cli(url, tmp_path, *retire, "nosuchkey"), 2, "no key")
    assert f"Key {first} retired." in ok(run_cli(url, tmp_path, *retire, first)).out

    at_rest.attach(engine, at_rest.load(node_dir / at_rest.KEYRING_FILE))
    with engine.connect() as conn:
        found = AttachmentRepository(conn).get(rid.out.strip(), file.sha256)
        purpose = RequestRepository(conn).get(rid.out.strip()).content.purpose
    assert found is not None and found.content == SECRET
    assert purpose == document()["purpose"]
    engine.dispose()


def test_a_key_still_in_use_is_not_retired(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    node_dir = tmp_path / "node"
    node_dir.mkdir()
    ok(run_cli(url, tmp_path, "init", "--demo-officers"))
    request = tmp_path / "request.json"
    request.write_text(json.dumps(document()), encoding="utf-8")
    rid = ok(run_cli(url, tmp_path, "request", "new", str(request), "--as", "kaz-mvd.officer"))
    ring = at_rest.Keyring.generate()
    at_rest.save(ring.rotated(), node_dir / at_rest.KEYRING_FILE)
    engine = db.make_engine(url)
    at_rest.attach(engine, ring)  # a value written under the old key, not yet rewritten
    with engine.begin() as conn:
        AttachmentRepository(conn).add(rid.out.strip(), stored_file())
    engine.dispose()
    fails(
        run_cli(url, tmp_path, "keys", "retire", "--node-dir", str(node_dir), ring.active),
        1, "1 stored value(s) are still under key",
    )  # fmt: skip
