"""Two nodes for the delivery tests: the Kazakh node sends, the Russian node receives.

The node under test keeps its tables in the ``engine`` fixture's database (SQLite and
PostgreSQL); the other node in a SQLite file of its own.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, Table, func, select

from ozara.api.threaded import running
from ozara.documents import Document, DocumentRejected, DocumentType
from ozara.store import db
from ozara.store.tables import inbox, outbox, rejections
from ozara.transport import Inbox, InMemoryTransport, Response, rejection_status
from ozara.transport.inbox import DocumentTooLarge
from tests.conftest import Clock
from tests.documents.federation import Federation, build_federation


@pytest.fixture
def fed() -> Federation:
    return build_federation()


@pytest.fixture
def store(engine: Engine) -> Engine:
    """The database of the node under test, migrated to head."""
    db.upgrade(engine)
    return engine


@pytest.fixture
def other_store(tmp_path: Path) -> Iterator[Engine]:
    """The database of the other node (SQLite)."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    db.upgrade(engine)
    yield engine
    engine.dispose()


def make_inbox(fed: Federation, engine: Engine, clock: Clock, **kwargs: int) -> Inbox:
    return Inbox(engine, fed.rus, lambda: fed.rus_trust, lambda: clock.now, **kwargs)


def share(fed: Federation, n: int = 0, **changes: object) -> Document:
    """An information share (Art. 5) from the Kazakh node to the Russian one."""
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "body": {"n": n, "text": "Сведения о преступлении"},
        **changes,
    }
    return fed.document(DocumentType.INFORMATION_SHARE, **values)  # type: ignore[arg-type]


def inbox_handler(node: Inbox) -> InMemoryTransport:
    """A fake transport to ``node``, answering as the HTTP API would."""

    def handle(blob: bytes) -> Response:
        try:
            return Response(200, node.accept(blob).receipt)
        except DocumentRejected as exc:
            body = f'{{"reason": "{exc.reason.value}", "detail": "refused"}}'.encode()
            return Response(rejection_status(exc.reason), body, "application/json")
        except DocumentTooLarge:
            return Response(413, b'{"reason": "too_large", "detail": ""}', "application/json")

    endpoint = node.trust().current.entries_for(node.keys.node_id)[0].endpoint
    return InMemoryTransport(handlers={endpoint: handle})


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@dataclass(frozen=True)
class Counts:
    outbox: int
    inbox: int
    rejections: int


def counts(engine: Engine) -> Counts:
    return Counts(count(engine, outbox), count(engine, inbox), count(engine, rejections))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn on loopback (a free port by default), in a thread."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, ws="none", lifespan="off", log_level="warning"
    )
    with running(config):
        yield f"http://127.0.0.1:{port}"
