"""What every command shares: options, the clock, the engine, input parsing, failures."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError

from ozara.core.rules import ProtocolError, violation
from ozara.federation.trust_store import TrustHolder, load_trust_state
from ozara.store import at_rest, db
from ozara.store.uow import SqlUnitOfWork
from ozara.transport.nodefiles import NodeConfig, NodeFilesError, load_node

P = TypeVar("P")

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="OZARA_DATABASE_URL",
        help="SQLAlchemy URL; default: SQLite file var/ozara.sqlite3",
    ),
]
AsOpt = Annotated[
    str, typer.Option("--as", envvar="OZARA_OFFICER", help="The officer acting (id).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


class CliError(Exception):
    """A message for the operator and an exit status; never a traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def utc_now() -> datetime:
    return datetime.now(UTC)


def engine_for(database: str | None, node_dir: Path | None = None) -> Engine:
    """The node's database, with its at-rest keyring attached where there is one: the node
    directory's ``at-rest-keys.json``, or the file ``OZARA_AT_REST_KEYS`` names."""
    try:
        engine = db.make_engine(database)
    except (ArgumentError, ImportError) as e:
        # The URL is not echoed: it may hold a password.
        fail(f"--database (or OZARA_DATABASE_URL): not a usable SQLAlchemy URL: {e}", 2)
    named = os.environ.get("OZARA_AT_REST_KEYS")
    path = Path(named) if named else node_dir / at_rest.KEYRING_FILE if node_dir else None
    if path is not None and (named or path.exists()):
        try:
            at_rest.attach(engine, at_rest.load(path))
        except at_rest.AtRestError as exc:
            fail(f"the at-rest keyring: {exc}", 2)
    return engine


def node_files(node_dir: Path) -> NodeConfig:
    """The node directory's keys, trust list and anchor; exit 2 naming what is wrong."""
    try:
        return load_node(node_dir)
    except NodeFilesError as exc:
        fail(f"--node-dir: {exc}", 2)


def node_trust(engine: Engine, config: NodeConfig) -> TrustHolder:
    """The trust list of the node's files, or a newer one adopted from the Secretariat since."""
    state = load_trust_state(engine, config.trust, config.secretariat_key)
    return TrustHolder(state, config.secretariat_key)


def fail(message: str, code: int = 1) -> NoReturn:
    raise CliError(message, code)


def read_json(path: Path) -> Any:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{path}: no such file", 2)
    except (OSError, UnicodeDecodeError) as e:
        fail(f"{path}: cannot be read as UTF-8 text ({e.__class__.__name__})", 2)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise ProtocolError(
            [violation("$", "input.type", f"not JSON: {e.msg} at line {e.lineno} column {e.colno}")]
        ) from None


def parse_at(value: str | None) -> datetime:
    if value is None:
        return utc_now()
    try:
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if not 1 <= moment.astimezone(UTC).year <= 9998:  # room for "due soon" arithmetic
            raise ValueError(value)
    except (ValueError, OverflowError):
        fail(f"--at: {value!r} is not an ISO 8601 date-time between years 1 and 9998", 2)
    return moment


def node_dir_option(help_text: str) -> Any:
    """``--node-dir`` (or ``OZARA_NODE_DIR``): the node directory ``ozara serve`` reads."""
    return typer.Option("--node-dir", envvar="OZARA_NODE_DIR", file_okay=False, help=help_text)


#: ``--node-dir`` of a command whose change travels to the other nodes.
SendingNodeDirOpt = Annotated[
    Path | None,
    node_dir_option("This node's directory: the change is sent to the other nodes, signed."),
]


def federated_session(
    database: str | None, node_dir: Path | None, peers: Callable[[NodeConfig, TrustHolder], P]
) -> tuple[SqlUnitOfWork, P | None]:
    """A unit of work on the node's database, and with ``--node-dir`` the module's federated
    peers built from the node's files (without it, the change stays on this node)."""
    engine = engine_for(database, node_dir)
    if node_dir is None:
        return SqlUnitOfWork(engine), None
    config = node_files(node_dir)
    return SqlUnitOfWork(engine), peers(config, node_trust(engine, config))
