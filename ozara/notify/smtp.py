"""E-mail alerts through the node's SMTP server (issue 8), with the standard library only.

A node mails alerts when its directory holds ``mail.json`` (``ozara serve`` reads it at
start; without it, alerts stay in the web inbox)::

    DIR/mail.json   (mode 0600 when it holds a password)
        {"host": "smtp.mvd.example.kz", "port": 587, "security": "starttls",
         "sender": "ozara@mvd.example.kz", "web_url": "https://ozara.mvd.example.kz/",
         "username": "ozara", "password": "..."}

``security`` is ``starttls`` (the default: the server must offer STARTTLS, and its
certificate is verified), ``tls`` (TLS from the first byte, port 465 usually) or ``none``
(a relay on the same host or network only). ``password`` may be left out and given in the
environment as ``OZARA_SMTP_PASSWORD``. ``web_url`` is the address officers open Ozara at:
the message links to its ``/notifications`` page and holds nothing else
(``services/notifications.py`` explains why).
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

MAIL_FILE = "mail.json"
SECURITY = ("starttls", "tls", "none")
PASSWORD_ENV = "OZARA_SMTP_PASSWORD"


class MailConfigError(Exception):
    """``mail.json`` is unreadable or wrong; the message names the field."""


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    sender: str
    web_url: str
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    #: Seconds to connect and for each command: a dead server never holds the mailer long.
    timeout: float = 10.0
    #: PEM CA bundle to verify the server against (default: the system's).
    ca_file: str | None = None

    def __repr__(self) -> str:  # never print the password
        return (f"SmtpConfig(host={self.host!r}, port={self.port}, security={self.security!r}, "
                f"sender={self.sender!r}, web_url={self.web_url!r})")  # fmt: skip


def _text(value: Any, name: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n\0"):
        raise MailConfigError(f"{MAIL_FILE}: {name!r} must be a non-empty line of text")
    return value.strip()


def parse_config(raw: Any) -> SmtpConfig:
    if not isinstance(raw, dict):
        raise MailConfigError(f"{MAIL_FILE}: a JSON object is expected")
    known = {"host", "port", "security", "sender", "web_url", "username", "password",
             "timeout", "ca_file"}  # fmt: skip
    unknown = sorted(set(raw) - known)
    if unknown:
        raise MailConfigError(f"{MAIL_FILE}: unknown field(s) {', '.join(unknown)}")
    port = raw.get("port", 587)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise MailConfigError(f"{MAIL_FILE}: 'port' must be a number from 1 to 65535")
    security = raw.get("security", "starttls")
    if security not in SECURITY:
        raise MailConfigError(f"{MAIL_FILE}: 'security' is one of {', '.join(SECURITY)}")
    timeout = raw.get("timeout", 10.0)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 < timeout <= 300:
        raise MailConfigError(f"{MAIL_FILE}: 'timeout' must be 0 to 300 seconds")
    web_url = _text(raw.get("web_url"), "web_url")
    assert web_url is not None
    if not web_url.startswith(("https://", "http://")):
        raise MailConfigError(f"{MAIL_FILE}: 'web_url' must be an http(s) address")
    sender = _text(raw.get("sender"), "sender")
    if sender is None or sender.count("@") != 1:
        raise MailConfigError(f"{MAIL_FILE}: 'sender' must be an e-mail address")
    username = _text(raw.get("username"), "username", required=False)
    password = _text(raw.get("password"), "password", required=False)
    password = password or os.environ.get(PASSWORD_ENV) or None
    if username is not None and password is None:
        raise MailConfigError(f"{MAIL_FILE}: 'username' needs a password (or {PASSWORD_ENV})")
    return SmtpConfig(
        host=str(_text(raw.get("host"), "host")), sender=sender, web_url=web_url, port=port,
        security=security, username=username, password=password, timeout=float(timeout),
        ca_file=_text(raw.get("ca_file"), "ca_file", required=False),
    )  # fmt: skip


def load_config(node_dir: Path) -> SmtpConfig | None:
    """The node directory's ``mail.json``; ``None`` where there is none (no e-mail)."""
    path = node_dir / MAIL_FILE
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MailConfigError(
            f"{path}: cannot be read as JSON ({exc.__class__.__name__})"
        ) from None
    return parse_config(raw)


def message(config: SmtpConfig, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message, marked as sent by a machine (RFC 3834): no auto-replies."""
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=config.sender.rsplit("@", 1)[1])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    return msg


class SmtpMailer:
    """``services.notifications.Mailer`` over ``smtplib``: one connection per message (the
    mailer sends a few a minute at most), closed whatever happens."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_file)

    def send(self, to: str, subject: str, body: str) -> None:
        c = self.config
        msg = message(c, to, subject, body)
        smtp: smtplib.SMTP
        if c.security == "tls":
            smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._tls())
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        with smtp:
            if c.security == "starttls":
                smtp.starttls(context=self._tls())
            if c.username is not None and c.password is not None:
                smtp.login(c.username, c.password)
            refused = smtp.send_message(msg)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
