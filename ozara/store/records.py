"""Records of information (Art. 5 para 1) and the consents asked for them (Art. 10 para 2).

The repository keeps a record's content as the providing body wrote it, the columns lists
and Art. 10 checks need beside it (owner, kind, title, handling, version, revocation), the
Parties it was shared with, and the index rows that search reads. The index rows are
written only through ``ozara.store.record_rows``, so that writer and readers agree, and
are rewritten whenever the content is replaced. Like every repository it never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from ozara.core.disclosure import Consent, ConsentState, Holding
from ozara.core.parties import Party
from ozara.core.records import Confidentiality, Handling, Purpose, RecordContent, load_record
from ozara.store import at_rest
from ozara.store import tables as t
from ozara.store.record_rows import identifier_rows, person_rows, search_text
from ozara.store.repository import NotFound

_R = t.records.c
_RR = t.record_recipients.c
_RC = t.record_consents.c


@dataclass(frozen=True, slots=True)
class Recipient:
    """A Party a record was provided to, by which body (the provider, or an onward sharer)."""

    party: Party
    shared_by: str
    shared_at: datetime


@dataclass(frozen=True, slots=True)
class StoredRecord:
    id: str
    content: RecordContent
    holding: Holding
    version: int
    created_at: datetime
    updated_at: datetime
    #: ``None`` for a record made on this node; else the node it came from.
    received_from: str | None
    revocation_reason: str | None
    recipients: tuple[Recipient, ...]


@dataclass(frozen=True, slots=True)
class RecordSummaryRow:
    """What a listing shows without parsing the content."""

    id: str
    kind: str
    title: str
    owner_body: str
    owner_party: Party
    confidentiality: Confidentiality
    version: int
    created_at: datetime
    updated_at: datetime
    revoked_at: datetime | None
    received_from: str | None


@dataclass(frozen=True, slots=True)
class StoredConsent:
    """A request for the provider's consent (Art. 10 para 2) and its answer, if any."""

    id: str
    record_id: str
    body_id: str  # the body asking
    purpose: Purpose
    justification: str
    state: ConsentState
    asked_by: str
    asked_at: datetime
    answered_by: str | None = None
    answered_at: datetime | None = None
    answer_reason: str | None = None
    valid_until: datetime | None = None

    @property
    def consent(self) -> Consent:
        return Consent(self.record_id, self.body_id, self.purpose, self.state, self.valid_until)


def _place(record_id: str) -> str:
    """Where a record's content belongs: ``at_rest_rotation.ENCRYPTED`` binds it the same way."""
    return f"records.content:{record_id}"


def stored_content(conn: Connection, record_id: str, stored: Any) -> Any:
    """The record's content document from its stored column: every read goes through here,
    as the content is encrypted at rest under the node's keyring (ozara/store/at_rest.py);
    content stored in clear before encryption was turned on still reads."""
    return at_rest.unseal_json(conn, stored, _place(record_id))


def _handling(content: Any) -> Handling:
    """The handling conditions straight from the stored content (already checked once)."""
    h = content["handling"]
    return Handling(
        frozenset(Purpose(p) for p in h["purposes"]),
        Confidentiality(h["confidentiality"]),
        bool(h["onward_sharing"]),
    )


def _consent(row: Any) -> StoredConsent:
    return StoredConsent(
        id=row["id"],
        record_id=row["record_id"],
        body_id=row["body_id"],
        purpose=Purpose(row["purpose"]),
        justification=row["justification"],
        state=ConsentState(row["state"]),
        asked_by=row["asked_by"],
        asked_at=row["asked_at"],
        answered_by=row["answered_by"],
        answered_at=row["answered_at"],
        answer_reason=row["answer_reason"],
        valid_until=row["valid_until"],
    )


@dataclass(slots=True)
class RecordRepository:
    conn: Connection

    # -- records ---------------------------------------------------------------------

    def add(
        self,
        record_id: str,
        content: RecordContent,
        *,
        owner_body: str,
        owner_party: Party,
        now: datetime,
        version: int = 1,
        created_at: datetime | None = None,
        received_from: str | None = None,
    ) -> None:
        """Store a new record and its index rows (no recipients yet: see ``add_recipients``)."""
        self.conn.execute(
            insert(t.records).values(
                id=record_id,
                owner_body=owner_body,
                owner_party=owner_party.value,
                version=version,
                received_from=received_from,
                created_at=created_at or now,
                updated_at=now,
                **self._content_columns(record_id, content),
            )
        )
        self._write_index(record_id, content)

    def replace(
        self, record_id: str, content: RecordContent, *, version: int, now: datetime
    ) -> None:
        """The provider's new version of the content; the index rows follow it."""
        changed = self.conn.execute(
            update(t.records)
            .where(_R.id == record_id)
            .values(version=version, updated_at=now, **self._content_columns(record_id, content))
        )
        if changed.rowcount != 1:
            raise NotFound("record", record_id)
        self._write_index(record_id, content)

    def revoke(self, record_id: str, *, at: datetime, reason: str) -> None:
        changed = self.conn.execute(
            update(t.records)
            .where(_R.id == record_id)
            .values(revoked_at=at, revocation_reason=reason, updated_at=at)
        )
        if changed.rowcount != 1:
            raise NotFound("record", record_id)

    def add_recipients(self, record_id: str, recipients: Iterable[Recipient]) -> list[Recipient]:
        """Add the Parties not yet recorded; returns those added (a known one is kept as it
        was: the first body that shared it with that Party)."""
        held = {r.party for r in self.recipients(record_id)}
        fresh: dict[Party, Recipient] = {}
        for r in recipients:
            if r.party not in held:
                fresh.setdefault(r.party, r)
        new = list(fresh.values())
        if new:
            self.conn.execute(
                insert(t.record_recipients),
                [
                    {
                        "record_id": record_id,
                        "party": r.party.value,
                        "shared_by": r.shared_by,
                        "shared_at": r.shared_at,
                    }
                    for r in new
                ],
            )
        return new

    def recipients(self, record_id: str) -> list[Recipient]:
        rows = self.conn.execute(
            select(_RR.party, _RR.shared_by, _RR.shared_at)
            .where(_RR.record_id == record_id)
            .order_by(_RR.shared_at, _RR.party)
        ).all()
        return [Recipient(Party(r.party), r.shared_by, r.shared_at) for r in rows]

    def exists(self, record_id: str) -> bool:
        found = self.conn.execute(select(_R.id).where(_R.id == record_id)).first()
        return found is not None

    def get(self, record_id: str) -> StoredRecord:
        row = self.conn.execute(select(t.records).where(_R.id == record_id)).mappings().first()
        if row is None:
            raise NotFound("record", record_id)
        recipients = tuple(self.recipients(record_id))
        document = stored_content(self.conn, row["id"], row["content"])
        holding = Holding(
            record_id=row["id"],
            owner_body=row["owner_body"],
            owner_party=Party(row["owner_party"]),
            handling=_handling(document),
            recipients=frozenset(r.party for r in recipients),
            revoked_at=row["revoked_at"],
        )
        return StoredRecord(
            id=row["id"],
            content=load_record(document),
            holding=holding,
            version=row["version"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            received_from=row["received_from"],
            revocation_reason=row["revocation_reason"],
            recipients=recipients,
        )

    def holdings(self, ids: Sequence[str]) -> dict[str, Holding]:
        """The Art. 10 conditions of many records at once (search results), by id; ids not
        held are left out."""
        if not ids:
            return {}
        wanted = list(dict.fromkeys(ids))
        rows = self.conn.execute(
            select(_R.id, _R.owner_body, _R.owner_party, _R.content, _R.revoked_at).where(
                _R.id.in_(wanted)
            )
        ).all()
        parties: dict[str, set[Party]] = {r.id: set() for r in rows}
        for rid, party in self.conn.execute(
            select(_RR.record_id, _RR.party).where(_RR.record_id.in_(wanted))
        ).tuples():
            parties[rid].add(Party(party))
        return {
            r.id: Holding(
                record_id=r.id,
                owner_body=r.owner_body,
                owner_party=Party(r.owner_party),
                handling=_handling(stored_content(self.conn, r.id, r.content)),
                recipients=frozenset(parties[r.id]),
                revoked_at=r.revoked_at,
            )
            for r in rows
        }

    def visible_to(
        self, party: Party, *, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[RecordSummaryRow]:
        """Records of ``party``'s own bodies or shared with it, most recently changed first."""
        shared = select(_RR.record_id).where(_RR.party == party.value)
        q = select(
            _R.id, _R.kind, _R.title, _R.owner_body, _R.owner_party, _R.confidentiality,
            _R.version, _R.created_at, _R.updated_at, _R.revoked_at, _R.received_from,
        ).where(or_(_R.owner_party == party.value, _R.id.in_(shared)))  # fmt: skip
        if kind is not None:
            q = q.where(_R.kind == kind)
        q = q.order_by(_R.updated_at.desc(), _R.id).limit(limit).offset(offset)
        return [
            RecordSummaryRow(
                id=r.id,
                kind=r.kind,
                title=r.title,
                owner_body=r.owner_body,
                owner_party=Party(r.owner_party),
                confidentiality=Confidentiality(r.confidentiality),
                version=r.version,
                created_at=r.created_at,
                updated_at=r.updated_at,
                revoked_at=r.revoked_at,
                received_from=r.received_from,
            )
            for r in self.conn.execute(q).all()
        ]

    def _content_columns(self, record_id: str, content: RecordContent) -> dict[str, Any]:
        return {
            "kind": content.kind.value,
            "title": content.title,
            "confidentiality": content.handling.confidentiality.value,
            "onward_sharing": content.handling.onward_sharing,
            "content": at_rest.seal_json(self.conn, content.to_dict(), _place(record_id)),
            "search_text": search_text(content),  # the index stays in clear (issue 7)
        }

    def _write_index(self, record_id: str, content: RecordContent) -> None:
        for table in (t.record_persons, t.record_identifiers):
            self.conn.execute(delete(table).where(table.c.record_id == record_id))
        if persons := person_rows(record_id, content):
            self.conn.execute(insert(t.record_persons), persons)
        if identifiers := identifier_rows(record_id, content):
            self.conn.execute(insert(t.record_identifiers), identifiers)

    # -- consents (Art. 10 para 2) ---------------------------------------------------

    def add_consent(self, consent: StoredConsent) -> None:
        self.conn.execute(
            insert(t.record_consents).values(
                id=consent.id,
                record_id=consent.record_id,
                body_id=consent.body_id,
                purpose=consent.purpose.value,
                justification=consent.justification,
                state=consent.state.value,
                asked_by=consent.asked_by,
                asked_at=consent.asked_at,
                answered_by=consent.answered_by,
                answered_at=consent.answered_at,
                answer_reason=consent.answer_reason,
                valid_until=consent.valid_until,
            )
        )

    def answer_consent(
        self,
        consent_id: str,
        *,
        state: ConsentState,
        answered_by: str,
        at: datetime,
        reason: str,
        valid_until: datetime | None = None,
    ) -> None:
        """Record the provider's answer to a consent still asked for (else ``NotFound``)."""
        changed = self.conn.execute(
            update(t.record_consents)
            .where(_RC.id == consent_id, _RC.state == ConsentState.REQUESTED.value)
            .values(
                state=state.value,
                answered_by=answered_by,
                answered_at=at,
                answer_reason=reason,
                valid_until=valid_until,
            )
        )
        if changed.rowcount != 1:
            raise NotFound("pending consent", consent_id)

    def consent(self, consent_id: str) -> StoredConsent:
        row = (
            self.conn.execute(select(t.record_consents).where(_RC.id == consent_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound("consent", consent_id)
        return _consent(row)

    def consents(
        self,
        *,
        record_id: str | None = None,
        body_id: str | None = None,
        involving_body: str | None = None,
        state: ConsentState | None = None,
    ) -> list[StoredConsent]:
        """Consents filtered by record, by asking body, or ``involving_body``: asked by that
        body or addressed to it (it owns the record). Oldest first."""
        q = select(t.record_consents)
        if record_id is not None:
            q = q.where(_RC.record_id == record_id)
        if body_id is not None:
            q = q.where(_RC.body_id == body_id)
        if involving_body is not None:
            owned = select(_R.id).where(_R.owner_body == involving_body)
            q = q.where(or_(_RC.body_id == involving_body, _RC.record_id.in_(owned)))
        if state is not None:
            q = q.where(_RC.state == state.value)
        q = q.order_by(_RC.asked_at, _RC.id)
        return [_consent(r) for r in self.conn.execute(q).mappings()]

    def consents_for(self, body_id: str, record_ids: Sequence[str]) -> list[Consent]:
        """The answers given to ``body_id`` for these records, as ``may_read`` takes them."""
        if not record_ids:
            return []
        rows = self.conn.execute(
            select(t.record_consents).where(
                and_(_RC.body_id == body_id, _RC.record_id.in_(list(dict.fromkeys(record_ids))))
            )
        ).mappings()
        return [_consent(r).consent for r in rows]
