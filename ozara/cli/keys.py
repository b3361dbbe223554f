"""``ozara keys``: the node's at-rest keyring — create it, rotate it, retire old keys.

The keyring lives in the node directory (``at-rest-keys.json``, mode 0600), never in the
database (ozara/store/at_rest.py, docs/operations.md "Encryption at rest").
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from ozara.cli.common import DatabaseOpt, engine_for, fail, node_dir_option
from ozara.store import at_rest
from ozara.store.at_rest_rotation import keys_in_use, reencrypt

keys_app = typer.Typer(
    help="Encryption at rest: the node's keyring (outside the database).", no_args_is_help=True
)

NodeDir = Annotated[Path, node_dir_option("The node directory that holds at-rest-keys.json.")]


def _path(node_dir: Path) -> Path:
    if not node_dir.is_dir():
        fail(f"--node-dir: {node_dir} is not a directory", 2)
    return node_dir / at_rest.KEYRING_FILE


def _load(path: Path) -> at_rest.Keyring:
    if not path.exists():
        fail(f"{path} does not exist: run `ozara keys init` first", 2)
    try:
        return at_rest.load(path)
    except at_rest.AtRestError as exc:
        fail(str(exc), 2)


def _rewrite(database: str | None, node_dir: Path) -> dict[str, int]:
    engine = engine_for(database, node_dir)
    with Progress(transient=True) as bar:
        task = bar.add_task("re-encrypting", total=None)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, description=name, completed=done, total=total)

        return reencrypt(engine, progress)


@keys_app.command("init")
def keys_init(node_dir: NodeDir, database: DatabaseOpt = None) -> None:
    """Create the keyring and encrypt what the database already holds in clear."""
    path = _path(node_dir)
    if path.exists():
        fail(f"{path} exists already: use `ozara keys rotate` to change the key", 2)
    keyring = at_rest.Keyring.generate()
    at_rest.save(keyring, path)
    done = _rewrite(database, node_dir)
    typer.echo(f"Keyring created ({path}, key {keyring.active}); encrypted: {_counts(done)}.")


@keys_app.command("rotate")
def keys_rotate(node_dir: NodeDir, database: DatabaseOpt = None) -> None:
    """Make a new key active, then rewrite every stored value under it."""
    path = _path(node_dir)
    keyring = _load(path).rotated()
    # The file first: if the rewrite stops half-way, every value is under a key it holds.
    at_rest.save(keyring, path)
    done = _rewrite(database, node_dir)
    typer.echo(f"Key {keyring.active} is active; rewritten: {_counts(done)}.")
    old = [k for k in keyring.keys if k != keyring.active]
    if old:
        typer.echo(f"Keys no longer in use can be retired: {', '.join(old)}.")


@keys_app.command("retire")
def keys_retire(
    node_dir: NodeDir,
    key_id: Annotated[str, typer.Argument(help="The key to remove from the keyring.")],
    database: DatabaseOpt = None,
) -> None:
    """Remove an old key, once no stored value is under it any more."""
    path = _path(node_dir)
    keyring = _load(path)
    if key_id not in keyring.keys:
        fail(f"no key {key_id!r} in {path}", 2)
    if key_id == keyring.active:
        fail(f"{key_id} is the active key: rotate first, then retire it", 2)
    in_use = keys_in_use(engine_for(database, node_dir)).get(key_id, 0)
    if in_use:
        fail(f"{in_use} stored value(s) are still under key {key_id}: run `ozara keys rotate`")
    at_rest.save(keyring.without(key_id), path)
    typer.echo(f"Key {key_id} retired.")


@keys_app.command("status")
def keys_status(node_dir: NodeDir, database: DatabaseOpt = None) -> None:
    """Which key is active, and how many stored values are under each key (or in clear)."""
    keyring = _load(_path(node_dir))
    typer.echo(f"Active key: {keyring.active}; keys held: {', '.join(sorted(keyring.keys))}.")
    for kid, n in sorted(keys_in_use(engine_for(database, node_dir)).items(), key=str):
        typer.echo(f"  {'in clear' if kid is None else 'key ' + kid}: {n} value(s)")


def _counts(done: dict[str, int]) -> str:
    return ", ".join(f"{n} in {name}" for name, n in done.items()) or "nothing"
