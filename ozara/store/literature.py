"""The library of exchanged literature (Art. 5 para 6) as a node holds it: the metadata,
the Parties each document was shared with, and the files, encrypted at rest under the
node's keyring like request files (``at_rest.seal``; ``at_rest_rotation.ENCRYPTED`` names
the column). Full-text search shares ``store.search.full_text`` with records. Like every
repository it never commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, insert, or_, select, update

from ozara.core.literature import FileInfo, Holding, LiteratureMeta, load_literature
from ozara.core.parties import Party
from ozara.store import at_rest
from ozara.store import tables as t
from ozara.store.repository import NotFound
from ozara.store.search import full_text, has_words

_L = t.literature.c
_R = t.literature_recipients.c


@dataclass(frozen=True, slots=True)
class StoredLiterature:
    holding: Holding
    meta: LiteratureMeta
    file: FileInfo
    received_from: str | None
    created_at: datetime
    withdrawal_reason: str | None

    @property
    def id(self) -> str:
        return self.holding.document_id


@dataclass(frozen=True, slots=True)
class LiteratureRow:
    """What a listing or a search shows: the metadata, never the file."""

    id: str
    title: str
    kind: str
    language: str
    year: int
    owner_body: str
    owner_party: str
    withdrawn: bool
    rank: float = 1.0


@dataclass(slots=True)
class LiteratureRepository:
    conn: Connection

    def add(  # noqa: PLR0917 -- the document, its owner, its file, and when
        self,
        document_id: str,
        meta: LiteratureMeta,
        owner_body: str,
        owner_party: Party,
        file: FileInfo,
        content: bytes,
        now: datetime,
        *,
        received_from: str | None = None,
    ) -> None:
        self.conn.execute(
            insert(t.literature).values(
                id=document_id, owner_body=owner_body, owner_party=owner_party.value,
                title=meta.title, kind=meta.kind.value, language=meta.language, year=meta.year,
                meta=meta.to_dict(), search_text=meta.search_text(), filename=file.filename,
                media_type=file.media_type, size=file.size, sha256=file.sha256,
                received_from=received_from, created_at=now, updated_at=now,
            )
        )  # fmt: skip
        sealed = at_rest.seal(self.conn, content, _place(document_id))
        self.conn.execute(insert(t.literature_files).values(document_id=document_id,
                                                            content=sealed))  # fmt: skip

    def get(self, document_id: str) -> StoredLiterature:
        row = self.conn.execute(select(t.literature).where(_L.id == document_id)).mappings()
        found = row.first()
        if found is None:
            raise NotFound("literature", document_id)
        parties = self.conn.execute(select(_R.party).where(_R.document_id == document_id))
        holding = Holding(
            found["id"], found["owner_body"], Party(found["owner_party"]),
            frozenset(Party(p) for p in parties.scalars()), found["withdrawn_at"],
        )  # fmt: skip
        file = FileInfo(found["filename"], found["media_type"], found["size"], found["sha256"])
        return StoredLiterature(
            holding, load_literature(found["meta"]), file, found["received_from"],
            found["created_at"], found["withdrawal_reason"],
        )  # fmt: skip

    def exists(self, document_id: str) -> bool:
        return self.conn.execute(select(_L.id).where(_L.id == document_id)).first() is not None

    def content(self, document_id: str, sha256: str) -> bytes:
        """The file in clear; one that no longer has its listed hash is never served."""
        stored = self.conn.execute(
            select(t.literature_files.c.content).where(
                t.literature_files.c.document_id == document_id
            )
        ).scalar_one_or_none()
        if stored is None:
            raise NotFound("literature file", document_id)
        content = at_rest.unseal(self.conn, stored, _place(document_id))
        if hashlib.sha256(content).hexdigest() != sha256:
            raise at_rest.AtRestError(f"the stored file of {document_id} no longer has its hash")
        return content

    def add_recipients(
        self, document_id: str, parties: Iterable[Party], shared_by: str, now: datetime
    ) -> list[Party]:
        """Add the Parties not there yet; returns those added."""
        held = set(
            self.conn.execute(select(_R.party).where(_R.document_id == document_id)).scalars()
        )
        added = sorted({p for p in parties if p.value not in held})
        if added:
            self.conn.execute(
                insert(t.literature_recipients),
                [{"document_id": document_id, "party": p.value, "shared_by": shared_by,
                  "shared_at": now} for p in added],
            )  # fmt: skip
            self._touch(document_id, now)
        return added

    def withdraw(self, document_id: str, *, at: datetime, reason: str) -> None:
        self.conn.execute(
            update(t.literature).where(_L.id == document_id)
            .values(withdrawn_at=at, withdrawal_reason=reason, updated_at=at)
        )  # fmt: skip

    def visible(
        self, party: Party, now: datetime, *, withdrawn: bool = True, limit: int = 100
    ) -> list[LiteratureRow]:
        """The documents ``party`` holds, newest first: its own, and those shared with it
        (withdrawn ones, marked, unless ``withdrawn`` is false)."""
        q = self._rows(_visible(party, now, withdrawn=withdrawn))
        q = q.order_by(_L.updated_at.desc(), _L.id).limit(limit)
        return [self._row(r) for r in self.conn.execute(q).mappings()]

    def search(
        self, query: str, party: Party, now: datetime, *, limit: int = 20
    ) -> list[LiteratureRow]:
        """Documents ``party`` may read whose title, authors, keywords or abstract hold
        every word of ``query``, the best first (``store.search.full_text``)."""
        if not has_words(query) or limit <= 0:
            return []
        match, rank = full_text(self.conn, query, t.literature)
        q = select(*self._columns(), rank).where(match, _visible(party, now, withdrawn=False))
        q = q.order_by(rank.desc(), _L.updated_at.desc(), _L.id).limit(limit)
        return [self._row(r) for r in self.conn.execute(q).mappings()]

    def _touch(self, document_id: str, now: datetime) -> None:
        self.conn.execute(update(t.literature).where(_L.id == document_id).values(updated_at=now))

    @staticmethod
    def _columns() -> list[Any]:
        return [_L.id, _L.title, _L.kind, _L.language, _L.year, _L.owner_body, _L.owner_party,
                _L.withdrawn_at]  # fmt: skip

    def _rows(self, where: ColumnElement[bool]) -> Any:
        return select(*self._columns()).where(where)

    @staticmethod
    def _row(r: Any) -> LiteratureRow:
        return LiteratureRow(
            r["id"], r["title"], r["kind"], r["language"], r["year"], r["owner_body"],
            r["owner_party"], r["withdrawn_at"] is not None, float(r.get("rank", 1.0)),
        )  # fmt: skip


def _visible(party: Party, now: datetime, *, withdrawn: bool) -> ColumnElement[bool]:
    """A Party holds its own documents, withdrawn or not, and those shared with it; a
    document withdrawn by another Party is listed (marked) but not searched or read."""
    shared = exists().where(_R.document_id == _L.id, _R.party == party.value)
    if withdrawn:
        return or_(_L.owner_party == party.value, shared)
    live = or_(_L.withdrawn_at.is_(None), _L.withdrawn_at > now)
    return or_(_L.owner_party == party.value, and_(shared, live))


def _place(document_id: str) -> str:
    """Where a file's ciphertext belongs (``at_rest_rotation.ENCRYPTED`` spells it the same)."""
    return f"literature_files.content:{document_id}"
