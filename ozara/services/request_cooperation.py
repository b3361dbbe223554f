"""Use cases for the cooperation on a request: representatives (Art. 8), consultations
(Art. 11) and costs (Art. 12).

Each is one lifecycle action (``ozara.core.cooperation``), taken through
``services.requests.act``: one transaction with its event, its audit row and, with
``peers``, the document to the other side's node. These functions only shape the
command's payload from what an officer typed (the CLI, the web form); the core decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ozara.core.access import can_view
from ozara.core.cooperation import Cooperation, offered
from ozara.core.lifecycle import Action, Command, Request
from ozara.store.uow import SqlUnitOfWork

from .requests import AccessDenied, RequestPeers, act


@dataclass(frozen=True, slots=True)
class Who:
    """The acting officer, the moment, and the other node (None for a node alone)."""

    actor_id: str
    now: datetime
    peers: RequestPeers | None = None


def _act(
    uow: SqlUnitOfWork,
    request_id: str,
    action: Action,
    who: Who,
    *,
    text: str,
    details: Mapping[str, Any],
) -> Request:
    command = Command(action, text=text, details=dict(details))
    return act(uow, request_id, command, who.actor_id, who.now, who.peers)


def representative(name: str, post: str, body: str) -> dict[str, str]:
    return {"name": name, "post": post, "body": body}


def propose_participation(
    uow: SqlUnitOfWork,
    request_id: str,
    who: Who,
    *,
    representatives: Sequence[Mapping[str, str]],
    date_from: date | str,
    date_to: date | str,
    actions: Sequence[str],
    note: str = "",
) -> Request:
    details = {
        "representatives": [dict(r) for r in representatives],
        "date_from": str(date_from),
        "date_to": str(date_to),
        "actions": list(actions),
    }
    return _act(uow, request_id, Action.PROPOSE_PARTICIPATION, who, text=note, details=details)


def answer_participation(
    uow: SqlUnitOfWork,
    request_id: str,
    who: Who,
    *,
    proposal: int,
    agreed: bool,
    names: Sequence[str] | None = None,
    reasons: str = "",
) -> Request:
    """Agree (to all the representatives, or to ``names`` only) or refuse, with reasons."""
    details: dict[str, Any] = {"proposal": proposal, "decision": "agreed" if agreed else "refused"}
    if names is not None:
        details["agreed"] = list(names)
    return _act(uow, request_id, Action.ANSWER_PARTICIPATION, who, text=reasons, details=details)


def record_participation(
    uow: SqlUnitOfWork,
    request_id: str,
    who: Who,
    *,
    proposal: int,
    took_part: Sequence[str],
    note: str = "",
) -> Request:
    details = {"proposal": proposal, "took_part": list(took_part)}
    return _act(uow, request_id, Action.RECORD_PARTICIPATION, who, text=note, details=details)


def record_consultation(
    uow: SqlUnitOfWork,
    request_id: str,
    who: Who,
    *,
    bodies: Sequence[str],
    persons: Sequence[str],
    held_on: date | str,
    subject: str,
    outcome: str,
) -> Request:
    details = {
        "bodies": list(bodies),
        "persons": list(persons),
        "held_on": str(held_on),
        "subject": subject,
    }
    return _act(uow, request_id, Action.RECORD_CONSULTATION, who, text=outcome, details=details)


def share(
    borne_by: str, what: str, amount: str | None = None, currency: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"borne_by": borne_by, "what": what}
    if amount is not None or currency is not None:
        out.update(amount=amount, currency=currency)
    return out


def propose_costs(
    uow: SqlUnitOfWork,
    request_id: str,
    who: Who,
    *,
    shares: Sequence[Mapping[str, Any]],
    description: str = "",
) -> Request:
    details = {"shares": [dict(s) for s in shares]}
    return _act(uow, request_id, Action.PROPOSE_COSTS, who, text=description, details=details)


def answer_costs(
    uow: SqlUnitOfWork,
    request_id: str,
    who: Who,
    *,
    proposal: int,
    accepted: bool,
    reasons: str = "",
) -> Request:
    details = {"proposal": proposal, "decision": "accepted" if accepted else "rejected"}
    return _act(uow, request_id, Action.ANSWER_COSTS, who, text=reasons, details=details)


@dataclass(frozen=True, slots=True)
class CooperationView:
    request: Request
    cooperation: Cooperation
    #: The forms the viewer may use now (the core decides again on submission).
    offered: frozenset[Action]


def view(uow: SqlUnitOfWork, request_id: str, viewer_id: str) -> CooperationView:
    """The cooperation on a request, for its page; read with the page (no audit row of its
    own: ``services.requests.show`` records the viewing)."""
    viewer = uow.registry.officer(viewer_id)
    request = uow.requests.get(request_id)
    if not can_view(viewer, request):
        raise AccessDenied(f"request {request_id} is not a case of {viewer.body_id or viewer.id}")
    return CooperationView(request, request.cooperation, offered(request, viewer))
