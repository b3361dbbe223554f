"""The forms of joint research projects (Art. 5 para 6) and their labels.

As for coordinated operations (``operations_forms``), the proposal form is flat: each
invited body is a checkbox of its own (``invited.RUS-MVD``), the lead's researchers one a
line. The document built here is the proposal's JSON form
(``ozara.core.research_forms.parse_proposal``), so the core checks it and every fault comes
back to the field it belongs to, with its article.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ozara.core.research import ResearchAction, ResearchCommand
from ozara.core.rules import Violation
from ozara.federation.requests import FederatedPeers
from ozara.federation.research import FederatedResearchPeers
from ozara.services.research import ResearchPeers

from . import i18n
from .i18n import N_, UTC
from .operations_forms import ANSWERS
from .page import Page, WebConfig
from .records_forms import explain

#: Their own words, not the operations' ones: in Russian an operation is feminine and a
#: project masculine, so a shared "proposed" could not be right for both.
STATES: dict[str, str] = {
    "proposed": N_("awaiting answers"),
    "active": N_("under way"),
    "completed": N_("completed"),
    "cancelled": N_("called off"),
}
ACTIONS: dict[str, str] = {
    ResearchAction.JOIN: N_("Join the project"),
    ResearchAction.DECLINE: N_("Decline the invitation"),
    ResearchAction.ADD_RESEARCHER: N_("Name a researcher"),
    ResearchAction.POST_RESULT: N_("Post a result"),
    ResearchAction.COMPLETE: N_("Complete with the final results"),
    ResearchAction.CANCEL: N_("Cancel the project"),
}
#: The proposal's fields, in the order of the form: a fault names one of them.
PROPOSAL_FIELDS = ("title", "topic", "goals", "period_from", "period_to", "invited",
                   "researchers")  # fmt: skip


def proposal_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The proposal's JSON form that the form describes (``docs/research.md``)."""
    return {
        "title": form.get("title", "").strip(),
        "topic": form.get("topic", "").strip(),
        "goals": form.get("goals", "").strip(),
        "period_from": form.get("period_from", "").strip(),
        "period_to": form.get("period_to", "").strip(),
        "invited": sorted(
            k.removeprefix("invited.") for k, v in form.items()
            if k.startswith("invited.") and v == "1"
        ),
        "researchers": [n.strip() for n in form.get("researchers", "").splitlines() if n.strip()],
    }  # fmt: skip


def proposal_field(v: Violation) -> str:
    """The form field a fault belongs to: ``invited[2]`` → ``invited``; one that names no
    field of the form (the lead body, the proposer) goes above the form, as ``""``."""
    name = v.field.split(".")[0].split("[")[0]
    return name if name in PROPOSAL_FIELDS else ""


def command_from_form(action: ResearchAction, form: dict[str, str]) -> ResearchCommand:
    """The core's command for an action's form (the core decides everything)."""
    document = form.get("document_id", "").strip() or None
    if action is not ResearchAction.POST_RESULT:
        document = None
    return ResearchCommand(action, text=form.get("text", "").strip(), document_id=document)


def action_field(v: Violation) -> str:
    """The field of an action's form a fault belongs to (the final results are its text
    box); ``""`` for one about who acts or when."""
    name = v.field.split(".")[0].split("[")[0]
    if name == "final_results":
        return "text"
    return name if name in ("text", "document_id") else ""


def faults_by_field(
    violations: list[Violation], field_of: Callable[[Violation], str], lang: str
) -> tuple[dict[str, str], list[str]]:
    """Each fault explained in ``lang`` (rule and article) beside the field ``field_of``
    names, and those that name no field of the form, for above it."""
    beside: dict[str, str] = {}
    above: list[str] = []
    for v in violations:
        name, text = field_of(v), explain(v, lang)
        if name:
            beside[name] = f"{beside.get(name, '')} {text}".strip()
        else:
            above.append(text)
    return beside, above


def labels(page: Page) -> dict[str, Any]:
    """The label functions every research template uses."""
    t = page._
    return {
        "rs_state_label": lambda s: t(STATES.get(s) or s),
        "answer_label": lambda a: t(ANSWERS.get(a) or a),
        "rs_action_label": lambda a: t(ACTIONS.get(a) or a),
        "when": lambda d: i18n.local_time(d, UTC, page.lang) if d else "—",
    }


def research_peers(config: WebConfig) -> ResearchPeers | None:
    """The federation adapter for research, made from the one for requests (the same node
    keys, trust list and officers' signing keys, so the head signs the final results as a
    request is signed); ``None`` on a node outside a federation."""
    peers = config.peers
    if isinstance(peers, FederatedPeers):
        return FederatedResearchPeers(peers.keys, peers.trust, peers.officer_keys)
    return None
