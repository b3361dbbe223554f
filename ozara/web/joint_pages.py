"""What the pages of joint work share (coordinated operations, training events, research
projects): the state a list is filtered by, the refusals that come from the federation
or a concurrent change (shown on the file's page with 409), the list of errors a file's
page shows, and where an action's form leads once taken (``sent``: to the lead's node)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar
from urllib.parse import quote

from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ozara.core.rules import ProtocolError, Violation
from ozara.federation.requests import SignatoryKeyMissing, Unroutable
from ozara.services.requests import AccessDenied
from ozara.store.repository import ConcurrentChange, NotFound
from ozara.store.uow import SqlUnitOfWork

from .page import Forbidden, Page
from .records_forms import explain, officer_id

#: Refusals the page shows beside the form with 409: no node to reach, no signing key, the
#: file changed meanwhile. Nothing was changed.
CONFLICTS = (Unroutable, SignatoryKeyMissing, ConcurrentChange)

S = TypeVar("S", bound=enum.StrEnum)
V = TypeVar("V")


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


class Outcome(Protocol):
    """What a joint file's use case answers an action with."""

    @property
    def forwarded(self) -> bool: ...


class FilePage(Protocol):
    """A file's page, shown again with what refused the action."""

    def __call__(
        self,
        page: Page,
        file_id: str,
        /,
        *,
        violations: list[Violation] | None = None,
        problem: str | None = None,
        form: dict[str, str] | None = None,
        status: int = 422,
    ) -> HTMLResponse: ...


@dataclass(frozen=True, slots=True)
class JointPages:
    """One kind of joint file's pages: where they live and how they answer a refusal."""

    path: str
    show: FilePage
    not_found: Callable[[Page], Response]
    no_body: Callable[[Page], Exception]  # the officer belongs to no competent body
    #: The words of the 403 to a body the file does not involve (page, file id, body).
    outsider: Callable[[Page, str, str], str]

    def view(
        self,
        page: Page,
        file_id: str,
        show_file: Callable[[SqlUnitOfWork, str, str, datetime], V],
    ) -> V:
        """The file as the officer's body may see it (``show_file``, the service, decides and
        audits); its refusal is these pages' 403: to an officer of no body, or naming the file
        and the body it does not involve."""
        assert page.session is not None
        try:
            with SqlUnitOfWork(page.config.engine) as uow:
                return show_file(uow, file_id, officer_id(page), page.now)
        except AccessDenied:
            body = page.session.officer.body_id
            if body is None:
                raise self.no_body(page) from None
            raise Forbidden(self.outsider(page, file_id, body)) from None

    def act(
        self, page: Page, file_id: str, form: dict[str, str], take: Callable[[], Outcome]
    ) -> Response:
        """Take the action of the file's form (``take``) and go back to the file's page; a
        refusal is answered as these pages answer it: 404, 403 (no body; a body the file
        does not involve raises its own 403 in ``take``), the form again with the Protocol's
        violations (422), or with the federation's or a concurrent change's refusal (409)."""
        try:
            outcome = take()
        except NotFound:
            return self.not_found(page)
        except AccessDenied:
            raise self.no_body(page) from None
        except ProtocolError as e:
            return self.show(page, file_id, violations=list(e.violations), form=form)
        except CONFLICTS as e:
            return self.show(page, file_id, problem=str(e), form=form, status=409)
        return acted(self.path, file_id, forwarded=outcome.forwarded, action=form["action"])
