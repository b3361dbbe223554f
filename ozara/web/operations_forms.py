"""The forms of coordinated operations (Art. 5 para 3) and their labels.

The plan form is flat (``page.form()`` keeps one value per name), so each Art. 3 category
and each invited body is a checkbox of its own (``category.c``, ``invited.RUS-MVD``). The
document built here is the plan's JSON form (``ozara.core.operation_forms.parse_plan``), so
the core checks it and every fault comes back to the field it belongs to, with its article.
An action's form carries the action and only the fields it needs; ``command_from_form``
turns it into the core's ``OperationCommand``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ozara.core.operations import LinkKind, OperationAction, OperationCommand
from ozara.core.requests import CrimeCategory
from ozara.core.rules import ProtocolError, Violation, violation
from ozara.federation.operations import FederatedOperationPeers
from ozara.federation.requests import FederatedPeers
from ozara.services.operations import OperationPeers

from . import i18n
from .i18n import N_, UTC
from .page import Page, WebConfig

STATES: dict[str, str] = {
    "proposed": N_("proposed"),
    "active": N_("active"),
    "closed": N_("closed"),
    "cancelled": N_("cancelled"),
}
ANSWERS: dict[str, str] = {
    "invited": N_("invited, no answer yet"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
}
ACTIONS: dict[str, str] = {
    OperationAction.ACCEPT: N_("Accept the invitation"),
    OperationAction.DECLINE: N_("Decline the invitation"),
    OperationAction.ASSIGN_TASK: N_("Assign a task"),
    OperationAction.COMPLETE_TASK: N_("Mark a task done"),
    OperationAction.REPORT: N_("Report on progress"),
    OperationAction.LINK: N_("Link a request or record"),
    OperationAction.CLOSE: N_("Close with the joint summary"),
    OperationAction.CANCEL: N_("Cancel the operation"),
}
LINK_KINDS: dict[str, str] = {
    LinkKind.REQUEST: N_("request"),
    LinkKind.RECORD: N_("record of information"),
}
#: The plan's fields, in the order of the form: a fault names one of them.
PLAN_FIELDS = ("name", "goals", "period_from", "period_to", "categories", "invited")


def plan_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The plan's JSON form that the form describes (``docs/operations-coordinated.md``)."""
    return {
        "name": form.get("name", "").strip(),
        "goals": form.get("goals", "").strip(),
        "period_from": form.get("period_from", "").strip(),
        "period_to": form.get("period_to", "").strip(),
        "categories": [c.value for c in CrimeCategory if form.get(f"category.{c.value}") == "1"],
        "invited": sorted(
            k.removeprefix("invited.") for k, v in form.items()
            if k.startswith("invited.") and v == "1"
        ),
    }  # fmt: skip


def plan_field(v: Violation) -> str:
    """The form field a fault belongs to: ``invited[2]`` → ``invited``; one that names no
    field of the form (the lead body, the proposer) goes above the form, as ``""``."""
    name = v.field.split(".")[0].split("[")[0]
    return name if name in PLAN_FIELDS else ""


def command_from_form(action: OperationAction, form: dict[str, str]) -> OperationCommand:
    """The core's command for an action's form, or ``ProtocolError`` for a due date that
    is not a date (the core decides everything else)."""
    text = form.get("text", "").strip()
    match action:
        case OperationAction.ASSIGN_TASK:
            raw = form.get("due", "").strip()
            due: date | None = None
            if raw:
                try:
                    due = date.fromisoformat(raw)
                except ValueError:
                    problem = violation("due", "input.type", f"a date as YYYY-MM-DD, got {raw!r}")
                    raise ProtocolError([problem]) from None
            return OperationCommand(action, text=text, body_id=form.get("body_id") or None, due=due)
        case OperationAction.COMPLETE_TASK:
            return OperationCommand(action, task_id=form.get("task_id") or None)
        case OperationAction.REPORT:
            return OperationCommand(action, text=text, task_id=form.get("task_id") or None)
        case OperationAction.LINK:
            raw_kind = form.get("link_kind", "")
            kind = LinkKind(raw_kind) if raw_kind in {k.value for k in LinkKind} else None
            return OperationCommand(action, link_kind=kind, ref=form.get("ref", "").strip() or None)
        case _:
            return OperationCommand(action, text=text)


def action_field(v: Violation) -> str:
    """The field of an action's form a fault belongs to (the close's ``summary`` is its
    text box); ``""`` for one about who acts or when."""
    name = v.field.split(".")[0].split("[")[0]
    if name == "summary":
        return "text"
    return name if name in ("text", "body_id", "due", "task_id", "ref") else ""


def labels(page: Page) -> dict[str, Any]:
    """The label functions every operations template uses."""
    t = page._
    return {
        "op_state_label": lambda s: t(STATES.get(s) or s),
        "answer_label": lambda a: t(ANSWERS.get(a) or a),
        "op_action_label": lambda a: t(ACTIONS.get(a) or a),
        "link_kind_label": lambda k: t(LINK_KINDS.get(k) or k),
        "when": lambda d: i18n.local_time(d, UTC, page.lang) if d else "—",
    }


def operation_peers(config: WebConfig) -> OperationPeers | None:
    """The federation adapter for operations, made from the one for requests (the same node
    keys, trust list and officers' signing keys, so the head signs the summary exactly as a
    request is signed); ``None`` on a node outside a federation."""
    peers = config.peers
    if isinstance(peers, FederatedPeers):
        return FederatedOperationPeers(peers.keys, peers.trust, peers.officer_keys)
    return None
