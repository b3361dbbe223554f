"""``ozara research``: joint research projects (Art. 5 para 6).

The same use cases as ``ozara.services.research``. With ``--node-dir`` the proposal and each
change travel to the other nodes as signed documents (an invited body's action goes to the
lead's node, which applies it and sends the whole project to all; the final results are
signed with the head's key from ``officers/``). A refusal exits 1 naming the article.
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
from ozara.core.research import ResearchAction, ResearchCommand, ResearchState
from ozara.federation.research import FederatedResearchPeers
from ozara.services import research as svc
from ozara.store.uow import SqlUnitOfWork

research_app = typer.Typer(
    help="Joint research projects (Art. 5 para 6): propose, join, results, final results.",
    no_args_is_help=True,
)
NodeDirOpt = SendingNodeDirOpt
A = ResearchAction


def _session(
    database: str | None, node_dir: Path | None
) -> tuple[SqlUnitOfWork, svc.ResearchPeers | None]:
    return federated_session(
        database, node_dir, lambda c, trust: FederatedResearchPeers(c.keys, trust, c.officer_keys)
    )


def _act(
    database: str | None, node_dir: Path | None, project_id: str, command: ResearchCommand,
    actor: str,
) -> None:  # fmt: skip
    uow, peers = _session(database, node_dir)
    with uow:
        outcome = svc.act_on_project(uow, project_id, command, actor, utc_now(), peers)
    if outcome.forwarded:
        typer.echo(f"{project_id}: {command.action.value} sent to the lead body's node")
    else:
        p = outcome.project
        typer.echo(f"{project_id}: {command.action.value} -> {p.state.value} (v{p.version})")


@research_app.command("propose")
def propose(
    file: Annotated[Path, typer.Argument(help="The proposal as JSON (docs/research.md).")],
    actor: AsOpt,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Propose a project led by the actor's body; prints its id."""
    document = read_json(file)
    uow, peers = _session(database, node_dir)
    with uow:
        typer.echo(svc.propose_project(uow, document, actor, utc_now(), peers))


_TEXT = Annotated[str, typer.Option(help="The text: a name, a result, the final results.")]


@research_app.command("join")
def join(
    project_id: str, actor: AsOpt, database: DatabaseOpt = None, node_dir: NodeDirOpt = None
) -> None:
    """The invited body joins (its head or a deputy)."""
    _act(database, node_dir, project_id, ResearchCommand(A.JOIN), actor)


@research_app.command("decline")
def decline(
    project_id: str, actor: AsOpt, reason: Annotated[str, typer.Option()] = "",
    database: DatabaseOpt = None, node_dir: NodeDirOpt = None,
) -> None:  # fmt: skip
    """The invited body declines (its head or a deputy)."""
    _act(database, node_dir, project_id, ResearchCommand(A.DECLINE, text=reason), actor)


@research_app.command("researcher")
def researcher(
    project_id: str, actor: AsOpt, name: Annotated[str, typer.Option()],
    database: DatabaseOpt = None, node_dir: NodeDirOpt = None,
) -> None:  # fmt: skip
    """Name a researcher of the actor's body."""
    _act(database, node_dir, project_id, ResearchCommand(A.ADD_RESEARCHER, text=name), actor)


@research_app.command("result")
def result(
    project_id: str, actor: AsOpt, text: _TEXT,
    document: Annotated[str | None, typer.Option(help="A document of the library.")] = None,
    database: DatabaseOpt = None, node_dir: NodeDirOpt = None,
) -> None:  # fmt: skip
    """Post a milestone or result, optionally with a document of the library."""
    command = ResearchCommand(A.POST_RESULT, text=text, document_id=document)
    _act(database, node_dir, project_id, command, actor)


@research_app.command("complete")
def complete(
    project_id: str, actor: AsOpt, final: Annotated[str, typer.Option(help="Final results.")] = "",
    database: DatabaseOpt = None, node_dir: NodeDirOpt = None,
) -> None:  # fmt: skip
    """The lead body's head or deputy completes the project with its final results."""
    _act(database, node_dir, project_id, ResearchCommand(A.COMPLETE, text=final), actor)


@research_app.command("cancel")
def cancel(
    project_id: str, actor: AsOpt, reason: Annotated[str, typer.Option()],
    database: DatabaseOpt = None, node_dir: NodeDirOpt = None,
) -> None:  # fmt: skip
    """The lead body's head or deputy cancels the project."""
    _act(database, node_dir, project_id, ResearchCommand(A.CANCEL, text=reason), actor)


@research_app.command("show")
def show(project_id: str, actor: AsOpt, database: DatabaseOpt = None) -> None:
    """The project as JSON, with what the actor may do now."""
    uow, _ = _session(database, None)
    with uow:
        view = svc.show_project(uow, project_id, actor, utc_now())
    shown: dict[str, Any] = {
        **view.project.to_dict(), "allowed": [a.value for a in view.allowed],
        "received_from": view.received_from, "final_signed": view.final_signed,
    }  # fmt: skip
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@research_app.command("list")
def list_(
    actor: AsOpt,
    state: Annotated[str | None, typer.Option(help="Only projects in this state.")] = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The projects the actor's body leads or is invited to."""
    try:
        wanted = ResearchState(state) if state else None
    except ValueError:
        fail(f"--state: one of {', '.join(s.value for s in ResearchState)}", 2)
    uow, _ = _session(database, None)
    with uow:
        rows = svc.list_projects(uow, actor, state=wanted)
    if as_json:
        out = [{"id": r.id, "title": r.title, "lead_body": r.lead_body, "state": r.state.value,
                "period": list(r.period), "version": r.version} for r in rows]  # fmt: skip
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for r in rows:
        typer.echo(f"{r.id}  {r.state.value:<9} {r.lead_body:<12} {r.period[0]}..{r.period[1]}  "
                   f"{r.title}")  # fmt: skip
