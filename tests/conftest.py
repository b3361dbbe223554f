"""Shared fixtures: a clock, and a node's database on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text

from ozara.services.node import demo_officers, init_node
from ozara.store import db
from tests.pg import private_server

# CI runs the property tests with a fixed seed (HYPOTHESIS_PROFILE=ci in .ci/run) so that a
# submission is judged on the same examples it was tested with; a developer's `make test`
# keeps exploring new ones, and what it finds becomes a regression test.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@dataclass
class Clock:
    """A clock the tests move by hand; the core never reads the real time."""

    now: datetime = datetime(2026, 1, 30, 7, 0, tzinfo=UTC)

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    with private_server() as url:
        yield url


def _postgres_engine(server_url: str) -> Iterator[Engine]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = db.make_engine(server_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no schema) on each backend."""
    if request.param == "sqlite":
        e = db.make_engine(f"sqlite:///{tmp_path / 'node.sqlite3'}")
        yield e
        e.dispose()
    else:
        yield from _postgres_engine(request.getfixturevalue("postgres_server"))


@pytest.fixture
def node(engine: Engine, clock: Clock) -> Engine:
    """A node initialized with the demo registry, treaty status and officers."""
    init_node(engine, clock.now, demo_officers())
    return engine
