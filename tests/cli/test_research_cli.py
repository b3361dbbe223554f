"""``ozara research`` and ``ozara literature`` through the CLI's entry point, on one node
holding every body: the workflows, and refusals with their articles and exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ozara.cli import main as cli
from tests.services.test_literature_services import PDF, meta


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    assert cli.main(["init", "--demo-officers", "--database", url]) == 0

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([*args, "--database", url])
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_literature_through_the_cli(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "kit.pdf").write_bytes(PDF)
    (tmp_path / "meta.json").write_text(json.dumps(meta()), encoding="utf-8")
    code, out, _ = run("literature", "add", str(tmp_path / "kit.pdf"), "--meta",
                       str(tmp_path / "meta.json"), "--as", "kaz-mvd.officer")  # fmt: skip
    assert code == 0
    doc = out.strip()
    assert run("literature", "search", "фишинг", "--as", "rus-mvd.officer")[1] == ""
    code, _, err = run("literature", "share", doc, "--to", "RUS", "--as", "rus-mvd.officer")
    assert code == 1 and "art5.literature_owner" in err and "Art. 5 para 6" in err
    assert run("literature", "share", doc, "--to", "RUS", "--as", "kaz-mvd.officer")[0] == 0
    code, out, _ = run("literature", "search", "phishing", "--as", "rus-mvd.officer", "--json")
    assert [r["id"] for r in json.loads(out)] == [doc]
    code, out, _ = run("literature", "get", doc, "--as", "rus-mvd.officer", "--out",
                       str(tmp_path / "copy.pdf"))  # fmt: skip
    assert code == 0 and json.loads(out)["file"]["size"] == len(PDF)
    assert (tmp_path / "copy.pdf").read_bytes() == PDF
    code, _, err = run("literature", "get", doc, "--as", "blr-mvd.officer")
    assert code == 1 and "art5.literature_not_shared" in err
    assert run("literature", "withdraw", doc, "--as", "kaz-mvd.officer", "--reason", "old")[0] == 0
    code, out, _ = run("literature", "list", "--as", "rus-mvd.officer")
    assert "[withdrawn]" in out
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps(meta(marking="secret")), encoding="utf-8")
    code, _, err = run("literature", "add", str(tmp_path / "kit.pdf"), "--meta", str(secret),
                       "--as", "kaz-mvd.officer")  # fmt: skip
    assert code == 1 and "art10.state_secret" in err
    assert run("literature", "share", doc, "--to", "XX", "--as", "kaz-mvd.officer")[0] == 2


def test_research_through_the_cli(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    today = datetime.now(UTC).date()
    proposal = {
        "title": "Phishing kits", "topic": "Kits sold on Telegram", "goals": "A typology",
        "period_from": (today - timedelta(days=1)).isoformat(),
        "period_to": (today + timedelta(days=300)).isoformat(),
        "invited": ["RUS-MVD", "BLR-MVD"],
    }  # fmt: skip
    file = tmp_path / "project.json"
    file.write_text(json.dumps(proposal), encoding="utf-8")
    code, out, _ = run("research", "propose", str(file), "--as", "kaz-mvd.officer")
    assert code == 0
    pid = out.strip()
    code, _, err = run("research", "join", pid, "--as", "rus-mvd.officer")
    assert code == 1 and "art5.research_role" in err
    code, _, err = run("research", "join", pid, "--as", "arm-police.head")
    assert code == 1 and "art5.research_invited" in err
    code, out, _ = run("research", "join", pid, "--as", "rus-mvd.head")
    assert code == 0 and "active" in out
    code, _, err = run("research", "result", pid, "--as", "blr-mvd.officer", "--text", "x")
    assert code == 1 and "art5.research_participant" in err
    assert run("research", "researcher", pid, "--as", "rus-mvd.officer", "--name", "I. P.")[0] == 0
    assert run("research", "result", pid, "--as", "rus-mvd.officer", "--text", "Typology")[0] == 0
    code, _, err = run("research", "complete", pid, "--as", "kaz-mvd.officer", "--final", "x")
    assert code == 1 and "art5.research_role" in err
    assert run("research", "complete", pid, "--as", "kaz-mvd.head", "--final", "Agreed")[0] == 0
    code, _, err = run("research", "result", pid, "--as", "rus-mvd.officer", "--text", "late")
    assert code == 1 and "art5.research_state" in err
    code, out, _ = run("research", "show", pid, "--as", "blr-mvd.officer")
    shown = json.loads(out)
    assert shown["state"] == "completed" and shown["final"]["signed_by"] == "kaz-mvd.head"
    code, out, _ = run("research", "list", "--as", "rus-mvd.officer", "--json")
    assert [r["id"] for r in json.loads(out)] == [pid]
    assert run("research", "show", pid, "--as", "arm-police.officer")[0] == 3
    assert run("research", "show", "nope", "--as", "rus-mvd.officer")[0] == 4
