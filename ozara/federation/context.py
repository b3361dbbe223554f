"""What an inbox handler is given and returns (``dispatch.py`` runs the handlers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from ozara.documents import Document, DocumentType, NodeKeys, TrustState
from ozara.store.uow import SqlUnitOfWork

from .trust_store import TrustHolder


class Refused(Exception):
    """A handler's refusal: the document is processed without effect, for this reason."""


class Deferred(Exception):
    """Not yet: the document depends on one not processed yet (delivery may reorder).

    Nothing the handler did is kept; the document is tried again on a later pass, and set
    aside as a dead letter if it still cannot be applied after ``DEFER_LIMIT``.
    """


@dataclass(frozen=True, slots=True)
class InboxItem:
    """An accepted document as the inbox stored it (its envelope verified at receipt)."""

    document: Document  # attachments' contents are in ``sealed`` (encrypted to this node)
    received_at: datetime
    sealed: bytes


@dataclass(slots=True)
class HandlerContext:
    uow: SqlUnitOfWork  # the open transaction: never commit it in a handler
    now: datetime
    trust: TrustHolder
    keys: NodeKeys | None = None  # this node's keys, for handlers that queue answers
    #: Run after the commit, in order (e.g. the holder takes an adopted trust list).
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def trust_state(self) -> TrustState:
        return self.trust.state


@dataclass(frozen=True, slots=True)
class Result:
    """What a handler did: ``applied`` or ``unchanged``, and a line for the audit."""

    outcome: str
    detail: str = ""


Handler = Callable[[HandlerContext, InboxItem], Result]


@dataclass(frozen=True, slots=True)
class Processed:
    document_id: UUID
    type: DocumentType
    sender: str
    outcome: str  # applied | unchanged | refused
    detail: str
