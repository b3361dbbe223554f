"""The written request (Art. 6) and the formal notices (Art. 7, 9) as PDF, in Russian.

Pure functions: the request, the event and the registry in, the bytes of the PDF out; no
clock is read, so the same inputs give the same bytes (the document's date is its
signing or its event's time). Each document prints, for checking the paper against the
record, the SHA-256 of the canonical JSON (RFC 8785) of what it states and, when given,
the fingerprint of the key that signed it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ozara.core.events import RequestEvent
from ozara.core.lifecycle import Request
from ozara.core.parties import Officer, Registry
from ozara.core.rules import RULESET_VERSION
from ozara.documents import canonicalize

from .labels import (
    ASSISTANCE_RU,
    CATEGORIES_RU,
    FIELDS_RU,
    NOTICE_KINDS,
    PROTOCOL_RU,
    NoticeKind,
    article_ru,
    date_ru,
    rule_article_ru,
    size_ru,
)
from .layout import Sheet

_BLANK_DATE = "«___» ______________ 20___ г."


def request_hash(request: Request) -> str:
    """SHA-256 (hex) of the canonical JSON of ``RequestContent.to_dict()``.

    The content is what the request states, and it travels unchanged inside the signed
    request document, so a reader can check the paper against the record of either node.
    """
    return hashlib.sha256(canonicalize(request.content.to_dict())).hexdigest()


def notice_hash(event: RequestEvent) -> str:
    """SHA-256 (hex) of the canonical JSON of ``RequestEvent.as_dict()``, as the audit keeps it."""
    return hashlib.sha256(canonicalize(event.as_dict())).hexdigest()


def notice_reference(request: Request, event: RequestEvent) -> str:
    """``<request id>/<kind>-<UTC time>``: unique even when a kind repeats (interim results)."""
    kind = _kind(event)
    return f"{request.id}/{kind.short}-{event.at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


@dataclass(frozen=True, slots=True)
class _Body:
    id: str
    name_ru: str
    state_ru: str
    zone: ZoneInfo

    @property
    def full(self) -> str:
        return f"{self.name_ru} ({self.state_ru})" if self.state_ru else self.name_ru


def _body(registry: Registry, body_id: str) -> _Body:
    """A body as the document names it; one no longer in the registry is named by its id."""
    body = registry.get(body_id)
    if body is None:
        return _Body(body_id, body_id, "", ZoneInfo("UTC"))
    return _Body(body.id, body.name_ru, body.party.name_ru, body.zone)


def _check_signatory(signatory: Officer | None, body_id: str) -> None:
    if signatory is not None and signatory.body_id != body_id:
        raise ValueError(
            f"the signatory {signatory.id!r} is not of body {body_id!r}, which issues the document"
        )


REQUEST_HASH_LABEL = "Хэш содержания запроса (SHA-256, канонический JSON RFC 8785):"
NOTICE_HASH_LABEL = "Хэш уведомления (SHA-256, канонический JSON RFC 8785):"


def _open(
    reference: str, created: datetime, *, title: str, issuer: _Body, to: _Body, subtitle: str
) -> Sheet:
    """Letterhead, reference number and date, addressee and title: the head of every document."""
    sheet = Sheet(reference, created, f"{title} № {reference}", issuer.name_ru)
    sheet.letterhead(issuer.state_ru, issuer.name_ru, issuer.id)
    sheet.reference_line(reference, date_ru(created, issuer.zone))
    sheet.addressee(["Кому:", to.full])
    sheet.heading(title, subtitle)
    return sheet


def _close(
    sheet: Sheet,
    signatory: Officer | None,
    *,
    dated: str,
    digests: list[tuple[str, str]],
    fingerprint: str | None,
    ruleset: str,
) -> bytes:
    """Signature block and verification block: the foot of every document."""
    sheet.signature(signatory.name if signatory else "", signatory.post if signatory else "", dated)
    sheet.verification(
        [
            *digests,
            ("Отпечаток ключа электронной подписи (SHA-256):", fingerprint or "не указан"),
            ("Версия правил (ст. 15):", ruleset),
        ]
    )
    return sheet.to_bytes()


def render_request(
    request: Request,
    registry: Registry,
    signatory: Officer | None = None,
    *,
    signature_fingerprint: str | None = None,
) -> bytes:
    """The written request of Art. 6 para 2–3 on the requesting body's letterhead.

    ``signatory`` is the head or deputy who signed it (Art. 6 para 5); when the request
    is signed it must be the officer recorded as signing, so the paper cannot name
    another. An unsigned request is marked as a draft and dated at its creation.
    """
    c = request.content
    if signatory is not None and request.signed_by and signatory.id != request.signed_by:
        raise ValueError(
            f"request {request.id} was signed by {request.signed_by!r}, not {signatory.id!r}"
        )
    _check_signatory(signatory, c.requesting_body)
    issuer = _body(registry, c.requesting_body)
    addressee = _body(registry, c.requested_body)
    dated_at = request.signed_at or request.created_at
    sheet = _open(
        request.id,
        dated_at,
        title="Запрос",
        issuer=issuer,
        to=addressee,
        subtitle=f"в соответствии со {rule_article_ru('art6.required')} "
        f"и {rule_article_ru('art6.signatory')} {PROTOCOL_RU}",
    )
    if request.signed_at is None:
        sheet.write_text(
            f"Проект: запрос не подписан ({rule_article_ru('art6.written')}).", bold=True
        )
        sheet.ln(3)
    for name, value in _request_fields(request, issuer, addressee):
        sheet.field(FIELDS_RU[name], value)
    return _close(
        sheet,
        signatory,
        dated=date_ru(request.signed_at, issuer.zone) if request.signed_at else _BLANK_DATE,
        digests=[(REQUEST_HASH_LABEL, request_hash(request))],
        fingerprint=signature_fingerprint,
        ruleset=RULESET_VERSION,
    )


def _request_fields(request: Request, issuer: _Body, addressee: _Body) -> list[tuple[str, str]]:
    """Every field of Art. 6 para 2 (and Art. 3's category), each stated even when empty."""
    c = request.content
    assistance = [
        f"{n}. {ASSISTANCE_RU[item.kind]}: {item.description}"
        for n, item in enumerate(c.assistance_items, start=1)
    ]
    if c.assistance_text:
        assistance.append(c.assistance_text)
    terms = c.execution_terms
    if c.agreed_term_days is not None:
        terms += (
            f"\nСогласованный срок исполнения: {c.agreed_term_days} дн. "
            f"({rule_article_ru('art7.execution_term')})"
        )
    urgent = f"Срочный запрос. Основания: {c.urgent_grounds}" if c.urgent else "Не срочный"
    attachments = [
        f"{n}. {a.filename} ({a.media_type}, {size_ru(a.size)}), SHA-256:\n{a.sha256}"
        for n, a in enumerate(c.attachments, start=1)
    ]
    return [
        ("requesting_body", f"{issuer.full}, {issuer.id}"),
        ("requested_body", f"{addressee.full}, {addressee.id}"),
        ("reference", c.reference),
        ("purpose", c.purpose),
        ("justification", c.justification),
        ("substance", c.substance),
        ("assistance", "\n".join(assistance)),
        ("execution_terms", terms),
        ("crime_category", CATEGORIES_RU[c.crime_category]),
        ("legal_qualification", c.legal_qualification),
        ("urgent", urgent),
        ("other_information", c.other_information),
        ("attachments", "\n".join(attachments)),
    ]


def _kind(event: RequestEvent) -> NoticeKind:
    kind = NOTICE_KINDS.get(event.name)
    if kind is None:
        raise ValueError(f"event {event.name!r} has no formal notice")
    return kind


def render_notice(
    request: Request,
    event: RequestEvent,
    registry: Registry,
    signatory: Officer | None = None,
    *,
    signature_fingerprint: str | None = None,
) -> bytes:
    """The written notice of ``event`` to the requesting body (Art. 7 paras 3–7, Art. 9).

    On the letterhead of the body that acted, addressed to the requesting body, with the
    event's text (reasons, conditions, results) in full. Raises ``ValueError`` for an
    event that has no formal notice (see ``has_notice``) or that is not of this request.
    """
    kind = _kind(event)
    if event.request_id != request.id:
        raise ValueError(f"event {event.name!r} is of request {event.request_id}, not {request.id}")
    issuer = _body(registry, event.body_id or request.requested_body)
    _check_signatory(signatory, issuer.id)
    requester = _body(registry, request.content.requesting_body)
    reference = notice_reference(request, event)
    articles = "; ".join(article_ru(a) for a in event.articles)
    sheet = _open(
        reference, event.at, title=kind.title, issuer=issuer, to=requester, subtitle=f"({articles})"
    )
    request_dated = request.signed_at or request.sent_at or request.created_at
    designation = f"№ {request.id} от {date_ru(request_dated, requester.zone, with_time=False)}"
    if request.content.reference:
        designation += f" (исх. № {request.content.reference})"
    sheet.write_text(kind.lead.format(request=designation))
    sheet.ln(3)
    sheet.field("Основание", f"{articles} {PROTOCOL_RU}")
    for label, value in _notice_details(event, registry):
        sheet.field(label, value)
    sheet.field(kind.text_label, str(event.details.get("text", "")))
    return _close(
        sheet,
        signatory,
        dated=date_ru(event.at, issuer.zone),
        digests=[
            (NOTICE_HASH_LABEL, notice_hash(event)),
            (REQUEST_HASH_LABEL, request_hash(request)),
        ],
        fingerprint=signature_fingerprint,
        ruleset=event.ruleset,
    )


def _notice_details(event: RequestEvent, registry: Registry) -> list[tuple[str, str]]:
    """The facts of the event that the notice must state besides its text."""
    d = event.details
    out: list[tuple[str, str]] = []
    if event.name == "request:forwarded" and d.get("to_body"):
        out.append(("Передан в", _body(registry, str(d["to_body"])).full))
        if d.get("from_body"):
            out.append(("Передан из", _body(registry, str(d["from_body"])).full))
    if event.name == "request:executed":
        out.append(("Исполнение", "частичное" if d.get("partial") else "полное"))
    return out
