"""``ozara operation`` through the CLI's entry point (``ozara.cli.main.main``), on one node
holding every body: propose, answer, a task, a report, the signed summary, and refusals
with their articles and exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ozara.cli import main as cli
from ozara.cli.operations import operation_app

# Until ozara/cli/main.py registers the group itself.
if not any(g.name == "operation" for g in cli.app.registered_groups):
    cli.app.add_typer(operation_app, name="operation")


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    assert cli.main(["init", "--demo-officers", "--database", url]) == 0

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["operation", *args, "--database", url])
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_an_operation_through_the_cli(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    today = datetime.now(UTC).date()
    plan = {
        "name": "Operation Phishnet", "goals": "Stop the phishing operators",
        "period_from": (today - timedelta(days=1)).isoformat(),
        "period_to": (today + timedelta(days=60)).isoformat(),
        "categories": ["c"], "invited": ["RUS-MVD", "BLR-MVD"],
    }  # fmt: skip
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(plan), encoding="utf-8")
    code, out, _ = run("propose", str(file), "--as", "kaz-mvd.officer")
    assert code == 0
    oid = out.strip()
    code, _, err = run("task", oid, "--as", "kaz-mvd.officer", "--to", "RUS-MVD", "--due",
                       today.isoformat(), "--text", "Trace")  # fmt: skip
    assert code == 1 and "Art. 5 para 3" in err  # proposed: nobody accepted yet
    assert run("accept", oid, "--as", "rus-mvd.officer")[0] == 1  # the head answers
    code, out, _ = run("accept", oid, "--as", "rus-mvd.head")
    assert code == 0 and "active" in out
    code, _, err = run("accept", oid, "--as", "arm-police.head")
    assert code == 1 and "art5.operation_invited" in err
    code, out, _ = run("task", oid, "--as", "kaz-mvd.officer", "--to", "RUS-MVD", "--due",
                       today.isoformat(), "--text", "Trace the hosting")  # fmt: skip
    assert code == 0
    task_id = out.strip().splitlines()[-1]
    assert (
        run("report", oid, "--as", "rus-mvd.officer", "--text", "Traced", "--task", task_id)[0] == 0
    )
    assert run("done", oid, task_id, "--as", "rus-mvd.officer")[0] == 0
    code, _, err = run("close", oid, "--as", "kaz-mvd.officer", "--summary", "Done")
    assert code == 1 and "art5.operation_signatory" in err
    code, _, err = run("close", oid, "--as", "kaz-mvd.head")
    assert code == 1 and "art5.operation_summary" in err
    assert run("close", oid, "--as", "kaz-mvd.head", "--summary", "Servers seized")[0] == 0
    code, out, _ = run("show", oid, "--as", "blr-mvd.officer")
    shown = json.loads(out)
    assert shown["state"] == "closed" and shown["summary"]["signed_by"] == "kaz-mvd.head"
    assert shown["allowed"] == []
    code, out, _ = run("list", "--as", "rus-mvd.officer", "--json")
    assert [r["id"] for r in json.loads(out)] == [oid]
    code, _, err = run("report", oid, "--as", "rus-mvd.officer", "--text", "late")
    assert code == 1 and "art5.operation_state" in err
    assert run("show", oid, "--as", "arm-police.officer")[0] == 3  # access denied
    assert run("show", "nope", "--as", "rus-mvd.officer")[0] == 4  # not found
    assert run("task", oid, "--as", "kaz-mvd.officer", "--to", "X", "--due", "soon",
               "--text", "x")[0] == 2  # fmt: skip
