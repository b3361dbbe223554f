"""The ``ozara`` command line, driven as an operator would: real processes, a real database.

Exit codes: 0 done, 1 refused under the Protocol, 2 usage or file error, 3 access denied,
4 not found, 6 database not initialized. Every failure names the field and, where the
Protocol is the reason, the article; no failure ever shows a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _postgres_engine

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(database_url: str, cwd: Path, *args: str, stdin: str | None = None) -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OZARA_")}
    env["OZARA_DATABASE_URL"] = database_url
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    done = subprocess.run(
        [sys.executable, "-m", "ozara.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        input=stdin,
        check=False,
    )
    result = Result(done.returncode, done.stdout, done.stderr)
    # Whatever happens, the operator never sees a traceback.
    assert "Traceback" not in result.out, result
    assert "Traceback" not in result.err, result
    return result


Cli = Callable[..., Result]


def ok(result: Result) -> Result:
    assert result.code == 0, result
    return result


def fails(result: Result, code: int, *needles: str) -> Result:
    """Non-zero exit ``code`` and a message (stderr, or stdout for JSON) naming each needle."""
    assert result.code == code, result
    text = result.err + result.out
    for needle in needles:
        assert needle in text, (needle, result)
    return result


def document(name: str = "request-valid.json", **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    doc.update(changes)
    return doc


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def cli(workdir: Path) -> Cli:
    """A node initialized once for the module, with the demo officers; tests make new
    requests of their own, so they do not depend on one another."""
    url = f"sqlite:///{workdir / 'node.sqlite3'}"
    ok(run_cli(url, workdir, "init", "--demo-officers"))
    return lambda *args: run_cli(url, workdir, *args)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, object], str]:
    """Write a document (or raw text) to a file in tmp_path; returns its path."""

    def write(name: str, content: object) -> str:
        path = tmp_path / name
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def new_request(cli: Cli, path: str, actor: str = "kaz-mvd.officer") -> str:
    rid = ok(cli("request", "new", path, "--as", actor)).out.strip()
    assert rid.startswith("KAZ-MVD-")
    return rid


def sent_request(cli: Cli, path: str) -> str:
    rid = new_request(cli, path)
    ok(cli("request", "sign", rid, "--as", "kaz-mvd.head"))
    ok(cli("request", "send", rid, "--as", "kaz-mvd.officer"))
    return rid


# --- init and officers ------------------------------------------------------------------


def test_init_creates_the_node_and_refuses_a_second_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    first = ok(run_cli(url, tmp_path, "init", "--admin-id", "kz.head", "--admin-body", "KAZ-MVD"))
    assert "7 competent bodies, 1 officer(s)" in first.out
    fails(run_cli(url, tmp_path, "init", "--demo-officers"), 1, "already")
    assert "kz.head" in ok(run_cli(url, tmp_path, "officer", "list")).out

    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    fails(run_cli(other, tmp_path, "init"), 2, "--admin-id", "--admin-body")
    fails(run_cli(other, tmp_path, "init", "--admin-id", "x"), 2, "--admin-body")
    fails(
        run_cli(other, tmp_path, "init", "--admin-id", "x", "--admin-body", "NOPE"),
        2,
        "--admin-body",
        "'NOPE'",
        "Art. 4",
    )
    fails(
        run_cli(other, tmp_path, "init", "--demo-officers", "--admin-id", "auditor",
                "--admin-body", "KAZ-MVD"),
        2,
        "--admin-id",
    )  # fmt: skip


def test_officer_add(cli: Cli) -> None:
    added = ok(
        cli("officer", "add", "kaz-mvd.deputy", "--name", "Deputy", "--body", "KAZ-MVD",
            "--roles", "signatory,officer")
    )  # fmt: skip
    assert "kaz-mvd.deputy added with roles officer, signatory" in added.out
    fails(
        cli("officer", "add", "x1", "--name", "X", "--body", "KAZ-MVD", "--roles", "boss"),
        2,
        "--roles",
        "'boss'",
    )
    fails(
        cli("officer", "add", "x2", "--name", "X", "--body", "NOPE"), 2, "--body", "'NOPE'",
        "Art. 4",
    )  # fmt: skip
    fails(
        cli("officer", "add", "kaz-mvd.deputy", "--name", "Again", "--body", "KAZ-MVD"),
        2,
        "kaz-mvd.deputy",
        "already exists",
    )
    fails(cli("officer", "add", "x3", "--body", "KAZ-MVD"), 2, "--name")
    listed = ok(cli("officer", "list")).out
    assert "kaz-mvd.deputy" in listed
    assert "x1" not in listed
    assert "x2" not in listed


# --- a request through its lifecycle ----------------------------------------------------


def test_request_forwarded_executed_and_closed(cli: Cli, write: Callable[..., str]) -> None:
    rid = new_request(cli, write("valid.json", document()))

    # Art. 6 para 5: the head of the body or a deputy signs, not an officer.
    fails(
        cli("request", "sign", rid, "--as", "kaz-mvd.officer"),
        1,
        "actor",
        "Art. 6 para 5",
        "art6.signatory",
    )
    # Art. 6 para 3: a request is sent in writing, signed.
    fails(cli("request", "send", rid, "--as", "kaz-mvd.officer"), 1, "state", "Art. 6 para 3")
    assert ok(cli("request", "sign", rid, "--as", "kaz-mvd.head")).out.strip() == (
        f"{rid}: sign → signed"
    )
    ok(cli("request", "send", rid, "--as", "kaz-mvd.officer"))
    ok(cli("request", "act", rid, "receive", "--as", "rus-mvd.officer"))

    # Art. 7 para 4: passed to the competent body of the same state only.
    fails(
        cli("request", "act", rid, "forward", "--to", "BLR-MVD", "--as", "rus-mvd.officer"),
        1,
        "target_body",
        "Art. 7 para 4",
    )
    forwarded = ok(
        cli("request", "act", rid, "forward", "--to", "RUS-FSB", "--as", "rus-mvd.officer")
    )
    assert "forward → forwarded" in forwarded.out
    ok(cli("request", "act", rid, "start-execution", "--as", "rus-fsb.officer"))
    # Art. 7 para 7: the results are reported, so a text is needed.
    fails(
        cli("request", "act", rid, "execute", "--as", "rus-fsb.officer"), 1, "text",
        "Art. 7 para 7",
    )  # fmt: skip
    ok(
        cli("request", "act", rid, "execute", "--as", "rus-fsb.officer",
            "--text", "Установлен владелец домена kaspi-bonus24.ru")
    )  # fmt: skip
    assert (
        "close → closed" in ok(cli("request", "act", rid, "close", "--as", "kaz-mvd.officer")).out
    )

    shown = ok(cli("request", "show", rid, "--as", "kaz-mvd.officer")).out
    assert f"Request {rid}  [closed]" in shown
    assert "RUS-FSB (first addressed to RUS-MVD)" in shown
    assert "signed by       : kaz-mvd.head" in shown
    for event in ("request:forwarded", "request:executed", "request:closed"):
        assert event in shown
    assert "Установлен владелец домена" in shown

    view = ok(cli("request", "show", rid, "--as", "rus-mvd.officer", "--json")).json
    assert view["state"] == "closed"
    assert view["requested_body"] == "RUS-FSB"
    assert view["content"]["crime_category"] == "c"
    assert [e["name"] for e in view["events"]][-1] == "request:closed"
    assert view["allowed_actions"] == []

    rows = ok(cli("request", "list", "--as", "kaz-mvd.officer", "--json")).json
    assert {"id": rid, "state": "closed"}.items() <= next(r for r in rows if r["id"] == rid).items()
    assert rid in ok(cli("request", "list", "--as", "rus-fsb.officer", "--state", "closed")).out


def test_urgent_request_sent_before_signature_and_deadlines(
    cli: Cli, write: Callable[..., str]
) -> None:
    rid = new_request(cli, write("urgent.json", document("request-urgent.json")))
    sent = ok(cli("request", "send", rid, "--urgent", "--as", "kaz-mvd.officer"))
    assert "send_urgent → sent" in sent.out
    ok(cli("request", "act", rid, "receive", "--as", "rus-mvd.officer"))

    now = ok(cli("deadlines")).out
    assert "KAZ-MVD:" in now
    assert "RUS-MVD:" in now
    confirmation = next(
        line for line in now.splitlines() if rid in line and "Art. 6 para 4" in line
    )
    assert confirmation.split()[0] == "due"

    later = ok(cli("deadlines", "--at", "2099-01-01T00:00:00")).out
    mine = [line for line in later.splitlines() if rid in line]
    assert {"written confirmation (Art. 6 para 4)", "forwarding (Art. 7 para 4)"} <= {
        label for line in mine for label in DEADLINES if label in line
    }
    assert all(line.split()[0] == "OVERDUE" for line in mine)

    items = ok(cli("deadlines", "--json", "--at", "2099-01-01", "--body", "RUS-MVD")).json
    kinds = {i["kind"]: i for i in items if i["request_id"] == rid}
    assert set(kinds) == {"forwarding", "execution"}
    # Art. 7 para 2: an agreed term of 10 days instead of 30, due in Moscow time.
    assert kinds["execution"]["local_due"].endswith("+03:00")
    execution, forwarding = (
        datetime.fromisoformat(kinds[k]["due_at"]) for k in ("execution", "forwarding")
    )
    assert execution - forwarding == timedelta(days=10 - 3)
    assert all(i["overdue"] for i in items)
    assert all(i["body"] == "RUS-MVD" for i in items)

    fails(cli("deadlines", "--at", "next week"), 2, "--at", "ISO 8601")

    confirmed = ok(cli("request", "act", rid, "confirm", "--as", "kaz-mvd.head"))
    assert f"{rid}: confirm" in confirmed.out
    after = ok(cli("deadlines", "--json", "--at", "2099-01-01", "--body", "KAZ-MVD")).json
    assert rid not in {i["request_id"] for i in after}


DEADLINES = (
    "written confirmation (Art. 6 para 4)",
    "forwarding (Art. 7 para 4)",
    "execution (Art. 7 para 2)",
)


# --- rules check ------------------------------------------------------------------------


def test_rules_check_valid_and_invalid(cli: Cli, write: Callable[..., str]) -> None:
    valid = ok(cli("rules", "check", str(EXAMPLES / "request-valid.json")))
    assert valid.json == {"valid": True, "violations": []}

    broken = document(crime_category="z", urgent="yes")
    del broken["purpose"]
    report = fails(cli("rules", "check", write("broken.json", broken)), 1).json
    assert report["valid"] is False
    by_field = {v["field"]: v for v in report["violations"]}
    assert set(by_field) == {"purpose", "crime_category", "urgent"}
    assert (by_field["purpose"]["rule"], by_field["purpose"]["article"]) == (
        "art6.required",
        "Art. 6 para 2",
    )
    assert (by_field["crime_category"]["rule"], by_field["crime_category"]["article"]) == (
        "art3.category",
        "Art. 3",
    )
    assert by_field["urgent"]["rule"] == "input.type"
    for v in report["violations"]:
        assert set(v) == {"field", "rule", "article", "message", "ruleset"}
        assert v["ruleset"] == "csto-it-2014.1"

    urgent = document("request-urgent.json", urgent_grounds="")
    report = fails(cli("rules", "check", write("urgent.json", urgent)), 1).json
    assert [(v["field"], v["article"]) for v in report["violations"]] == [
        ("urgent_grounds", "Art. 6 para 4")
    ]

    # Art. 16: Tajikistan is bound only from 2018-02-09 (seed's illustrative dates).
    tjk = write("tjk.json", document(requested_body="TJK-MVD"))
    report = fails(cli("rules", "check", tjk, "--at", "2017-06-01"), 1).json
    assert [(v["field"], v["rule"], v["article"]) for v in report["violations"]] == [
        ("requested_party", "art16.in_force", "Art. 16")
    ]
    assert "Tajikistan" in report["violations"][0]["message"]
    ok(cli("rules", "check", tjk, "--at", "2018-02-09"))

    # Art. 4: a designated body, and of another Party.
    unknown = fails(cli("rules", "check", write("xyz.json", document(requested_body="XYZ"))), 1)
    assert [(v["field"], v["article"]) for v in unknown.json["violations"]] == [
        ("requested_body", "Art. 4")
    ]
    same = fails(cli("rules", "check", write("rus.json", document(requesting_body="RUS-FSB"))), 1)
    assert [(v["field"], v["rule"]) for v in same.json["violations"]] == [
        ("requested_body", "art4.distinct_parties")
    ]

    not_json = fails(cli("rules", "check", write("bad.json", "{nope")), 1).json
    assert not_json["violations"][0]["field"] == "$"
    assert "not JSON" in not_json["violations"][0]["message"]
    fails(cli("rules", "check", "missing.json"), 2, "missing.json", "no such file")
    fails(cli("rules", "check", str(EXAMPLES), "--at", "2020-01-01"), 2, "UTF-8")
    fails(cli("rules", "check", str(EXAMPLES / "request-valid.json"), "--at", "soon"), 2, "--at")


# --- bad input, command by command ------------------------------------------------------


def test_request_new_refuses_bad_documents(cli: Cli, write: Callable[..., str]) -> None:
    missing = document()
    del missing["justification"]
    fails(
        cli("request", "new", write("missing.json", missing), "--as", "kaz-mvd.officer"),
        1,
        "Refused under the Protocol",
        "justification",
        "Art. 6 para 2",
    )
    mistyped = write("mistyped.json", document(crime_category="z", urgent="yes"))
    fails(
        cli("request", "new", mistyped, "--as", "kaz-mvd.officer"),
        1,
        "crime_category",
        "Art. 3",
        "urgent: ",
        "expected true or false",
    )
    unknown = write("unknown.json", document(requested_body="XYZ"))
    fails(
        cli("request", "new", unknown, "--as", "kaz-mvd.officer"),
        1,
        "requested_body",
        "'XYZ'",
        "Art. 4",
    )
    valid = write("valid.json", document())
    # Only the requesting body's staff draft its requests.
    fails(cli("request", "new", valid, "--as", "rus-mvd.officer"), 1, "requesting_body", "Art. 4")
    fails(cli("request", "new", valid, "--as", "nobody"), 4, "officer 'nobody'")
    fails(cli("request", "new", valid), 2, "--as")
    fails(
        cli("request", "new", write("bad.json", "[1, 2"), "--as", "kaz-mvd.officer"),
        1,
        "not JSON",
    )
    fails(cli("request", "new", "nowhere.json", "--as", "kaz-mvd.officer"), 2, "nowhere.json")


def test_actions_refused(cli: Cli, write: Callable[..., str]) -> None:
    rid = sent_request(cli, write("valid.json", document()))
    fails(
        cli("request", "act", rid, "dance", "--as", "rus-mvd.officer"),
        2,
        "ACTION",
        "'dance'",
        "receive",
    )
    # A request of other bodies: Belarus may neither see nor act on it.
    fails(cli("request", "show", rid, "--as", "blr-mvd.officer"), 3, "Access denied", "BLR-MVD")
    fails(cli("request", "act", rid, "receive", "--as", "blr-mvd.officer"), 3, "BLR-MVD")
    fails(cli("request", "list", "--as", "csto.secretariat"), 3, "no competent body")
    fails(cli("request", "show", "KAZ-MVD-1999-99999", "--as", "kaz-mvd.officer"), 4, "99999")
    fails(cli("request", "list", "--as", "kaz-mvd.officer", "--state", "lost"), 2, "--state")
    # A sent request is not signed again, nor sent again as urgent.
    fails(cli("request", "sign", rid, "--as", "kaz-mvd.head"), 1, "state", "Art. 6 para 5")
    fails(
        cli("request", "send", rid, "--urgent", "--as", "kaz-mvd.officer"), 1, "state",
        "Art. 6 para 4",
    )  # fmt: skip
    fails(cli("request", "act", rid, "forward", "--as", "rus-mvd.head"), 1, "state", "Art. 6–9")
    ok(cli("request", "act", rid, "receive", "--as", "rus-mvd.officer"))
    # Only the requested body's head refuses, and always with reasons (Art. 9 para 2).
    fails(
        cli("request", "act", rid, "refuse", "--text", "Противоречит закону", "--as",
            "rus-mvd.officer"),
        1,
        "actor",
        "role 'signatory'",
    )  # fmt: skip
    fails(cli("request", "act", rid, "refuse", "--as", "rus-mvd.head"), 1, "text", "Art. 9 para 2")
    fails(
        cli("request", "act", rid, "forward", "--as", "rus-mvd.officer"), 1, "target_body",
        "Art. 7 para 4",
    )  # fmt: skip


def test_uninitialized_database(tmp_path: Path, write: Callable[..., str]) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    valid = write("valid.json", document())
    for args in (
        ("request", "list", "--as", "kaz-mvd.officer"),
        ("request", "new", valid, "--as", "kaz-mvd.officer"),
        ("request", "show", "KAZ-MVD-2026-00001", "--as", "kaz-mvd.officer"),
        ("deadlines",),
        ("officer", "add", "x", "--name", "X", "--body", "KAZ-MVD"),
    ):
        fails(run_cli(url, tmp_path, *args), 6, "not initialized", "ozara init")
    # rules check falls back on the built-in registry.
    assert ok(run_cli(url, tmp_path, "rules", "check", valid)).json["valid"] is True
    fails(run_cli("nonsense://", tmp_path, "deadlines"), 2, "--database")


# --- PostgreSQL -------------------------------------------------------------------------


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    for engine in _postgres_engine(postgres_server):
        yield engine.url.render_as_string(hide_password=False)


@pytest.mark.postgres
def test_init_new_sign_on_postgres(
    postgres_url: str, tmp_path: Path, write: Callable[..., str]
) -> None:
    def pg(*args: str) -> Result:
        return run_cli(postgres_url, tmp_path, *args)

    assert "7 competent bodies" in ok(pg("init", "--demo-officers")).out
    fails(pg("init", "--demo-officers"), 1, "already")
    rid = ok(pg("request", "new", write("valid.json", document()), "--as", "kaz-mvd.officer"))
    request_id = rid.out.strip()
    fails(pg("request", "sign", request_id, "--as", "kaz-mvd.officer"), 1, "Art. 6 para 5")
    ok(pg("request", "sign", request_id, "--as", "kaz-mvd.head"))
    view = ok(pg("request", "show", request_id, "--as", "kaz-mvd.officer", "--json")).json
    assert view["state"] == "signed"
