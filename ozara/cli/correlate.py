"""``ozara correlate``: automatic correlation (issue 8, ozara/services/correlation.py).

``run`` works through the queue the storing transactions fill; ``rebuild`` correlates the
whole store again (after an upgrade of the matching rules, or to fill a node's first
index), with a progress bar; ``show`` prints a subject's links as an officer may see them
under a purpose: a link the officer may not read shows only that a match exists and which
body to ask for consent.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine

from ozara.cli.common import AsOpt, DatabaseOpt, JsonOpt, engine_for, fail, utc_now
from ozara.core.correlation import Subject
from ozara.core.records import Purpose
from ozara.services import correlation as svc
from ozara.store import correlations as store
from ozara.store.uow import SqlUnitOfWork

_log = logging.getLogger(__name__)

correlate_app = typer.Typer(
    help="Automatic correlation of records and requests (issue 8).", no_args_is_help=True
)

PurposeOpt = Annotated[
    str, typer.Option("--purpose", help="What the information is used for (Art. 10 para 2).")
]


@correlate_app.command("run")
def run(
    database: DatabaseOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many jobs per pass.")] = 500,
    drain: Annotated[bool, typer.Option(help="Repeat until the queue is empty.")] = False,
) -> None:
    """Process the correlation queue."""
    engine = engine_for(database)
    total = 0
    try:
        while True:
            done = svc.run_pending(engine, utc_now(), limit=max(1, limit))
            total += done
            if not drain or done == 0:
                break
        with engine.connect() as conn:
            waiting, dead = store.queue_counts(conn)
    finally:
        engine.dispose()
    typer.echo(f"{total} subject(s) correlated; {waiting} job(s) waiting, {dead} set aside")


@correlate_app.command("rebuild")
def rebuild(database: DatabaseOpt = None) -> None:
    """Correlate every record and request of the node again."""
    engine = engine_for(database)
    columns = (
        TextColumn("Correlating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
    )  # fmt: skip
    try:
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("rebuild", total=None)
            count = svc.rebuild(
                engine, utc_now(), lambda done, n: bar.update(task, completed=done, total=n)
            )
    finally:
        engine.dispose()
    typer.echo(f"{count} subject(s) correlated")


@correlate_app.command("show")
def show(
    subject: Annotated[str, typer.Argument(help="record:<id> or request:<id>")],
    actor: AsOpt,
    purpose: PurposeOpt,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A subject's links, as the officer may see them under the purpose."""
    try:
        parsed = Subject.parse(subject)
    except ValueError as exc:
        fail(f"SUBJECT: {exc}", 2)
    try:
        why = Purpose(purpose.strip().lower())
    except ValueError:
        fail(f"--purpose: {purpose!r} is not one of {', '.join(p.value for p in Purpose)}", 2)
    engine = engine_for(database)
    try:
        with SqlUnitOfWork(engine) as uow:
            views = svc.links_for(uow, actor, parsed, why, utc_now())
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps([_json(v) for v in views], ensure_ascii=False, indent=2))
        return
    if not views:
        typer.echo("No correlation.")
    for v in views:
        if not v.readable:
            ask = "; consent may be asked" if v.may_ask_consent else ""
            typer.echo(f"{v.other}  a match exists: ask {v.ask_body}{ask}")
            continue
        typer.echo(f"{v.other}  {', '.join(v.kinds)}  score {v.score:.2f}  {v.title}")
        for e in v.evidence:
            typer.echo(f"    {e.kind.value}: {e.field_a} {e.value_a!r} ~ {e.field_b} {e.value_b!r}"
                       f" ({e.score:.2f})")  # fmt: skip


def _json(v: svc.LinkView) -> dict[str, object]:
    if not v.readable:
        return {"other": v.other, "readable": False, "ask_body": v.ask_body,
                "may_ask_consent": v.may_ask_consent}  # fmt: skip
    return {
        "other": v.other, "readable": True, "owner_body": v.ask_body, "title": v.title,
        "kinds": list(v.kinds), "score": v.score,
        "found_at": v.found_at.isoformat() if v.found_at else None,
        "evidence": [e.to_dict() for e in v.evidence],
    }  # fmt: skip


def correlate_forever(
    engine: Engine, _trust: Any, _node: Any, stop: threading.Event, every: float = 1.0
) -> None:
    """The queue worker for ``ozara serve`` (its background jobs' signature): pass after
    pass, resting ``every`` seconds when the queue is empty. A failure is logged; the jobs
    stay queued for the next pass."""
    while not stop.is_set():
        try:
            done = svc.run_pending(engine, utc_now())
        except Exception as exc:  # the node keeps serving; the jobs are retried
            _log.error("correlation: %s: %s", exc.__class__.__name__, exc)
            done = 0
        if not done:
            stop.wait(every)
