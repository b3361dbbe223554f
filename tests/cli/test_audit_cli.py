"""``ozara audit`` through the real command line: verify, checkpoint, export, verify-export.

Exit codes: 0 intact, 1 broken (the first broken entry named with what and when), 2 usage.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ozara.crypto import b64url_encode
from ozara.transport.nodefiles import write_node
from tests.cli.test_cli import Result, document, fails, ok, run_cli
from tests.conftest import _postgres_engine
from tests.documents.federation import Federation, build_federation


@pytest.fixture(scope="module")
def fed() -> Federation:
    return build_federation()


@pytest.fixture
def node(tmp_path: Path, fed: Federation) -> tuple[str, Path]:
    """A node on SQLite with a few requests' entries, and its node directory."""
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    node_dir = tmp_path / "kaz"
    write_node(node_dir, fed.kaz, fed.trust_list, fed.secretariat.signing.public)
    ok(run_cli(url, tmp_path, "init", "--demo-officers"))
    request = tmp_path / "request.json"
    request.write_text(json.dumps(document()), encoding="utf-8")
    rid = ok(run_cli(url, tmp_path, "request", "new", str(request), "--as", "kaz-mvd.officer"))
    ok(run_cli(url, tmp_path, "request", "sign", rid.out.strip(), "--as", "kaz-mvd.head"))
    return url, node_dir


def test_a_command_line_action_is_audited_with_the_operator(node: tuple[str, Path]) -> None:
    conn = sqlite3.connect(node[0].removeprefix("sqlite:///"))
    details = [json.loads(d) for (d,) in conn.execute("SELECT details FROM audit_log")]
    conn.close()
    origins = [d["origin"] for d in details if d.get("origin", {}).get("channel") == "cli"]
    assert origins and all("@" in o["address"] for o in origins)


def tamper(url: str, statement: str) -> None:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    with conn:
        conn.execute(statement)
    conn.close()


def test_verify_checkpoint_export_and_verify_the_export(
    node: tuple[str, Path], tmp_path: Path, fed: Federation
) -> None:
    url, node_dir = node

    def cli(*args: str) -> Result:
        return run_cli(url, tmp_path, *args)

    intact = ok(cli("audit", "verify"))
    assert "Audit log: intact, 26 entries (#1 to #26), 0 checkpoint(s)" in intact.out
    done = ok(cli("audit", "checkpoint", "--node-dir", str(node_dir)))
    assert f"Checkpoint signed by {fed.kaz.node_id} over entry #26" in done.out
    assert "1 checkpoint(s) agree" in ok(cli("audit", "verify", "--node-dir", str(node_dir))).out
    signed = ok(cli("audit", "checkpoint", "--node-dir", str(node_dir), "--json")).json
    assert signed["last_id"] == 27 and signed["node_id"] == fed.kaz.node_id

    extract = tmp_path / "extract.json"
    written = ok(cli("audit", "export", "--from", "20", "--output", str(extract)))
    assert "Entries #20 to #27 written" in written.out
    assert "anchored by the checkpoint over entry #27" in written.out
    assert len(json.loads(extract.read_text(encoding="utf-8"))["entries"]) == 8
    key = b64url_encode(fed.kaz.signing.public)
    checked = ok(cli("audit", "verify-export", str(extract), "--key", key))
    assert "intact, 8 entries (#20 to #27)" in checked.out
    assert "vouches for entries up to #27" in checked.out
    ok(cli("audit", "verify-export", str(extract), "--node-dir", str(node_dir)))
    other = b64url_encode(fed.rus.signing.public)
    fails(cli("audit", "verify-export", str(extract), "--key", other), 1, "another key")

    content = json.loads(extract.read_text(encoding="utf-8"))
    content["entries"][2]["actor_id"] = "someone.else"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(content), encoding="utf-8")
    fails(
        cli("audit", "verify-export", str(edited), "--key", key),
        1, "BROKEN at entry #22: altered", "when:",
    )  # fmt: skip
    unanchored = tmp_path / "unanchored.json"
    ok(cli("audit", "export", "--from", "1", "--to", "5", "--output", str(unanchored)))
    fails(cli("audit", "verify-export", str(unanchored), "--key", key), 1, "NOT anchored")
    # Without --output the extract goes to stdout.
    assert ok(cli("audit", "export", "--from", "3", "--to", "4")).json["to_id"] == 4


def test_verify_names_the_first_broken_entry(node: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = node
    # What an entry says lives in its hashed bytes (the other columns are generated).
    edit = ("UPDATE audit_log SET canonical = CAST(json_set(CAST(canonical AS TEXT), "
            "'$.object_id', '{}') AS BLOB) WHERE id = {}")  # fmt: skip
    tamper(url, edit.format("KAZ-MVD-2026-00099", 25))
    tamper(url, edit.format("x", 26))
    broken = fails(
        run_cli(url, tmp_path, "audit", "verify"),
        1, "BROKEN at entry #25: altered", "its content no longer gives its hash",
    )  # fmt: skip
    when = next(line for line in broken.err.splitlines() if "when:" in line)
    assert when.strip().startswith("when:     20") and when.strip().endswith("Z")
    ok(run_cli(url, tmp_path, "audit", "verify", "--to", "24"))
    tamper(url, "DELETE FROM audit_log WHERE id = 3")
    fails(run_cli(url, tmp_path, "audit", "verify"), 1, "entry #3: removed", "missing")


def test_usage_errors_exit_2(node: tuple[str, Path], tmp_path: Path) -> None:
    url, node_dir = node

    def cli(*args: str) -> Result:
        return run_cli(url, tmp_path, *args)

    extract = tmp_path / "e.json"
    ok(cli("audit", "export", "--from", "1", "--output", str(extract)))
    key = ("--key", b64url_encode(b"\x01" * 32))
    fails(cli("audit", "verify-export", str(extract)), 2, "--key", "--node-dir")
    fails(cli("audit", "verify-export", str(extract), *key, "--node-dir", str(node_dir)), 2)
    fails(cli("audit", "verify-export", str(extract), "--key", "not base64!"), 2, "--key")
    fails(cli("audit", "verify-export", str(tmp_path / "none.json"), *key), 2, "no such file")
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    fails(cli("audit", "verify-export", str(garbage), *key), 2, "not JSON")
    garbage.write_text('{"type": "something else"}', encoding="utf-8")
    fails(cli("audit", "verify-export", str(garbage), *key), 1, "not a valid extract")
    fails(cli("audit", "export", "--from", "0"), 2, "--from")
    fails(cli("audit", "export", "--from", "9", "--to", "3"), 2, "no such range")
    fails(cli("audit", "checkpoint"), 2, "--node-dir")
    fails(cli("audit", "checkpoint", "--node-dir", str(tmp_path / "nowhere")), 2, "--node-dir")
    fails(cli("audit", "verify", "--node-dir", str(tmp_path / "nowhere")), 2, "--node-dir")
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    fails(run_cli(empty, tmp_path, "audit", "verify"), 6, "not initialized")


@pytest.mark.postgres
def test_verify_and_checkpoint_on_postgres(
    postgres_server: str, tmp_path: Path, fed: Federation
) -> None:
    for engine in _postgres_engine(postgres_server):
        url = engine.url.render_as_string(hide_password=False)
        node_dir = tmp_path / "kaz"
        write_node(node_dir, fed.kaz, fed.trust_list, fed.secretariat.signing.public)
        ok(run_cli(url, tmp_path, "init", "--demo-officers"))
        ok(run_cli(url, tmp_path, "audit", "checkpoint", "--node-dir", str(node_dir)))
        done = ok(run_cli(url, tmp_path, "audit", "verify", "--node-dir", str(node_dir)))
        assert "intact, 25 entries (#1 to #25), 1 checkpoint(s) agree" in done.out


def test_verify_against_checkpoints_a_peer_holds(node: tuple[str, Path], tmp_path: Path) -> None:
    """The peer's file (`ozara audit peer-checkpoints` there) catches a rewrite that also
    removed the node's own checkpoints; an empty holding is written as such."""
    url, node_dir = node

    def cli(*args: str) -> Result:
        return run_cli(url, tmp_path, *args)

    signed = ok(cli("audit", "checkpoint", "--node-dir", str(node_dir), "--json")).json
    held = tmp_path / "held.json"
    held.write_text(json.dumps({"held_for": signed["node_id"], "checkpoints": [signed]}))
    dir_opt = ("--node-dir", str(node_dir))
    ok(cli("audit", "verify", *dir_opt, "--peer-checkpoints", str(held)))
    fails(cli("audit", "verify", "--peer-checkpoints", str(held)), 2, "needs --node-dir")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    fails(cli("audit", "verify", *dir_opt, "--peer-checkpoints", str(bad)), 2, "not a file of")
    # The end of the log cut off, the node's own checkpoint removed with it: only the
    # peer's copy still knows the entry it signed.
    tamper(url, f"DELETE FROM audit_log WHERE id >= {signed['last_id']}")
    tamper(url, "DELETE FROM audit_checkpoints")
    tamper(
        url,
        "UPDATE audit_head SET last_id = (SELECT max(id) FROM audit_log), "
        "last_hash = (SELECT entry_hash FROM audit_log ORDER BY id DESC LIMIT 1)",
    )
    ok(cli("audit", "verify", *dir_opt))
    fails(
        cli("audit", "verify", *dir_opt, "--peer-checkpoints", str(held)),
        1, "removed", f"checkpoint over entry #{signed['last_id']}",
    )  # fmt: skip
    none = ok(cli("audit", "peer-checkpoints", "--of", "RUS-MVD-NODE")).json
    assert none == {"held_for": "RUS-MVD-NODE", "checkpoints": []}
