"""The bodies of the documents that carry a training event (Art. 5 para 4) between nodes,
read strictly (one spelling per value, every key present).

``training_announcement`` — from the host body's node to each node of an invited Party;
the receiver builds the event again with the core's ``announce``. The announcement is
signed by the host body's head or deputy who made it (an officer signature over exactly
this body)::

    {"event_id", "host_body", "announcement": {"kind", "title", "topic", "date_from",
     "date_to", "venues", "language", "nomination_deadline", "places"},
     "created_at", "created_by"}

``training_action`` (a nominating body's node → the host's node: an action not yet
applied) and ``training_update`` (the host's node → every invited Party's node: an action as
the host's node applied it, on the copy at ``version``; ``null`` in an action)::

    {"event_id", "version" | null, "at", "actor": {"id", "body_id", "roles", "node"},
     "action", "text", "nomination_id" | null, "nominee": {"name", "post", "contact"} | null,
     "item_id" | null}

``actor.node`` is the node that hosts the acting body and vouches for the officer. The update
that cancels an event is signed by the host's head or deputy who cancelled it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ozara.core.parties import Officer, Role
from ozara.core.training import Nominee, TrainingAction, TrainingCommand, TrainingEvent
from ozara.core.training_forms import announcement_json
from ozara.documents import JSONObject, JSONValue
from ozara.documents import fields as f

from .operation_documents import _enum_value, _id, _officer_id, _optional_id
from .payloads import PayloadError

_ANNOUNCEMENT_KEYS = ("event_id", "host_body", "announcement", "created_at", "created_by")
_ACTION_KEYS = (
    "event_id", "version", "at", "actor", "action", "text", "nomination_id", "nominee",
    "item_id",
)  # fmt: skip
_ACTOR_KEYS = ("id", "body_id", "roles", "node")
_NOMINEE_KEYS = ("name", "post", "contact")
_MAX_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class AnnouncementBody:
    event_id: str
    host_body: str
    announcement: JSONObject
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class ActionBody:
    event_id: str
    version: int | None
    at: datetime
    actor_id: str
    actor_body: str
    actor_roles: frozenset[Role]
    actor_node: str
    command: TrainingCommand


def announcement_body(event: TrainingEvent) -> JSONObject:
    announcement: JSONObject = dict(announcement_json(event.announcement))
    return {
        "event_id": event.id,
        "host_body": event.host_body,
        "announcement": announcement,
        "created_at": f.format_time(event.created_at),
        "created_by": event.created_by,
    }


def action_body(  # noqa: PLR0917
    event_id: str,
    version: int | None,
    command: TrainingCommand,
    actor: Officer,
    node: str,
    at: datetime,
) -> JSONObject:
    """``actor.id`` as the acting node knows the officer (unqualified for its own)."""
    roles: list[JSONValue] = [r.value for r in sorted(actor.roles)]
    nominee = command.nominee
    return {
        "event_id": event_id,
        "version": version,
        "at": f.format_time(at),
        "actor": {"id": actor.id, "body_id": actor.body_id or "", "roles": roles, "node": node},
        "action": command.action.value,
        "text": command.text,
        "nomination_id": command.nomination_id,
        "nominee": None
        if nominee is None
        else {"name": nominee.name, "post": nominee.post, "contact": nominee.contact},
        "item_id": command.item_id,
    }


def read_announcement(value: JSONObject) -> AnnouncementBody:
    try:
        f.check_keys(value, _ANNOUNCEMENT_KEYS, "training_announcement")
        return AnnouncementBody(
            event_id=_id(value, "event_id"),
            host_body=_id(value, "host_body"),
            announcement=f.get_object(value, "announcement"),
            created_at=f.get_time(value, "created_at"),
            created_by=_officer_id(value, "created_by"),
        )
    except f.FieldError as exc:
        raise PayloadError(f"training_announcement: {exc}") from None


def _nominee(value: JSONObject) -> Nominee | None:
    if value.get("nominee") is None:
        return None
    raw = f.get_object(value, "nominee")
    f.check_keys(raw, _NOMINEE_KEYS, "nominee")
    name, post, contact = (f.get_str(raw, k, max_length=300) for k in _NOMINEE_KEYS)
    return Nominee(name, post, contact)


def read_action(value: JSONObject, *, update: bool) -> ActionBody:
    where = "training_update" if update else "training_action"
    try:
        f.check_keys(value, _ACTION_KEYS, where)
        actor = f.get_object(value, "actor")
        f.check_keys(actor, _ACTOR_KEYS, "actor")
        roles = frozenset(
            Role(_enum_value(r, "actor.roles", [x.value for x in Role]))
            for r in f.get_list(actor, "roles")
        )
        action = TrainingAction(
            _enum_value(value.get("action"), "action", [a.value for a in TrainingAction])
        )
        text = value.get("text")
        if not isinstance(text, str) or len(text) > _MAX_TEXT:
            raise f.FieldError(f"text: a string of at most {_MAX_TEXT}")
        command = TrainingCommand(
            action=action,
            text=text,
            nomination_id=_optional_id(value, "nomination_id"),
            nominee=_nominee(value),
            item_id=_optional_id(value, "item_id"),
        )
        version = value.get("version")
        if update:
            version = f.get_int(value, "version", minimum=1)
        elif version is not None:
            raise f.FieldError("version: null in an action (the host's node orders them)")
        return ActionBody(
            event_id=_id(value, "event_id"),
            version=version,
            at=f.get_time(value, "at"),
            actor_id=_officer_id(actor, "id"),
            actor_body=_id(actor, "body_id"),
            actor_roles=roles,
            actor_node=f.get_identifier(actor, "node"),
            command=command,
        )
    except f.FieldError as exc:
        raise PayloadError(f"{where}: {exc}") from None
