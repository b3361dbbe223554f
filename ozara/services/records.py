"""Use cases for information exchange (Art. 5 para 1) under purpose limitation (Art. 10).

Each function is one transaction: load, ask the core's decisions (``core.disclosure``),
store, audit, and with ``peers`` queue the documents for the other nodes in the same
transaction (``federation.records``); with ``peers=None`` the change stays on this node.

Why every read states a purpose: Art. 10 para 2 lets received information be used only for
the purposes it was provided for, or another the providing body consents to. The system
cannot see what an officer does with a record, but it can make every opening of one say
what for, refuse a purpose that is not permitted, and keep the answer: each read is an
audit row (``record:read``, with the purpose and the case it serves), and so is each
refused one (``record:read_denied``, with the rule), committed even though the read fails.

Why listings show titles: ``list_records`` gives metadata only (kind, owner, handling level,
version, revocation) and the title, which the providing body writes to be shown in lists;
the summary, persons and identifiers need a purpose (``read_record``). Revoked records stay
in the list, marked, so that an officer sees that what they relied on was withdrawn.

Errors: ``ProtocolError`` (a rule of Art. 4, 5, 10 or 16, from the core's decisions),
``AccessDenied`` (an officer of no competent body), ``NotFound`` (an unknown id).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ozara.core.deadlines import require_utc
from ozara.core.disclosure import (
    Consent,
    ConsentState,
    Holding,
    is_provider,
    may_ask_consent,
    may_change,
    may_read,
    may_share,
)
from ozara.core.parties import Officer, Party
from ozara.core.records import Purpose, parse_record
from ozara.core.rules import Decision, ProtocolError, violation
from ozara.services import correlation
from ozara.services.record_views import ConsentView, RecordPeers, RecordSummary, RecordView
from ozara.services.requests import AccessDenied
from ozara.store.records import Recipient, StoredConsent, StoredRecord
from ozara.store.uow import SqlUnitOfWork

__all__ = [
    "ConsentView", "RecordPeers", "RecordSummary", "RecordView", "answer_consent",
    "ask_consent", "create_record", "list_consents", "list_records", "read_record",
    "revoke_record", "share_record", "update_record",
]  # fmt: skip

MAX_REASON = 4000
#: A case reference (national case or request number) kept with each read.
MAX_CASE = 200


# -- helpers ---------------------------------------------------------------------------


def _officer(uow: SqlUnitOfWork, actor_id: str) -> tuple[Officer, str, Party]:
    """The officer, their body and its Party; ``AccessDenied`` without a competent body."""
    actor = uow.registry.officer(actor_id)
    body = uow.registry.registry().get(actor.body_id) if actor.body_id else None
    if actor.body_id is None or body is None:
        raise AccessDenied(f"{actor.id} belongs to no competent body: records are theirs only")
    return actor, actor.body_id, body.party


def _require_designated(uow: SqlUnitOfWork, body_id: str, now: datetime) -> None:
    body = uow.registry.registry().get(body_id)
    if body is None or not body.is_designated(now):
        raise ProtocolError([violation("body", "art4.designated", f"{body_id} is not designated")])


def _audit(  # noqa: PLR0917
    uow: SqlUnitOfWork,
    now: datetime,
    actor: Officer,
    action: str,
    object_id: str,
    details: dict[str, Any],
    *,
    object_type: str = "record",
) -> None:
    uow.audit.record(
        now, actor_id=actor.id, body_id=actor.body_id, action=action,
        object_type=object_type, object_id=object_id, details=details,
    )  # fmt: skip


def _articles(decision: Decision) -> list[str]:
    return sorted(set(decision.articles))


def _text(value: str, name: str, rule: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_REASON:
        detail = f"1 to {MAX_REASON} characters"
        raise ProtocolError([violation(name, rule, detail)])
    return text


def _visible_consents(
    uow: SqlUnitOfWork, actor: Officer, holding: Holding
) -> tuple[StoredConsent, ...]:
    if is_provider(actor, holding):
        return tuple(uow.records.consents(record_id=holding.record_id))
    return tuple(uow.records.consents(record_id=holding.record_id, body_id=actor.body_id))


def _others(holding: Holding, party: Party) -> frozenset[Party]:
    """Every Party but the actor's and the provider's: what a share could still reach."""
    return frozenset(Party) - {party, holding.owner_party}


# -- records ---------------------------------------------------------------------------


def create_record(uow: SqlUnitOfWork, document: object, actor_id: str, now: datetime) -> str:
    """Validate a record (Art. 5 para 1, Art. 10) and keep it as the actor's body's own.

    A state-secret marking is refused before anything is stored (Art. 10 para 3). The
    record is shared with nobody yet (``share_record``).
    """
    now = require_utc(now)
    actor, body_id, party = _officer(uow, actor_id)
    _require_designated(uow, body_id, now)
    content = parse_record(document)
    record_id = str(uuid.uuid4())
    uow.records.add(record_id, content, owner_body=body_id, owner_party=party, now=now)
    correlation.enqueue(uow, "record", record_id, now)
    _audit(uow, now, actor, "record:created", record_id, {
        "kind": content.kind.value,
        "version": 1,
        "purposes": sorted(p.value for p in content.handling.purposes),
        "confidentiality": content.handling.confidentiality.value,
        "onward_sharing": content.handling.onward_sharing,
        "articles": ["Art. 5 para 1", "Art. 10 para 2"],
    })  # fmt: skip
    uow.commit()
    return record_id


def update_record(  # noqa: PLR0917 -- the five of every use case, and the optional peers
    uow: SqlUnitOfWork,
    record_id: str,
    document: object,
    actor_id: str,
    now: datetime,
    peers: RecordPeers | None = None,
) -> int:
    """The providing body's new version (Art. 10: the provider alone changes it); every
    Party it was shared with gets it. Returns the new version."""
    now = require_utc(now)
    actor, _, _ = _officer(uow, actor_id)
    stored = uow.records.get(record_id)
    decision = may_change(actor, stored.holding, now)
    decision.raise_if_denied()
    content = parse_record(document)
    version = stored.version + 1
    uow.records.replace(record_id, content, version=version, now=now)
    correlation.enqueue(uow, "record", record_id, now)
    _audit(uow, now, actor, "record:updated", record_id, {
        "version": version,
        "purposes": sorted(p.value for p in content.handling.purposes),
        "onward_sharing": content.handling.onward_sharing,
        "articles": _articles(decision),
    })  # fmt: skip
    if peers is not None and stored.recipients:
        peers.updated(uow, record=uow.records.get(record_id), actor=actor, now=now)
    uow.commit()
    return version


def share_record(  # noqa: PLR0917
    uow: SqlUnitOfWork,
    record_id: str,
    parties: Iterable[Party],
    actor_id: str,
    now: datetime,
    peers: RecordPeers | None = None,
) -> None:
    """Provide the record to ``parties``: by its provider, or passed on by a receiving
    Party where the provider allowed onward sharing (Art. 10 para 2). The Protocol must be
    in force for every Party concerned (Art. 16), and each must have a designated body
    (Art. 4). Parties that have it already are left as they are."""
    now = require_utc(now)
    actor, body_id, party = _officer(uow, actor_id)
    targets = frozenset(parties)
    stored = uow.records.get(record_id)
    decision = may_share(actor, party, stored.holding, targets, now=now)
    decision.raise_if_denied()
    check_parties(uow, {party, *targets}, now)
    added = uow.records.add_recipients(
        record_id, [Recipient(p, body_id, now) for p in sorted(targets)]
    )
    if not added:
        return
    new = frozenset(r.party for r in added)
    _audit(uow, now, actor, "record:shared", record_id, {
        "parties": sorted(p.value for p in new),
        "onward": not is_provider(actor, stored.holding),
        "version": stored.version,
        "articles": _articles(decision),
    })  # fmt: skip
    if peers is not None:
        peers.shared(uow, record=uow.records.get(record_id), parties=new, actor=actor, now=now)
    uow.commit()


def check_parties(uow: SqlUnitOfWork, parties: Iterable[Party], now: datetime) -> None:
    treaty = uow.registry.treaty()
    registry = uow.registry.registry()
    problems = []
    for p in sorted(parties):
        if not treaty.is_bound(p, now.date()):
            detail = f"{p.name_en} is not bound by the Protocol on {now.date().isoformat()}"
            problems.append(violation("recipients", "art16.in_force", detail))
        elif not registry.designated(now, p):
            detail = f"{p.name_en} has no designated competent body"
            problems.append(violation("recipients", "art4.designated", detail))
    if problems:
        raise ProtocolError(problems)


def revoke_record(  # noqa: PLR0917
    uow: SqlUnitOfWork,
    record_id: str,
    reason: str,
    actor_id: str,
    now: datetime,
    peers: RecordPeers | None = None,
) -> None:
    """The provider withdraws the record: from now on nobody outside its Party may read it
    (``may_read``), and every Party it was shared with is told."""
    now = require_utc(now)
    actor, _, _ = _officer(uow, actor_id)
    stored = uow.records.get(record_id)
    decision = may_change(actor, stored.holding, now)
    decision.raise_if_denied()
    text = _text(reason, "reason", "art5.record_required")
    uow.records.revoke(record_id, at=now, reason=text)
    correlation.enqueue(uow, "record", record_id, now)
    _audit(uow, now, actor, "record:revoked", record_id, {
        "version": stored.version, "reason": text, "articles": _articles(decision),
    })  # fmt: skip
    if peers is not None and stored.recipients:
        peers.revoked(uow, record=uow.records.get(record_id), actor=actor, now=now)
    uow.commit()


def read_record(
    uow: SqlUnitOfWork,
    record_id: str,
    actor_id: str,
    purpose: Purpose,
    now: datetime,
    *,
    case: str | None = None,
) -> RecordView:
    """Open a record for ``purpose`` (Art. 10 para 2), audited either way.

    A refused read is audited (``record:read_denied``, with the rule) in a transaction of
    its own that is committed before the ``ProtocolError`` (or ``AccessDenied``) is raised.
    """
    now = require_utc(now)
    purpose = Purpose(purpose)
    if case is not None and len(case) > MAX_CASE:
        raise ProtocolError([violation("case", "input.type", f"at most {MAX_CASE} characters")])
    actor = uow.registry.officer(actor_id)
    stored = uow.records.get(record_id)
    where = {"purpose": purpose.value, "case": case, "version": stored.version}
    try:
        actor, body_id, party = _officer(uow, actor_id)
    except AccessDenied as exc:
        _denied(uow, now, actor, record_id, {**where, "rule": None, "reason": str(exc)})
        raise
    consents = uow.records.consents_for(body_id, [record_id])
    decision = may_read(actor, party, stored.holding, purpose, consents=consents, now=now)
    if not decision.allowed:
        _denied(uow, now, actor, record_id, {
            **where, "rule": decision.rules[0], "articles": _articles(decision),
        })  # fmt: skip
        decision.raise_if_denied()
    view = _view(uow, stored, actor, party, now)
    _audit(uow, now, actor, "record:read", record_id, {
        **where, "articles": _articles(decision),
        "by_consent": _by_consent(stored.holding, purpose, consents, body_id, now),
    })  # fmt: skip
    uow.commit()
    return view


def _by_consent(
    holding: Holding, purpose: Purpose, consents: list[Consent], body_id: str, now: datetime
) -> bool:
    return purpose not in holding.handling.purposes and any(
        c.covers(holding.record_id, body_id, purpose, now) for c in consents
    )


def _denied(
    uow: SqlUnitOfWork, now: datetime, actor: Officer, record_id: str, details: dict[str, Any]
) -> None:
    uow.restart()
    _audit(uow, now, actor, "record:read_denied", record_id, details)
    uow.commit()


def _view(
    uow: SqlUnitOfWork, stored: StoredRecord, actor: Officer, party: Party, now: datetime
) -> RecordView:
    holding = stored.holding
    change = may_change(actor, holding, now).allowed
    others = _others(holding, party)
    share = bool(others) and may_share(actor, party, holding, others, now=now).allowed
    return RecordView(
        id=stored.id,
        content=stored.content,
        holding=holding,
        version=stored.version,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
        received_from=stored.received_from,
        revocation_reason=stored.revocation_reason,
        recipients=stored.recipients,
        consents=_visible_consents(uow, actor, holding),
        may_change=change,
        may_share=share,
        may_revoke=change,
    )


def list_records(
    uow: SqlUnitOfWork,
    actor_id: str,
    now: datetime,
    *,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[RecordSummary]:
    """The records of the actor's Party's bodies and those shared with it: metadata and
    title only (see the module's docstring); no audit row, since no content is shown."""
    require_utc(now)
    _, body_id, party = _officer(uow, actor_id)
    rows = uow.records.visible_to(
        party, kind=kind, limit=max(0, min(limit, 500)), offset=max(0, offset)
    )
    return [
        RecordSummary(
            id=r.id,
            kind=r.kind,
            title=r.title,
            owner_body=r.owner_body,
            owner_party=r.owner_party,
            confidentiality=r.confidentiality.value,
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
            revoked=r.revoked_at is not None and r.revoked_at <= now,
            own=r.owner_body == body_id,
        )
        for r in rows
    ]


# -- consent (Art. 10 para 2) ------------------------------------------------------------


def ask_consent(  # noqa: PLR0917
    uow: SqlUnitOfWork,
    record_id: str,
    purpose: Purpose,
    justification: str,
    actor_id: str,
    now: datetime,
    peers: RecordPeers | None = None,
) -> str:
    """Ask the providing body to allow a purpose the record was not provided for.

    Returns the consent's id; asking again while an earlier request for the same purpose
    is unanswered returns that one's id, and nothing is sent again.
    """
    now = require_utc(now)
    purpose = Purpose(purpose)
    actor, body_id, party = _officer(uow, actor_id)
    stored = uow.records.get(record_id)
    decision = may_ask_consent(actor, party, stored.holding, purpose, now=now)
    decision.raise_if_denied()
    text = _text(justification, "justification", "art5.record_required")
    held = [c for c in uow.records.consents(record_id=record_id, body_id=body_id)
            if c.purpose is purpose]  # fmt: skip
    for c in held:
        if c.state is ConsentState.REQUESTED:
            return c.id
        if c.consent.covers(record_id, body_id, purpose, now):
            raise ProtocolError([
                violation("purpose", "art10.purpose", f"{purpose.value!r} is consented already")
            ])  # fmt: skip
    consent = StoredConsent(
        id=str(uuid.uuid4()), record_id=record_id, body_id=body_id, purpose=purpose,
        justification=text, state=ConsentState.REQUESTED, asked_by=actor.id, asked_at=now,
    )  # fmt: skip
    uow.records.add_consent(consent)
    _audit(uow, now, actor, "record_consent:asked", consent.id, {
        "record_id": record_id, "purpose": purpose.value, "owner_body": stored.holding.owner_body,
        "articles": _articles(decision),
    }, object_type="record_consent")  # fmt: skip
    if peers is not None:
        peers.consent_asked(uow, record=stored, consent=consent, actor=actor, now=now)
    uow.commit()
    return consent.id


def answer_consent(  # noqa: PLR0917
    uow: SqlUnitOfWork,
    consent_id: str,
    grant: bool,
    reason: str,
    actor_id: str,
    now: datetime,
    peers: RecordPeers | None = None,
    *,
    valid_until: datetime | None = None,
) -> None:
    """The providing body grants or refuses (Art. 10 para 2: its consent); only once."""
    now = require_utc(now)
    actor, _, _ = _officer(uow, actor_id)
    consent = uow.records.consent(consent_id)
    stored = uow.records.get(consent.record_id)
    decision = may_change(actor, stored.holding, now)
    decision.raise_if_denied()
    if consent.state is not ConsentState.REQUESTED:
        detail = f"the consent was {consent.state.value} already"
        raise ProtocolError([violation("consent", "art10.owner", detail)])
    if valid_until is not None and require_utc(valid_until) <= now:
        raise ProtocolError([violation("valid_until", "input.type", "a time in the future")])
    text = _text(reason, "reason", "art5.record_required") if not grant or reason.strip() else ""
    state = ConsentState.GRANTED if grant else ConsentState.REFUSED
    until = valid_until if grant else None
    uow.records.answer_consent(
        consent_id, state=state, answered_by=actor.id, at=now, reason=text, valid_until=until
    )
    _audit(uow, now, actor, f"record_consent:{state.value}", consent_id, {
        "record_id": consent.record_id, "purpose": consent.purpose.value,
        "body_id": consent.body_id, "articles": _articles(decision),
        "valid_until": until.isoformat() if until else None,
    }, object_type="record_consent")  # fmt: skip
    if peers is not None:
        answered = uow.records.consent(consent_id)
        peers.consent_answered(uow, record=stored, consent=answered, actor=actor, now=now)
    uow.commit()


def list_consents(
    uow: SqlUnitOfWork, actor_id: str, *, pending_only: bool = False
) -> list[ConsentView]:
    """Consents asked by the actor's body, or addressed to it as the provider."""
    _, body_id, _ = _officer(uow, actor_id)
    state = ConsentState.REQUESTED if pending_only else None
    consents = uow.records.consents(involving_body=body_id, state=state)
    out = []
    for c in consents:
        stored = uow.records.get(c.record_id)
        owner = stored.holding.owner_body
        out.append(ConsentView(
            c, owner, stored.content.title,
            to_answer=owner == body_id and c.state is ConsentState.REQUESTED,
        ))  # fmt: skip
    return out
