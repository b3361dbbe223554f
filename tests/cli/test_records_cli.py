"""``ozara records`` through the real command line, on one node holding both sides' officers:
create, share, read under a purpose (denied, then with consent), search, revoke."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import Result, fails, ok, run_cli
from tests.core.test_records import person_record


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    ok(run_cli(url, tmp_path, "init", "--demo-officers"))
    return url


def test_a_record_from_creation_to_revocation(url: str, tmp_path: Path) -> None:
    def cli(*args: str) -> Result:
        return run_cli(url, tmp_path, "records", *args)

    record = tmp_path / "record.json"
    record.write_text(json.dumps(person_record()), encoding="utf-8")
    rid = ok(cli("new", str(record), "--as", "kaz-mvd.officer")).out.strip()
    kaz, rus = ("--as", "kaz-mvd.officer"), ("--as", "rus-mvd.officer")
    assert rid in ok(cli("list", *kaz)).out
    assert rid not in ok(cli("list", *rus)).out  # not shared yet
    fails(cli("show", rid, *rus, "--purpose", "investigation"), 1, "Art. 10 para 1")

    assert "shared with RUS" in ok(cli("share", rid, *kaz, "--to", "RUS")).out
    shown = ok(cli("show", rid, *rus, "--purpose", "investigation", "--case", "RU-1")).json
    assert shown["content"]["persons"][0]["names"][1] == "Kairat Nurlanovich Akhmetov"
    fails(cli("show", rid, *rus, "--purpose", "training"), 1, "Art. 10 para 2", "consent")
    fails(cli("show", rid, *rus, "--purpose", "gossip"), 2, "one of: prevention")

    found = ok(cli("search", "Кайрат Ахметов", *rus, "--purpose", "investigation", "--json"))
    assert found.json["persons"][0]["record"] == rid
    assert found.json["persons"][0]["readable"] is True
    hidden = ok(cli("search", "Qairat Akhmetov", *rus, "--purpose", "training", "--json"))
    assert hidden.json["persons"][0] == {
        "record": rid, "score": hidden.json["persons"][0]["score"], "body": "KAZ-MVD",
        "names": [], "title": "", "readable": False,
    }  # fmt: skip

    why = ("--justification", "a training course on phishing cases")
    cid = ok(cli("consent", "ask", rid, *rus, "--purpose", "training", *why)).out.strip()
    assert "to answer" in ok(cli("consent", "list", *kaz, "--pending")).out
    fails(cli("consent", "answer", cid, *rus, "--grant"), 1, "Art. 10 para 2")
    assert "granted" in ok(cli("consent", "answer", cid, *kaz, "--grant")).out
    ok(cli("show", rid, *rus, "--purpose", "training"))

    ok(cli("revoke", rid, *kaz, "--reason", "the suspect was misidentified"))
    fails(cli("show", rid, *rus, "--purpose", "investigation"), 1, "revoked")


def test_a_state_secret_is_refused_with_its_article(url: str, tmp_path: Path) -> None:
    data = person_record()
    data["handling"]["confidentiality"] = "top_secret"
    record = tmp_path / "secret.json"
    record.write_text(json.dumps(data), encoding="utf-8")
    fails(
        run_cli(url, tmp_path, "records", "new", str(record), "--as", "kaz-mvd.officer"),
        1, "Art. 10 para 3", "18 June 2004",
    )  # fmt: skip
