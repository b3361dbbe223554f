"""``ozara training`` through the CLI's entry point (``ozara.cli.main.main``), on one node
holding every body: announce, nominate, confirm, decline, withdraw, close, cancel, and
refusals with their articles and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ozara.cli import main as cli

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    assert cli.main(["init", "--demo-officers", "--database", url]) == 0

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["training", *args, "--database", url])
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def event_file(tmp_path: Path, **overrides: object) -> str:
    today = datetime.now(UTC).date()
    event = {
        "kind": "seminar", "title": "Phishing investigations", "topic": "Wallet tracing",
        "date_from": (today + timedelta(days=30)).isoformat(),
        "date_to": (today + timedelta(days=32)).isoformat(),
        "venues": ["Almaty"], "language": "ru",
        "nomination_deadline": (today + timedelta(days=10)).isoformat(),
        "places": {"RUS": 1, "BLR": 1},
        **overrides,
    }  # fmt: skip
    file = tmp_path / "event.json"
    file.write_text(json.dumps(event), encoding="utf-8")
    return str(file)


PERSON = ("--name", "Ivanov Ivan", "--post", "detective", "--contact", "ivanov@example.ru")


def test_a_seminar_through_the_cli(run: Run, tmp_path: Path) -> None:
    code, _, err = run("announce", event_file(tmp_path), "--as", "kaz-mvd.officer")
    assert code == 1 and "lifecycle.role" in err  # the head or a deputy announces
    code, out, _ = run("announce", event_file(tmp_path), "--as", "kaz-mvd.head")
    assert code == 0
    eid = out.strip()
    code, _, err = run("nominate", eid, "--as", "arm-police.officer", *PERSON)
    assert code == 1 and "art5.training_invited" in err and "Art. 5 para 4" in err
    code, _, err = run("nominate", eid, "--as", "kaz-mvd.officer", *PERSON)
    assert code == 1 and "art5.training_own_party" in err
    code, out, _ = run("nominate", eid, "--as", "rus-mvd.officer", *PERSON)
    assert code == 0
    n1 = out.strip().splitlines()[-1]
    code, _, err = run("nominate", eid, "--as", "rus-fsb.officer", *PERSON)
    assert code == 1 and "art5.training_quota" in err  # Russia's one place is taken
    code, out, _ = run("nominate", eid, "--as", "blr-mvd.officer", *PERSON)
    n2 = out.strip().splitlines()[-1]
    assert run("withdraw", eid, n2, "--as", "blr-mvd.officer")[0] == 0
    code, _, err = run("confirm", eid, n1, "--as", "rus-mvd.officer")
    assert code == 1 and "art5.training_host" in err
    assert run("confirm", eid, n1, "--as", "kaz-mvd.officer")[0] == 0
    code, _, err = run("decline", eid, n1, "--as", "kaz-mvd.officer", "--reason", "x")
    assert code == 1 and "art5.training_nomination" in err  # confirmed already
    assert run("close", eid, "--as", "kaz-mvd.officer")[0] == 0
    code, _, err = run("held", eid, "--as", "kaz-mvd.officer")
    assert code == 1 and "art5.training_dates" in err  # it has not begun
    code, out, _ = run("show", eid, "--as", "blr-mvd.officer")
    shown = json.loads(out)
    assert shown["state"] == "closed" and shown["places_left"] == {"BLR": 1, "RUS": 0}
    assert [n["state"] for n in shown["nominations"]] == ["confirmed", "withdrawn"]
    code, _, err = run("cancel", eid, "--as", "kaz-mvd.head", "--text", "Venue unavailable")
    assert code == 0
    code, _, err = run("nominate", eid, "--as", "blr-mvd.officer", *PERSON)
    assert code == 1 and "art5.training_state" in err
    code, out, _ = run("list", "--as", "rus-fsb.officer", "--json")
    assert [(r["id"], r["state"]) for r in json.loads(out)] == [(eid, "cancelled")]
    assert run("list", "--as", "rus-mvd.officer", "--state", "over")[0] == 2
    assert run("show", eid, "--as", "arm-police.officer")[0] == 3  # access denied
    assert run("show", "nope", "--as", "rus-mvd.officer")[0] == 4  # not found


def test_an_announcement_with_faults_names_each(run: Run, tmp_path: Path) -> None:
    file = event_file(tmp_path, kind="webinar", places={"KAZ": 2})
    code, _, err = run("announce", file, "--as", "kaz-mvd.head")
    assert code == 1 and "art5.training_kind" in err
    file = event_file(tmp_path, places={"KAZ": 2})
    code, _, err = run("announce", file, "--as", "kaz-mvd.head")
    assert code == 1 and "art5.training_parties" in err
