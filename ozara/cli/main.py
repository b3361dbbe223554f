"""The ``ozara`` command line.

Every command reports bad input as a clear message naming the field and the article,
exits non-zero, and never shows a traceback. The CLI is an operator's tool on the node
itself: it acts as the officer named by ``--as`` (or ``OZARA_OFFICER``), trusting the
local operator; people sign in through the web application.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from socket import gethostname
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError
from typer.exceptions import TyperException

from ozara import seed
from ozara.cli import render
from ozara.cli.audit import audit_app
from ozara.cli.calendar import calendar_app
from ozara.cli.common import (
    AsOpt,
    CliError,
    DatabaseOpt,
    JsonOpt,
    engine_for,
    fail,
    node_dir_option,
    node_files,
    node_trust,
    parse_at,
    read_json,
    utc_now,
)
from ozara.cli.correlate import correlate_app
from ozara.cli.keys import keys_app
from ozara.cli.literature import literature_app
from ozara.cli.notifications import notifications_app
from ozara.cli.officers import officer_app
from ozara.cli.operations import operation_app
from ozara.cli.ops import backup, restore
from ozara.cli.records import records_app
from ozara.cli.registry import registry_app, treaty_app
from ozara.cli.request_cooperation import consultation_app, costs_app, participation_app
from ozara.cli.research import research_app
from ozara.cli.serve import serve
from ozara.cli.training import training_app
from ozara.core.actions import Action, State
from ozara.core.lifecycle import Command
from ozara.core.parties import Officer, Role
from ozara.core.rules import ProtocolError
from ozara.federation.requests import FederatedPeers, SignatoryKeyMissing, Unroutable
from ozara.services import node as node_svc
from ozara.services import requests as svc
from ozara.services.rules_check import check_document
from ozara.store import audit_context
from ozara.store.repository import ConcurrentChange, NotFound
from ozara.store.uow import SqlUnitOfWork

app = typer.Typer(
    help="Ozara: requests under the CSTO Protocol on countering IT crime (2014).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
request_app = typer.Typer(
    help="Draft, sign, send and follow requests (Art. 6–9).", no_args_is_help=True
)
rules_app = typer.Typer(help="Check documents against the Protocol.", no_args_is_help=True)
app.add_typer(request_app, name="request")
request_app.add_typer(participation_app, name="participation")
request_app.add_typer(consultation_app, name="consultation")
request_app.add_typer(costs_app, name="costs")
app.add_typer(rules_app, name="rules")
app.add_typer(officer_app, name="officer")
app.add_typer(keys_app, name="keys")
app.add_typer(records_app, name="records")
app.add_typer(correlate_app, name="correlate")
app.add_typer(notifications_app, name="notifications")
app.add_typer(operation_app, name="operation")
app.add_typer(research_app, name="research")
app.add_typer(literature_app, name="literature")
app.add_typer(training_app, name="training")
app.add_typer(calendar_app, name="calendar")
app.add_typer(treaty_app, name="treaty")
app.add_typer(registry_app, name="registry")
app.add_typer(audit_app, name="audit")
app.command("serve")(serve)
app.command("backup")(backup)
app.command("restore")(restore)

# --- node -----------------------------------------------------------------------------


@app.command()
def init(
    database: DatabaseOpt = None,
    admin_id: Annotated[str | None, typer.Option(help="Id of the first officer.")] = None,
    admin_name: Annotated[str, typer.Option(help="Full name of the first officer.")] = "",
    admin_body: Annotated[
        str | None, typer.Option(help="Competent body of the first officer.")
    ] = None,
    demo_officers: Annotated[bool, typer.Option(help="Also create demo officers.")] = False,
) -> None:
    """Create the node's database, its registry of competent bodies and the first admin.

    The first admin is the head of their body (role signatory, Art. 6 para 5) and an
    officer; add others with `ozara officer add`.
    """
    officers: list[Officer] = node_svc.demo_officers() if demo_officers else []
    if admin_id:
        if not admin_body:
            fail("--admin-body: the first admin's competent body is required", 2)
        officers.append(
            Officer(
                admin_id,
                admin_name or admin_id,
                admin_body,
                frozenset({Role.SIGNATORY, Role.OFFICER}),
                "head of body",
            )
        )
    if not officers:
        fail("give --admin-id and --admin-body (or --demo-officers)", 2)
    if admin_id and sum(o.id == admin_id for o in officers) > 1:
        fail(f"--admin-id: {admin_id!r} is already the id of a demo officer", 2)
    known = {b.id for b in seed.BODIES}
    for o in officers:
        if o.body_id is not None and o.body_id not in known:
            fail(
                f"--admin-body: unknown competent body {o.body_id!r}; known: "
                f"{', '.join(sorted(known))} (Art. 4)",
                2,
            )
    engine = engine_for(database)
    try:
        node_svc.init_node(engine, utc_now(), officers)
    except node_svc.AlreadyInitialized as e:
        fail(str(e))
    typer.echo(
        f"Initialized {engine.url.render_as_string(hide_password=True)}: "
        f"{len(seed.BODIES)} competent bodies, {len(officers)} officer(s)."
    )


# --- requests -------------------------------------------------------------------------


@request_app.command("new")
def request_new(
    file: Annotated[Path, typer.Argument(help="The request document (JSON).")],
    actor: AsOpt,
    database: DatabaseOpt = None,
) -> None:
    """Store a request document as a draft; prints its number."""
    document = read_json(file)
    with SqlUnitOfWork(engine_for(database)) as uow:
        rid = svc.create_request(uow, document, actor, utc_now())
    typer.echo(rid)


NodeDirOpt = Annotated[
    Path | None,
    node_dir_option(
        "This node's directory (as for `ozara serve`): the other side's node is sent a "
        "signed document through the outbox, and signatories sign with their keys there."
    ),
]


def _peers(node_dir: Path | None, database: str | None) -> FederatedPeers | None:
    if node_dir is None:
        return None
    config = node_files(node_dir)
    trust = node_trust(engine_for(database), config)
    return FederatedPeers(config.keys, trust, config.officer_keys)


def _act(
    database: str | None, request_id: str, command: Command, actor: str, node_dir: Path | None
) -> None:
    peers = _peers(node_dir, database)
    with SqlUnitOfWork(engine_for(database)) as uow:
        request = svc.act(uow, request_id, command, actor, utc_now(), peers)
    typer.echo(f"{request.id}: {command.action.value} → {request.state.value}")


@request_app.command("sign")
def request_sign(
    request_id: str, actor: AsOpt, database: DatabaseOpt = None, node_dir: NodeDirOpt = None
) -> None:
    """Sign a draft (head of the body or a deputy, Art. 6 para 5)."""
    _act(database, request_id, Command(Action.SIGN), actor, node_dir)


@request_app.command("send")
def request_send(
    request_id: str,
    actor: AsOpt,
    urgent: Annotated[
        bool, typer.Option(help="Send an urgent request before its written form (Art. 6 para 4).")
    ] = False,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Send a signed request (Art. 6 para 3), or an urgent one unsigned (Art. 6 para 4)."""
    command = Command(Action.SEND_URGENT if urgent else Action.SEND)
    _act(database, request_id, command, actor, node_dir)


@request_app.command("act")
def request_act(
    request_id: str,
    action: Annotated[str, typer.Argument(help="One of: " + ", ".join(a.value for a in Action))],
    actor: AsOpt,
    text: Annotated[str, typer.Option(help="Reasons, conditions, results, information.")] = "",
    partial: Annotated[bool, typer.Option(help="Partial refusal or partial results.")] = False,
    to: Annotated[str | None, typer.Option("--to", help="Body to forward to.")] = None,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Take any lifecycle action on a request."""
    try:
        parsed = Action(action.replace("-", "_"))
    except ValueError:
        fail(
            f"ACTION: {action!r} is not an action; one of: {', '.join(a.value for a in Action)}", 2
        )
    command = Command(parsed, text=text, partial=partial, target_body=to)
    _act(database, request_id, command, actor, node_dir)


@request_app.command("show")
def request_show(
    request_id: str, actor: AsOpt, as_json: JsonOpt = False, database: DatabaseOpt = None
) -> None:
    """Show a request, its deadlines in local time and its timeline."""
    now = utc_now()
    with SqlUnitOfWork(engine_for(database)) as uow:
        view = svc.show(uow, request_id, actor, now)
    if as_json:
        r = view.request
        typer.echo(
            json.dumps(
                {
                    "id": r.id,
                    "state": r.state.value,
                    "requested_body": r.requested_body,
                    "content": r.content.to_dict(),
                    "outcome": r.outcome,
                    "deadlines": [
                        {
                            "kind": d.kind.value,
                            "due_at": d.due_at.isoformat(),
                            "met_at": d.met_at.isoformat() if d.met_at else None,
                            "overdue": d.is_overdue(now),
                        }
                        for d in r.deadlines
                    ],
                    "events": [e.as_dict() for e in view.events],
                    "allowed_actions": [a.value for a in view.allowed],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        typer.echo(render.request_text(view, now))


@request_app.command("list")
def request_list(
    actor: AsOpt,
    state: Annotated[str | None, typer.Option(help="Only requests in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 100,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The requests of the officer's body (all of the node's for an auditor)."""
    try:
        wanted = State(state) if state else None
    except ValueError:
        fail(f"--state: {state!r}; one of: {', '.join(s.value for s in State)}", 2)
    with SqlUnitOfWork(engine_for(database)) as uow:
        rows = svc.list_requests(uow, actor, wanted, limit)
    if as_json:
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False, indent=2))
        return
    for r in rows:
        typer.echo(
            f"{r['id']:<24} {r['state']:<20} {r['requesting_body']:>11} → "
            f"{r['requested_body']:<11} {'URGENT' if r['urgent'] else ''}"
        )
    if not rows:
        typer.echo("No requests.")


@app.command()
def deadlines(
    body: Annotated[str | None, typer.Option(help="Only this body's deadlines.")] = None,
    at: Annotated[str | None, typer.Option(help="Evaluate at this ISO date-time.")] = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """What is due soon and what is overdue, by the body that must act, in its local time."""
    now = parse_at(at)
    with SqlUnitOfWork(engine_for(database)) as uow:
        items = svc.deadlines(uow, now, body)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "request_id": i.request_id,
                        "kind": i.kind,
                        "body": i.body_id,
                        "due_at": i.due_at.isoformat(),
                        "local_due": i.local_due.isoformat(),
                        "overdue": i.overdue,
                    }
                    for i in items
                ],
                indent=2,
            )
        )
    else:
        typer.echo(render.due_text(items))


@rules_app.command("check")
def rules_check(
    file: Annotated[Path, typer.Argument(help="The request document (JSON).")],
    at: Annotated[str | None, typer.Option(help="Check as of this ISO date-time.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Validate a request document; print the violations as JSON (field, rule, article).

    Uses the node's registry and treaty status when the database is initialized, else
    the built-in registry. Exits 1 when the document is invalid.
    """
    moment = parse_at(at)
    try:
        document = read_json(file)
    except ProtocolError as e:
        violations = e.as_dicts()
    else:
        violations = check_document(document, moment, engine_for(database))
    typer.echo(
        json.dumps(
            {"valid": not violations, "violations": violations}, ensure_ascii=False, indent=2
        )
    )
    if violations:
        raise typer.Exit(1)


# --- entry point ----------------------------------------------------------------------


def _operator() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        user = str(os.getuid())
    return f"{user}@{gethostname()}"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; map every expected failure to a message and an exit status."""
    try:
        # The operator on the node's own machine: user@host in every audit entry (issue 7).
        with audit_context.acting(audit_context.Origin("cli", _operator())):
            # Without standalone mode a typer.Exit comes back as the return value.
            result = app(args=argv, standalone_mode=False)
    except typer.Exit as e:
        return e.exit_code
    except TyperException as e:  # usage errors: missing or malformed options
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"Error: {e.format_message()}", err=True)
        return int(e.exit_code)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        return 130
    except ProtocolError as e:
        typer.echo("Refused under the Protocol:", err=True)
        for v in e.violations:
            typer.echo(f"  - {v.field}: {v.message} ({v.article}; rule {v.rule})", err=True)
        return 1
    except svc.AccessDenied as e:
        typer.echo(f"Access denied: {e}", err=True)
        return 3
    except NotFound as e:
        typer.echo(f"Not found: {e}", err=True)
        return 4
    except (Unroutable, SignatoryKeyMissing) as e:
        typer.echo(f"Not sent: {e}", err=True)
        return 7
    except ConcurrentChange as e:
        typer.echo(f"Request {e} was changed by someone else meanwhile; try again.", err=True)
        return 5
    except CliError as e:
        typer.echo(f"Error: {e}", err=True)
        return e.code
    except (OperationalError, ProgrammingError) as e:
        if "no such table" in str(e) or "does not exist" in str(e):
            typer.echo("Error: the database is not initialized; run `ozara init`.", err=True)
        else:
            typer.echo(f"Database error: {e.orig!s}".splitlines()[0], err=True)
        return 6
    except Exception as e:  # the operator gets a message; OZARA_DEBUG shows the details
        if os.environ.get("OZARA_DEBUG"):
            raise
        typer.echo(
            f"Internal error ({e.__class__.__name__}): {e}. Set OZARA_DEBUG=1 for details.",
            err=True,
        )
        return 70
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
