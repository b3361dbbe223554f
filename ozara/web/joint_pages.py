"""What the pages of joint work share (coordinated operations, training events, research
projects): the state a list is filtered by, the refusals that come from the federation
or a concurrent change (shown on the file's page with 409), the list of errors a file's
page shows, and where an action's form leads once taken (``sent``: to the lead's node)."""

from __future__ import annotations

import enum
from typing import TypeVar
from urllib.parse import quote

from fastapi.responses import RedirectResponse

from ozara.core.rules import Violation
from ozara.federation.requests import SignatoryKeyMissing, Unroutable
from ozara.store.repository import ConcurrentChange

from .page import Page
from .records_forms import explain

#: Refusals the page shows beside the form with 409: no node to reach, no signing key, the
#: file changed meanwhile. Nothing was changed.
CONFLICTS = (Unroutable, SignatoryKeyMissing, ConcurrentChange)

S = TypeVar("S", bound=enum.StrEnum)


def state_filter(page: Page, states: type[S]) -> S | None:
    """The ``state`` the list is filtered by (none for an unknown one)."""
    raw = page.request.query_params.get("state") or ""
    return states(raw) if raw in {s.value for s in states} else None


def page_errors(page: Page, problem: str | None, violations: list[Violation] | None) -> list[str]:
    """The refusal, then each violation with its field, as a file's page lists them."""
    errors = [problem] if problem else []
    errors += [f"{v.field}: {explain(v, page.lang)}" for v in violations or []]
    return errors


def acted(path: str, file_id: str, *, forwarded: bool, action: str) -> RedirectResponse:
    """Back to the file's page, saying the action was taken (``done``) or sent to the lead's
    node (``sent``)."""
    done = "sent" if forwarded else "done"
    return RedirectResponse(f"{path}/{quote(file_id)}?{done}={action}", status_code=303)
