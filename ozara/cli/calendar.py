"""``ozara calendar``: what the officer's body owes or attends, and its iCalendar export."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from ozara.cli.common import AsOpt, DatabaseOpt, engine_for, utc_now
from ozara.core.calendar import kind_label
from ozara.services import calendar as svc
from ozara.store.uow import SqlUnitOfWork

calendar_app = typer.Typer(
    help="Deadlines, operation tasks and training events of your body; iCalendar export.",
    no_args_is_help=True,
)

DaysOpt = Annotated[int, typer.Option(min=1, max=3660, help="How many days ahead.")]
LangOpt = Annotated[str, typer.Option(help="Language of the titles: ru, kk or en.")]


@calendar_app.command("show")
def show(
    actor: AsOpt, database: DatabaseOpt = None, days: DaysOpt = svc.HORIZON.days,
    lang: LangOpt = "ru",
) -> None:  # fmt: skip
    """One line an entry, overdue first: day, kind (article), reference, body to act."""
    now = utc_now()
    with SqlUnitOfWork(engine_for(database)) as uow:
        found = svc.entries(uow, actor, now, timedelta(days=days))
    if not found:
        typer.echo("nothing is due")
    for entry in found:
        mark = "OVERDUE " if entry.is_overdue(now) else ""
        when = entry.start.isoformat() if entry.end is None else f"{entry.day}..{entry.end}"
        typer.echo(
            f"{mark}{when}  {kind_label(entry.kind, lang)} ({entry.kind.article})  "
            f"{entry.ref}  {entry.body_id}"
        )


@calendar_app.command("export")
def export(
    actor: AsOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="The .ics file; - for stdout.")],
    database: DatabaseOpt = None,
    days: DaysOpt = svc.HORIZON.days,
    lang: LangOpt = "ru",
    base_url: Annotated[str, typer.Option(help="The node's web address, for links.")] = "",
) -> None:
    """Write the calendar as iCalendar (RFC 5545): titles and references, no case content."""
    with SqlUnitOfWork(engine_for(database)) as uow:
        text = svc.export_ical(
            uow, actor, utc_now(), lang=lang, base_url=base_url, horizon=timedelta(days=days)
        )
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8", newline="")
        typer.echo(f"{output}: {text.count('BEGIN:VEVENT')} entries")
