"""``ozara calendar show|export`` through the CLI's entry point."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from ozara.cli import main as cli


@pytest.fixture
def node(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    assert cli.main(["init", "--demo-officers", "--database", url]) == 0
    today = datetime.now(UTC).date()
    plan = {
        "name": "Operation Phishnet", "goals": "Stop the phishing operators",
        "period_from": (today + timedelta(days=2)).isoformat(),
        "period_to": (today + timedelta(days=9)).isoformat(),
        "categories": ["c"], "invited": ["RUS-MVD"],
    }  # fmt: skip
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(plan), encoding="utf-8")
    assert cli.main(["operation", "propose", str(file), "--as", "kaz-mvd.officer",
                     "--database", url]) == 0  # fmt: skip
    return url


def test_show_lists_the_operation_period(node: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli.main(["calendar", "show", "--as", "rus-mvd.officer", "--database", node,
                     "--lang", "en"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "Coordinated operation period (Art. 5 para 3)" in out and "KAZ-MVD" in out
    assert cli.main(["calendar", "show", "--as", "blr-mvd.officer", "--database", node]) == 0
    assert capsys.readouterr().out.strip() == "nothing is due"


def test_export_writes_a_calendar_file(node: str, tmp_path: Path) -> None:
    out = tmp_path / "ozara.ics"
    assert cli.main(["calendar", "export", "--as", "kaz-mvd.officer", "--database", node,
                     "-o", str(out)]) == 0  # fmt: skip
    (event,) = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Период скоординированной операции")
    assert "Phishnet" not in out.read_text(encoding="utf-8")


def test_an_officer_of_no_body_is_refused(node: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["calendar", "show", "--as", "auditor", "--database", node])
    assert code != 0
    assert "no competent body" in capsys.readouterr().err
