"""`ozara treaty` and `ozara registry` through the real command line (Art. 4, 16, 18)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, text

from ozara.transport.nodefiles import write_node
from tests.cli.test_cli import fails, ok, run_cli
from tests.documents.federation import build_federation
from tests.services.test_request_services import document as request_document


def test_treaty_and_registry_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"

    ok(run_cli(url, tmp_path, "init", "--demo-officers"))
    status = ok(run_cli(url, tmp_path, "treaty", "status", "--on", "2017-06-01"))
    assert "TJK  NOT bound  in force from 2018-02-09" in status.out
    assert "KAZ  bound      in force from 2016-11-02" in status.out
    early = ("treaty", "notify", "BLR", "withdrawal", "--received-on", "2026-12-01")
    fails(
        run_cli(url, tmp_path, *early, "--effective-on", "2027-03-01", "--as", "csto.secretariat"),
        1, "effective_on", "Art. 18",
    )  # fmt: skip
    fails(
        run_cli(url, tmp_path, *early, "--effective-on", "2027-06-01", "--as", "kaz-mvd.head"),
        3, "Secretariat",
    )  # fmt: skip
    done = ok(
        run_cli(url, tmp_path, *early, "--effective-on", "2027-06-01", "--as", "csto.secretariat")
    )
    assert "bound until the day before 2027-06-01" in done.out
    after = ok(run_cli(url, tmp_path, "treaty", "status", "--on", "2027-06-01"))
    assert "BLR  NOT bound" in after.out
    fails(run_cli(url, tmp_path, "treaty", "notify", "XXX", "ratification", "--received-on",
                  "2026-01-01", "--as", "csto.secretariat"), 2, "PARTY")  # fmt: skip
    designate = ("registry", "designate", "KAZ-KNB", "--party", "KAZ", "--name-ru", "КНБ",
                 "--name-en", "KNB", "--as", "csto.secretariat")  # fmt: skip
    fails(run_cli(url, tmp_path, *designate, "--timezone", "Asia/Nowhere"), 2, "--timezone")
    ok(run_cli(url, tmp_path, *designate, "--timezone", "Asia/Almaty"))
    fails(run_cli(url, tmp_path, *designate, "--timezone", "Asia/Almaty"), 1, "Art. 4")
    assert "KAZ-KNB      KAZ  Asia/Almaty" in ok(run_cli(url, tmp_path, "registry", "list")).out


def test_on_the_secretariat_node_a_designation_is_sent_to_every_party_node(
    tmp_path: Path,
) -> None:
    """With --node-dir the change goes to the outbox for each Party node (Art. 4)."""
    fed = build_federation()
    node_dir = tmp_path / "secretariat"
    write_node(node_dir, fed.secretariat, fed.trust_list, fed.secretariat.signing.public)
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    ok(run_cli(url, tmp_path, "init", "--demo-officers"))
    done = ok(
        run_cli(url, tmp_path, "registry", "designate", "KAZ-KNB", "--party", "KAZ",
                "--name-ru", "КНБ", "--name-en", "KNB", "--timezone", "Asia/Almaty",
                "--as", "csto.secretariat", "--node-dir", str(node_dir))
    )  # fmt: skip
    assert "Sent to 2 Party node(s) through the outbox." in done.out
    engine = create_engine(url)
    with engine.connect() as conn:
        recipients = conn.execute(text("SELECT recipient FROM outbox ORDER BY recipient"))
        assert [r for (r,) in recipients] == sorted([fed.kaz.node_id, fed.rus.node_id])
    engine.dispose()
    no_dir = str(tmp_path / "none")
    again = ("registry", "designate", "X", "--party", "KAZ", "--name-ru", "x", "--name-en", "x",
             "--timezone", "Asia/Almaty", "--as", "csto.secretariat",
             "--node-dir", no_dir)  # fmt: skip
    fails(run_cli(url, tmp_path, *again), 2, "--node-dir")


def test_on_a_party_node_a_signed_request_goes_to_the_requested_node(tmp_path: Path) -> None:
    """`officer keygen`, then `request sign/send --node-dir`: the request is queued, signed."""
    fed = build_federation()
    node_dir = tmp_path / "kaz"
    write_node(node_dir, fed.kaz, fed.trust_list, fed.secretariat.signing.public)
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    ok(run_cli(url, tmp_path, "init", "--demo-officers"))
    request = tmp_path / "request.json"
    request.write_text(json.dumps(request_document()), encoding="utf-8")
    rid = ok(run_cli(url, tmp_path, "request", "new", str(request), "--as", "kaz-mvd.officer"))
    rid_text = rid.out.strip()
    where = ("--node-dir", str(node_dir))
    sign = ("request", "sign", rid_text, "--as", "kaz-mvd.head", *where)
    fails(run_cli(url, tmp_path, *sign), 7, "no signing key")  # nothing changed:
    fails(run_cli(url, tmp_path, "officer", "keygen", "kaz-mvd.officer", *where), 2, "signatory")
    ok(run_cli(url, tmp_path, "officer", "keygen", "kaz-mvd.head", *where))
    assert (node_dir / "officers" / "kaz-mvd.head.json").stat().st_mode & 0o077 == 0
    ok(run_cli(url, tmp_path, *sign))
    ok(run_cli(url, tmp_path, "request", "send", rid_text, "--as", "kaz-mvd.officer", *where))
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT recipient, document_type FROM outbox")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(fed.rus.node_id, "request")]


def test_an_officer_gets_a_password_and_a_second_factor(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    ok(run_cli(url, tmp_path, "init", "--demo-officers"))
    password = ("officer", "password", "kaz-mvd.officer", "--password-stdin")
    fails(run_cli(url, tmp_path, *password, stdin="short\n"), 2, "at least 12")
    ok(run_cli(url, tmp_path, *password, stdin="correct horse battery staple\n"))
    fails(run_cli(url, tmp_path, "officer", "password", "nobody", "--password-stdin",
                  stdin="correct horse battery staple\n"), 4, "nobody")  # fmt: skip
    enrolled = ok(run_cli(url, tmp_path, "officer", "totp", "kaz-mvd.officer"))
    assert "otpauth://totp/" in enrolled.out and "TOTP secret of kaz-mvd.officer" in enrolled.out
    fails(run_cli(url, tmp_path, "officer", "totp", "kaz-mvd.head"), 4, "kaz-mvd.head")
