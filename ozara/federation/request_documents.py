"""The bodies of the documents that carry a request between nodes (Art. 6–9).

``request`` — the request itself, and later its written confirmation (Art. 6 para 4). This
body is exactly what the head of the body or a deputy signs (Art. 6 para 5), when signing,
so the signature travels unchanged however late the request is sent::

    {"purpose": "request" | "confirmation", "request_id", "version",
     "content": <the request as in ozara/schemas/request.schema.json>,
     "urgent", "created_at", "created_by", "signed_by" | null, "signed_at" | null}

Every other action (acknowledgement, forwarding notice, additional-information request and
answer, postponement, conditions and the answer, delay notice, execution report, refusal,
withdrawal, status notice; and the cooperation of Art. 8, 11, 12: participation request,
answer and record, consultation record, cost proposal and answer, whose structured part is
``details``, see ``ozara/core/cooperation.py``) is one action of the core state machine,
replayed on the other side's copy with the same ``transition``::

    {"request_id", "action", "version", "at", "actor": {"id", "body_id", "roles"},
     "text", "partial", "target_body" | null, "details"}

``version`` is the version of the sender's copy *before* the action: the receiver applies
it only to a copy at that same version, so both copies pass through the same states.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ozara.core.actions import Action
from ozara.core.lifecycle import Command, Request
from ozara.core.parties import Officer, Role
from ozara.documents import DocumentType, JSONObject, JSONValue
from ozara.documents import fields as f

from .context import Refused
from .payloads import PayloadError

#: The document type that carries each action to the other side.
DOCUMENT_TYPES: Mapping[Action, DocumentType] = {
    Action.SEND: DocumentType.REQUEST,
    Action.SEND_URGENT: DocumentType.REQUEST,
    Action.CONFIRM: DocumentType.REQUEST,
    Action.RECEIVE: DocumentType.ACKNOWLEDGEMENT,
    Action.FORWARD: DocumentType.FORWARDING_NOTICE,
    Action.START_EXECUTION: DocumentType.STATUS_NOTICE,
    Action.REQUEST_INFO: DocumentType.INFO_REQUEST,
    Action.PROVIDE_INFO: DocumentType.INFO_ANSWER,
    Action.POSTPONE: DocumentType.POSTPONEMENT,
    Action.RESUME: DocumentType.POSTPONEMENT,
    Action.PROPOSE_CONDITIONS: DocumentType.CONDITIONS_PROPOSAL,
    Action.ACCEPT_CONDITIONS: DocumentType.CONDITIONS_ANSWER,
    Action.DECLINE_CONDITIONS: DocumentType.CONDITIONS_ANSWER,
    Action.NOTIFY_DELAY: DocumentType.DELAY_NOTICE,
    Action.REPORT_RESULTS: DocumentType.EXECUTION_REPORT,
    Action.EXECUTE: DocumentType.EXECUTION_REPORT,
    Action.REFUSE: DocumentType.REFUSAL,
    Action.WITHDRAW: DocumentType.WITHDRAWAL,
    Action.CLOSE: DocumentType.STATUS_NOTICE,
    Action.PROPOSE_PARTICIPATION: DocumentType.PARTICIPATION_REQUEST,
    Action.ANSWER_PARTICIPATION: DocumentType.PARTICIPATION_ANSWER,
    Action.RECORD_PARTICIPATION: DocumentType.PARTICIPATION_RECORD,
    Action.RECORD_CONSULTATION: DocumentType.CONSULTATION_RECORD,
    Action.PROPOSE_COSTS: DocumentType.COST_PROPOSAL,
    Action.ANSWER_COSTS: DocumentType.COST_ANSWER,
}
#: The types whose body is an action (every type above but ``request``).
ACTION_TYPES = frozenset(DOCUMENT_TYPES.values()) - {DocumentType.REQUEST}

_REQUEST_KEYS = (
    "purpose",
    "request_id",
    "version",
    "content",
    "urgent",
    "created_at",
    "created_by",
    "signed_by",
    "signed_at",
)
_ACTION_KEYS = (
    "request_id",
    "action",
    "version",
    "at",
    "actor",
    "text",
    "partial",
    "target_body",
    "details",
)
PURPOSES = ("request", "confirmation")


#: A request's number is stored in 64 characters (``tables.requests.id``); a longer one is
#: refused as malformed instead of failing in the database.
MAX_REQUEST_ID = 64


def _request_id(value: JSONObject) -> str:
    found = f.get_identifier(value, "request_id")
    if len(found) > MAX_REQUEST_ID:
        raise f.FieldError(f"request_id: at most {MAX_REQUEST_ID} characters")
    return found


def _time_or_none(value: datetime | None) -> str | None:
    return None if value is None else f.format_time(value)


def request_body(request: Request, purpose: str, version: int) -> JSONObject:
    """What the signatory signs: the request as it leaves the requesting body."""
    content: dict[str, Any] = request.content.to_dict()
    return {
        "purpose": purpose,
        "request_id": request.id,
        "version": version,
        "content": content,
        "urgent": request.content.urgent,
        "created_at": f.format_time(request.created_at),
        "created_by": request.created_by,
        "signed_by": request.signed_by,
        "signed_at": _time_or_none(request.signed_at),
    }


@dataclass(frozen=True, slots=True)
class RequestBody:
    purpose: str
    request_id: str
    version: int
    content: JSONObject
    urgent: bool
    created_at: datetime
    created_by: str
    signed_by: str | None
    signed_at: datetime | None


def read_request_body(value: JSONObject) -> RequestBody:
    try:
        f.check_keys(value, _REQUEST_KEYS, "request")
        purpose = f.get_str(value, "purpose", max_length=32)
        if purpose not in PURPOSES:
            raise f.FieldError(f"purpose: one of {', '.join(PURPOSES)}")
        urgent = value["urgent"]
        if not isinstance(urgent, bool):
            raise f.FieldError("urgent: expected true or false")
        signed_by = None if value["signed_by"] is None else f.get_identifier(value, "signed_by")
        signed_at = None if value["signed_at"] is None else f.get_time(value, "signed_at")
        if (signed_by is None) != (signed_at is None):
            raise f.FieldError("signed_by and signed_at: both or neither")
        return RequestBody(
            purpose=purpose,
            request_id=_request_id(value),
            version=f.get_int(value, "version"),
            content=f.get_object(value, "content"),
            urgent=urgent,
            created_at=f.get_time(value, "created_at"),
            created_by=f.get_identifier(value, "created_by"),
            signed_by=signed_by,
            signed_at=signed_at,
        )
    except f.FieldError as exc:
        raise PayloadError(f"request: {exc}") from None


def action_body(request: Request, command: Command, actor: Officer, at: datetime) -> JSONObject:
    """One action taken on ``request`` (the copy as it was before the action)."""
    details: JSONObject = {str(k): _json(v) for k, v in command.details.items()}
    roles: list[JSONValue] = [r.value for r in sorted(actor.roles)]
    return {
        "request_id": request.id,
        "action": command.action.value,
        "version": request.version,
        "at": f.format_time(at),
        "actor": {
            "id": actor.id,
            "body_id": actor.body_id,
            "roles": roles,
        },
        "text": command.text,
        "partial": command.partial,
        "target_body": command.target_body,
        "details": details,
    }


def _json(value: Any) -> JSONValue:
    """Free details as JSON: what is not already JSON travels as its text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    return str(value)


@dataclass(frozen=True, slots=True)
class ActionBody:
    request_id: str
    command: Command
    version: int
    at: datetime
    actor_id: str
    actor_body: str
    actor_roles: frozenset[Role]


def read_action_body(value: JSONObject, doc_type: DocumentType) -> ActionBody:
    try:
        f.check_keys(value, _ACTION_KEYS, "action")
        try:
            action = Action(f.get_str(value, "action", max_length=32))
        except ValueError:
            raise f.FieldError("action: not an action of the request lifecycle") from None
        if DOCUMENT_TYPES.get(action) is not doc_type or doc_type is DocumentType.REQUEST:
            raise f.FieldError(f"action: {action.value!r} does not travel as {doc_type.value}")
        actor = f.get_object(value, "actor")
        f.check_keys(actor, ("id", "body_id", "roles"), "actor")
        try:
            roles = frozenset(Role(f.as_identifier(r, "roles")) for r in f.get_list(actor, "roles"))
        except ValueError:
            raise f.FieldError("actor.roles: not a known role") from None
        partial = value["partial"]
        if not isinstance(partial, bool):
            raise f.FieldError("partial: expected true or false")
        target = None if value["target_body"] is None else f.get_identifier(value, "target_body")
        text = value["text"]
        if not isinstance(text, str) or len(text) > 100_000:
            raise f.FieldError("text: expected a string of at most 100000 characters")
        command = Command(
            action,
            text=text,
            partial=partial,
            target_body=target,
            details=dict(f.get_object(value, "details")),
        )
        return ActionBody(
            request_id=_request_id(value),
            command=command,
            version=f.get_int(value, "version"),
            at=f.get_time(value, "at"),
            actor_id=f.get_identifier(actor, "id"),
            actor_body=f.get_identifier(actor, "body_id"),
            actor_roles=roles,
        )
    except f.FieldError as exc:
        raise PayloadError(f"{doc_type.value}: {exc}") from None


def require_own_number(request_id: str, requesting_body: str) -> None:
    """A request's number is its requesting body's (``KAZ-MVD-2026-00001``): a node may not
    take another body's numbers (its next request would then collide)."""
    if not re.fullmatch(rf"{re.escape(requesting_body)}-\d{{4}}-\d{{5,}}", request_id):
        raise Refused(
            f"{request_id!r} is not a number of {requesting_body}'s requests; nothing applied"
        )
