"""``ozara literature``: the library of exchanged literature (Art. 5 para 6).

The same use cases as ``ozara.services.literature``. With ``--node-dir`` a share and a
withdrawal travel to the other Parties' nodes as signed, sealed documents (the file
attached); without it everything stays on this node. A refusal under the Protocol exits 1
naming the article.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Annotated

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
from ozara.core.parties import Party
from ozara.federation.literature import FederatedLiteraturePeers
from ozara.services import literature as svc
from ozara.store.literature import LiteratureRow
from ozara.store.uow import SqlUnitOfWork

literature_app = typer.Typer(
    help="The library of exchanged literature (Art. 5 para 6): add, share, search, withdraw.",
    no_args_is_help=True,
)
NodeDirOpt = SendingNodeDirOpt


def _session(
    database: str | None, node_dir: Path | None
) -> tuple[SqlUnitOfWork, svc.LiteraturePeers | None]:
    return federated_session(
        database, node_dir, lambda c, trust: FederatedLiteraturePeers(c.keys, trust)
    )


def _parties(values: list[str]) -> list[Party]:
    if [v.lower() for v in values] == ["all"]:
        return list(Party)
    try:
        return [Party(v.strip().upper()) for v in values]
    except ValueError:
        fail(f"--to: Party codes ({', '.join(p.value for p in Party)}) or 'all'", 2)


def _print(rows: list[LiteratureRow], as_json: bool) -> None:
    if as_json:
        out = [
            {"id": r.id, "title": r.title, "kind": r.kind, "language": r.language,
             "year": r.year, "owner_body": r.owner_body, "withdrawn": r.withdrawn}
            for r in rows
        ]  # fmt: skip
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for r in rows:
        mark = " [withdrawn]" if r.withdrawn else ""
        typer.echo(f"{r.id}  {r.year} {r.kind:<11} {r.owner_body:<12} {r.title}{mark}")


@literature_app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="The document's file.")],
    meta: Annotated[Path, typer.Option(help="Its metadata as JSON (docs/research.md).")],
    actor: AsOpt,
    database: DatabaseOpt = None,
) -> None:
    """Add a document to the library as the actor's body's own; prints its id."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        fail(f"{file}: {exc.strerror or exc}", 2)
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    uow, _ = _session(database, None)
    with uow:
        typer.echo(svc.add_literature(uow, read_json(meta), file.name, media_type, content,
                                      actor, utc_now()))  # fmt: skip


@literature_app.command("share")
def share(
    document_id: str,
    actor: AsOpt,
    to: Annotated[list[str], typer.Option("--to", help="A Party's code, or 'all'.")],
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Share a document of the actor's body with Parties."""
    parties = _parties(to)
    uow, peers = _session(database, node_dir)
    with uow:
        added = svc.share_literature(uow, document_id, parties, actor, utc_now(), peers)
    typer.echo(f"{document_id}: shared with {', '.join(p.value for p in added) or 'no new Party'}")


@literature_app.command("list")
def list_(actor: AsOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """The documents the actor's Party holds (withdrawn ones marked)."""
    uow, _ = _session(database, None)
    with uow:
        rows = svc.list_literature(uow, actor, utc_now())
    _print(rows, as_json)


@literature_app.command("search")
def search(
    query: str, actor: AsOpt, database: DatabaseOpt = None, as_json: JsonOpt = False
) -> None:
    """Documents the actor's Party may read, by words of their title, authors, keywords or
    abstract."""
    uow, _ = _session(database, None)
    with uow:
        rows = svc.search_literature(uow, query, actor, utc_now())
    _print(rows, as_json)


@literature_app.command("get")
def get(
    document_id: str,
    actor: AsOpt,
    out: Annotated[Path | None, typer.Option(help="Write the file here.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """The document's metadata as JSON; with ``--out`` its file too."""
    uow, _ = _session(database, None)
    with uow:
        view = svc.read_literature(uow, document_id, actor, utc_now(), file=out is not None)
    if out is not None and view.content is not None:
        out.write_bytes(view.content)
    s = view.stored
    shown = {
        "id": s.id, **s.meta.to_dict(), "file": s.file.to_dict(),
        "owner_body": s.holding.owner_body,
        "recipients": sorted(p.value for p in s.holding.recipients),
        "withdrawn": s.holding.withdrawn_at is not None, "received_from": s.received_from,
    }  # fmt: skip
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@literature_app.command("withdraw")
def withdraw(
    document_id: str,
    actor: AsOpt,
    reason: Annotated[str, typer.Option(help="Why, for every Party that holds it.")],
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """The owner body withdraws a document."""
    uow, peers = _session(database, node_dir)
    with uow:
        svc.withdraw_literature(uow, document_id, reason, actor, utc_now(), peers)
    typer.echo(f"{document_id}: withdrawn")
