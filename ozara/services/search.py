"""Search over the records a node holds, under a purpose (issue 5; Art. 10 para 2).

The store finds what matches among the records the officer's Party holds; this use case
decides, hit by hit, what the officer may see under the purpose they work for. A hit the
officer may not read shows only that a match exists and which body provided it, so that
they can ask that body for consent; never a name, a title or any other content. The search
itself is audited with its purpose and query: who looked for whom is part of the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ozara.core.disclosure import Holding, may_read
from ozara.core.parties import Officer, Party
from ozara.core.records import Purpose
from ozara.services.requests import AccessDenied
from ozara.store import search as store
from ozara.store.uow import SqlUnitOfWork

#: Longest query accepted; a name or a few words, not a document.
MAX_QUERY = 300


@dataclass(frozen=True, slots=True)
class PersonResult:
    record_id: str
    person_index: int
    score: float
    owner_body: str
    #: Whether the officer may read the record under the purpose; if not, the names and
    #: title below are empty and only the match and the provider are shown.
    readable: bool
    names: tuple[str, ...] = ()
    title: str = ""


@dataclass(frozen=True, slots=True)
class TextResult:
    record_id: str
    rank: float
    owner_body: str
    readable: bool
    title: str = ""


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: str
    purpose: Purpose
    persons: list[PersonResult]
    texts: list[TextResult]

    @property
    def hidden(self) -> int:
        """How many hits (persons and texts) show only their existence."""
        return sum(not h.readable for h in self.persons) + sum(not h.readable for h in self.texts)


def _searcher(uow: SqlUnitOfWork, actor_id: str) -> tuple[Officer, Party]:
    actor = uow.registry.officer(actor_id)
    body = uow.registry.registry().get(actor.body_id) if actor.body_id else None
    if body is None:
        raise AccessDenied(f"{actor.id} belongs to no competent body: records are theirs only")
    return actor, body.party


def find(
    uow: SqlUnitOfWork,
    actor_id: str,
    query: str,
    purpose: Purpose,
    now: datetime,
    *,
    k: int = 10,
) -> SearchResults:
    """Persons across scripts and records by their words, each hit checked under Art. 10."""
    actor, party = _searcher(uow, actor_id)
    text = " ".join(query.split())[:MAX_QUERY]
    conn = uow.connection
    persons = store.search_persons(conn, text, party=party.value, now=now, k=k) if text else []
    texts = store.search_text(conn, text, party=party.value, now=now, limit=k) if text else []
    ids = sorted({h.record_id for h in persons} | {h.record_id for h in texts})
    holdings = uow.records.holdings(ids)
    consents = uow.records.consents_for(actor.body_id or "", ids)

    def readable(record_id: str) -> bool:
        holding: Holding | None = holdings.get(record_id)
        return holding is not None and (
            may_read(actor, party, holding, purpose, consents=consents, now=now).allowed
        )

    shown = {record_id: readable(record_id) for record_id in ids}
    results = SearchResults(
        query=text,
        purpose=purpose,
        persons=[
            PersonResult(h.record_id, h.person_index, h.score, h.owner_body, True, h.names, h.title)
            if shown[h.record_id]
            else PersonResult(h.record_id, h.person_index, h.score, h.owner_body, False)
            for h in persons
        ],
        texts=[
            TextResult(h.record_id, h.rank, h.owner_body, True, h.title)
            if shown[h.record_id]
            else TextResult(h.record_id, h.rank, h.owner_body, False)
            for h in texts
        ],
    )
    uow.audit.record(
        now,
        actor_id=actor.id,
        body_id=actor.body_id,
        action="record:searched",
        object_type="search",
        object_id=purpose.value,
        details={
            "purpose": purpose.value,
            "query": text,
            "shown": [i for i in ids if shown[i]],
            "hidden": [i for i in ids if not shown[i]],
        },
    )
    uow.commit()
    return results
