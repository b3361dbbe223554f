"""The coordinated operations a case belongs to, listed on its page (Art. 5 para 3)."""

from __future__ import annotations

from typing import Any

from ozara.core.operations import LinkKind
from ozara.services import operations as svc
from ozara.store.uow import SqlUnitOfWork

from . import operations_forms as of
from .page import Page
from .records_forms import officer_id


def case_operations(page: Page, kind: LinkKind, ref: str) -> dict[str, Any]:
    """The template's ``case_operations`` (those the viewer's body takes part in) and the
    label of their states (``_case_operations.html``)."""
    with SqlUnitOfWork(page.config.engine) as uow:
        rows = svc.operations_of_case(uow, kind, ref, officer_id(page))
    return {
        "case_operations": [{"id": r.id, "name": r.name, "state": r.state.value} for r in rows],
        "op_state_label": of.labels(page)["op_state_label"],
    }
