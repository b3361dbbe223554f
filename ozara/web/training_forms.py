"""The forms of training events (Art. 5 para 4) and their labels.

The announcement form is flat (``page.form()`` keeps one value per name): the places are
one number field per Party (``places.RUS``), the venues one per line. The document built
here is the announcement's JSON form (``ozara.core.training_forms.parse_announcement``), so
the core checks it and every fault comes back to the field it belongs to, with its article.
An action's form carries the action and only the fields it needs; ``command_from_form``
turns it into the core's ``TrainingCommand``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ozara.core.rules import Violation
from ozara.core.training import EventKind, TrainingAction, TrainingCommand
from ozara.core.training_forms import parse_nominee
from ozara.federation.requests import FederatedPeers
from ozara.federation.training import FederatedTrainingPeers
from ozara.services.training import TrainingPeers

from . import i18n
from .i18n import N_, UTC
from .page import Page, WebConfig
from .records_forms import explain

KINDS: dict[str, str] = {
    EventKind.INTERNSHIP: N_("internship"),
    EventKind.CONFERENCE: N_("conference"),
    EventKind.SEMINAR: N_("seminar"),
    EventKind.COURSE: N_("course"),
    EventKind.TRAINING: N_("training"),
}
STATES: dict[str, str] = {
    "announced": N_("open for nominations"),
    "closed": N_("closed for nominations"),
    "held": N_("held"),
    "cancelled": N_("cancelled by the host"),
}
NOMINATION_STATES: dict[str, str] = {
    "pending": N_("under consideration"),
    "confirmed": N_("confirmed"),
    "declined": N_("declined by the host"),
    "withdrawn": N_("withdrawn by the nominating body"),
}
ACTIONS: dict[str, str] = {
    TrainingAction.NOMINATE: N_("Nominate a participant"),
    TrainingAction.WITHDRAW: N_("Withdraw the nomination"),
    TrainingAction.CONFIRM: N_("Confirm"),
    TrainingAction.DECLINE: N_("Decline"),
    TrainingAction.CLOSE: N_("Close nominations"),
    TrainingAction.HOLD: N_("Record that it was held"),
    TrainingAction.CANCEL: N_("Cancel the event"),
}
#: Actions taken on one nomination (a button in its row), not on the event.
ON_NOMINATION = (TrainingAction.WITHDRAW, TrainingAction.CONFIRM, TrainingAction.DECLINE)
#: The announcement's fields, in the order of the form: a fault names one of them.
FIELDS = ("kind", "title", "topic", "date_from", "date_to", "venues", "language",
          "nomination_deadline", "places")  # fmt: skip
LANGUAGES = ("ru", "kk", "en")


def announcement_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The announcement's JSON form that the form describes (docs/training.md).

    A places field left empty or at 0 invites no one; anything else goes to the core as
    typed (a number as a number), so that ``-1`` or ``two`` is refused there, beside its
    field, with the rule."""
    places: dict[str, Any] = {}
    for key, raw in form.items():
        if not key.startswith("places.") or not raw.strip() or raw.strip() == "0":
            continue
        text = raw.strip()
        places[key.removeprefix("places.")] = int(text) if text.lstrip("-").isdigit() else text
    return {
        "kind": form.get("kind", "").strip(),
        "title": form.get("title", "").strip(),
        "topic": form.get("topic", "").strip(),
        "date_from": form.get("date_from", "").strip(),
        "date_to": form.get("date_to", "").strip(),
        "venues": [v.strip() for v in form.get("venues", "").splitlines() if v.strip()],
        "language": form.get("language", "").strip(),
        "nomination_deadline": form.get("nomination_deadline", "").strip(),
        "places": places,
    }


def announcement_field(v: Violation) -> str:
    """The form field a fault belongs to: ``places.RUS`` keeps its Party (each Party has a
    field of its own), ``venues[1]`` → ``venues``; one about who announces goes above the
    form, as ``""``."""
    if v.field.startswith("places."):
        return v.field
    name = v.field.split(".")[0].split("[")[0]
    return name if name in FIELDS else ""


def command_from_form(action: TrainingAction, form: dict[str, str]) -> TrainingCommand:
    """The core's command for an action's form. A nominee's name, post and contact are read
    with the core's ``parse_nominee``: all three faults at once, each beside its field
    (``ProtocolError``); the core decides everything else."""
    text = form.get("text", "").strip()
    nomination = form.get("nomination_id") or None
    if action is TrainingAction.NOMINATE:
        nominee = parse_nominee({k: form.get(k, "") for k in ("name", "post", "contact")})
        return TrainingCommand(action, nominee=nominee)
    return TrainingCommand(action, text=text, nomination_id=nomination)


def action_field(v: Violation) -> str:
    """The field of an action's form a fault belongs to: the nominee's three fields, its
    places (``nominee``: no place left), the text; ``""`` for one about who acts or when."""
    if v.field == "nominee.contact":
        return "contact"
    name = v.field.split(".")[0].split("[")[0]
    return name if name in ("name", "post", "contact", "nominee", "text") else ""


def sort_faults(
    violations: Iterable[Violation], field_of: Callable[[Violation], str], lang: str
) -> tuple[dict[str, str], list[str]]:
    """Each fault beside its field (several joined), the others for above the form; every
    one in ``lang`` with its rule and article (``explain``)."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    for v in violations:
        name, text = field_of(v), explain(v, lang)
        if name:
            by_field[name] = f"{by_field.get(name, '')} {text}".strip()
        else:
            general.append(text)
    return by_field, general


def labels(page: Page) -> dict[str, Any]:
    """The label functions every training template uses."""
    t = page._
    return {
        "kind_label": lambda k: t(KINDS.get(k) or k),
        "ev_state_label": lambda s: t(STATES.get(s) or s),
        "nom_state_label": lambda s: t(NOMINATION_STATES.get(s) or s),
        "tr_action_label": lambda a: t(ACTIONS.get(a) or a),
        "party_label": lambda p: f"{p.value} — {p.name_en if page.lang == 'en' else p.name_ru}",
        "when": lambda d: i18n.local_time(d, UTC, page.lang) if d else "—",
    }


def training_peers(config: WebConfig) -> TrainingPeers | None:
    """The federation adapter for training events, made from the one for requests (the same
    node keys, trust list and officers' signing keys, so the head signs the announcement
    and a cancellation exactly as a request is signed); ``None`` outside a federation."""
    peers = config.peers
    if isinstance(peers, FederatedPeers):
        return FederatedTrainingPeers(peers.keys, peers.trust, peers.officer_keys)
    return None
