"""The cooperation on a request (Art. 8, 11, 12) as a PDF statement, in Russian (Art. 13).

A document of its own, not a part of the written request: the written request
(``render.render_request``) prints exactly the content the head signed (its hash is
printed on it), and the cooperation comes after that signature, answered by the other
body. So what was agreed since (the representatives admitted and who of them took part,
the consultations held, the cost agreement) is stated here, on the letterhead of the
body whose record it is, and the written request stays as signed.

Only what exists is stated: an agreed participation (not one proposed or refused), the
consultations, and the cost agreement in force or, failing one, the rule of Art. 12 that
each Party bears its own costs. A request with none of the first three has no statement
(``has_cooperation``). A pure function like the others: no clock is read (the statement
is dated at the latest step it states).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ozara.core.cooperation import (
    Consultation,
    Cooperation,
    CostProposal,
    Participation,
    Status,
)
from ozara.core.lifecycle import Request
from ozara.core.parties import Registry
from ozara.core.rules import RULESET_VERSION
from ozara.documents import canonicalize

from .labels import (
    CONSULTATION_RU,
    CONSULTATION_SECTION,
    COOPERATION_HASH_LABEL,
    COOPERATION_LEAD,
    COOPERATION_TITLE,
    COSTS_RU,
    COSTS_SECTION,
    PARTICIPATION_RU,
    PARTICIPATION_SECTION,
    PROTOCOL_RU,
    SIDES_RU,
    SUBJECTS_RU,
    date_ru,
    day_ru,
    rule_article_ru,
)
from .layout import Sheet
from .render import REQUEST_HASH_LABEL, _body, _close, _open, request_hash

__all__ = ["cooperation_hash", "cooperation_reference", "has_cooperation", "render_cooperation"]


def _agreed(co: Cooperation) -> list[Participation]:
    return [p for p in co.participations if p.status is Status.AGREED]


def has_cooperation(co: Cooperation) -> bool:
    """Whether there is anything to state: an agreed participation, a consultation, or a
    cost agreement in force. A page offers the statement only then."""
    return bool(_agreed(co) or co.consultations or co.costs_in_force())


def cooperation_reference(request: Request) -> str:
    return f"{request.id}/cooperation"


def _stated(request: Request) -> dict[str, Any]:
    """What the statement states, and nothing node-specific (the officers' ids differ
    between the two nodes, the facts do not), so either node's copy gives the same hash."""
    co = request.cooperation
    agreement = co.costs_in_force()
    return {
        "request_id": request.id,
        "participations": [
            {
                "number": p.number,
                "representatives": [
                    {"name": r.name, "post": r.post, "body": r.body}
                    for r in p.agreed_representatives()
                ],
                "date_from": p.date_from.isoformat(),
                "date_to": p.date_to.isoformat(),
                "actions": list(p.actions),
                "took_part": None if p.took_part is None else list(p.took_part),
            }
            for p in _agreed(co)
        ],
        "consultations": [
            {
                "number": c.number,
                "bodies": list(c.bodies),
                "persons": list(c.persons),
                "held_on": c.held_on.isoformat(),
                "subject": c.subject,
                "outcome": c.outcome,
            }
            for c in co.consultations
        ],
        "costs": None
        if agreement is None
        else {
            "number": agreement.number,
            "shares": [
                {
                    "borne_by": s.borne_by.value,
                    "what": s.what,
                    "amount": s.amount,
                    "currency": s.currency,
                }
                for s in agreement.shares
            ],
            "description": agreement.description,
        },
    }


def cooperation_hash(request: Request) -> str:
    """SHA-256 (hex) of the canonical JSON of what the statement states."""
    return hashlib.sha256(canonicalize(_stated(request))).hexdigest()


def _dated(co: Cooperation) -> datetime:
    """The latest step the statement states: the same record gives the same bytes."""
    times = [t for p in _agreed(co) for t in (p.answered_at, p.recorded_at) if t is not None]
    times += [c.recorded_at for c in co.consultations]
    agreement = co.costs_in_force()
    if agreement is not None and agreement.answered_at is not None:
        times.append(agreement.answered_at)
    return max(times)


def render_cooperation(request: Request, registry: Registry, issuer_body: str) -> bytes:
    """The statement of the cooperation on ``request``, issued by ``issuer_body`` (the body
    whose record it is) to the other body of the request.

    Raises ``ValueError`` when there is nothing to state (see ``has_cooperation``) or
    ``issuer_body`` is not one of the request's two bodies.
    """
    co = request.cooperation
    if not has_cooperation(co):
        raise ValueError(f"request {request.id} has no cooperation to state")
    pair = (request.content.requesting_body, request.requested_body)
    if issuer_body not in pair:
        raise ValueError(f"body {issuer_body!r} is not a body of request {request.id}")
    issuer = _body(registry, issuer_body)
    other = _body(registry, pair[1] if issuer_body == pair[0] else pair[0])
    requester = _body(registry, pair[0])
    reference = cooperation_reference(request)
    dated = _dated(co)
    articles = ", ".join(
        rule_article_ru(r) for r in ("art8.participation", "art11.consultation", "art12.costs")
    )
    sheet = _open(
        reference, dated, title=COOPERATION_TITLE, issuer=issuer, to=other,
        subtitle=f"({articles} {PROTOCOL_RU})",
    )  # fmt: skip
    request_dated = request.signed_at or request.sent_at or request.created_at
    designation = f"№ {request.id} от {date_ru(request_dated, requester.zone, with_time=False)}"
    if request.content.reference:
        designation += f" (исх. № {request.content.reference})"
    # "… 30 января 2026 г." already ends the sentence: no second full stop after it.
    sheet.write_text(COOPERATION_LEAD.format(request=designation).replace("г..", "г."))
    sheet.ln(3)
    agreed = _agreed(co)
    if agreed:
        sheet.section(PARTICIPATION_SECTION)
        for p in agreed:
            _participation(sheet, p, issuer.zone)
    if co.consultations:
        sheet.section(CONSULTATION_SECTION)
        for c in co.consultations:
            _consultation(sheet, c, registry)
    sheet.section(COSTS_SECTION)
    _costs(sheet, co.costs_in_force(), issuer.zone)
    return _close(
        sheet,
        None,
        dated=date_ru(dated, issuer.zone),
        digests=[
            (COOPERATION_HASH_LABEL, cooperation_hash(request)),
            (REQUEST_HASH_LABEL, request_hash(request)),
        ],
        fingerprint=None,
        ruleset=RULESET_VERSION,
    )


def _participation(sheet: Sheet, p: Participation, zone: ZoneInfo) -> None:
    lines = [
        f"{n}. {r.name}, {r.post}, {r.body}"
        for n, r in enumerate(p.agreed_representatives(), start=1)
    ]
    period = PARTICIPATION_RU["period"].format(start=day_ru(p.date_from), end=day_ru(p.date_to))
    assert p.answered_at is not None  # an agreed participation was answered
    answered = PARTICIPATION_RU["answered"].format(date=date_ru(p.answered_at, zone))
    sheet.field(PARTICIPATION_RU["heading"].format(number=p.number), f"{period}\n{answered}")
    sheet.field(PARTICIPATION_RU["representatives"], "\n".join(lines))
    sheet.field(
        PARTICIPATION_RU["actions"],
        "\n".join(f"{n}. {a}" for n, a in enumerate(p.actions, start=1)),
    )
    if p.took_part is not None:
        posts = {r.name: r.post for r in p.representatives}
        took = [f"{n}. {name}, {posts.get(name, '')}".rstrip(", ")
                for n, name in enumerate(p.took_part, start=1)]  # fmt: skip
        sheet.field(PARTICIPATION_RU["took_part"], "\n".join(took) or PARTICIPATION_RU["nobody"])


def _consultation(sheet: Sheet, c: Consultation, registry: Registry) -> None:
    sheet.field(
        CONSULTATION_RU["heading"].format(number=c.number, date=day_ru(c.held_on)),
        "\n".join(
            [
                f"{CONSULTATION_RU['bodies']}: "
                + "; ".join(f"{_body(registry, b).full}, {b}" for b in c.bodies),
                f"{CONSULTATION_RU['persons']}: {', '.join(c.persons)}",
                f"{CONSULTATION_RU['subject']}: {SUBJECTS_RU.get(c.subject, c.subject)}",
                f"{CONSULTATION_RU['outcome']}: {c.outcome}",
            ]
        ),
    )


def _costs(sheet: Sheet, agreement: CostProposal | None, zone: ZoneInfo) -> None:
    if agreement is None:
        sheet.write_text(COSTS_RU["own"])
        sheet.ln(2)
        return
    assert agreement.answered_at is not None  # an accepted proposal was answered
    shares = []
    for n, s in enumerate(agreement.shares, start=1):
        amount = f" — {s.amount} {s.currency}" if s.amount is not None else ""
        shares.append(f"{n}. {s.what}{amount}: несёт {SIDES_RU[s.borne_by]}")
    heading = COSTS_RU["heading"].format(
        number=agreement.number, date=date_ru(agreement.answered_at, zone)
    )
    sheet.field(heading, f"{COSTS_RU['shares']}:\n" + "\n".join(shares))
    if agreement.description:
        sheet.field(COSTS_RU["description"], agreement.description)
