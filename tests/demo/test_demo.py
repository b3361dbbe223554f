"""`make demo` runs the scenario end to end and exits 0 with OZARA_DEMO_EXIT=1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_runs_every_branch_and_exits(tmp_path: Path) -> None:
    env = {**os.environ, "OZARA_DEMO_EXIT": "1", "OZARA_DEMO_DB": str(tmp_path / "demo.sqlite3")}
    done = subprocess.run(
        [sys.executable, "-m", "ozara.demo"], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for event in (
        "request:forwarded", "request:sent_urgent", "request:confirmed", "request:refused",
        "request:conditions_accepted", "request:conditions_declined", "request:postponed",
        "request:resumed", "request:partially_refused", "request:delay_notified",
        "request:info_requested", "request:info_provided", "request:withdrawn",
        "request:executed", "request:closed",
    ):  # fmt: skip
        assert event in out, event
    # The unconfirmed urgent request is overdue (Art. 6 para 4), in Yerevan time.
    assert "OVERDUE ARM-POLICE-2026-00001    written confirmation (Art. 6 para 4)" in out
    assert "Asia/Yerevan" in out and "Europe/Moscow" in out and "Asia/Almaty" in out
    # Illegal actions are refused with their article.
    assert "REFUSED sign by kaz-mvd.officer" in out and "(Art. 6 para 5)" in out
    assert "REFUSED send by kaz-mvd.officer" in out and "(Art. 6 para 3)" in out
    assert "Traceback" not in out + done.stderr
