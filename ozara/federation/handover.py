"""Forwarding a request to a competent body on another node (Art. 7 para 4).

The body that received a request outside its competence passes it, within 3 days, to the
competent body of its state. When that body runs its own node, the new holder needs the
request itself, not only the news of the forwarding: the ``request_handover`` document
carries the request exactly as the requesting node sent it (the body its head or deputy
signed, with that signature, Art. 6 para 5; the written confirmation of an urgent one) and
the history of the copy since (acknowledgement, forwarding...). The new node verifies the
signatures, checks the request against the Protocol, and replays the history with the same
core ``transition``: its copy ends at the same state and version as the requesting node's,
which is told of the forwarding by the usual ``forwarding_notice``. From then on the new
holder and the requesting node exchange the documents; the forwarding node's copy stays
as it was at the forwarding.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ozara.core.actions import ACTIONS, OPS, Action
from ozara.core.cooperation import PAYLOAD_KEYS
from ozara.core.events import RequestEvent
from ozara.core.lifecycle import Command, Request, creation_event, new_request, transition
from ozara.core.parties import Officer, Role
from ozara.core.requests import RequestContent, parse_request
from ozara.crypto import CryptoError
from ozara.documents import (
    JSONObject,
    JSONValue,
    OfficerSignature,
    verify_officer_signature,
)
from ozara.documents import fields as f
from ozara.services import correlation
from ozara.services.requests import context, record_events
from ozara.store.tables import inbox
from ozara.store.uow import SqlUnitOfWork
from ozara.transport.inbox import stored_document

from .actors import (
    bodies_of,
    is_held,
    remote_officer,
    require_plausible_time,
    signed_by_head,
    with_via,
)
from .context import HandlerContext, InboxItem, Refused, Result
from .payloads import PayloadError
from .request_documents import RequestBody, read_request_body, require_own_number

#: The action each recorded event stands for (a partial refusal is a refusal in part).
EVENT_ACTIONS: dict[str, Action] = {
    **{spec.event: action for action, spec in ACTIONS.items()},
    "request:partially_refused": Action.REFUSE,
}
_FIRST = ("request:sent", "request:sent_urgent")


class NoHandover(Exception):
    """The request cannot be handed over (it did not come from another node signed)."""


def handover_body(uow: SqlUnitOfWork, request: Request) -> JSONObject:
    """What the new holder's node needs: the request as sent, and the history since."""
    events = uow.events.for_request(request.id)
    start = next((n for n, e in enumerate(events) if e.name in _FIRST), None)
    sent_doc = None if start is None else _envelope(uow, events[start])
    if start is None or sent_doc is None:
        raise NoHandover(
            f"request {request.id} did not come from another node: it cannot be handed over "
            "to a body on another node (Art. 7 para 4)"
        )
    later = events[start + 1 :]
    confirmed = next((e for e in later if e.name == "request:confirmed"), None)
    confirmation = None if confirmed is None else _envelope(uow, confirmed)
    first_version = request.version - len(later)
    return {
        "request": sent_doc["body"],
        "signatures": sent_doc["officer_signatures"],
        "sent_at": sent_doc["created_at"],
        "requesting_node": sent_doc["sender"],
        "confirmation": None
        if confirmation is None
        else {"body": confirmation["body"], "signatures": confirmation["officer_signatures"]},
        "history": [_step(e, first_version + n) for n, e in enumerate(later)],
    }


def _envelope(uow: SqlUnitOfWork, event: RequestEvent) -> dict[str, Any] | None:
    document_id = event.details.get("document_id")
    if not isinstance(document_id, str):
        return None
    stored = uow.connection.execute(
        select(inbox.c.document).where(inbox.c.document_id == document_id)
    ).scalar_one_or_none()
    if stored is not None:
        stored = stored_document(uow.connection, document_id, stored)
    return stored if isinstance(stored, dict) else None


def _step(event: RequestEvent, version: int) -> JSONObject:
    text = event.details.get("text")
    target = event.details.get("to_body")
    step: JSONObject = {
        "event": event.name,
        "version": version,
        "at": f.format_time(event.at),
        "actor_id": event.actor_id,
        "body_id": event.body_id,
        "text": text if isinstance(text, str) else "",
        "target_body": target if isinstance(target, str) else None,
    }
    action = EVENT_ACTIONS.get(event.name)
    if action is not None and action in PAYLOAD_KEYS:
        # A cooperation step (Art. 8, 11, 12) is replayed with its payload, as it was sent.
        keys = PAYLOAD_KEYS[action]
        step["details"] = {k: v for k, v in event.details.items() if k in keys}
    return step


# -- the new holder's node ------------------------------------------------------------------


def handle_handover(ctx: HandlerContext, item: InboxItem) -> Result:
    document = item.document
    raw = document.body
    try:
        f.check_keys(
            raw,
            ("request", "signatures", "sent_at", "requesting_node", "confirmation", "history"),
            "request_handover",
        )
        signed = f.get_object(raw, "request")
        body = read_request_body(signed)
        signatures = _signatures(signed, f.get_list(raw, "signatures"))
        sent_at = f.get_time(raw, "sent_at")
        requesting_node = f.get_identifier(raw, "requesting_node")
        history = [_read_step(s) for s in f.get_list(raw, "history")]
        confirmation = _confirmation(raw["confirmation"])
    except f.FieldError as exc:
        raise PayloadError(f"request_handover: {exc}") from None
    content = parse_request(body.content)
    require_own_number(body.request_id, content.requesting_body)
    _check(ctx, item, body, signatures, history)
    _check_confirmation(body, confirmation, history)
    request, events = _replay(
        ctx, item, body=body, content=content, requesting_node=requesting_node,
        sent_at=sent_at, history=history,
    )  # fmt: skip
    ctx.uow.requests.add(request, ctx.now)
    correlation.enqueue(ctx.uow, "request", request.id, ctx.now)
    record_events(ctx.uow, with_via(events, document))
    return Result("applied", f"request {request.id} handed over: {request.state}")


def _check(
    ctx: HandlerContext,
    item: InboxItem,
    body: RequestBody,
    signatures: list[OfficerSignature],
    history: list[dict[str, Any]],
) -> None:
    """The sender forwarded it, last, to a body here; every step is the sender's bodies' or
    the requesting body's; it is signed; it is not held here yet."""
    document = item.document
    trust_list = ctx.trust_state.current
    senders = bodies_of(trust_list, document.sender)
    forwarded = history[-1] if history else None
    if (
        forwarded is None
        or forwarded["event"] != "request:forwarded"
        or (forwarded["body_id"] not in senders)
    ):
        raise Refused(
            f"{document.sender} did not forward this request: only the body holding it passes "
            "it on (Art. 7 para 4), and the forwarding is the last step; nothing applied"
        )
    requesting = read_content_body(body)
    strangers = [s for s in history if s["body_id"] not in senders | {requesting}]
    if strangers:
        raise Refused(
            f"the history names {strangers[0]['body_id']}, neither the forwarding nor the "
            "requesting body; nothing applied"
        )
    if forwarded["target_body"] not in bodies_of(trust_list, document.recipient):
        raise Refused("the request is forwarded to a body this node does not host")
    if body.signed_by is not None and not signed_by_head(signatures, body.signed_by):
        raise Refused(f"the request is not signed by {body.signed_by} (Art. 6 para 5)")
    if is_held(ctx.uow, body.request_id):
        raise Refused(f"request {body.request_id} is already held here; nothing applied")


def read_content_body(body: RequestBody) -> str:
    value = body.content.get("requesting_body")
    return value if isinstance(value, str) else ""


def _confirmation(value: JSONValue) -> tuple[RequestBody, list[OfficerSignature]] | None:
    """The written confirmation of an urgent request, its signatures verified (or None)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise f.FieldError("confirmation: an object or null")
    signed = f.get_object(value, "body")
    return read_request_body(signed), _signatures(signed, f.get_list(value, "signatures"))


def _check_confirmation(
    body: RequestBody,
    confirmation: tuple[RequestBody, list[OfficerSignature]] | None,
    history: list[dict[str, Any]],
) -> None:
    """A confirmed step needs the signed confirmation of this very request (Art. 6 para 4)."""
    confirmed_step = any(s["event"] == "request:confirmed" for s in history)
    if confirmation is None:
        if confirmed_step:
            raise Refused("the history says confirmed, but no written confirmation comes with it")
        return
    confirmed, signatures = confirmation
    if confirmed.request_id != body.request_id or confirmed.content != body.content:
        raise Refused("the written confirmation is of another request; nothing applied")
    if confirmed.signed_by is None or not signed_by_head(signatures, confirmed.signed_by):
        raise Refused("the written confirmation is not signed by a head or deputy (Art. 6)")


def _replay(
    ctx: HandlerContext,
    item: InboxItem,
    *,
    body: RequestBody,
    content: RequestContent,
    requesting_node: str,
    sent_at: datetime,
    history: list[dict[str, Any]],
) -> tuple[Request, list[RequestEvent]]:
    """The copy rebuilt through the core, step by step, as the other nodes' copies went."""
    document = item.document

    def remote(officer_id: str, body_id: str, roles: frozenset[Role], node: str) -> Officer:
        return remote_officer(officer_id, node, body_id, roles, qualified=True)

    c = context(ctx.uow)
    requesting = content.requesting_body
    request = new_request(
        body.request_id, content, remote(body.created_by, requesting, OPS, requesting_node),
        body.created_at,
    )  # fmt: skip
    events: list[RequestEvent] = [creation_event(request)]
    if body.signed_by is not None and body.signed_at is not None:
        head = remote(body.signed_by, requesting, ACTIONS[Action.SIGN].roles, requesting_node)
        steps = [(Command(Action.SIGN), head, body.signed_at), (Command(Action.SEND),
                 remote(requesting_node, requesting, OPS, requesting_node), sent_at)]  # fmt: skip
    else:
        steps = [(Command(Action.SEND_URGENT),
                  remote(requesting_node, requesting, OPS, requesting_node), sent_at)]  # fmt: skip
    last = body.created_at
    for command, actor, at in steps:
        require_plausible_time(at, now=ctx.now, not_before=last, what=command.action.value)
        last = at
        done = transition(request, command, actor, c, at)
        request, events = done.request, [*events, *done.events]
    for step in history:
        if request.version != step["version"]:
            raise Refused(
                f"the history of {body.request_id} has a gap at version {request.version}"
            )
        action = EVENT_ACTIONS.get(step["event"])
        if action is None:
            raise Refused(f"{step['event']}: not an event of the request lifecycle")
        command = Command(
            action, text=step["text"], partial=step["event"] == "request:partially_refused",
            target_body=step["target_body"], details=step["details"],
        )  # fmt: skip
        actor = remote(step["actor_id"], step["body_id"], ACTIONS[action].roles, document.sender)
        require_plausible_time(step["at"], now=ctx.now, not_before=last, what=step["event"])
        last = step["at"]
        done = transition(request, command, actor, c, step["at"])
        request, events = done.request, [*events, *done.events]
    return request, events


def _signatures(signed: JSONObject, raw: Sequence[JSONValue]) -> list[OfficerSignature]:
    out = []
    for value in raw:
        signature = OfficerSignature.from_json(value)
        try:
            verify_officer_signature(signed, signature)
        except CryptoError:
            raise Refused(
                f"the signature of {signature.officer_id} does not verify: the request was "
                "altered after signing; nothing applied"
            ) from None
        out.append(signature)
    return out


def _read_step(value: JSONValue) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise f.FieldError("history: objects expected")
    keys = ("event", "version", "at", "actor_id", "body_id", "text", "target_body")
    f.check_keys(value, (*keys, "details") if "details" in value else keys, "step")
    text = value["text"]
    if not isinstance(text, str):
        raise f.FieldError("history.text: a string")
    target = value["target_body"]
    return {
        "event": f.get_str(value, "event", max_length=64),
        "version": f.get_int(value, "version"),
        "at": f.get_time(value, "at"),
        "actor_id": f.get_identifier(value, "actor_id"),
        "body_id": f.get_identifier(value, "body_id"),
        "text": text,
        "target_body": None if target is None else f.get_identifier(value, "target_body"),
        "details": dict(f.get_object(value, "details")) if "details" in value else {},
    }
