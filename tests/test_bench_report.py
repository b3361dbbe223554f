"""``python -m bench --only NAME`` replaces only its own section of the report."""

from __future__ import annotations

from pathlib import Path

from bench.report import write_report

REPORT = """# Benchmarks

Measured earlier.

## Requests through the lifecycle

old lifecycle

## What is overdue now (PostgreSQL)

old overdue
"""


def test_a_partial_run_replaces_its_own_section_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(REPORT, encoding="utf-8")
    write_report(path, [["## Requests through the lifecycle", "", "new lifecycle", ""]], True)
    write_report(path, [["## Transport", "", "first", ""]], True)
    write_report(path, [["## Transport", "", "second", ""]], True)
    text = path.read_text(encoding="utf-8")
    assert "old lifecycle" not in text and "new lifecycle" in text
    assert (
        text.index("new lifecycle")
        < text.index("## What is overdue now")
        < text.index("old overdue")
    )
    assert text.count("## Transport") == 1 and "second" in text and "first" not in text
    assert text.startswith("# Benchmarks\n\nMeasured earlier.\n")
    assert text.count("a partial run; machine:") == 2


def test_a_full_run_rewrites_the_report(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(REPORT, encoding="utf-8")
    write_report(path, [["## A", "", "a", ""], ["## B", "", "b", ""]], False)
    text = path.read_text(encoding="utf-8")
    assert "old" not in text and text.index("## A") < text.index("## B")
    assert "Machine: " in text
