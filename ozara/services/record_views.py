"""What the record use cases (``services/records.py``) give and take: the views an officer
is shown, and the ``RecordPeers`` the federation implements. Kept apart so that the use
cases read as one page; import them from ``ozara.services.records``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ozara.core.disclosure import Holding
from ozara.core.parties import Officer, Party
from ozara.core.records import RecordContent
from ozara.store.records import Recipient, StoredConsent, StoredRecord
from ozara.store.uow import SqlUnitOfWork


class RecordPeers(Protocol):
    """The other nodes, told of every change inside the change's own transaction.

    ``ozara.federation.records.FederatedRecordPeers`` implements it (signed documents
    through the outbox). It may raise to refuse the change (a Party no node serves): the
    transaction then rolls back and nothing is changed.
    """

    def shared(
        self,
        uow: SqlUnitOfWork,
        *,
        record: StoredRecord,
        parties: frozenset[Party],
        actor: Officer,
        now: datetime,
    ) -> None: ...

    def updated(
        self, uow: SqlUnitOfWork, *, record: StoredRecord, actor: Officer, now: datetime
    ) -> None: ...

    def revoked(
        self, uow: SqlUnitOfWork, *, record: StoredRecord, actor: Officer, now: datetime
    ) -> None: ...

    def consent_asked(
        self,
        uow: SqlUnitOfWork,
        *,
        record: StoredRecord,
        consent: StoredConsent,
        actor: Officer,
        now: datetime,
    ) -> None: ...

    def consent_answered(
        self,
        uow: SqlUnitOfWork,
        *,
        record: StoredRecord,
        consent: StoredConsent,
        actor: Officer,
        now: datetime,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class RecordView:
    """A record as one officer may see it after a permitted read."""

    id: str
    content: RecordContent
    holding: Holding
    version: int
    created_at: datetime
    updated_at: datetime
    received_from: str | None
    revocation_reason: str | None
    recipients: tuple[Recipient, ...]
    #: The provider sees every consent asked for the record; another body its own.
    consents: tuple[StoredConsent, ...]
    may_change: bool
    may_share: bool
    may_revoke: bool


@dataclass(frozen=True, slots=True)
class RecordSummary:
    id: str
    kind: str
    title: str
    owner_body: str
    owner_party: Party
    confidentiality: str
    version: int
    created_at: datetime
    updated_at: datetime
    revoked: bool
    #: The actor's own body provided it.
    own: bool


@dataclass(frozen=True, slots=True)
class ConsentView:
    consent: StoredConsent
    owner_body: str
    record_title: str
    #: The actor's body is the provider and has to answer it (while it is asked for).
    to_answer: bool
