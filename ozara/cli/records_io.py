"""``ozara records import`` and ``ozara records export``: CSV and STIX 2.1 (docs/interop.md).

The import stores each record in a transaction of its own, as the officer named by
``--as``; a rejected row does not stop the others. Exit status: 0 when every record was
stored (STIX objects that map to nothing are listed but do not fail the import), 1 when
one or more rows were rejected, 2 when the file or an option cannot be used at all, and
the statuses of ``ozara.cli.main`` for the rest (3 access denied, 6 database ...).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ozara.cli.common import AsOpt, DatabaseOpt, JsonOpt, engine_for, fail, utc_now
from ozara.core.records import Confidentiality, Purpose, RecordKind
from ozara.core.requests import CrimeCategory
from ozara.core.rules import article_in
from ozara.interop import bulk
from ozara.interop.stix import bundle_json, record_to_stix
from ozara.interop.stix_import import ImportDefaults
from ozara.services import records as records_svc
from ozara.store.uow import SqlUnitOfWork

#: The largest file the import reads (a bundle or a CSV of 100 000 rows fits).
MAX_FILE = 64 * 1024 * 1024
#: Rejections printed on the terminal; the --report file has them all.
SHOWN = 20

app = typer.Typer(
    help="Import records from CSV or STIX 2.1, export one as STIX 2.1.", no_args_is_help=True
)


def _choice(value: str | None, kind: type[Any], option: str) -> str | None:
    if value is None:
        return None
    try:
        return str(kind(value.strip().lower()).value)
    except ValueError:
        fail(f"{option}: {value!r}; one of: {', '.join(k.value for k in kind)}", 2)


@app.command("import")
def import_records(
    file: Annotated[Path, typer.Argument(help="A CSV file (docs/interop.md) or a STIX bundle.")],
    actor: AsOpt,
    file_format: Annotated[
        str | None,
        typer.Option("--format", help="csv or stix; default: by the file's extension."),
    ] = None,
    purpose: Annotated[
        list[str] | None,
        typer.Option(help="Permitted purpose where the file gives none (repeat the option)."),
    ] = None,
    confidentiality: Annotated[
        str | None, typer.Option(help="open, official_use or confidential, where not given.")
    ] = None,
    onward: Annotated[
        bool, typer.Option("--onward/--no-onward", help="Onward sharing, where not given.")
    ] = False,
    kind: Annotated[
        str | None,
        typer.Option(help="Record kind where not given (STIX default: modus_operandi)."),
    ] = None,
    crime_category: Annotated[
        str | None, typer.Option(help="Art. 3 category (a, b, c) where not given.")
    ] = None,
    qualification: Annotated[
        str, typer.Option(help="National legal qualification where not given (Art. 3).")
    ] = "",
    report: Annotated[
        Path | None, typer.Option(help="Write the rejected rows here (CSV, UTF-8 with BOM).")
    ] = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Import records, one transaction each; list the rejected rows with field and article.

    Exits 1 when any row was rejected (the others are stored), 2 when the file is unusable.
    """
    if file_format is not None and file_format.lower() not in bulk.FORMATS:
        fail(f"--format: {file_format!r}; one of: {', '.join(bulk.FORMATS)}", 2)
    defaults = ImportDefaults(
        purposes=tuple(_choice(p, Purpose, "--purpose") or "" for p in purpose or []),
        confidentiality=_choice(confidentiality, Confidentiality, "--confidentiality"),
        onward_sharing=onward,
        kind=_choice(kind, RecordKind, "--kind"),
        crime_category=_choice(crime_category, CrimeCategory, "--crime-category"),
        legal_qualification=qualification,
    )
    data = _read(file)
    engine = engine_for(database)

    def create(document: dict[str, Any]) -> str:
        with SqlUnitOfWork(engine) as uow:
            return records_svc.create_record(uow, document, actor, utc_now())

    console = Console(stderr=True)
    columns = (TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("import", total=None)
        try:
            result = bulk.run_import(
                data,
                file.name,
                create,
                format=file_format.lower() if file_format else None,
                defaults=defaults,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except bulk.ImportInterrupted as exc:
            bar.stop()
            _finish(exc.report, report, as_json=False)
            console.print(f"Import stopped after {len(exc.report.accepted)} record(s).")
            # The cause (access denied, the database) gets its usual message and status.
            raise (exc.__cause__ or exc) from None
        except ValueError as exc:  # the file cannot be read as the format at all
            fail(f"{file}: {exc}", 2)
    _finish(result, report, as_json=as_json)
    if result.rejected:
        raise typer.Exit(1)


def _read(file: Path) -> bytes:
    try:
        if file.stat().st_size > MAX_FILE:
            fail(f"{file}: larger than {MAX_FILE // (1024 * 1024)} MiB; split it", 2)
        return file.read_bytes()
    except FileNotFoundError:
        fail(f"{file}: no such file", 2)
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.__class__.__name__})", 2)


def _finish(result: bulk.ImportReport, path: Path | None, *, as_json: bool) -> None:
    if path is not None:
        try:
            with path.open("w", encoding="utf-8-sig", newline="") as out:
                bulk.write_rejected(result, out)
        except OSError as exc:
            typer.echo(f"Error: --report: {path}: cannot be written ({exc})", err=True)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    for accepted in result.accepted:
        typer.echo(f"{accepted.record_id}\t{accepted.source}")
    rows = result.rejected_rows
    typer.echo(
        f"Imported {len(result.accepted)} of {result.total} record(s); "
        f"{len(rows)} rejected; {len(result.unmapped)} STIX object(s) not mapped.",
        err=True,
    )
    for r in result.rejected[:SHOWN]:
        typer.echo(
            f"  row {r.row} ({r.source}) {r.field}: {r.message} "
            f"({article_in(r.article, 'en')}; rule {r.rule})",
            err=True,
        )
    for u in result.unmapped[:SHOWN]:
        typer.echo(f"  not mapped: {u.object_id}: {u.reason}", err=True)
    if len(result.rejected) > SHOWN or len(result.unmapped) > SHOWN:
        typer.echo("  ... (all of them with --report FILE or --json)", err=True)


@app.command("export")
def export_record(
    record_id: Annotated[str, typer.Argument(help="The record's id.")],
    purpose: Annotated[str, typer.Option(help="Why the record is read (Art. 10 para 2).")],
    actor: AsOpt,
    out: Annotated[
        Path | None, typer.Option(help="Write the bundle here; default: standard output.")
    ] = None,
    case: Annotated[str | None, typer.Option(help="The case the record is read for.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Export one record as a STIX 2.1 bundle; the read is checked and audited (Art. 10)."""
    wanted = _choice(purpose, Purpose, "--purpose")
    now = utc_now()
    with SqlUnitOfWork(engine_for(database)) as uow:
        view = records_svc.read_record(uow, record_id, actor, Purpose(str(wanted)), now, case=case)
    text = bundle_json(
        record_to_stix(
            view.content,
            now=now,
            record_id=view.id,
            source=view.holding.owner_body,
            created=view.created_at,
            modified=view.updated_at,
        )
    )
    if out is None or str(out) == "-":
        sys.stdout.write(text + "\n")
        return
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"--out: {out}: cannot be written ({exc.__class__.__name__})", 2)
    typer.echo(f"{record_id}: STIX 2.1 bundle written to {out}.")


def register(target: typer.Typer) -> None:
    """Add ``import`` and ``export`` to an existing ``records`` command group."""
    target.command("import")(import_records)
    target.command("export")(export_record)
