"""Use cases for requests: load, ask the core, store the result, its events and audit.

Each function is one transaction. Errors are typed: ``ProtocolError`` (a rule of the
Protocol), ``AccessDenied`` (not this officer's case), ``NotFound``, ``ConcurrentChange``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from ozara.core.access import can_view
from ozara.core.correlation import Subject, SubjectType
from ozara.core.deadlines import DUE_SOON, require_utc
from ozara.core.events import RequestEvent
from ozara.core.lifecycle import (
    Action,
    Command,
    Context,
    Request,
    State,
    allowed_actions,
    creation_event,
    new_request,
    transition,
)
from ozara.core.parties import Officer, Registry, Role
from ozara.core.requests import RequestContent, check_parties, parse_request
from ozara.core.rules import ProtocolError, violation
from ozara.store import correlations as correlation_store
from ozara.store.attachments import AttachmentRepository, StoredFile
from ozara.store.uow import SqlUnitOfWork


class AccessDenied(PermissionError):
    """The officer may not see or act on this request (Art. 4, the node's access rules)."""


class RequestPeers(Protocol):
    """The other side's node, told of every change inside the change's own transaction.

    ``ozara.federation.requests.FederatedPeers`` implements it (a signed document through
    the outbox); a node running alone passes none. It may raise to refuse the change (a body
    no node hosts, a signatory without a key): the transaction then rolls back.
    """

    def changed(
        self,
        uow: SqlUnitOfWork,
        *,
        before: Request,
        after: Request,
        command: Command,
        actor: Officer,
        events: Sequence[RequestEvent],
    ) -> None: ...


def context(uow: SqlUnitOfWork) -> Context:
    return Context(uow.registry.registry(), uow.registry.treaty())


def record_events(uow: SqlUnitOfWork, events: Sequence[RequestEvent]) -> None:
    """Store the events and one audit row each (inside the caller's transaction)."""
    uow.events.add(events)
    for e in events:
        uow.audit.record(
            e.at,
            actor_id=e.actor_id,
            body_id=e.body_id,
            action=e.name,
            object_type="request",
            object_id=e.request_id,
            details={
                "state_from": e.state_from,
                "state_to": e.state_to,
                "articles": list(e.articles),
            },
        )


def validate_document(
    uow: SqlUnitOfWork, document: object, now: datetime
) -> tuple[RequestContent, Registry]:
    """Every check a request document must pass before it is stored (Art. 3, 4, 6, 16).

    Returns the parsed request and the registry it was checked against.
    """
    content = parse_request(document)
    ctx = context(uow)
    problems = check_parties(content, ctx.registry, ctx.treaty, require_utc(now))
    if problems:
        raise ProtocolError(problems)
    return content, ctx.registry


#: All the files of one request together: they travel in one sealed document, and the
#: receiving node accepts up to 32 MiB (``transport.inbox.MAX_DOCUMENT_BYTES``).
MAX_ATTACHMENT_BYTES = 24 * 1024 * 1024


def check_files(content: RequestContent, files: Sequence[StoredFile]) -> None:
    """The uploaded files are exactly the attachments the request lists (Art. 6 para 2)."""
    rule = "art6.attachment"
    problems = []
    listed = {(a.sha256, a.size) for a in content.attachments}
    given = {(f.sha256, f.size) for f in files}
    for n, a in enumerate(content.attachments):
        if (a.sha256, a.size) not in given:
            why = f"no file with this SHA-256 and size for {a.filename!r}"
            problems.append(violation(f"attachments[{n}]", rule, why))
    for f in files:
        if (f.sha256, f.size) not in listed:
            problems.append(violation("attachments", rule, f"{f.filename!r} is not listed"))
    if len({f.filename for f in files}) != len(files):
        problems.append(violation("attachments", rule, "two files have one name"))
    if len({f.sha256 for f in files}) != len(files):
        problems.append(violation("attachments", rule, "the same file twice"))
    if sum(f.size for f in files) > MAX_ATTACHMENT_BYTES:
        limit = f"at most {MAX_ATTACHMENT_BYTES // 2**20} MiB of files in all"
        problems.append(violation("attachments", rule, limit))
    if problems:
        raise ProtocolError(problems)


def create_request(
    uow: SqlUnitOfWork,
    document: object,
    actor_id: str,
    now: datetime,
    files: Sequence[StoredFile] = (),
) -> str:
    """Validate a request document and store it as a draft; returns its number.

    ``files`` are the contents of the attachments the document lists; without them (the
    CLI) the attachments are described only, and travel by other means.
    """
    now = require_utc(now)
    actor = uow.registry.officer(actor_id)
    content, registry = validate_document(uow, document, now)
    if files:
        check_files(content, files)
    requesting = registry.get(content.requesting_body)
    assert requesting is not None  # check_parties found it designated
    year = now.astimezone(requesting.zone).year
    number = uow.requests.next_number(content.requesting_body, year)
    request_id = f"{content.requesting_body}-{year}-{number:05d}"
    request = new_request(request_id, content, actor, now)
    uow.requests.add(request, now)
    correlation_store.add_job(uow.connection, Subject(SubjectType.REQUEST, request_id), now)
    for file in files:
        AttachmentRepository(uow.connection).add(request_id, file)
    record_events(uow, [creation_event(request)])
    uow.commit()
    return request_id


def act(  # noqa: PLR0917 -- the five of every use case, and the optional peers
    uow: SqlUnitOfWork,
    request_id: str,
    command: Command,
    actor_id: str,
    now: datetime,
    peers: RequestPeers | None = None,
) -> Request:
    """Take one lifecycle action; refused with the article when the Protocol forbids it.

    With ``peers``, the other side's node is told in the same transaction (the outbox).
    """
    now = require_utc(now)
    actor = uow.registry.officer(actor_id)
    request = uow.requests.get(request_id)
    if not can_view(actor, request):
        raise AccessDenied(f"request {request_id} is not a case of {actor.body_id or actor.id}")
    result = transition(request, command, actor, context(uow), now)
    uow.requests.save(result.request, request, now)
    record_events(uow, result.events)
    if peers is not None:
        peers.changed(
            uow, before=request, after=result.request, command=command, actor=actor,
            events=result.events,
        )  # fmt: skip
    uow.commit()
    return result.request


@dataclass(frozen=True, slots=True)
class RequestView:
    request: Request
    events: list[RequestEvent]
    registry: Registry
    allowed: list[Action]


def show(uow: SqlUnitOfWork, request_id: str, viewer_id: str, now: datetime) -> RequestView:
    viewer = uow.registry.officer(viewer_id)
    request = uow.requests.get(request_id)
    if not can_view(viewer, request):
        raise AccessDenied(f"request {request_id} is not a case of {viewer.body_id or viewer.id}")
    ctx = context(uow)
    # Read everything first: the view and its audit row describe the same moment.
    view = RequestView(
        request,
        uow.events.for_request(request_id),
        ctx.registry,
        allowed_actions(request, viewer, ctx, now),
    )
    uow.audit.record(
        require_utc(now),
        actor_id=viewer.id,
        body_id=viewer.body_id,
        action="request:viewed",
        object_type="request",
        object_id=request_id,
    )
    uow.commit()
    return view


def list_requests(
    uow: SqlUnitOfWork, viewer_id: str, state: State | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    viewer = uow.registry.officer(viewer_id)
    if viewer.body_id is None and not _is_auditor(viewer):
        raise AccessDenied(f"{viewer.id} belongs to no competent body")
    body = None if _is_auditor(viewer) else viewer.body_id
    return uow.requests.summaries(body, state, limit)


def _is_auditor(officer: Officer) -> bool:
    return officer.has(Role.AUDITOR)


@dataclass(frozen=True, slots=True)
class DueItem:
    request_id: str
    kind: str
    due_at: datetime
    body_id: str  # the body that must act
    local_due: datetime
    overdue: bool


def deadlines(
    uow: SqlUnitOfWork, now: datetime, body_id: str | None = None, soon: timedelta = DUE_SOON
) -> list[DueItem]:
    """Open deadlines due before ``now + soon``, each in the local time of the body that owes it.

    The urgent confirmation is owed by the requesting body (Art. 6 para 4); forwarding
    and execution by the body holding the request (Art. 7).
    """
    now = require_utc(now)
    registry = uow.registry.registry()
    if body_id is not None and registry.get(body_id) is None:
        raise ProtocolError([violation("body", "art4.designated", f"unknown body {body_id!r}")])
    out = []
    for row in uow.requests.due_before(now + soon, body_id):
        body = registry.get(row.body_id)
        zone_due = row.due_at.astimezone(body.zone) if body else row.due_at
        out.append(
            DueItem(row.request_id, row.kind, row.due_at, row.body_id, zone_due, row.due_at <= now)
        )
    return out
