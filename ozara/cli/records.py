"""``ozara records``: information exchanged under Art. 5 para 1, read under Art. 10.

The same use cases as the web pages (ozara/services/records.py, search.py). With
``--node-dir`` a share, update, revocation or consent travels to the other nodes as a signed
document; without it the change stays on this node. Every read names its purpose and is
audited; a read the Protocol does not allow exits 1 naming the article.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ozara.cli import records_io
from ozara.cli.common import (
    AsOpt,
    DatabaseOpt,
    JsonOpt,
    SendingNodeDirOpt,
    engine_for,
    fail,
    node_files,
    node_trust,
    read_json,
    utc_now,
)
from ozara.core.parties import Party
from ozara.core.records import Purpose, RecordKind
from ozara.federation.records import FederatedRecordPeers
from ozara.services import records as svc
from ozara.services import search as search_svc
from ozara.services.record_views import RecordPeers

records_app = typer.Typer(
    help="Records of information (Art. 5 para 1) under purpose limitation (Art. 10).",
    no_args_is_help=True,
)
consent_app = typer.Typer(help="Consent to another purpose (Art. 10 para 2).")
records_app.add_typer(consent_app, name="consent")
records_io.register(records_app)

NodeDirOpt = SendingNodeDirOpt
PurposeOpt = Annotated[
    str, typer.Option("--purpose", help="What the information is used for (Art. 10 para 2).")
]


def _purpose(value: str) -> Purpose:
    try:
        return Purpose(value.strip().lower())
    except ValueError:
        known = ", ".join(p.value for p in Purpose)
        fail(f"--purpose: {value!r} is not a purpose; one of: {known}", 2)


def _parties(values: list[str]) -> list[Party]:
    try:
        return [Party(v.strip().upper()) for v in values]
    except ValueError:
        fail(f"--to: a Party is one of {', '.join(p.value for p in Party)}", 2)


def _session(database: str | None, node_dir: Path | None) -> tuple[Any, RecordPeers | None]:
    """The unit of work on the node's database, and the peers where a node directory is given."""
    from ozara.store.uow import SqlUnitOfWork  # noqa: PLC0415 -- keeps the import graph flat

    engine = engine_for(database, node_dir)
    if node_dir is None:
        return SqlUnitOfWork(engine), None
    config = node_files(node_dir)
    return SqlUnitOfWork(engine), FederatedRecordPeers(config.keys, node_trust(engine, config))


@records_app.command("new")
def records_new(
    file: Annotated[Path, typer.Argument(help="The record as JSON (docs/interop.md).")],
    actor: AsOpt,
    database: DatabaseOpt = None,
) -> None:
    """Store a record of the actor's body; prints its id. Share it with `records share`."""
    document = read_json(file)
    uow, _ = _session(database, None)
    with uow:
        typer.echo(svc.create_record(uow, document, actor, utc_now()))


@records_app.command("list")
def records_list(
    actor: AsOpt,
    kind: Annotated[str | None, typer.Option(help="Only records of this kind.")] = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The records the actor's Party holds: titles and conditions, no content."""
    if kind is not None and kind not in {k.value for k in RecordKind}:
        fail(f"--kind: one of {', '.join(k.value for k in RecordKind)}", 2)
    uow, _ = _session(database, None)
    with uow:
        rows = svc.list_records(uow, actor, utc_now(), kind=kind)
    if as_json:
        typer.echo(json.dumps([_summary(r) for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        mark = " (revoked)" if r.revoked else ""
        typer.echo(
            f"{r.id}  {r.kind:<15} {r.owner_body:<12} {r.confidentiality:<13} {r.title}{mark}"
        )


def _summary(r: svc.RecordSummary) -> dict[str, Any]:
    return {
        "id": r.id, "kind": r.kind, "title": r.title, "owner_body": r.owner_body,
        "confidentiality": r.confidentiality, "version": r.version, "revoked": r.revoked,
    }  # fmt: skip


@records_app.command("show")
def records_show(
    record_id: str,
    actor: AsOpt,
    purpose: PurposeOpt,
    case: Annotated[str | None, typer.Option(help="The case or request it is read for.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Open a record under a purpose (audited); prints it as JSON."""
    uow, _ = _session(database, None)
    with uow:
        view = svc.read_record(uow, record_id, actor, _purpose(purpose), utc_now(), case=case)
    shown = {
        "id": view.id, "version": view.version, "owner_body": view.holding.owner_body,
        "shared_with": sorted(r.party.value for r in view.recipients),
        "revoked": view.revocation_reason, "content": view.content.to_dict(),
    }  # fmt: skip
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@records_app.command("update")
def records_update(
    record_id: str,
    file: Path,
    actor: AsOpt,
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """A new version of the body's own record; every Party it was shared with gets it."""
    document = read_json(file)
    uow, peers = _session(database, node_dir)
    with uow:
        version = svc.update_record(uow, record_id, document, actor, utc_now(), peers)
    typer.echo(f"{record_id}: version {version}")


@records_app.command("share")
def records_share(
    record_id: str,
    actor: AsOpt,
    to: Annotated[list[str], typer.Option("--to", help="A Party (ARM, BLR, ...); repeat.")],
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Provide the record to other Parties (or pass it on where onward sharing is allowed)."""
    parties = _parties(to)
    uow, peers = _session(database, node_dir)
    with uow:
        svc.share_record(uow, record_id, parties, actor, utc_now(), peers)
    typer.echo(f"{record_id}: shared with {', '.join(p.value for p in parties)}")


@records_app.command("revoke")
def records_revoke(
    record_id: str,
    actor: AsOpt,
    reason: Annotated[str, typer.Option(help="Why, for the Parties it was shared with.")],
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Withdraw the body's own record: nobody outside its Party may read it any more."""
    uow, peers = _session(database, node_dir)
    with uow:
        svc.revoke_record(uow, record_id, reason, actor, utc_now(), peers)
    typer.echo(f"{record_id}: revoked")


@records_app.command("search")
def records_search(
    query: str,
    actor: AsOpt,
    purpose: PurposeOpt,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Persons across scripts and records by their words; hidden hits name only the body."""
    uow, _ = _session(database, None)
    with uow:
        found = search_svc.find(uow, actor, query, _purpose(purpose), utc_now())
    persons = [
        {"record": h.record_id, "score": round(h.score, 3), "body": h.owner_body,
         "names": list(h.names), "title": h.title, "readable": h.readable}
        for h in found.persons
    ]  # fmt: skip
    texts = [
        {"record": h.record_id, "body": h.owner_body, "title": h.title, "readable": h.readable}
        for h in found.texts
    ]
    if as_json:
        typer.echo(json.dumps({"persons": persons, "texts": texts}, ensure_ascii=False, indent=2))
        return
    hidden = "a match exists: ask for consent"
    for h in found.persons:
        what = " / ".join(h.names) if h.readable else hidden
        typer.echo(f"person {h.score:.2f}  {h.record_id}  {h.owner_body:<12} {what}")
    for t in found.texts:
        typer.echo(f"text         {t.record_id}  {t.owner_body:<12} {t.title or hidden}")
    if not persons and not texts:
        typer.echo("Nothing found.")


@consent_app.command("ask")
def consent_ask(
    record_id: str,
    actor: AsOpt,
    purpose: PurposeOpt,
    justification: Annotated[str, typer.Option(help="Why the information is needed.")],
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Ask the providing body to allow another purpose; prints the consent's id."""
    uow, peers = _session(database, node_dir)
    with uow:
        cid = svc.ask_consent(
            uow, record_id, _purpose(purpose), justification, actor, utc_now(), peers
        )
    typer.echo(cid)


@consent_app.command("answer")
def consent_answer(
    consent_id: str,
    actor: AsOpt,
    grant: Annotated[bool, typer.Option("--grant/--refuse", help="The answer.")],
    reason: Annotated[str, typer.Option(help="The reason, sent with the answer.")] = "",
    database: DatabaseOpt = None,
    node_dir: NodeDirOpt = None,
) -> None:
    """Grant or refuse a consent asked of the actor's body (the provider alone answers)."""
    uow, peers = _session(database, node_dir)
    with uow:
        svc.answer_consent(uow, consent_id, grant, reason, actor, utc_now(), peers)
    typer.echo(f"{consent_id}: {'granted' if grant else 'refused'}")


@consent_app.command("list")
def consent_list(
    actor: AsOpt,
    pending: Annotated[bool, typer.Option(help="Only those still to be answered.")] = False,
    database: DatabaseOpt = None,
) -> None:
    """Consents asked by the actor's body, and of it."""
    uow, _ = _session(database, None)
    with uow:
        views = svc.list_consents(uow, actor, pending_only=pending)
    for v in views:
        c = v.consent
        side = "to answer" if v.to_answer else "asked"
        typer.echo(f"{c.id}  {c.state.value:<9} {side:<9} {c.purpose.value:<13} {v.record_title}")
