"""``ozara notifications``: alerts of new correlations (issue 8; services/notifications.py).

``list`` and ``read`` are an officer's inbox at the terminal (the same as ``/notifications``:
their case and only the body a match exists at); ``email`` sets the address an officer's
alerts are mailed to; ``mail`` sends what is due once, through the node directory's
``mail.json`` (``ozara serve`` does it continuously: ``mail_forever``).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine

from ozara.cli.common import AsOpt, DatabaseOpt, JsonOpt, engine_for, fail, utc_now
from ozara.core.correlation import SubjectType
from ozara.notify.smtp import MailConfigError, SmtpConfig, SmtpMailer, load_config
from ozara.services import notifications as svc
from ozara.services.requests import AccessDenied
from ozara.store import notifications as store
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

_log = logging.getLogger(__name__)

notifications_app = typer.Typer(
    help="Alerts of new correlations of the officers' cases (issue 8).", no_args_is_help=True
)


@notifications_app.command("list")
def list_(
    actor: AsOpt,
    database: DatabaseOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="At most this many.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many (newest first).")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """The officer's notifications, newest first (audited as in the web)."""
    engine = engine_for(database)
    try:
        with SqlUnitOfWork(engine) as uow:
            shown = svc.list_for(uow, actor, utc_now(), limit=limit, offset=offset)
    except AccessDenied as exc:
        fail(str(exc), 2)
    finally:
        engine.dispose()
    if as_json:
        items = [{
            "id": v.id, "case": str(v.subject), "title": v.subject_label,
            "match_in": v.other_type.value, "body": v.other_body,
            "found_at": v.created_at.isoformat(), "read": v.read,
        } for v in shown.items]  # fmt: skip
        out = {"total": shown.total, "unread": shown.unread, "items": items}
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{shown.unread} unread of {shown.total}")
    for v in shown.items:
        where = "record" if v.other_type is SubjectType.RECORD else "request"
        mark = " " if v.read else "*"
        typer.echo(f"{mark} {v.id:>6}  {v.created_at:%Y-%m-%d %H:%M}  {v.subject}  "
                   f"a match exists in a {where} of {v.other_body}")  # fmt: skip


@notifications_app.command("read")
def read(
    actor: AsOpt,
    notification_id: Annotated[int | None, typer.Argument(help="The notification's id.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Mark every unread one read.")] = False,
    database: DatabaseOpt = None,
) -> None:
    """Mark one notification (or ``--all``) of the officer read."""
    if (notification_id is None) == (not every):
        fail("give a notification id or --all", 2)
    engine = engine_for(database)
    try:
        with SqlUnitOfWork(engine) as uow:
            if notification_id is None:
                typer.echo(f"{svc.mark_all_read(uow, actor, utc_now())} marked read")
            else:
                case = svc.mark_read(uow, actor, notification_id, utc_now())
                typer.echo(f"{notification_id} marked read ({case})")
    except AccessDenied as exc:
        fail(str(exc), 2)
    except NotFound as exc:
        fail(str(exc), 2)
    finally:
        engine.dispose()


@notifications_app.command("email")
def email(
    officer_id: Annotated[str, typer.Argument(help="The officer's id.")],
    address: Annotated[str, typer.Argument(help="E-mail address; '' to remove it.")],
    database: DatabaseOpt = None,
) -> None:
    """Set the address an officer's alerts are mailed to (no case content is ever mailed)."""
    engine = engine_for(database)
    try:
        with SqlUnitOfWork(engine) as uow:
            svc.set_email(uow, officer_id, address or None, utc_now(), by="cli")
    except ValueError as exc:
        fail(f"ADDRESS: {exc}", 2)
    except NotFound as exc:
        fail(str(exc), 2)
    finally:
        engine.dispose()
    typer.echo(f"E-mail of {officer_id}: {address or 'none'}")


@notifications_app.command("mail")
def mail(
    node_dir: Annotated[
        Path, typer.Option("--node-dir", envvar="OZARA_NODE_DIR", file_okay=False,
                           help="The node directory holding mail.json.")
    ],
    database: DatabaseOpt = None,
) -> None:  # fmt: skip
    """Send the alerts due now, once (``ozara serve`` does it continuously)."""
    try:
        config = load_config(node_dir)
    except MailConfigError as exc:
        fail(str(exc), 2)
    if config is None:
        fail(f"--node-dir: no mail.json in {node_dir}: e-mail is not configured", 2)
    engine = engine_for(database, node_dir)
    try:
        done = svc.mail_pending(engine, SmtpMailer(config), utc_now(), web_url=config.web_url,
                                node_name=_node_name(node_dir))  # fmt: skip
        with engine.connect() as conn:
            waiting, given_up = store.mail_counts(conn)
    finally:
        engine.dispose()
    typer.echo(f"{done.sent} message(s) sent, {done.failed} failed; {waiting} notification(s) "
               f"waiting, {given_up} given up")  # fmt: skip


def _node_name(node_dir: Path) -> str:
    try:
        raw = json.loads((node_dir / "keys.json").read_text(encoding="utf-8"))
        return str(raw["node_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return node_dir.name


def mail_forever(
    engine: Engine,
    _trust: Any,
    node: Any,
    stop: threading.Event,
    *,
    config: SmtpConfig,
    every: float = 15.0,
) -> None:
    """The mailer for ``ozara serve`` (its background jobs' signature): what is due, every
    ``every`` seconds, outside any storing transaction. A failure is logged; the mail
    stays queued and is tried again after its back-off."""
    mailer = SmtpMailer(config)
    name = node.keys.node_id if node is not None else "Ozara"
    while not stop.is_set():
        try:
            svc.mail_pending(engine, mailer, utc_now(), web_url=config.web_url, node_name=name)
        except Exception as exc:  # the node keeps serving; the mail is retried
            _log.error("mail: %s: %s", exc.__class__.__name__, exc)
        stop.wait(every)
