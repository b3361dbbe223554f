"""``ozara backup`` and ``ozara restore`` (issue 7, operating a node).

A backup is one signed archive of the node (``ozara/ops/backup.py`` says what it holds);
restoring it needs an empty database (SQLite or PostgreSQL, whichever the backup came from)
and a new node directory, and ends with the audit chain verified over what was loaded.
Refusals (a tampered archive, a target that is not empty) exit 1 with the reason; a broken
audit chain after a restore exits 1 too, the rows being in place for an investigation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from ozara.cli.common import engine_for, fail, utc_now
from ozara.crypto import CryptoError, b64url_decode
from ozara.ops import backup as backup_ops
from ozara.ops.backup import BackupError
from ozara.ops.restore import restore as restore_node
from ozara.transport.nodefiles import ANCHOR_FILE

#: A table shows a progress bar from this many rows on.
LARGE_TABLE = 10_000

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        "--db",
        envvar="OZARA_DATABASE_URL",
        help="SQLAlchemy URL; default: SQLite file var/ozara.sqlite3",
    ),
]
NodeDirArg = Annotated[
    Path,
    typer.Option(
        "--node-dir", envvar="OZARA_NODE_DIR", file_okay=False, help="The node directory."
    ),
]


@contextmanager
def _progress(verb: str) -> Iterator[backup_ops.Progress]:
    """A bar per large table on stderr (nothing for small ones, nothing when not a tty)."""
    console = Console(stderr=True)
    bars = Progress(
        TextColumn(f"{verb} {{task.description}}"), BarColumn(), MofNCompleteColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )  # fmt: skip
    tasks: dict[str, TaskID] = {}

    def report(table: str, done: int, total: int) -> None:
        if total < LARGE_TABLE:
            return
        if table not in tasks:
            tasks[table] = bars.add_task(table, total=total)
        bars.update(tasks[table], completed=done)

    with bars:
        yield report


def backup(
    node_dir: NodeDirArg,
    out: Annotated[
        Path, typer.Option("--out", dir_okay=False, help="The archive to write (tar.gz).")
    ],
    database: DbOpt = None,
) -> None:
    """Write the node (every table, its schema revision, the node directory) to one archive
    signed with the node's key. The archive holds the node's private keys: keep it safe."""
    if out.exists():
        fail(f"--out: {out} exists; give a new file", 2)
    engine = engine_for(database)
    try:
        with _progress("backing up") as progress:
            summary = backup_ops.backup(engine, node_dir, out, utc_now(), progress)
    except BackupError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    rows = sum(summary.tables.values())
    typer.echo(
        f"Backed up node {summary.node_id} (schema {summary.revision}) to {summary.path}: "
        f"{rows} rows in {len(summary.tables)} tables, {len(summary.files)} node files."
    )


def _anchor(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
        return b64url_decode(str(value["signing_key"]))
    except (OSError, ValueError, KeyError, TypeError, CryptoError) as exc:
        fail(f"--anchor: {path}: not a trust anchor with a signing_key ({exc})", 2)


def restore(
    archive: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The archive.")
    ],
    node_dir: NodeDirArg,
    database: DbOpt = None,
    anchor: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help=f"The Secretariat's {ANCHOR_FILE} from outside the archive: the archive's "
            "trust anchor and the node's key on its trust list are checked against it.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Restore an archive into an empty database and a new node directory, then verify the
    audit chain. Refuses a tampered archive and a database that is not empty."""
    anchor_key = _anchor(anchor)
    engine = engine_for(database)
    try:
        with _progress("restoring") as progress:
            summary = restore_node(
                engine, archive, node_dir, anchor_key=anchor_key, progress=progress
            )
    except BackupError as exc:
        fail(f"Refused: {exc}")
    finally:
        engine.dispose()
    report = summary.audit
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "node_id": summary.node_id,
                    "revision": summary.revision,
                    "tables": summary.tables,
                    "files": summary.files,
                    "audit": {"intact": report.intact, "entries": report.checked,
                              "checkpoints": report.checkpoints},
                    "anchored": summary.anchored,
                    "notes": summary.notes,
                },
                indent=2,
            )
        )  # fmt: skip
    else:
        typer.echo(f"Restored node {summary.node_id} (schema {summary.revision}):")
        for name, count in summary.tables.items():
            if count:
                typer.echo(f"  {name:<24} {count:>10} rows")
        typer.echo(f"  node files: {', '.join(summary.files)}")
        for note in summary.notes:
            typer.echo(f"  note: {note}")
    if not report.intact:
        broken = report.broken
        assert broken is not None
        fail(f"restored, but the audit chain is BROKEN: {broken.describe()}")
    if not as_json:
        typer.echo(
            f"Audit log: intact, {report.checked} entries, {report.checkpoints} checkpoint(s)."
        )
