"""Setting up a node: schema, the registry of competent bodies, treaty status, first admin."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine

from ozara import seed
from ozara.core.deadlines import require_utc
from ozara.core.parties import CompetentBody, Officer
from ozara.core.treaty import TreatyNotification, check_withdrawal
from ozara.store import db
from ozara.store.uow import SqlUnitOfWork


class AlreadyInitialized(RuntimeError):
    pass


def init_node(
    engine: Engine,
    now: datetime,
    officers: Iterable[Officer],
    bodies: Iterable[CompetentBody] = seed.BODIES,
    notifications: Iterable[TreatyNotification] = seed.TREATY_NOTIFICATIONS,
) -> None:
    """Migrate the schema to head and load the registry and the first officers, at once."""
    now = require_utc(now)
    db.upgrade(engine)
    with SqlUnitOfWork(engine) as uow:
        if uow.registry.registry().bodies:
            raise AlreadyInitialized("this node's database already holds a registry")
        for body in bodies:
            uow.registry.add_body(body)
        for n in notifications:
            check_withdrawal(n)
            uow.registry.add_notification(n)
        for officer in officers:
            uow.registry.add_officer(officer, now)
            uow.audit.record(
                now,
                actor_id="system",
                body_id=None,
                action="officer:created",
                object_type="officer",
                object_id=officer.id,
                details={"roles": sorted(r.value for r in officer.roles)},
            )
        uow.audit.record(
            now,
            actor_id="system",
            body_id=None,
            action="node:initialized",
            object_type="node",
            object_id="-",
        )
        uow.commit()


def add_officer(engine: Engine, officer: Officer, now: datetime, by: str = "system") -> None:
    with SqlUnitOfWork(engine) as uow:
        registry = uow.registry.registry()
        if officer.body_id is not None and registry.get(officer.body_id) is None:
            raise LookupError(f"unknown competent body {officer.body_id!r}")
        uow.registry.add_officer(officer, require_utc(now))
        uow.audit.record(
            require_utc(now),
            actor_id=by,
            body_id=officer.body_id,
            action="officer:created",
            object_type="officer",
            object_id=officer.id,
            details={"roles": sorted(r.value for r in officer.roles)},
        )
        uow.commit()


def demo_officers() -> list[Officer]:
    return [o for b in seed.BODIES for o in seed.officers_for(b)] + [
        seed.SECRETARIAT_OFFICER,
        seed.AUDITOR,
    ]
