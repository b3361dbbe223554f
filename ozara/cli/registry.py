"""``ozara treaty`` and ``ozara registry``: who is bound, and which bodies are designated."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from ozara.cli.common import (
    AsOpt,
    DatabaseOpt,
    engine_for,
    fail,
    node_dir_option,
    node_files,
    utc_now,
)
from ozara.core.parties import CompetentBody, Party
from ozara.core.treaty import NotificationKind, TreatyNotification
from ozara.federation import Broadcast, broadcast_designation, broadcast_treaty_notification
from ozara.services import registry as registry_svc
from ozara.store.uow import SqlUnitOfWork
from ozara.transport.nodefiles import NodeConfig

NodeDirOpt = Annotated[
    Path | None,
    node_dir_option(
        "On the Secretariat's node: also send the change to every Party node (Art. 4)."
    ),
]


def _secretariat_node(node_dir: Path | None) -> NodeConfig | None:
    return None if node_dir is None else node_files(node_dir)


def _report(result: Broadcast | None) -> None:
    if result is None:
        return
    typer.echo(
        f"Sent to {len(result.documents)} Party node(s) through the outbox"
        + (f"; no valid key for: {', '.join(result.skipped)}" if result.skipped else "")
        + "."
    )


treaty_app = typer.Typer(help="Treaty status of each Party (Art. 16–18).", no_args_is_help=True)
registry_app = typer.Typer(help="The registry of competent bodies (Art. 4).", no_args_is_help=True)


def _parse_day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)", 2)


def _parse_party(value: str) -> Party:
    try:
        return Party(value.upper())
    except ValueError:
        fail(f"PARTY: {value!r}; one of {', '.join(p.value for p in Party)}", 2)


@treaty_app.command("status")
def treaty_status(
    on: Annotated[str | None, typer.Option(help="The date (YYYY-MM-DD); default today.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Who is bound by the Protocol on a date, and open requests with a withdrawing Party."""
    day = _parse_day("--on", on) if on else utc_now().date()
    with SqlUnitOfWork(engine_for(database)) as uow:
        report = registry_svc.treaty_report(uow, day)
    typer.echo(f"Treaty status on {day} (Art. 16–18):")
    for p in report.parties:
        since = p.in_force_from.isoformat() if p.in_force_from else "not in force"
        until = f", withdraws on {p.withdrawal_on}" if p.withdrawal_on else ""
        typer.echo(
            f"  {p.party.value}  {'bound    ' if p.bound else 'NOT bound'}  "
            f"in force from {since}{until}  {p.party.name_en}"
        )
    if report.flagged:
        typer.echo("Open requests with a Party that has given notice of withdrawal (Art. 18):")
        for rid, state, party in report.flagged:
            typer.echo(f"  {rid:<24} {state:<20} {party.value}")


@treaty_app.command("notify")
def treaty_notify(
    party: Annotated[str, typer.Argument(help="ARM, BLR, KAZ, KGZ, RUS or TJK.")],
    kind: Annotated[str, typer.Argument(help="ratification or withdrawal.")],
    received_on: Annotated[str, typer.Option(help="Date the notice was received.")],
    actor: AsOpt,
    effective_on: Annotated[str | None, typer.Option(help="Withdrawal date (Art. 18).")] = None,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Record a notification of completed procedures (Art. 16) or of withdrawal (Art. 18)."""
    try:
        parsed_kind = NotificationKind(kind)
    except ValueError:
        fail(f"KIND: {kind!r}; one of {', '.join(k.value for k in NotificationKind)}", 2)
    notification = TreatyNotification(
        _parse_party(party),
        parsed_kind,
        _parse_day("--received-on", received_on),
        _parse_day("--effective-on", effective_on) if effective_on else None,
    )
    node = _secretariat_node(node_dir)
    sent = None
    with SqlUnitOfWork(engine_for(database)) as uow:
        if node is None:
            registry_svc.record_notification(uow, notification, actor, utc_now())
        else:
            sent = broadcast_treaty_notification(
                uow, notification, actor, utc_now(), keys=node.keys, trust=node.trust
            )
    with SqlUnitOfWork(engine_for(database)) as uow:
        status = uow.registry.treaty()
    party = notification.party
    if parsed_kind is NotificationKind.WITHDRAWAL:
        typer.echo(
            f"Recorded the withdrawal of {party.value}: bound until the day before "
            f"{status.withdrawn_from[party]} (Art. 18)."
        )
    else:
        start = status.in_force_from.get(party)
        typer.echo(
            f"Recorded the notification of {party.value}; in force for it from "
            f"{start or '— (fewer than 4 notifications, Art. 16)'}."
        )
    _report(sent)


@registry_app.command("list")
def registry_list(database: DatabaseOpt = None) -> None:
    """The competent bodies known to this node."""
    with SqlUnitOfWork(engine_for(database)) as uow:
        bodies = sorted(uow.registry.registry().bodies.values(), key=lambda b: b.id)
    for b in bodies:
        until = f" until {b.designated_until:%Y-%m-%d}" if b.designated_until else ""
        typer.echo(
            f"{b.id:<12} {b.party.value}  {b.timezone:<16} from "
            f"{b.designated_from:%Y-%m-%d}{until}  {b.name_en}"
        )


@registry_app.command("designate")
def registry_designate(
    body_id: Annotated[str, typer.Argument(help="New body's id, e.g. KAZ-KNB.")],
    party: Annotated[str, typer.Option(help="The designating Party.")],
    name_ru: Annotated[str, typer.Option(help="Name in Russian (Art. 13).")],
    name_en: Annotated[str, typer.Option(help="Name in English.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone, e.g. Asia/Almaty.")],
    actor: AsOpt,
    designated_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Record a body designated by its Party and notified by the Secretariat (Art. 4)."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"--timezone: {timezone!r} is not an IANA time zone", 2)
    start = (
        datetime.combine(_parse_day("--from", designated_from), time(0), ZoneInfo(timezone))
        if designated_from
        else utc_now()
    )
    body = CompetentBody(
        body_id, _parse_party(party), name_ru, name_en, timezone, start.astimezone(UTC)
    )
    node = _secretariat_node(node_dir)
    with SqlUnitOfWork(engine_for(database)) as uow:
        if node is None:
            registry_svc.designate(uow, body, actor, utc_now())
            sent = None
        else:
            sent = broadcast_designation(
                uow, body, actor, utc_now(), keys=node.keys, trust=node.trust
            )
    typer.echo(f"Designated {body_id} ({body.party.value}) from {start:%Y-%m-%d}.")
    _report(sent)
