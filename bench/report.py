"""The benchmark report (docs/benchmarks.md): the machine, and whole or partial writes."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(
                x
                for x in Path("/proc/meminfo").read_text().splitlines()
                if x.startswith("MemTotal")
            ).split()[1]
        )
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        mem = "unknown memory"
    pg = (
        subprocess.run(
            ["bash", "-c", "ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        or "none"
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version} (WAL, "
        f"synchronous=FULL); PostgreSQL {pg} (fsync on, defaults but shared_buffers=256MB)"
    )


def _measured() -> str:
    return (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` "
        f"(`python -m bench {' '.join(sys.argv[1:])}`)"
    )


def write_report(path: Path, sections: list[list[str]], partial: bool) -> None:
    """Write the report; a partial run (``--only``) replaces only its own sections (from
    their ``## `` heading to the next one) and keeps the rest of an existing report."""
    if not partial or not path.exists():
        lines = ["# Benchmarks", "", f"{_measured()}.", "", f"Machine: {machine()}.", ""]
        for section in sections:
            lines += section
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    lines = path.read_text(encoding="utf-8").splitlines()
    for section in sections:
        heading, *rest = section
        body = [heading, "", f"{_measured()}, a partial run; machine: {machine()}.", *rest]
        if heading in lines:
            start = lines.index(heading)
            end = next(
                (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                len(lines),
            )
            lines[start:end] = body
        else:
            if lines and lines[-1] != "":
                lines.append("")
            lines += body
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
