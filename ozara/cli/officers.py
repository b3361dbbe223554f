"""``ozara officer``: the node's officers, their roles, passwords, second factors and keys."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import IntegrityError

from ozara.cli.common import (
    DatabaseOpt,
    engine_for,
    fail,
    node_files,
    utc_now,
)
from ozara.core.parties import Officer, Role
from ozara.crypto import get_suite
from ozara.services import accounts
from ozara.services import node as node_svc
from ozara.store.uow import SqlUnitOfWork
from ozara.transport.nodefiles import (
    load_officer_keys,
    write_officer_key,
)

officer_app = typer.Typer(help="The node's officers and their roles.", no_args_is_help=True)


@officer_app.command("add")
def officer_add(
    officer_id: Annotated[str, typer.Argument(help="New officer's id.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    body: Annotated[str, typer.Option(help="Competent body id.")],
    roles: Annotated[
        str, typer.Option(help="Comma-separated: officer,signatory,liaison,secretariat,auditor")
    ] = "officer",
    post: Annotated[str, typer.Option(help="Post held.")] = "",
    database: DatabaseOpt = None,
) -> None:
    """Add an officer to the node."""
    try:
        parsed = frozenset(Role(r.strip()) for r in roles.split(",") if r.strip())
    except ValueError:
        fail(f"--roles: {roles!r}: each role is one of {', '.join(r.value for r in Role)}", 2)
    try:
        node_svc.add_officer(
            engine_for(database), Officer(officer_id, name, body, parsed, post), utc_now()
        )
    except LookupError as e:
        fail(f"--body: {e} (Art. 4)", 2)
    except IntegrityError:
        fail(f"OFFICER_ID: an officer {officer_id!r} already exists", 2)
    typer.echo(f"Officer {officer_id} added with roles {', '.join(sorted(parsed))}.")


@officer_app.command("password")
def officer_password(
    officer_id: Annotated[str, typer.Argument(help="The officer's id.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Set an officer's password for the web application (at least 12 characters)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with SqlUnitOfWork(engine_for(database)) as uow:
            accounts.set_password(uow, officer_id, password, utc_now())
    except accounts.PasswordRejected as e:
        fail(str(e), 2)
    typer.echo(f"Password of {officer_id} set; every session of the officer has ended.")


@officer_app.command("totp")
def officer_totp(
    officer_id: Annotated[str, typer.Argument(help="The officer's id.")],
    database: DatabaseOpt = None,
) -> None:
    """Enrol (or replace) the officer's TOTP second factor; prints the secret once."""
    with SqlUnitOfWork(engine_for(database)) as uow:
        secret = accounts.enroll_totp(uow, officer_id, utc_now())
    typer.echo(f"TOTP secret of {officer_id}: {secret}")
    typer.echo(f"For an authenticator app: {accounts.provisioning_uri(officer_id, secret)}")


@officer_app.command("keygen")
def officer_keygen(
    officer_id: Annotated[str, typer.Argument(help="The signatory's officer id.")],
    node_dir: Annotated[Path, typer.Option("--node-dir", envvar="OZARA_NODE_DIR", file_okay=False)],
    database: DatabaseOpt = None,
) -> None:
    """Create a signatory's signing key in the node directory (Art. 6 para 5)."""
    with SqlUnitOfWork(engine_for(database)) as uow:
        officer = uow.registry.officer(officer_id)
    if not officer.has(Role.SIGNATORY):
        fail(f"OFFICER_ID: {officer_id} is not a signatory (head of the body or a deputy)", 2)
    suite_id = node_files(node_dir).keys.suite_id
    if officer_id in load_officer_keys(node_dir):
        fail(f"OFFICER_ID: {officer_id} already has a key in {node_dir}", 2)
    pair = get_suite(suite_id).generate_signing_key_pair()
    path = write_officer_key(node_dir, officer_id, pair)
    typer.echo(f"Signing key of {officer_id} written to {path} (fingerprint {pair.fingerprint}).")


@officer_app.command("list")
def officer_list(database: DatabaseOpt = None) -> None:
    """List the node's officers."""
    with SqlUnitOfWork(engine_for(database)) as uow:
        for o in uow.registry.officers():
            typer.echo(
                f"{o.id:<24} {o.body_id or '-':<12} {','.join(sorted(o.roles)):<28} {o.name}"
            )
