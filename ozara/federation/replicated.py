"""The checks on a cooperation file the lead's (or host's) node orders and every
participant's node holds a copy of: coordinated operations (Art. 5 para 3), training
events (Art. 5 para 4), research projects (Art. 5 para 6).

- an action forwarded to the lead's node: the sending node hosts the acting body and
  vouches only for its own officers, and the file is held and led here
  (``require_led_here``);
- an update from the lead's node to a copy: the sender hosts the lead body, the node named
  for the officer hosts the acting body, the time is plausible, and updates apply in the
  lead's order (``check_update``; the officer: ``update_actor``);
- a change only the head of the lead body or a deputy makes (closing, cancelling,
  completing): the document carries that officer's signature (``head_signature``), and the
  sending node signs with the officer's key (``sign_as_head``).

Each module keeps its own documents, core and repository; these are the rules they share.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from ozara.core.parties import Officer, Role
from ozara.crypto import KeyPair
from ozara.documents import Document, JSONObject, OfficerSignature, officer_signature

from .actors import hosts, remote_officer, require_hosted, require_plausible_time, signed_by_head
from .context import Deferred, HandlerContext, Refused, Result
from .requests import SignatoryKeyMissing, signer_role


class ActionFields(Protocol):
    """What an action or update document says of its officer, time and version."""

    @property
    def version(self) -> int | None: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor_id(self) -> str: ...
    @property
    def actor_body(self) -> str: ...
    @property
    def actor_roles(self) -> frozenset[Role]: ...
    @property
    def actor_node(self) -> str: ...


def require_led_here(
    ctx: HandlerContext,
    document: Document,
    *,
    actor_body: str,
    actor_node: str,
    lead_body: str | None,
    refusal: str,
) -> None:
    """An action sent to the lead's node: the sender hosts the acting body (Art. 4) and
    vouches only for its own officers; the file (``lead_body`` None: not held here) is led
    by a body this node hosts, else ``refusal``, nothing applied."""
    trust = ctx.trust_state.current
    require_hosted(trust, document.sender, actor_body)
    if actor_node != document.sender:
        raise Refused(f"{document.sender} vouches only for its own officers; nothing applied")
    if lead_body is None or not hosts(trust, document.recipient, lead_body):
        raise Refused(f"{refusal}; nothing applied")


def check_update(
    ctx: HandlerContext,
    document: Document,
    body: ActionFields,
    *,
    noun: str,
    file_id: str,
    lead_body: str,
    created_at: datetime,
    held_version: int,
) -> Result | None:
    """An update of a held copy from the lead's node: the sender hosts the lead body, the
    node vouching for the officer hosts the acting body (Art. 4), the time is plausible;
    one ahead of the copy waits (``Deferred``), one behind it gives the ``unchanged``
    result to return, the next one gives None (apply it)."""
    trust = ctx.trust_state.current
    require_hosted(trust, document.sender, lead_body)
    require_hosted(trust, body.actor_node, body.actor_body)
    require_plausible_time(body.at, now=ctx.now, not_before=created_at, what="the update")
    assert body.version is not None
    if held_version < body.version:
        raise Deferred(f"{noun} {file_id}: version {body.version} follows {held_version}")
    if held_version > body.version:
        return Result("unchanged", f"{noun} {file_id}: version {body.version} applied")
    return None


def update_actor(body: ActionFields, recipient: str) -> Officer:
    """The officer an update names: one of this node's own (acting earlier, through the
    lead's node) or another node's, as that node vouches for them."""
    if body.actor_node == recipient:
        return Officer(body.actor_id, body.actor_id, body.actor_body, body.actor_roles)
    return remote_officer(body.actor_id, body.actor_node, body.actor_body, body.actor_roles)


def head_signature(document: Document, officer_id: str | None, refusal: str) -> JSONObject:
    """The signature ``officer_id`` put on the document as the head of the body or a
    deputy, as JSON; none (or no officer named): refused with ``refusal``."""
    if officer_id is None or not signed_by_head(document.officer_signatures, officer_id):
        raise Refused(f"{refusal}; nothing applied")
    return next(s.to_json() for s in document.officer_signatures if s.officer_id == officer_id)


def sign_as_head(
    officer_keys: Mapping[str, KeyPair], node_id: str, actor: Officer, body: JSONObject, why: str
) -> OfficerSignature:
    """The acting officer's signature over exactly ``body``; no key for them on this node:
    ``SignatoryKeyMissing`` saying ``why`` it must be signed, nothing changed."""
    pair = officer_keys.get(actor.id)
    if pair is None:
        raise SignatoryKeyMissing(
            f"officer {actor.id} has no signing key on node {node_id} "
            f"(officers/{actor.id}.json); {why}: nothing was changed"
        )
    return officer_signature(body, actor.id, signer_role(actor), pair)
