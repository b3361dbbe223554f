"""What the use cases of joint work share (coordinated operations, Art. 5 para 3; training
events, Art. 5 para 4; research projects, Art. 5 para 6): the officer must belong to a
competent body, and one audit row for each change of a file (its state, version and the
articles decided) and for each reading of it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from ozara.core.parties import Officer
from ozara.services.requests import AccessDenied
from ozara.store.uow import SqlUnitOfWork


class JointFile(Protocol):
    """An operation, a training event or a research project, as its audit rows name it."""

    @property
    def id(self) -> str: ...
    @property
    def state(self) -> Enum: ...
    @property
    def version(self) -> int: ...


def body_officer(uow: SqlUnitOfWork, actor_id: str, theirs: str) -> Officer:
    """The officer, who must belong to a competent body (``AccessDenied`` saying the work is
    ``theirs`` otherwise)."""
    actor = uow.registry.officer(actor_id)
    if actor.body_id is None:
        raise AccessDenied(f"{actor.id} belongs to no competent body: {theirs}")
    return actor


def audit_file_change(  # noqa: PLR0917 -- the row's parts
    uow: SqlUnitOfWork,
    at: datetime,
    actor: Officer,
    action: str,
    object_type: str,
    file: JointFile,
    articles: Iterable[str],
    details: dict[str, Any] | None = None,
) -> None:
    """One audit row for a change of ``file``: its state and version after the change and
    the articles decided, with ``details``."""
    uow.audit.record(
        at, actor_id=actor.id, body_id=actor.body_id, action=action, object_type=object_type,
        object_id=file.id,
        details={
            "state": file.state.value, "version": file.version,
            "articles": sorted(set(articles)), **(details or {}),
        },
    )  # fmt: skip


def audit_viewed(
    uow: SqlUnitOfWork, at: datetime, actor: Officer, action: str, subject: tuple[str, str]
) -> None:
    """One audit row for an officer reading a file: ``subject`` is (object type, id)."""
    uow.audit.record(
        at, actor_id=actor.id, body_id=actor.body_id, action=action,
        object_type=subject[0], object_id=subject[1],
    )  # fmt: skip
