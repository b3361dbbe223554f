"""A case's or a record's matches on its page (issue 8): the graph and the list beside it.

The request page reads the request's correlations under the purpose of the case: the
purpose the request serves decides what the requesting and the requested body may use
information for (Art. 10 para 2), and a request states its purpose in words, so the page
takes the purpose its assistance implies (``case_purpose``) unless the officer chooses
another. Either way the reading names its purpose and the case, and is audited
(``correlation:viewed``) by ``services.correlation.links_for``, which also decides what each
match shows (Art. 10).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from ozara.core.correlation import Subject, SubjectType
from ozara.core.lifecycle import Request
from ozara.core.records import Purpose
from ozara.core.requests import AssistanceKind, RequestContent
from ozara.services import correlation
from ozara.services.requests import AccessDenied
from ozara.store.uow import SqlUnitOfWork

from .correlation_graph import build_graph, render_svg
from .page import Page
from .records_forms import PURPOSES

#: The id of the list of matches, which describes the graph to a screen reader.
LIST_ID = "matches-list"


def case_purpose(content: RequestContent) -> Purpose:
    """The purpose of the case a request serves (Art. 10 para 2, of the activities of Art. 5
    para 1): a request for procedural actions serves an investigation; one for
    operational-search measures only, the detection of the crime."""
    kinds = {i.kind for i in content.assistance_items}
    if AssistanceKind.PROCEDURAL_ACTION in kinds:
        return Purpose.INVESTIGATION
    return Purpose.DETECTION


def chosen_purpose(page: Page, default: Purpose) -> Purpose:
    raw = page.request.query_params.get("purpose") or ""
    return Purpose(raw) if raw in {p.value for p in Purpose} else default


def request_matches(page: Page, request: Request) -> dict[str, Any]:
    """The template context of a request's matches: read (and audited) in a transaction of
    their own, as a use case of its own. An officer of no competent body (an auditor) has no
    correlations to read: the section is left out."""
    assert page.session is not None
    default = case_purpose(request.content)
    purpose = chosen_purpose(page, default)
    subject = Subject(SubjectType.REQUEST, request.id)
    try:
        with SqlUnitOfWork(page.config.engine) as uow:
            links = correlation.links_for(
                uow, page.session.officer.id, subject, purpose, page.now, case=request.id
            )
    except AccessDenied:
        return {"correlations": None}
    context = matches_context(page, subject, request.id, links, purpose, case=request.id)
    context["correlations"] |= {
        "default": default.value, "choose": f"/requests/{request.id}",
        "purposes": [(p, page._(label)) for p, label in PURPOSES.items()],
    }  # fmt: skip
    return context


def matches_context(  # noqa: PLR0917 -- the subject, its links and how they were read
    page: Page,
    subject: Subject,
    title: str,
    links: list[correlation.LinkView],
    purpose: Purpose,
    case: str = "",
) -> dict[str, Any]:
    """The graph (inline SVG) and the list of ``links`` for the ``_correlations.html`` part."""
    graph = build_graph(subject, title, links, purpose=purpose.value, case=case)
    svg = render_svg(
        graph, page._, page._("Correlation graph of %(subject)s") % {"subject": title}, LIST_ID
    )
    return {
        "correlations": {
            "purpose": purpose.value, "purpose_label": page._(PURPOSES[purpose]),
            "svg": svg if links else None, "more": graph.more, "list_id": LIST_ID,
            "matches": [match(m, purpose.value, case) for m in links],
            "choose": "", "default": "", "purposes": [],  # the request page offers a choice
        },
    }  # fmt: skip


def match(link: correlation.LinkView, purpose: str, case: str = "") -> dict[str, Any]:
    """A correlation as the list shows it: a hidden one names only the body to ask (Art. 10)."""
    kind, _, other = link.other.partition(":")
    shown: dict[str, Any] = {"readable": link.readable, "ask_body": link.ask_body, "kind": kind}
    if link.readable:
        query = urlencode({"purpose": purpose, **({"case": case} if case else {})})
        href = f"/records/{other}?{query}" if kind == "record" else f"/requests/{other}"
        shown |= {
            "href": href, "title": link.title or other,
            "evidence": [f"{e.value_a} ↔ {e.value_b}" for e in link.evidence][:5],
            "score": f"{link.score:.2f}" if link.score is not None else "",
        }  # fmt: skip
    elif link.may_ask_consent and kind == "record":
        shown["consent"] = f"/records/{other}/consent?{urlencode({'purpose': purpose})}"
    return shown
