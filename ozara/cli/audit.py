"""``ozara audit``: verify the audit chain, sign checkpoints, export verifiable extracts.

Exit status: 0 intact, 1 broken (the first broken entry is named: its id, what happened to
it, when it was written), 2 bad input or usage. docs/audit.md explains the chain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ozara.cli.common import (
    DatabaseOpt,
    engine_for,
    fail,
    node_dir_option,
    node_files,
    node_trust,
    utc_now,
)
from ozara.core.audit import Report
from ozara.crypto import InvalidKey, deserialize_public_key
from ozara.documents import CanonicalJSONError
from ozara.documents.canonical import parse_object
from ozara.federation.checkpoints import held_checkpoints, send_checkpoint
from ozara.store.audit import checkpoint, verify_chain
from ozara.store.audit_export import ExtractInvalid, export, verify_export
from ozara.store.uow import SqlUnitOfWork

audit_app = typer.Typer(
    help="The tamper-evident audit log: verify it, sign checkpoints, export extracts.",
    no_args_is_help=True,
)

NodeDirOpt = Annotated[
    Path | None,
    node_dir_option("The node directory: its signing key checks the checkpoints' signatures."),
]


def _verdict(report: Report, what: str) -> None:
    """Print the outcome; exit 1 naming the first broken entry."""
    if report.broken is not None:
        b = report.broken
        typer.echo(f"{what}: BROKEN at entry #{b.entry_id}: {b.problem.value}", err=True)
        typer.echo(f"  what:     {b.note or b.problem.value}", err=True)
        typer.echo(f"  when:     {b.at or 'unknown'}", err=True)
        typer.echo(f"  expected: {b.expected}", err=True)
        typer.echo(f"  found:    {b.found}", err=True)
        typer.echo(f"  entries checked before it: {report.checked:,}", err=True)
        raise typer.Exit(1)
    span = f"#{report.first_id} to #{report.last_id}" if report.checked else "no entries"
    typer.echo(
        f"{what}: intact, {report.checked:,} entries ({span}), "
        f"{report.checkpoints} checkpoint(s) agree; last hash {report.last_hash or '-'}"
    )


@audit_app.command("verify")
def audit_verify(
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
    from_id: Annotated[
        int | None, typer.Option("--from", min=1, help="First entry (default: the first).")
    ] = None,
    to_id: Annotated[
        int | None, typer.Option("--to", min=1, help="Last entry (default: the head).")
    ] = None,
    peer_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--peer-checkpoints",
            dir_okay=False,
            help="This node's checkpoints as a peer holds them (`ozara audit peer-checkpoints` "
            "there); repeatable. Needs --node-dir.",
        ),
    ] = None,
) -> None:
    """Recompute every entry's hash and check the links, the head and the checkpoints."""
    key = node_files(node_dir).keys.signing.public if node_dir is not None else None
    held = [c for path in peer_files or [] for c in _read_checkpoints(path)]
    if held and key is None:
        fail("--peer-checkpoints needs --node-dir (the node's key checks the signatures)", 2)
    report = verify_chain(
        engine_for(database), from_id, to_id, public_key=key, peer_checkpoints=held
    )
    _verdict(report, "Audit log")


def _read_checkpoints(path: Path) -> list[object]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"--peer-checkpoints: {path}: {exc}", 2)
    if not isinstance(value, dict) or not isinstance(value.get("checkpoints"), list):
        fail(f"--peer-checkpoints: {path}: not a file of `ozara audit peer-checkpoints`", 2)
    return list(value["checkpoints"])


@audit_app.command("peer-checkpoints")
def audit_peer_checkpoints(
    of: Annotated[str, typer.Option("--of", help="The node whose checkpoints to write out.")],
    database: DatabaseOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", dir_okay=False, help="File (default: stdout).")
    ] = None,
) -> None:
    """Write out another node's checkpoints as this node received them, for its auditor."""
    with SqlUnitOfWork(engine_for(database)) as uow:
        held = held_checkpoints(uow, of)
    text = json.dumps({"held_for": of, "checkpoints": held}, ensure_ascii=False, indent=1)
    if output is None:
        typer.echo(text)
    else:
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            fail(f"--output: {output}: {exc.strerror or exc}", 2)
    typer.echo(f"{len(held)} checkpoint(s) of {of}.", err=True)


@audit_app.command("checkpoint")
def audit_checkpoint(
    node_dir: Annotated[
        Path, node_dir_option("The node directory whose signing key signs the checkpoint.")
    ],
    database: DatabaseOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the signed checkpoint.")] = False,
    send: Annotated[
        bool, typer.Option("--send", help="Queue it to every other node on the trust list.")
    ] = False,
) -> None:
    """Sign the chain's head with the node's key and keep the checkpoint (and send it)."""
    node = node_files(node_dir)
    engine = engine_for(database)
    if send:
        with SqlUnitOfWork(engine) as uow:
            signed = send_checkpoint(
                uow, utc_now(), keys=node.keys, trust=node_trust(engine, node)()
            )
    else:
        signed = checkpoint(engine, node.keys)
    if as_json:
        typer.echo(json.dumps(signed, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"Checkpoint signed by {signed['node_id']} over entry #{signed['last_id']} "
        f"(hash {signed['last_hash']}) at {signed['at']}; stored"
        + ("; queued to the other nodes." if send else ".")
    )


@audit_app.command("export")
def audit_export(
    from_id: Annotated[int, typer.Option("--from", min=1, help="First entry.")],
    to_id: Annotated[
        int | None,
        typer.Option("--to", min=1, help="Last entry (default: the latest checkpoint's)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", dir_okay=False, help="File (default: stdout).")
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Write entries with their hashes and the checkpoint that anchors them, for an auditor."""
    try:
        extract = export(engine_for(database), from_id, to_id)
    except ValueError as exc:
        fail(f"--from/--to: {exc}", 2)
    text = json.dumps(extract, ensure_ascii=False, indent=1) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"--output: {output}: {exc.strerror or exc}", 2)
    cp = extract["checkpoint"]
    anchored = (
        f"anchored by the checkpoint over entry #{cp['last_id']}"
        if isinstance(cp, dict)
        else "NOT anchored: no checkpoint over an entry in it (run `ozara audit checkpoint`)"
    )
    typer.echo(f"Entries #{from_id} to #{extract['to_id']} written to {output}; {anchored}.")


@audit_app.command("verify-export")
def audit_verify_export(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="The extract (JSON).")],
    key: Annotated[
        str | None, typer.Option("--key", help="The node's signing key (base64url).")
    ] = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Check an extract offline against the node's public signing key."""
    if (key is None) == (node_dir is None):
        fail("give the node's public signing key: --key KEY or --node-dir DIR (one of them)", 2)
    if key is not None:
        try:
            public_key = deserialize_public_key(key)
        except InvalidKey as exc:
            fail(f"--key: {exc}", 2)
    else:
        assert node_dir is not None
        public_key = node_files(node_dir).keys.signing.public
    try:
        extract = parse_object(file.read_bytes())
    except FileNotFoundError:
        fail(f"{file}: no such file", 2)
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror or exc})", 2)
    except CanonicalJSONError as exc:
        fail(f"{file}: {exc}", 2)
    try:
        report = verify_export(extract, public_key)
    except ExtractInvalid as exc:
        typer.echo(f"Extract {file}: not a valid extract: {exc}", err=True)
        raise typer.Exit(1) from None
    _verdict(report, f"Extract {file}")
    if report.anchored_to is None:
        typer.echo(
            "  but NOT anchored: no checkpoint signed with this key vouches for it.", err=True
        )
        raise typer.Exit(1)
    last = report.last_id or 0
    tail = f"; #{report.anchored_to + 1} to #{last} are not" if last > report.anchored_to else ""
    typer.echo(f"  signed checkpoint vouches for entries up to #{report.anchored_to}{tail}.")
