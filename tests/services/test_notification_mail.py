"""E-mail alerts of new correlations (issue 8) against a real SMTP server on loopback
(aiosmtpd): the message reaches the officer's address and holds nothing of any case; a
server that is down leaves the mail queued and it is sent on a later pass; a notification
read in the web first is never mailed; a failing address is given up after the last try."""

from __future__ import annotations

import email
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from ozara.core.parties import Party
from ozara.notify.smtp import MailConfigError, SmtpConfig, SmtpMailer, load_config, parse_config
from ozara.services import correlation as corr
from ozara.services import notifications as svc
from ozara.store import notifications as store
from ozara.store import tables as t
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.services.test_correlation import ident
from tests.services.test_notifications import KAZ, RUS, SECRET_MAIL, SECRET_TITLE, record
from tests.transport.conftest import free_port

ADDRESS = "kaz.duty@mvd.example.kz"
WEB_URL = "https://ozara.kaz-node.example/"


@dataclass
class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    received: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), email.message_from_bytes(
            envelope.original_content or envelope.content)))  # fmt: skip
        return "250 Message accepted for delivery"


@dataclass
class Smtp:
    port: int
    inbox: Inbox
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    server = Smtp(free_port(), Inbox())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def text_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def config(port: int, **more: Any) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=port, security="none", sender="ozara@kaz-node.example",
                      web_url=WEB_URL, timeout=5.0, **more)  # fmt: skip


def send(node: Engine, clock: Clock, port: int) -> svc.MailPass:
    return svc.mail_pending(node, SmtpMailer(config(port)), clock.now, web_url=WEB_URL,
                            node_name="KAZ-NODE")  # fmt: skip


def matched(node: Engine, clock: Clock, n: int = 0) -> None:
    """A Kazakh record matching a Russian one shared for training only (a hidden match)."""
    record(node, clock, RUS, [ident("email", f"{n}{SECRET_MAIL}")],
           share_with=(Party.KAZAKHSTAN,), purposes=("training",), title=SECRET_TITLE)  # fmt: skip
    record(node, clock, KAZ, [ident("email", f"{n}{SECRET_MAIL}")], title="Our case")
    corr.run_pending(node, clock.advance(seconds=1))


@pytest.fixture
def addressed(node: Engine, clock: Clock) -> Engine:
    with SqlUnitOfWork(node) as uow:
        svc.set_email(uow, KAZ, ADDRESS, clock.now)
    return node


def mail_rows(node: Engine) -> list[Any]:
    n = t.correlation_notifications.c
    with node.connect() as conn:
        return list(conn.execute(
            select(n.id, n.mail_due_at, n.mailed_at, n.mail_attempts, n.mail_error)
            .where(n.officer_id == KAZ).order_by(n.id)
        ))  # fmt: skip


def test_the_alert_reaches_the_officer_and_says_nothing_of_the_case(
    addressed: Engine, clock: Clock, smtp: Smtp
) -> None:
    node = addressed
    matched(node, clock)
    assert send(node, clock, smtp.port) == svc.MailPass(sent=1, failed=0)
    [(recipients, message)] = smtp.inbox.received
    assert recipients == [ADDRESS] and message["To"] == ADDRESS
    assert message["From"] == "ozara@kaz-node.example"
    assert message["Auto-Submitted"] == "auto-generated"
    body = text_of(message)
    assert "https://ozara.kaz-node.example/notifications" in body
    assert "найдены новые совпадения по делам вашего органа: 1" in body  # no account: Russian
    with node.connect() as conn:
        ids = [str(r) for r in conn.execute(select(t.records.c.id)).scalars()]
    whole = message.as_string() + body
    for secret in (SECRET_TITLE, SECRET_MAIL, "Our case", "RUS-MVD", "KAZ-MVD", *ids):
        assert secret not in whole, secret
    [row] = mail_rows(node)
    assert row.mailed_at == clock.now and row.mail_due_at is None and row.mail_error is None
    assert send(node, clock, smtp.port) == svc.MailPass()  # sent once only
    assert len(smtp.inbox.received) == 1
    # Only the officer with an address is mailed: the head and the liaison are not.
    assert {r for rs, _ in smtp.inbox.received for r in rs} == {ADDRESS}


def test_one_message_per_officer_for_all_that_is_due_in_their_language(
    addressed: Engine, clock: Clock, smtp: Smtp
) -> None:
    node = addressed
    with node.begin() as conn:
        conn.execute(t.accounts.insert().values(
            officer_id=KAZ, password_hash="x", language="en", password_set_at=clock.now,
        ))  # fmt: skip
    matched(node, clock, 1)
    matched(node, clock, 2)
    assert send(node, clock, smtp.port) == svc.MailPass(sent=1)
    [(_, message)] = smtp.inbox.received
    assert message["Subject"] == "Ozara: new matches"
    body = text_of(message)
    assert "new matches concerning the cases of your body: 2" in body


def test_a_server_that_is_down_leaves_the_mail_queued_and_it_is_sent_later(
    addressed: Engine, clock: Clock
) -> None:
    node = addressed
    down = Smtp(free_port(), Inbox())  # nothing listens there yet
    matched(node, clock)
    assert send(node, clock, down.port) == svc.MailPass(sent=0, failed=1)
    [row] = mail_rows(node)
    assert row.mailed_at is None and row.mail_attempts == 1
    assert row.mail_due_at == clock.now + svc.MAIL_BACKOFF[0]
    assert "ConnectionRefusedError" in row.mail_error
    # The web inbox has it meanwhile, and correlation went on regardless.
    with node.connect() as conn:
        assert store.unread_count(conn, KAZ) == 1
    down.start()
    try:
        assert send(node, clock, down.port) == svc.MailPass()  # not due again yet
        clock.advance(minutes=2)
        assert send(node, clock, down.port) == svc.MailPass(sent=1)
        assert [rs for rs, _ in down.inbox.received] == [[ADDRESS]]
    finally:
        down.stop()
    [row] = mail_rows(node)
    assert row.mailed_at == clock.now and row.mail_error is None


def test_a_notification_read_first_is_not_mailed(
    addressed: Engine, clock: Clock, smtp: Smtp
) -> None:
    node = addressed
    matched(node, clock)
    with SqlUnitOfWork(node) as uow:
        svc.mark_all_read(uow, KAZ, clock.now)
    assert send(node, clock, smtp.port) == svc.MailPass()
    assert smtp.inbox.received == []


def test_a_mail_that_keeps_failing_is_given_up(addressed: Engine, clock: Clock) -> None:
    node = addressed
    matched(node, clock)
    dead = free_port()
    for _ in range(svc.MAX_MAIL_ATTEMPTS):
        assert send(node, clock, dead).failed == 1
        clock.advance(hours=2)
    assert send(node, clock, dead) == svc.MailPass()
    [row] = mail_rows(node)
    assert (row.mail_due_at, row.mailed_at, row.mail_attempts) == (
        None, None, svc.MAX_MAIL_ATTEMPTS,
    )  # fmt: skip
    with node.connect() as conn:
        assert store.mail_counts(conn) == (0, 1)
        assert store.unread_count(conn, KAZ) == 1  # still in the web inbox


def test_starttls_is_required_when_configured(addressed: Engine, clock: Clock, smtp: Smtp) -> None:
    """The test server offers no STARTTLS: the mailer never falls back to plain text."""
    node = addressed
    matched(node, clock)
    mailer = SmtpMailer(replace(config(smtp.port), security="starttls"))
    done = svc.mail_pending(node, mailer, clock.now, web_url=WEB_URL, node_name="KAZ-NODE")
    assert done.failed == 1 and smtp.inbox.received == []
    [row] = mail_rows(node)
    assert "STARTTLS" in row.mail_error or "starttls" in row.mail_error


def test_the_serve_mailer_thread_sends_until_stopped(
    addressed: Engine, clock: Clock, smtp: Smtp
) -> None:
    from ozara.cli.notifications import mail_forever  # noqa: PLC0415

    node = addressed
    matched(node, clock)
    stop = threading.Event()
    worker = threading.Thread(target=mail_forever, args=(node, None, None, stop),
                              kwargs={"config": config(smtp.port), "every": 0.05})  # fmt: skip
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while not smtp.inbox.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive() and len(smtp.inbox.received) == 1


def test_the_cli_sets_an_address_and_mails_through_mail_json(
    node: Engine, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from ozara.cli.common import CliError  # noqa: PLC0415
    from ozara.cli.notifications import notifications_app  # noqa: PLC0415

    url = ["--database", node.url.render_as_string(hide_password=False)]
    runner = CliRunner()
    bad = runner.invoke(notifications_app, ["email", KAZ, "not-an-address", *url])
    assert isinstance(bad.exception, CliError) and bad.exception.code == 2  # main() prints it
    ok = runner.invoke(notifications_app, ["email", KAZ, ADDRESS, *url])
    assert ok.exit_code == 0, ok.output
    matched(node, clock)
    listed = runner.invoke(notifications_app, ["list", "--as", KAZ, *url])
    assert listed.exit_code == 0 and "a match exists in a record of RUS-MVD" in listed.output
    assert SECRET_TITLE not in listed.output
    (tmp_path / "mail.json").write_text(json.dumps({
        "host": "127.0.0.1", "port": smtp.port, "security": "none",
        "sender": "ozara@kaz-node.example", "web_url": WEB_URL,
    }))  # fmt: skip
    sent = runner.invoke(notifications_app, ["mail", "--node-dir", str(tmp_path), *url])
    assert sent.exit_code == 0, sent.output
    assert "1 message(s) sent, 0 failed; 0 notification(s) waiting" in sent.output
    assert [rs for rs, _ in smtp.inbox.received] == [[ADDRESS]]
    read = runner.invoke(notifications_app, ["read", "--all", "--as", KAZ, *url])
    assert read.exit_code == 0 and "1 marked read" in read.output


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"sender": "a@b", "web_url": WEB_URL}, "'host'"),
        ({"host": "h", "sender": "a@b", "web_url": WEB_URL, "port": 0}, "'port'"),
        ({"host": "h", "sender": "a@b", "web_url": WEB_URL, "security": "ssl3"}, "'security'"),
        ({"host": "h", "sender": "nobody", "web_url": WEB_URL}, "'sender'"),
        ({"host": "h", "sender": "a@b", "web_url": "ftp://x"}, "'web_url'"),
        ({"host": "h", "sender": "a@b", "web_url": WEB_URL, "username": "u"}, "password"),
        ({"host": "h\r\nRCPT TO:<x>", "sender": "a@b", "web_url": WEB_URL}, "'host'"),
        ({"host": "h", "sender": "a@b", "web_url": WEB_URL, "cc": "x"}, "unknown"),
    ],
)
def test_mail_json_is_checked(
    raw: dict[str, Any], error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OZARA_SMTP_PASSWORD", raising=False)
    with pytest.raises(MailConfigError, match=error):
        parse_config(raw)


def test_mail_json_is_optional_and_its_password_is_never_printed(tmp_path: Path) -> None:
    assert load_config(tmp_path) is None
    (tmp_path / "mail.json").write_text(json.dumps({
        "host": "smtp.example", "sender": "ozara@example.kz", "web_url": WEB_URL,
        "username": "ozara", "password": "hunter2-secret",
    }))  # fmt: skip
    loaded = load_config(tmp_path)
    assert loaded is not None and (loaded.port, loaded.security) == (587, "starttls")
    assert "hunter2" not in repr(loaded)
    (tmp_path / "mail.json").write_text("{not json")
    with pytest.raises(MailConfigError, match="JSON"):
        load_config(tmp_path)
