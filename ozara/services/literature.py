"""Use cases for the library of exchanged literature (Art. 5 para 6).

Each change is one transaction: load, ask the core (``core.literature``), store, audit,
and with ``peers`` queue the signed, sealed documents for the other nodes in the same
transaction (``federation.literature``). Literature is not case information, so no purpose
is asked (Art. 10 para 2 does not apply); but every read is audited all the same: a list
(``literature:listed``), a search with its words (``literature:searched``), an opening
(``literature:read``, with whether the file was given), and a refused opening
(``literature:read_denied``, with its rule, committed although the read fails).

Errors: ``ProtocolError`` (a rule of Art. 4, 5 para 6, 10 para 3 or 16), ``AccessDenied``
(an officer of no competent body), ``NotFound``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ozara.core.deadlines import require_utc
from ozara.core.literature import FileInfo, may_change, may_read, parse_literature
from ozara.core.parties import Officer, Party
from ozara.core.rules import ProtocolError, violation
from ozara.services.records import check_parties
from ozara.services.requests import AccessDenied
from ozara.store.literature import LiteratureRepository, LiteratureRow, StoredLiterature
from ozara.store.uow import SqlUnitOfWork

__all__ = [
    "MAX_FILE", "LiteraturePeers", "LiteratureView", "add_literature", "list_literature",
    "read_literature", "search_literature", "share_literature", "withdraw_literature",
]  # fmt: skip

#: A document's file travels inside one sealed document (the inbox takes 32 MiB at most).
MAX_FILE = 24 * 1024 * 1024
MAX_REASON = 4000
MAX_QUERY = 500
_ARTICLES = ["Art. 5 para 6"]


class LiteraturePeers(Protocol):
    """The other nodes, told inside the change's own transaction
    (``ozara.federation.literature.FederatedLiteraturePeers``). It may raise to refuse the
    change (a Party no node serves): the transaction rolls back."""

    def shared(
        self,
        uow: SqlUnitOfWork,
        *,
        stored: StoredLiterature,
        parties: frozenset[Party],
        actor: Officer,
        now: datetime,
    ) -> None: ...

    def withdrawn(
        self, uow: SqlUnitOfWork, *, stored: StoredLiterature, actor: Officer, now: datetime
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class LiteratureView:
    stored: StoredLiterature
    #: The file, when asked for.
    content: bytes | None
    may_share: bool
    may_withdraw: bool


def _officer(uow: SqlUnitOfWork, actor_id: str) -> tuple[Officer, str, Party]:
    actor = uow.registry.officer(actor_id)
    body = uow.registry.registry().get(actor.body_id) if actor.body_id else None
    if actor.body_id is None or body is None:
        raise AccessDenied(f"{actor.id} belongs to no competent body: the library is theirs")
    return actor, actor.body_id, body.party


def _audit(  # noqa: PLR0917
    uow: SqlUnitOfWork, now: datetime, actor: Officer, action: str, object_id: str,
    details: dict[str, Any],
) -> None:  # fmt: skip
    uow.audit.record(
        now, actor_id=actor.id, body_id=actor.body_id, action=action,
        object_type="literature", object_id=object_id, details=details,
    )  # fmt: skip


def add_literature(  # noqa: PLR0917 -- the metadata, the file, who, when
    uow: SqlUnitOfWork,
    document: object,
    filename: str,
    media_type: str,
    content: bytes,
    actor_id: str,
    now: datetime,
) -> str:
    """Add a document to the library as the actor's body's own; shared with nobody yet.

    A state-secret marking or stamp is refused before anything is stored (Art. 10 para 3).
    """
    now = require_utc(now)
    actor, body_id, party = _officer(uow, actor_id)
    body = uow.registry.registry().get(body_id)
    if body is None or not body.is_designated(now):
        raise ProtocolError([violation("body", "art4.designated", f"{body_id} is not designated")])
    meta = parse_literature(document, this_year=now.year)
    name = filename.strip().replace("/", "_").replace("\\", "_")
    if not name or len(name) > 255 or not content or len(content) > MAX_FILE:
        detail = f"a named file of 1 byte to {MAX_FILE // (1024 * 1024)} MiB"
        raise ProtocolError([violation("file", "art5.literature_required", detail)])
    file = FileInfo(name, media_type or "application/octet-stream", len(content),
                    hashlib.sha256(content).hexdigest())  # fmt: skip
    document_id = str(uuid.uuid4())
    LiteratureRepository(uow.connection).add(document_id, meta, body_id, party, file, content, now)
    _audit(uow, now, actor, "literature:added", document_id, {
        "kind": meta.kind.value, "sha256": file.sha256, "size": file.size,
        "articles": _ARTICLES,
    })  # fmt: skip
    uow.commit()
    return document_id


def share_literature(  # noqa: PLR0917 -- the five of every use case, and the optional peers
    uow: SqlUnitOfWork,
    document_id: str,
    parties: Iterable[Party],
    actor_id: str,
    now: datetime,
    peers: LiteraturePeers | None = None,
) -> list[Party]:
    """Share the document with ``parties`` (the owner body only; the Protocol in force for
    each, Art. 16, each with a designated body, Art. 4). Returns the Parties newly added."""
    now = require_utc(now)
    actor, body_id, party = _officer(uow, actor_id)
    repo = LiteratureRepository(uow.connection)
    stored = repo.get(document_id)
    decision = may_change(actor, stored.holding, now)
    decision.raise_if_denied()
    targets = frozenset(parties) - {party}
    if not targets:
        raise ProtocolError([violation("recipients", "art5.literature_required", "a Party")])
    check_parties(uow, {party, *targets}, now)
    added = repo.add_recipients(document_id, targets, body_id, now)
    if not added:
        return []
    _audit(uow, now, actor, "literature:shared", document_id, {
        "parties": [p.value for p in added], "articles": _ARTICLES,
    })  # fmt: skip
    if peers is not None:
        peers.shared(uow, stored=repo.get(document_id), parties=frozenset(added), actor=actor,
                     now=now)  # fmt: skip
    uow.commit()
    return added


def withdraw_literature(  # noqa: PLR0917
    uow: SqlUnitOfWork,
    document_id: str,
    reason: str,
    actor_id: str,
    now: datetime,
    peers: LiteraturePeers | None = None,
) -> None:
    """The owner body withdraws the document: from then on no other Party may read it, and
    every Party it reached is told."""
    now = require_utc(now)
    actor, _, _ = _officer(uow, actor_id)
    repo = LiteratureRepository(uow.connection)
    stored = repo.get(document_id)
    may_change(actor, stored.holding, now).raise_if_denied()
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON:
        detail = f"1 to {MAX_REASON} characters"
        raise ProtocolError([violation("reason", "art5.literature_required", detail)])
    repo.withdraw(document_id, at=now, reason=text)
    _audit(uow, now, actor, "literature:withdrawn", document_id,
           {"reason": text, "articles": _ARTICLES})  # fmt: skip
    if peers is not None and stored.holding.recipients:
        peers.withdrawn(uow, stored=repo.get(document_id), actor=actor, now=now)
    uow.commit()


def read_literature(
    uow: SqlUnitOfWork, document_id: str, actor_id: str, now: datetime, *, file: bool = False
) -> LiteratureView:
    """Open a document (and its file with ``file``), audited either way."""
    now = require_utc(now)
    actor = uow.registry.officer(actor_id)
    repo = LiteratureRepository(uow.connection)
    stored = repo.get(document_id)
    try:
        actor, _, party = _officer(uow, actor_id)
    except AccessDenied as exc:
        _denied(uow, now, actor, document_id, {"rule": None, "reason": str(exc)})
        raise
    decision = may_read(actor, party, stored.holding, now)
    if not decision.allowed:
        _denied(uow, now, actor, document_id, {"rule": decision.violations[0].rule})
        decision.raise_if_denied()
    content = repo.content(document_id, stored.file.sha256) if file else None
    _audit(uow, now, actor, "literature:read", document_id,
           {"file": file, "sha256": stored.file.sha256})  # fmt: skip
    change = may_change(actor, stored.holding, now).allowed
    uow.commit()
    return LiteratureView(stored, content, may_share=change, may_withdraw=change)


def _denied(
    uow: SqlUnitOfWork, now: datetime, actor: Officer, document_id: str, details: dict[str, Any]
) -> None:
    uow.restart()
    _audit(uow, now, actor, "literature:read_denied", document_id, details)
    uow.commit()


def list_literature(
    uow: SqlUnitOfWork, actor_id: str, now: datetime, *, limit: int = 100
) -> list[LiteratureRow]:
    """The documents the actor's Party holds, newest first, withdrawn ones marked."""
    now = require_utc(now)
    actor, _, party = _officer(uow, actor_id)
    rows = LiteratureRepository(uow.connection).visible(party, now, limit=max(1, min(limit, 500)))
    _audit(uow, now, actor, "literature:listed", party.value, {"count": len(rows)})
    uow.commit()
    return rows


def search_literature(
    uow: SqlUnitOfWork, query: str, actor_id: str, now: datetime, *, limit: int = 20
) -> list[LiteratureRow]:
    """Documents the actor's Party may read whose title, authors, keywords or abstract hold
    every word of ``query``, the best first."""
    now = require_utc(now)
    actor, _, party = _officer(uow, actor_id)
    if len(query) > MAX_QUERY:
        raise ProtocolError([violation("query", "input.type", f"at most {MAX_QUERY} characters")])
    repo = LiteratureRepository(uow.connection)
    rows = repo.search(query, party, now, limit=max(1, min(limit, 100)))
    _audit(uow, now, actor, "literature:searched", party.value,
           {"query": query, "hits": [r.id for r in rows]})  # fmt: skip
    uow.commit()
    return rows
