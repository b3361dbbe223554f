"""`make demo` runs the scenario across seven nodes and exits 0 with OZARA_DEMO_EXIT=1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One run of ``make demo``'s program, shared by the tests of this module."""
    root = tmp_path_factory.mktemp("demo") / "fed"
    env = {**os.environ, "OZARA_DEMO_EXIT": "1", "OZARA_DEMO_DIR": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "ozara.demo"], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    return done, root


def test_demo_runs_every_branch_and_exits(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, _ = demo
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


def test_the_demo_runs_across_seven_nodes_over_http(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, root = demo
    assert done.returncode == 0, done.stderr
    out = done.stdout
    nodes = re.findall(r"^   ([A-Z]+-(?:NODE|SEC))\s+(http://127\.0\.0\.1:\d+)", out, re.M)
    assert len(nodes) == 7 and len({url for _, url in nodes}) == 7
    for node, _ in nodes:
        assert (root / node / "node.sqlite3").exists()
        assert (root / node / "keys.json").stat().st_mode & 0o077 == 0
    # The Kazakh request crosses to the Russian node and every answer comes back.
    assert "⇢ request KAZ-NODE → RUS-NODE: delivered, receipt verified; applied" in out
    assert "⇢ execution_report RUS-NODE → KAZ-NODE: delivered, receipt verified; applied" in out
    assert "⇢ refusal BLR-NODE → ARM-NODE: delivered" in out
    # The designation reaches all six Party nodes; before it, the body is refused (Art. 4).
    assert out.count("⇢ designation_notice CSTO-SEC → ") == 6
    assert "REFUSED a request to KGZ-GKNB" in out
    # Both copies of every request end in the same state at the same version.
    copies = re.findall(r"^   (\S+-\d{5})\s+(\S+) (\w+) v(\d+)  =  (\S+) (\w+) v(\d+)$", out, re.M)
    assert len(copies) == 8
    for _, node_a, state_a, v_a, node_b, state_b, v_b in copies:
        assert node_a != node_b and (state_a, v_a) == (state_b, v_b)
    sent, delivered, applied = map(
        int,
        re.search(r"Documents: (\d+) sent, (\d+) delivered.*?(\d+) applied", out).groups(),  # type: ignore[union-attr]
    )
    assert sent == delivered == applied > 40
    # The Secretariat's figures sum the six Party nodes' reports, each request once.
    assert "from the reports of 6 Party nodes" in out
    assert "KAZ→RUS 1" in out and "ARM→BLR 1" in out


def test_the_demo_exchanges_information_under_article_10(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, root = demo
    assert done.returncode == 0, done.stderr
    story = done.stdout.split("== Information exchange", 1)[1].split("== Deadlines", 1)[0]
    # A stamped state secret never enters; the record reaches the two Parties it was shared with.
    assert "REFUSED a record stamped secret" in story and "(Art. 10 para 3)" in story
    for node in ("KGZ-NODE", "RUS-NODE"):
        assert (
            f"⇢ information_share KAZ-NODE → {node}: delivered, receipt verified; applied" in story
        )
        assert f"⇢ information_revocation KAZ-NODE → {node}: delivered" in story
    # Found by a third spelling of the name, read for a permitted purpose, refused for another
    # until the provider consents; not passed on; closed by the revocation.
    assert "'Qairat Akhmetov' → Ахметов Кайрат Нурланович / Kairat Nurlanovich Akhmetov" in story
    assert "REFUSED reading for training" in story
    assert "⇢ consent_request RUS-NODE → KAZ-NODE: delivered" in story
    assert "for training, with the provider's consent" in story
    assert "REFUSED passing it on to BLR" in story
    assert "REFUSED reading the revoked record" in story
    # Files and records stay where they were; the keyring is outside the database.
    for node in ("KAZ-NODE", "RUS-NODE"):
        assert (root / node / "at-rest-keys.json").stat().st_mode & 0o077 == 0


def test_the_demo_plays_a_seminar_and_a_coordinated_operation(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, _ = demo
    assert done.returncode == 0, done.stderr
    out = done.stdout
    seminar = out.split("== A seminar with nominations", 1)[1].split("\n== ", 1)[0]
    assert "training:hold" in seminar and "REFUSED a nomination after the close" in seminar
    story = out.split("== A coordinated operation of three Parties", 1)[1].split("\n== ", 1)[0]
    # Proposed by the Kazakh MVD, answered by the invited heads on their own nodes, closed
    # by the head: every participant's node holds the same version, the signature verifies.
    assert "operation_action RUS-NODE → KAZ-NODE: delivered, receipt verified; applied" in story
    assert "operation:declined" in story and "operation:closed" in story
    assert "REFUSED a summary signed by kaz-mvd.officer" in story and "(Art. 5 para 3)" in story
    [versions] = re.findall(r"participant's node: (.*)$", story, re.M)
    copies = re.findall(r"(\S+-NODE) (\w+) v(\d+)", versions)
    assert len(copies) == 4 and {(s, v) for _, s, v in copies} == {("closed", copies[0][2])}
    assert "verifies on KAZ-NODE, RUS-NODE, KGZ-NODE, BLR-NODE" in story
