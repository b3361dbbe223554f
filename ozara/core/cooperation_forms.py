"""The stored JSON form of a request's ``Cooperation`` (Art. 8, 11, 12).

Kept with the request (``requests.cooperation``), written and read only by this node: it
was validated by the core when each action was taken, so reading it back does not check
the Protocol again (a later, stricter rule must not make old cases unreadable).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ozara.core.cooperation_values import (
    Consultation,
    Cooperation,
    CostProposal,
    CostShare,
    Participation,
    Representative,
    Status,
)
from ozara.core.events import Side


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _read_time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def to_json(co: Cooperation) -> dict[str, Any]:
    return {
        "participations": [
            {
                "number": p.number,
                "representatives": [
                    {"name": r.name, "post": r.post, "body": r.body} for r in p.representatives
                ],
                "date_from": p.date_from.isoformat(),
                "date_to": p.date_to.isoformat(),
                "actions": list(p.actions),
                "proposed_by": p.proposed_by,
                "proposed_at": p.proposed_at.isoformat(),
                "note": p.note,
                "status": p.status.value,
                "agreed": list(p.agreed),
                "answered_by": p.answered_by,
                "answered_at": _time(p.answered_at),
                "reasons": p.reasons,
                "took_part": None if p.took_part is None else list(p.took_part),
                "recorded_by": p.recorded_by,
                "recorded_at": _time(p.recorded_at),
            }
            for p in co.participations
        ],
        "consultations": [
            {
                "number": c.number,
                "bodies": list(c.bodies),
                "persons": list(c.persons),
                "held_on": c.held_on.isoformat(),
                "subject": c.subject,
                "outcome": c.outcome,
                "recorded_by": c.recorded_by,
                "body_id": c.body_id,
                "recorded_at": c.recorded_at.isoformat(),
            }
            for c in co.consultations
        ],
        "costs": [
            {
                "number": c.number,
                "side": c.side.value,
                "shares": [
                    {
                        "borne_by": s.borne_by.value,
                        "what": s.what,
                        "amount": s.amount,
                        "currency": s.currency,
                    }
                    for s in c.shares
                ],
                "description": c.description,
                "proposed_by": c.proposed_by,
                "proposed_at": c.proposed_at.isoformat(),
                "status": c.status.value,
                "answered_by": c.answered_by,
                "answered_at": _time(c.answered_at),
                "reasons": c.reasons,
            }
            for c in co.costs
        ],
    }


def stored(co: Cooperation) -> dict[str, Any] | None:
    """The column's value: nothing for a request without any cooperation (most of them)."""
    return None if co.empty else to_json(co)


def from_json(data: Mapping[str, Any] | None) -> Cooperation:
    if not data:
        return Cooperation()
    return Cooperation(
        participations=tuple(
            Participation(
                number=p["number"],
                representatives=tuple(
                    Representative(r["name"], r["post"], r["body"]) for r in p["representatives"]
                ),
                date_from=date.fromisoformat(p["date_from"]),
                date_to=date.fromisoformat(p["date_to"]),
                actions=tuple(p["actions"]),
                proposed_by=p["proposed_by"],
                proposed_at=datetime.fromisoformat(p["proposed_at"]),
                note=p.get("note", ""),
                status=Status(p["status"]),
                agreed=tuple(p.get("agreed", ())),
                answered_by=p.get("answered_by"),
                answered_at=_read_time(p.get("answered_at")),
                reasons=p.get("reasons", ""),
                took_part=None if p.get("took_part") is None else tuple(p["took_part"]),
                recorded_by=p.get("recorded_by"),
                recorded_at=_read_time(p.get("recorded_at")),
            )
            for p in data.get("participations", [])
        ),
        consultations=tuple(
            Consultation(
                number=c["number"],
                bodies=tuple(c["bodies"]),
                persons=tuple(c["persons"]),
                held_on=date.fromisoformat(c["held_on"]),
                subject=c["subject"],
                outcome=c["outcome"],
                recorded_by=c["recorded_by"],
                body_id=c["body_id"],
                recorded_at=datetime.fromisoformat(c["recorded_at"]),
            )
            for c in data.get("consultations", [])
        ),
        costs=tuple(
            CostProposal(
                number=c["number"],
                side=Side(c["side"]),
                shares=tuple(
                    CostShare(Side(s["borne_by"]), s["what"], s.get("amount"), s.get("currency"))
                    for s in c["shares"]
                ),
                description=c.get("description", ""),
                proposed_by=c["proposed_by"],
                proposed_at=datetime.fromisoformat(c["proposed_at"]),
                status=Status(c["status"]),
                answered_by=c.get("answered_by"),
                answered_at=_read_time(c.get("answered_at")),
                reasons=c.get("reasons", ""),
            )
            for c in data.get("costs", [])
        ),
    )
