"""``ozara request participation|consultation|costs``: Art. 8, 11 and 12 on a request.

Each command is one lifecycle action (``services.request_cooperation``): refused with the
field, the rule and the article when the Protocol forbids it, and, with ``--node-dir``,
sent to the other side's node as a signed document like every other action.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from ozara.cli.common import (
    AsOpt,
    DatabaseOpt,
    JsonOpt,
    engine_for,
    fail,
    node_dir_option,
    node_files,
    node_trust,
    utc_now,
)
from ozara.core.cooperation_forms import to_json
from ozara.core.lifecycle import Request
from ozara.federation.requests import FederatedPeers
from ozara.services import request_cooperation as coop
from ozara.store.uow import SqlUnitOfWork

participation_app = typer.Typer(
    help="Representatives of the requesting body taking part in execution (Art. 8).",
    no_args_is_help=True,
)
consultation_app = typer.Typer(
    help="Consultations on a request or a disagreement (Art. 11).", no_args_is_help=True
)
costs_app = typer.Typer(
    help="Costs: each Party bears its own unless agreed otherwise (Art. 12).",
    no_args_is_help=True,
)

NodeDirOpt = Annotated[
    Path | None,
    node_dir_option("This node's directory: the other side's node is sent a signed document."),
]
ProposalOpt = Annotated[int, typer.Option("--proposal", help="The number of the proposal.")]


def _run(database: str | None, node_dir: Path | None, actor: str) -> coop.Who:
    peers = None
    if node_dir is not None:
        config = node_files(node_dir)
        peers = FederatedPeers(config.keys, node_trust(engine_for(database), config),
                               config.officer_keys)  # fmt: skip
    return coop.Who(actor, utc_now(), peers)


def _done(request: Request, what: str) -> None:
    typer.echo(f"{request.id}: {what} (state {request.state.value})")


def _representative(raw: str, n: int) -> dict[str, str]:
    parts = [p.strip() for p in raw.split(";")]
    if len(parts) != 3:
        fail(f"--representative[{n}]: give 'name; post; body' (Art. 8), got {raw!r}", 2)
    return coop.representative(*parts)


@participation_app.command("propose")
def participation_propose(
    request_id: str,
    actor: AsOpt,
    representative: Annotated[
        list[str], typer.Option(help="'name; post; body', once per representative.")
    ],
    date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    action: Annotated[list[str], typer.Option(help="An action they would take part in.")],
    note: Annotated[str, typer.Option(help="Why their participation is needed.")] = "",
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Ask that representatives take part in executing the request (requesting body)."""
    reps = [_representative(r, n) for n, r in enumerate(representative)]
    who = _run(database, node_dir, actor)
    with SqlUnitOfWork(engine_for(database)) as uow:
        request = coop.propose_participation(
            uow, request_id, who, representatives=reps, date_from=date_from, date_to=date_to,
            actions=action, note=note,
        )  # fmt: skip
    number = len(request.cooperation.participations)
    _done(request, f"participation request no. {number} sent")


@participation_app.command("answer")
def participation_answer(
    request_id: str,
    actor: AsOpt,
    proposal: ProposalOpt,
    agree: Annotated[bool, typer.Option("--agree/--refuse", help="Agree or refuse.")],
    only: Annotated[
        list[str] | None, typer.Option(help="Agree to this representative only (repeat).")
    ] = None,
    reasons: Annotated[str, typer.Option(help="Reasons (required for a refusal).")] = "",
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Agree to or refuse a participation request (requested body's head or deputy)."""
    who = _run(database, node_dir, actor)
    with SqlUnitOfWork(engine_for(database)) as uow:
        request = coop.answer_participation(
            uow, request_id, who, proposal=proposal, agreed=agree, names=only or None,
            reasons=reasons,
        )  # fmt: skip
    _done(request, f"participation request no. {proposal} {'agreed' if agree else 'refused'}")


@participation_app.command("record")
def participation_record(
    request_id: str,
    actor: AsOpt,
    proposal: ProposalOpt,
    took_part: Annotated[
        list[str] | None, typer.Option(help="A representative who took part (repeat).")
    ] = None,
    note: Annotated[str, typer.Option(help="A note.")] = "",
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Record who of the agreed representatives took part (requested body)."""
    who = _run(database, node_dir, actor)
    with SqlUnitOfWork(engine_for(database)) as uow:
        request = coop.record_participation(
            uow, request_id, who, proposal=proposal, took_part=took_part or [], note=note
        )
    _done(request, f"who took part under no. {proposal} recorded")


@consultation_app.command("add")
def consultation_add(
    request_id: str,
    actor: AsOpt,
    body: Annotated[list[str], typer.Option(help="A body that took part (repeat).")],
    person: Annotated[list[str], typer.Option(help="A person who took part (repeat).")],
    outcome: Annotated[str, typer.Option(help="The outcome.")],
    subject: Annotated[
        str,
        typer.Option(
            help="request, refusal, conditions, postponement, participation, costs or other"
        ),
    ] = "request",
    held_on: Annotated[str | None, typer.Option(help="The day, YYYY-MM-DD (today).")] = None,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Record a consultation held on the request or a disagreement (either body)."""
    who = _run(database, node_dir, actor)
    with SqlUnitOfWork(engine_for(database)) as uow:
        request = coop.record_consultation(
            uow, request_id, who, bodies=body, persons=person,
            held_on=held_on or date.today().isoformat(), subject=subject, outcome=outcome,
        )  # fmt: skip
    _done(request, f"consultation no. {len(request.cooperation.consultations)} recorded")


def _share(raw: str, n: int) -> dict[str, object]:
    parts = [p.strip() for p in raw.split(";")]
    if len(parts) not in (2, 4):
        fail(f"--share[{n}]: give 'requesting|requested; what[; amount; currency]', got {raw!r}", 2)
    return coop.share(*parts)


@costs_app.command("propose")
def costs_propose(
    request_id: str,
    actor: AsOpt,
    share: Annotated[
        list[str],
        typer.Option(help="'requesting|requested; what[; amount; currency]' (repeat)."),
    ],
    description: Annotated[str, typer.Option(help="What the agreement covers.")] = "",
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Propose who bears which costs of this request (either body)."""
    shares = [_share(s, n) for n, s in enumerate(share)]
    who = _run(database, node_dir, actor)
    with SqlUnitOfWork(engine_for(database)) as uow:
        request = coop.propose_costs(uow, request_id, who, shares=shares, description=description)
    _done(request, f"cost proposal no. {len(request.cooperation.costs)} sent")


@costs_app.command("answer")
def costs_answer(
    request_id: str,
    actor: AsOpt,
    proposal: ProposalOpt,
    accept: Annotated[bool, typer.Option("--accept/--reject", help="Accept or reject.")],
    reasons: Annotated[str, typer.Option(help="Reasons.")] = "",
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Accept or reject the other body's cost proposal (head or deputy)."""
    who = _run(database, node_dir, actor)
    with SqlUnitOfWork(engine_for(database)) as uow:
        request = coop.answer_costs(
            uow, request_id, who, proposal=proposal, accepted=accept, reasons=reasons
        )
    _done(request, f"cost proposal no. {proposal} {'accepted' if accept else 'rejected'}")


@costs_app.command("show")
def costs_show(
    request_id: str, actor: AsOpt, as_json: JsonOpt = False, database: DatabaseOpt = None
) -> None:
    """Show the participation, consultations and costs of a request."""
    with SqlUnitOfWork(engine_for(database)) as uow:
        view = coop.view(uow, request_id, actor)
    if as_json:
        typer.echo(json.dumps(to_json(view.cooperation), ensure_ascii=False, indent=2))
        return
    agreement = view.cooperation.costs_in_force()
    if agreement is None:
        typer.echo("Costs: each Party bears its own (Art. 12).")
    else:
        typer.echo(f"Costs: agreement no. {agreement.number} (Art. 12):")
        for s in agreement.shares:
            amount = f" — {s.amount} {s.currency}" if s.amount else ""
            typer.echo(f"  {s.borne_by.value} body bears: {s.what}{amount}")
    for p in view.cooperation.participations:
        names = ", ".join(p.agreed) or "—"
        typer.echo(f"Participation no. {p.number}: {p.status.value}; agreed: {names}")
    for c in view.cooperation.consultations:
        typer.echo(f"Consultation no. {c.number} on {c.held_on} ({c.subject}): {c.outcome}")
