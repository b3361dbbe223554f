"""The unit of work: one database transaction around one use case.

``with SqlUnitOfWork(engine) as uow: ...; uow.commit()`` — leaving the block without
``commit()`` (or by an exception) rolls everything back, so no state change is ever
half-written.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from ozara.store.records import RecordRepository
from ozara.store.repository import (
    AuditRepository,
    EventRepository,
    RegistryRepository,
    RequestRepository,
)


class SqlUnitOfWork:
    requests: RequestRepository
    events: EventRepository
    audit: AuditRepository
    registry: RegistryRepository
    records: RecordRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self._conn = self._engine.connect()
        self._tx = self._conn.begin()
        self.requests = RequestRepository(self._conn)
        self.events = EventRepository(self._conn)
        self.audit = AuditRepository(self._conn)
        self.registry = RegistryRepository(self._conn)
        self.records = RecordRepository(self._conn)
        return self

    @property
    def connection(self) -> Connection:
        """The open connection, for writers outside the repositories (the outbox)."""
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    def commit(self) -> None:
        self._tx.commit()

    def rollback(self) -> None:
        if self._tx.is_active:
            self._tx.rollback()

    def restart(self) -> None:
        """Roll back, and begin a new transaction on the same connection: for what must be
        kept although the use case failed (a refused read's audit row, Art. 10)."""
        self.rollback()
        self._tx = self.connection.begin()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            assert self._conn is not None
            self._conn.close()
            self._conn = None
