"""``ozara operation``: coordinated operations (Art. 5 para 3).

The same use cases as ``ozara.services.operations``. With ``--node-dir`` the proposal and
each action travel to the other nodes as signed documents (an action of an invited body
goes to the lead's node, which applies it and sends it to all; the closing summary is
signed with the head's key from ``officers/``); without it everything stays on this node.
A refusal under the Protocol exits 1 naming the article.
"""

from __future__ import annotations

import json
from datetime import date
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
from ozara.core.operations import (
    LinkKind,
    OperationAction,
    OperationCommand,
    OperationState,
)
from ozara.federation.operations import FederatedOperationPeers
from ozara.services import operations as svc
from ozara.store.uow import SqlUnitOfWork

operation_app = typer.Typer(
    help="Coordinated operations (Art. 5 para 3): propose, answer, tasks, reports, summary.",
    no_args_is_help=True,
)

NodeDirOpt = SendingNodeDirOpt
A = OperationAction


def _session(
    database: str | None, node_dir: Path | None
) -> tuple[SqlUnitOfWork, svc.OperationPeers | None]:
    return federated_session(
        database, node_dir, lambda c, trust: FederatedOperationPeers(c.keys, trust, c.officer_keys)
    )


def _act(
    database: str | None, node_dir: Path | None, operation_id: str, command: OperationCommand,
    actor: str,
) -> svc.Outcome:  # fmt: skip
    uow, peers = _session(database, node_dir)
    with uow:
        outcome = svc.act_on_operation(uow, operation_id, command, actor, utc_now(), peers)
    if outcome.forwarded:
        typer.echo(f"{operation_id}: {command.action.value} sent to the lead body's node")
    else:
        op = outcome.operation
        typer.echo(f"{operation_id}: {command.action.value} -> {op.state.value} (v{op.version})")
    return outcome


@operation_app.command("propose")
def propose(
    file: Annotated[
        Path, typer.Argument(help="The plan as JSON (docs/operations-coordinated.md).")
    ],
    actor: AsOpt,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Propose an operation led by the actor's body; prints its id."""
    document = read_json(file)
    uow, peers = _session(database, node_dir)
    with uow:
        typer.echo(svc.propose_operation(uow, document, actor, utc_now(), peers))


@operation_app.command("accept")
def accept(
    operation_id: str, actor: AsOpt, database: DatabaseOpt = None, node_dir: NodeDirOpt = None
) -> None:
    """The invited body takes part (its head or a deputy)."""
    _act(database, node_dir, operation_id, OperationCommand(A.ACCEPT), actor)


@operation_app.command("decline")
def decline(
    operation_id: str,
    actor: AsOpt,
    reason: Annotated[str, typer.Option(help="Why, for the lead body.")] = "",
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """The invited body does not take part (its head or a deputy)."""
    _act(database, node_dir, operation_id, OperationCommand(A.DECLINE, text=reason), actor)


@operation_app.command("task")
def task(
    operation_id: str,
    actor: AsOpt,
    to: Annotated[str, typer.Option("--to", help="The body that carries it out.")],
    due: Annotated[str, typer.Option(help="Due date, YYYY-MM-DD, within the period.")],
    text: Annotated[str, typer.Option(help="What is to be done.")],
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """The lead body assigns a task to itself or to a body that accepted."""
    try:
        day = date.fromisoformat(due)
    except ValueError:
        fail(f"--due: {due!r} is not a date like 2026-03-01", 2)
    command = OperationCommand(A.ASSIGN_TASK, text=text, body_id=to, due=day)
    outcome = _act(database, node_dir, operation_id, command, actor)
    if not outcome.forwarded:
        typer.echo(outcome.operation.tasks[-1].id)


@operation_app.command("done")
def done(
    operation_id: str,
    task_id: str,
    actor: AsOpt,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """The body a task was assigned to marks it done."""
    command = OperationCommand(A.COMPLETE_TASK, task_id=task_id)
    _act(database, node_dir, operation_id, command, actor)


@operation_app.command("report")
def report(
    operation_id: str,
    actor: AsOpt,
    text: Annotated[str, typer.Option(help="The status report.")],
    task_id: Annotated[str | None, typer.Option("--task", help="The task it is about.")] = None,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """A status report of the lead or of a body that accepted."""
    command = OperationCommand(A.REPORT, text=text, task_id=task_id)
    _act(database, node_dir, operation_id, command, actor)


@operation_app.command("link")
def link(
    operation_id: str,
    actor: AsOpt,
    request: Annotated[str | None, typer.Option(help="A request of the actor's body.")] = None,
    record: Annotated[str | None, typer.Option(help="A record the actor's Party holds.")] = None,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Link a request or a record of information to the operation."""
    if (request is None) == (record is None):
        fail("give one of --request or --record", 2)
    kind, ref = (LinkKind.REQUEST, request) if request else (LinkKind.RECORD, record)
    command = OperationCommand(A.LINK, link_kind=kind, ref=ref)
    _act(database, node_dir, operation_id, command, actor)


@operation_app.command("close")
def close(
    operation_id: str,
    actor: AsOpt,
    summary: Annotated[str, typer.Option(help="The joint summary, signed by the actor.")] = "",
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """The lead body's head or deputy closes the operation with the signed joint summary."""
    _act(database, node_dir, operation_id, OperationCommand(A.CLOSE, text=summary), actor)


@operation_app.command("cancel")
def cancel(
    operation_id: str,
    actor: AsOpt,
    reason: Annotated[str, typer.Option(help="Why, for every invited body.")],
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """The lead body's head or deputy cancels the operation."""
    _act(database, node_dir, operation_id, OperationCommand(A.CANCEL, text=reason), actor)


@operation_app.command("show")
def show(operation_id: str, actor: AsOpt, database: DatabaseOpt = None) -> None:
    """The operation as JSON, with what the actor may do now."""
    uow, _ = _session(database, None)
    with uow:
        view = svc.show_operation(uow, operation_id, actor, utc_now())
    shown: dict[str, Any] = {
        **view.operation.to_dict(),
        "allowed": [a.value for a in view.allowed],
        "received_from": view.received_from,
        "summary_signed": view.summary_signed,
    }
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@operation_app.command("list")
def list_(
    actor: AsOpt,
    state: Annotated[str | None, typer.Option(help="Only operations in this state.")] = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The operations the actor's body leads or is invited to."""
    try:
        wanted = OperationState(state) if state else None
    except ValueError:
        fail(f"--state: one of {', '.join(s.value for s in OperationState)}", 2)
    uow, _ = _session(database, None)
    with uow:
        rows = svc.list_operations(uow, actor, state=wanted)
    if as_json:
        out = [
            {"id": r.id, "name": r.name, "lead_body": r.lead_body, "state": r.state.value,
             "period": list(r.period), "version": r.version}
            for r in rows
        ]  # fmt: skip
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for r in rows:
        typer.echo(f"{r.id}  {r.state.value:<9} {r.lead_body:<12} {r.period[0]}..{r.period[1]}  "
                   f"{r.name}")  # fmt: skip
