"""What the request page shows of Art. 8, 11 and 12: representatives, consultations, costs.

``cooperation_context(page, request)`` is merged into the request page's context; the
forms post to ``request_cooperation_routes``. Only the forms the core would let this
officer use now are offered (``core.cooperation.offered``); the core decides again on
submission.
"""

from __future__ import annotations

from typing import Any

from ozara.core.cooperation import SUBJECTS, offered
from ozara.core.lifecycle import Request

from . import i18n
from .page import Page

SUBJECT_LABELS: dict[str, str] = {
    "request": i18n.N_("the request"),
    "refusal": i18n.N_("a refusal"),
    "conditions": i18n.N_("conditions of execution"),
    "postponement": i18n.N_("a postponement"),
    "participation": i18n.N_("participation of representatives"),
    "costs": i18n.N_("costs"),
    "other": i18n.N_("another disagreement"),
}
STATUS_LABELS: dict[str, str] = {
    "proposed": i18n.N_("awaiting the answer"),
    "agreed": i18n.N_("agreed"),
    "refused": i18n.N_("refused"),
    "accepted": i18n.N_("accepted"),
    "rejected": i18n.N_("rejected"),
}
SIDE_LABELS: dict[str, str] = {
    "requesting": i18n.N_("the requesting body"),
    "requested": i18n.N_("the requested body"),
}


def cooperation_context(page: Page, request: Request) -> dict[str, Any]:
    assert page.session is not None
    co = request.cooperation
    forms = {a.value for a in offered(request, page.session.officer)}
    pending = next((p for p in co.participations if p.status == "proposed"), None)
    recordable = next(
        (p for p in co.participations if p.status == "agreed" and p.took_part is None), None
    )
    pending_costs = next((c for c in co.costs if c.status == "proposed"), None)
    return {
        "coop": {
            "participations": co.participations,
            "consultations": co.consultations,
            "costs": co.costs,
            "in_force": co.costs_in_force(),
            "forms": forms,
            "pending": pending,
            "recordable": recordable,
            "pending_costs": pending_costs,
            "subjects": [(s, page._(SUBJECT_LABELS[s])) for s in SUBJECTS],
            "subject_label": lambda s: page._(SUBJECT_LABELS.get(str(s), str(s))),
            "status_label": lambda s: page._(STATUS_LABELS.get(str(s), str(s))),
            "side_label": lambda s: page._(SIDE_LABELS.get(str(s), str(s))),
            "bodies": f"{request.requesting_body}, {request.requested_body}",
            "today": page.now.date().isoformat(),
        }
    }
