"""``ozara training``: training events (Art. 5 para 4).

The same use cases as ``ozara.services.training``. With ``--node-dir`` the announcement and
each action travel to the other nodes as signed documents (a nomination made on an invited
Party's node goes to the host's node, which applies it and sends it to all; the
announcement and a cancellation are signed with the head's key from ``officers/``); without
it everything stays on this node. A refusal under the Protocol exits 1 naming the article.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ozara.cli.common import (
    AsOpt,
    DatabaseOpt,
    JsonOpt,
    SendingNodeDirOpt,
    fail,
    federated_session,
    read_json,
    utc_now,
)
from ozara.core.training import EventState, Nominee, TrainingAction, TrainingCommand, places_left
from ozara.federation.training import FederatedTrainingPeers
from ozara.services import training as svc
from ozara.store.uow import SqlUnitOfWork

training_app = typer.Typer(
    help="Training events (Art. 5 para 4): announce, nominate, confirm, close, hold.",
    no_args_is_help=True,
)

NodeDirOpt = SendingNodeDirOpt
A = TrainingAction


def _session(
    database: str | None, node_dir: Path | None
) -> tuple[SqlUnitOfWork, svc.TrainingPeers | None]:
    return federated_session(
        database, node_dir, lambda c, trust: FederatedTrainingPeers(c.keys, trust, c.officer_keys)
    )


def _act(
    database: str | None, node_dir: Path | None, event_id: str, command: TrainingCommand,
    actor: str,
) -> svc.Outcome:  # fmt: skip
    uow, peers = _session(database, node_dir)
    with uow:
        outcome = svc.act_on_event(uow, event_id, command, actor, utc_now(), peers)
    if outcome.forwarded:
        typer.echo(f"{event_id}: {command.action.value} sent to the host body's node")
    else:
        ev = outcome.event
        typer.echo(f"{event_id}: {command.action.value} -> {ev.state.value} (v{ev.version})")
    return outcome


@training_app.command("announce")
def announce(
    file: Annotated[Path, typer.Argument(help="The event as JSON (docs/training.md).")],
    actor: AsOpt,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """The head of the host body (or a deputy) announces an event; prints its id."""
    document = read_json(file)
    uow, peers = _session(database, node_dir)
    with uow:
        typer.echo(svc.announce_event(uow, document, actor, utc_now(), peers))


@training_app.command("nominate")
def nominate(
    event_id: str,
    actor: AsOpt,
    name: Annotated[str, typer.Option(help="The nominee's full name.")],
    post: Annotated[str, typer.Option(help="The nominee's post.")],
    contact: Annotated[str, typer.Option(help="How the host reaches them (e-mail, phone).")],
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """A body of an invited Party nominates a participant, within its Party's places."""
    command = TrainingCommand(A.NOMINATE, nominee=Nominee(name, post, contact))
    outcome = _act(database, node_dir, event_id, command, actor)
    if not outcome.forwarded:
        typer.echo(outcome.event.nominations[-1].id)


def _on_nomination(action: TrainingAction, doc: str) -> Any:
    def command(
        event_id: str,
        nomination_id: str,
        actor: AsOpt,
        reason: Annotated[str, typer.Option(help="Why (a decline's reasons).")] = "",
        database: DatabaseOpt = None,
        node_dir: NodeDirOpt = None,
    ) -> None:
        cmd = TrainingCommand(action, text=reason, nomination_id=nomination_id)
        _act(database, node_dir, event_id, cmd, actor)

    command.__doc__ = doc
    return command


training_app.command("confirm")(
    _on_nomination(A.CONFIRM, "The host body confirms a pending nomination.")
)
training_app.command("decline")(
    _on_nomination(A.DECLINE, "The host body declines a pending nomination.")
)
training_app.command("withdraw")(
    _on_nomination(A.WITHDRAW, "The nominating body withdraws its pending nomination.")
)


def _on_event(action: TrainingAction, doc: str) -> Any:
    def command(
        event_id: str,
        actor: AsOpt,
        text: Annotated[str, typer.Option(help="The reasons (cancel) or what was held.")] = "",
        database: DatabaseOpt = None,
        node_dir: NodeDirOpt = None,
    ) -> None:
        _act(database, node_dir, event_id, TrainingCommand(action, text=text), actor)

    command.__doc__ = doc
    return command


training_app.command("close")(_on_event(A.CLOSE, "The host body closes nominations."))
training_app.command("held")(
    _on_event(A.HOLD, "The host body records that the event was held (once it began).")
)
training_app.command("cancel")(
    _on_event(A.CANCEL, "The host's head or deputy cancels the event (--text: the reasons).")
)


@training_app.command("show")
def show(event_id: str, actor: AsOpt, database: DatabaseOpt = None) -> None:
    """The event as JSON, with the places left and what the actor may do now."""
    uow, _ = _session(database, None)
    with uow:
        view = svc.show_event(uow, event_id, actor, utc_now())
    shown: dict[str, Any] = {
        **view.event.to_dict(),
        "places_left": {p.value: n for p, n in places_left(view.event).items()},
        "allowed": [a.value for a in view.allowed],
        "received_from": view.received_from,
        "announcement_signed": view.announcement_signed,
    }
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@training_app.command("list")
def list_(
    actor: AsOpt,
    state: Annotated[str | None, typer.Option(help="Only events in this state.")] = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The events the actor's body hosts or its Party is invited to."""
    try:
        wanted = EventState(state) if state else None
    except ValueError:
        fail(f"--state: one of {', '.join(s.value for s in EventState)}", 2)
    uow, _ = _session(database, None)
    with uow:
        rows = svc.list_events(uow, actor, state=wanted)
    if as_json:
        out = [
            {"id": r.id, "kind": r.kind.value, "title": r.title, "host_body": r.host_body,
             "state": r.state.value, "dates": [d.isoformat() for d in r.dates],
             "nomination_deadline": r.nomination_deadline.isoformat(), "version": r.version}
            for r in rows
        ]  # fmt: skip
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for r in rows:
        typer.echo(f"{r.id}  {r.state.value:<9} {r.kind.value:<10} {r.host_body:<12} "
                   f"{r.dates[0]}..{r.dates[1]}  {r.title}")  # fmt: skip
