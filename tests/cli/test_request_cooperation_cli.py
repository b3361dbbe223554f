"""``ozara request participation|consultation|costs`` (Art. 8, 11, 12), end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from tests.cli.test_cli import Cli, cli, document, fails, ok, sent_request, workdir, write

__all__ = ["cli", "workdir", "write"]  # the fixtures this module uses from test_cli


def executing(cli: Cli, write: Callable[[str, object], str]) -> str:
    rid = sent_request(cli, write("r.json", document()))
    ok(cli("request", "act", rid, "receive", "--as", "rus-mvd.officer"))
    ok(cli("request", "act", rid, "start_execution", "--as", "rus-mvd.officer"))
    return rid


def test_participation_from_proposal_to_record(
    cli: Cli, write: Callable[[str, object], str]
) -> None:
    rid = executing(cli, write)
    today = datetime.now(UTC).date().isoformat()
    out = ok(cli(
        "request", "participation", "propose", rid, "--as", "kaz-mvd.officer",
        "--representative", "A. Ivanov; Senior investigator; KAZ-MVD",
        "--representative", "B. Seitov; IT expert; KAZ-MVD",
        "--from", today, "--to", today, "--action", "Questioning of the provider's staff",
    )).out  # fmt: skip
    assert "participation request no. 1" in out
    fails(
        cli("request", "participation", "answer", rid, "--as", "rus-mvd.officer",
            "--proposal", "1", "--agree"),
        1, "Art. 8", "art8.answer",
    )  # fmt: skip
    ok(cli("request", "participation", "answer", rid, "--as", "rus-mvd.head", "--proposal", "1",
           "--agree", "--only", "A. Ivanov", "--reasons", "The expert is not cleared"))  # fmt: skip
    # The denial the issue names: a representative not agreed did not take part.
    fails(
        cli("request", "participation", "record", rid, "--as", "rus-mvd.officer",
            "--proposal", "1", "--took-part", "B. Seitov"),
        1, "took_part[0]", "art8.not_agreed", "Art. 8",
    )  # fmt: skip
    ok(cli("request", "participation", "record", rid, "--as", "rus-mvd.officer",
           "--proposal", "1", "--took-part", "A. Ivanov"))  # fmt: skip
    shown = json.loads(ok(cli("request", "costs", "show", rid, "--as", "kaz-mvd.officer",
                              "--json")).out)  # fmt: skip
    (p,) = shown["participations"]
    assert (p["agreed"], p["took_part"]) == (["A. Ivanov"], ["A. Ivanov"])


def test_consultation_and_costs(cli: Cli, write: Callable[[str, object], str]) -> None:
    rid = executing(cli, write)
    ok(cli("request", "consultation", "add", rid, "--as", "rus-mvd.officer",
           "--body", "KAZ-MVD", "--body", "RUS-MVD", "--person", "P. Petrov",
           "--outcome", "Item 2 narrowed"))  # fmt: skip
    fails(
        cli("request", "consultation", "add", rid, "--as", "blr-mvd.officer",
            "--body", "BLR-MVD", "--person", "X", "--outcome", "Y"),
        3, "Access denied",
    )  # fmt: skip
    assert (
        "each Party bears its own"
        in ok(cli("request", "costs", "show", rid, "--as", "kaz-mvd.officer")).out
    )
    ok(cli("request", "costs", "propose", rid, "--as", "kaz-mvd.officer",
           "--share", "requesting; Travel of the representatives; 1500.00; USD"))  # fmt: skip
    fails(
        cli("request", "costs", "answer", rid, "--as", "kaz-mvd.head", "--proposal", "1",
            "--accept"),
        1, "art12.answer", "Art. 12",
    )  # fmt: skip
    fails(cli("request", "costs", "propose", rid, "--as", "kaz-mvd.officer", "--share", "x"),
          2, "--share[0]")  # fmt: skip
    ok(cli("request", "costs", "answer", rid, "--as", "rus-mvd.head", "--proposal", "1",
           "--accept"))  # fmt: skip
    out = ok(cli("request", "costs", "show", rid, "--as", "rus-mvd.officer")).out
    assert "agreement no. 1" in out and "1500.00 USD" in out and "Item 2 narrowed" in out
