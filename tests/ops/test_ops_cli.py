"""``ozara backup`` and ``ozara restore`` on the command line: messages and exit codes, no
traceback, a restored node that ``ozara audit verify`` finds intact."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer

from ozara.cli import main as cli_main
from ozara.cli import ops
from ozara.crypto import b64url_encode
from tests.documents.federation import build_federation
from tests.ops.conftest import PopulatedNode
from tests.ops.test_backup import rewrite

Run = tuple[int, str, str]
Cli = Callable[..., Run]


def _registered(app: typer.Typer) -> set[str | None]:
    return {c.name for c in app.registered_commands}


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Cli:
    """``ozara`` in process, with backup and restore registered as ozara/cli/main.py does
    (registered here too while that line is not in main.py yet)."""
    names = _registered(cli_main.app)
    if "backup" not in names:
        cli_main.app.command("backup")(ops.backup)
    if "restore" not in names:
        cli_main.app.command("restore")(ops.restore)

    def invoke(*args: str) -> Run:
        code = cli_main.main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return invoke


def url_of(node: PopulatedNode) -> str:
    return node.engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_backup_then_restore_on_the_command_line(
    populated: PopulatedNode, tmp_path: Path, run: Cli
) -> None:
    out = tmp_path / "kaz.tar.gz"
    source = url_of(populated)
    code, text, _ = run("backup", "--db", source, "--node-dir", str(populated.node_dir),
                        "--out", str(out))  # fmt: skip
    assert code == 0 and "Backed up node KAZ-MVD-NODE" in text and "node files" in text

    code, _, err = run("backup", "--db", source, "--node-dir", str(populated.node_dir),
                       "--out", str(out))  # fmt: skip
    assert code == 2 and "exists; give a new file" in err

    target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    anchor = tmp_path / "secretariat.json"
    anchor.write_text(json.dumps({"signing_key": b64url_encode(
        populated.world.fed.secretariat.signing.public)}))  # fmt: skip
    code, text, err = run("restore", str(out), "--db", target, "--node-dir",
                          str(tmp_path / "restored"), "--anchor", str(anchor))  # fmt: skip
    assert code == 0, err
    assert "Restored node KAZ-MVD-NODE" in text and "audit_log" in text
    assert "Audit log: intact" in text and "1 checkpoint(s)" in text

    code, text, _ = run("audit", "verify", "--database", target,
                        "--node-dir", str(tmp_path / "restored"))  # fmt: skip
    assert code == 0 and "intact" in text

    # Again into the same database: refused, nothing touched.
    code, _, err = run("restore", str(out), "--db", target, "--node-dir", str(tmp_path / "n2"))
    assert code == 1 and "Refused: the target database is not empty" in err


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_tampered_archive_is_refused_with_a_clear_message(
    populated: PopulatedNode, tmp_path: Path, run: Cli
) -> None:
    out = tmp_path / "kaz.tar.gz"
    code, _, _ = run("backup", "--db", url_of(populated), "--node-dir",
                     str(populated.node_dir), "--out", str(out))  # fmt: skip
    assert code == 0
    tampered = rewrite(out, lambda n, d: d.replace(b"KAZ-MVD", b"KAZ-MVX", 1)
                       if n.endswith("-requests.jsonl") else d)  # fmt: skip
    target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    code, _, err = run("restore", str(tampered), "--db", target, "--node-dir",
                       str(tmp_path / "restored"))  # fmt: skip
    assert code == 1
    assert "Refused: the archive was altered:" in err and "-requests.jsonl" in err

    other = tmp_path / "other.json"
    other.write_text(json.dumps({"signing_key": b64url_encode(
        build_federation().secretariat.signing.public)}))  # fmt: skip
    code, _, err = run("restore", str(out), "--db", target, "--node-dir",
                       str(tmp_path / "restored"), "--anchor", str(other))  # fmt: skip
    assert code == 1 and "trust anchor is not the Secretariat key given" in err

    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    code, _, err = run("restore", str(out), "--db", target, "--node-dir",
                       str(tmp_path / "restored"), "--anchor", str(bad))  # fmt: skip
    assert code == 2 and "--anchor" in err


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_backup_of_a_node_directory_that_is_not_one(
    populated: PopulatedNode, tmp_path: Path, run: Cli
) -> None:
    code, _, err = run("backup", "--db", url_of(populated), "--node-dir", str(tmp_path / "x"),
                       "--out", str(tmp_path / "o.tar.gz"))  # fmt: skip
    assert code == 1 and "--node-dir:" in err and "no such file" in err
