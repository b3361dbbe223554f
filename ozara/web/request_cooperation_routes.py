"""The request page's forms for Art. 8, 11 and 12 (``templates/request_cooperation.html``).

Each post is one service call (``services.request_cooperation``), i.e. one lifecycle
action: refused by the core with its article (the page again, 422, the messages named),
or done, and the officer sent back to the request (303).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ozara.core.lifecycle import Request as Case
from ozara.core.rules import ProtocolError
from ozara.federation.requests import SignatoryKeyMissing, Unroutable
from ozara.services import request_cooperation as coop
from ozara.services.requests import AccessDenied
from ozara.store.repository import ConcurrentChange, NotFound
from ozara.store.uow import SqlUnitOfWork

from .page import Forbidden, Page, WebConfig, page_for
from .views import _messages, _request_page

Form = dict[str, str]
Step = Callable[[SqlUnitOfWork, str, coop.Who, Form], Case]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _parts(line: str) -> list[str]:
    return [p.strip() for p in line.split(";")]


def _checked(form: Form, prefix: str) -> list[str]:
    return [v for k, v in sorted(form.items()) if k.startswith(prefix) and v.strip()]


def _number(form: Form) -> int:
    raw = form.get("proposal", "")
    return int(raw) if raw.isdigit() else 0  # 0: the core names the missing proposal


def _propose(uow: SqlUnitOfWork, rid: str, who: coop.Who, form: Form) -> Case:
    # A line that is not "name; post; body" still goes to the core, which names it.
    reps = [dict(zip(("name", "post", "body"), _parts(line), strict=False))
            for line in _lines(form.get("representatives", ""))]  # fmt: skip
    return coop.propose_participation(
        uow, rid, who, representatives=reps, date_from=form.get("date_from", ""),
        date_to=form.get("date_to", ""), actions=_lines(form.get("actions", "")),
        note=form.get("note", ""),
    )  # fmt: skip


def _answer(uow: SqlUnitOfWork, rid: str, who: coop.Who, form: Form) -> Case:
    agreed = form.get("decision") == "agreed"
    return coop.answer_participation(
        uow, rid, who, proposal=_number(form), agreed=agreed,
        names=_checked(form, "agree_") if agreed else None, reasons=form.get("reasons", ""),
    )  # fmt: skip


def _record(uow: SqlUnitOfWork, rid: str, who: coop.Who, form: Form) -> Case:
    return coop.record_participation(
        uow, rid, who, proposal=_number(form), took_part=_checked(form, "took_")
    )


def _consultation(uow: SqlUnitOfWork, rid: str, who: coop.Who, form: Form) -> Case:
    bodies = [b.strip() for b in form.get("bodies", "").split(",") if b.strip()]
    return coop.record_consultation(
        uow, rid, who, bodies=bodies, persons=_lines(form.get("persons", "")),
        held_on=form.get("held_on", ""), subject=form.get("subject", ""),
        outcome=form.get("outcome", ""),
    )  # fmt: skip


def _share(line: str) -> dict[str, object]:
    parts = _parts(line)
    share: dict[str, object] = {"borne_by": parts[0], "what": parts[1] if len(parts) > 1 else ""}
    if len(parts) > 2:  # borne_by; what; amount; currency
        currency = parts[3] if len(parts) > 3 else ""
        share.update(amount=parts[2] or None, currency=currency or None)
    return share


def _costs(uow: SqlUnitOfWork, rid: str, who: coop.Who, form: Form) -> Case:
    shares = [_share(line) for line in _lines(form.get("shares", ""))]
    return coop.propose_costs(uow, rid, who, shares=shares, description=form.get("description", ""))


def _costs_answer(uow: SqlUnitOfWork, rid: str, who: coop.Who, form: Form) -> Case:
    return coop.answer_costs(
        uow, rid, who, proposal=_number(form), accepted=form.get("decision") == "accepted",
        reasons=form.get("reasons", ""),
    )  # fmt: skip


STEPS: dict[str, Step] = {
    "participation/propose": _propose,
    "participation/answer": _answer,
    "participation/record": _record,
    "consultations": _consultation,
    "costs/propose": _costs,
    "costs/answer": _costs_answer,
}


async def _post(page: Page, request_id: str, step: Step) -> Response:
    form = await page.form()
    assert page.session is not None
    who = coop.Who(page.session.officer.id, page.now, page.config.peers)
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            step(uow, request_id, who, form)
    except AccessDenied as e:
        raise Forbidden(str(e)) from None
    except NotFound:
        return page.error(404, page._("Not found"), page._("No such request."))
    except ProtocolError as e:
        return _request_page(page, request_id, errors=_messages(page, e), status=422)
    except (Unroutable, SignatoryKeyMissing, ConcurrentChange) as e:
        return _request_page(page, request_id, errors=[str(e)], status=409)
    return RedirectResponse(f"/requests/{request_id}", status_code=303)


def add_request_cooperation_pages(app: FastAPI, config: WebConfig) -> None:
    for path, step in STEPS.items():

        async def post(request: Request, request_id: str, step: Step = step) -> Response:
            return await _post(page_for(request, config), request_id, step)

        app.add_api_route(
            f"/requests/{{request_id}}/{path}", post, methods=["POST"],
            response_class=HTMLResponse, name=f"request_{path.replace('/', '_')}",
        )  # fmt: skip
