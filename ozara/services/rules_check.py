"""``ozara rules check``: every violation of a request document, as plain data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, inspect

from ozara import seed
from ozara.core.parties import Registry
from ozara.core.requests import check_parties, parse_request
from ozara.core.rules import ProtocolError
from ozara.core.treaty import TreatyStatus
from ozara.store.uow import SqlUnitOfWork


def _world(engine: Engine | None) -> tuple[Registry, TreatyStatus]:
    """The node's registry when it has one; otherwise the built-in starting registry."""
    if engine is not None and inspect(engine).has_table("competent_bodies"):
        with SqlUnitOfWork(engine) as uow:
            registry = uow.registry.registry()
            if registry.bodies:
                return registry, uow.registry.treaty()
    return Registry.of(seed.BODIES), TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS)


def check_document(
    document: object, at: datetime, engine: Engine | None = None
) -> list[dict[str, Any]]:
    try:
        content = parse_request(document)
    except ProtocolError as e:
        return e.as_dicts()
    registry, treaty = _world(engine)
    return [v.as_dict() for v in check_parties(content, registry, treaty, at)]
