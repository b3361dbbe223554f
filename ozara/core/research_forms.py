"""The JSON forms of a joint research project (Art. 5 para 6): the proposal as a lead body
writes it (``parse_proposal``, every fault at once, with the readers of
``operation_forms``), and the whole project as nodes store it and send it to each other
(``project_json``, ``load_project``)::

    {"title": "Phishing kits sold on Telegram", "topic": "...", "goals": "...",
     "period_from": "2026-02-01", "period_to": "2026-12-31",
     "invited": ["RUS-MVD", "BLR-MVD"], "researchers": ["A. Seitkali"]}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ozara.core.operation_forms import _date, _dt, _list, _odt, _t, _text
from ozara.core.operations import Answer, Participant
from ozara.core.requests import unknown_keys
from ozara.core.research import (
    MAX_INVITED,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    FinalResults,
    Project,
    Proposal,
    Researcher,
    ResearchState,
    Result,
)
from ozara.core.rules import ProtocolError, Violation, violation

__all__ = ["load_project", "parse_proposal", "project_json", "proposal_json"]

_REQUIRED = "art5.research_required"
_FIELDS = frozenset(
    {"title", "topic", "goals", "period_from", "period_to", "invited", "researchers"}
)


def parse_proposal(data: object) -> Proposal:
    """The proposal from its JSON form, or ``ProtocolError`` listing every fault."""
    if not isinstance(data, Mapping):
        raise ProtocolError([violation("$", "input.type", "a research project is a JSON object")])
    problems: list[Violation] = []
    unknown_keys(data, _FIELDS, "", problems)
    title = _text(data, "title", MAX_TITLE, problems, _REQUIRED)
    topic = _text(data, "topic", MAX_TEXT, problems, _REQUIRED)
    goals = _text(data, "goals", MAX_TEXT, problems, _REQUIRED)
    start = _date(data, "period_from", problems, _REQUIRED)
    end = _date(data, "period_to", problems, _REQUIRED)
    if start and end and end < start:
        detail = f"it ends on {end.isoformat()}, before it starts on {start.isoformat()}"
        problems.append(violation("period_to", "art5.research_period", detail))
    invited = _names(_list(data, "invited", MAX_INVITED, problems, _REQUIRED), "invited", 64,
                     problems)  # fmt: skip
    raw = data.get("researchers", [])
    if not isinstance(raw, list) or len(raw) > MAX_INVITED:
        problems.append(violation("researchers", "input.type", f"at most {MAX_INVITED} names"))
        raw = []
    researchers = _names(raw, "researchers", MAX_NAME, problems)
    if problems:
        raise ProtocolError(problems)
    assert start is not None and end is not None
    return Proposal(title, topic, goals, start, end, invited, researchers)


def _names(raw: list[Any], key: str, limit: int, problems: list[Violation]) -> tuple[str, ...]:
    out: list[str] = []
    for i, value in enumerate(raw):
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            problems.append(violation(f"{key}[{i}]", "input.type", f"1 to {limit} characters"))
        elif value.strip() not in out:
            out.append(value.strip())
    return tuple(out)


def proposal_json(p: Proposal) -> dict[str, Any]:
    return {
        "title": p.title, "topic": p.topic, "goals": p.goals,
        "period_from": p.period_from.isoformat(), "period_to": p.period_to.isoformat(),
        "invited": list(p.invited), "researchers": list(p.researchers),
    }  # fmt: skip


def project_json(p: Project) -> dict[str, Any]:
    return {
        "id": p.id, "lead_body": p.lead_body, "proposal": proposal_json(p.proposal),
        "created_at": p.created_at.isoformat(), "created_by": p.created_by,
        "state": p.state.value, "version": p.version, "cancel_reason": p.cancel_reason,
        "participants": [
            {"body_id": x.body_id, "answer": x.answer.value, "answered_at": _t(x.answered_at),
             "answered_by": x.answered_by, "reason": x.reason}
            for x in p.participants
        ],
        "researchers": [
            {"body_id": r.body_id, "name": r.name, "added_at": r.added_at.isoformat(),
             "added_by": r.added_by}
            for r in p.researchers
        ],
        "results": [
            {"id": r.id, "body_id": r.body_id, "text": r.text, "at": r.at.isoformat(),
             "by": r.by, "document_id": r.document_id}
            for r in p.results
        ],
        "final": None if p.final is None else {
            "text": p.final.text, "signed_by": p.final.signed_by,
            "signed_at": p.final.signed_at.isoformat(),
        },
    }  # fmt: skip


def load_project(data: Mapping[str, Any]) -> Project:
    """A project back from its JSON form (written by ``project_json``). Raises ``KeyError``,
    ``TypeError`` or ``ValueError`` on a malformed form (a node's document is read with it:
    the caller turns those into a refusal)."""
    p, final = data["proposal"], data.get("final")
    return Project(
        id=str(data["id"]),
        lead_body=str(data["lead_body"]),
        proposal=Proposal(
            p["title"], p["topic"], p["goals"], date.fromisoformat(p["period_from"]),
            date.fromisoformat(p["period_to"]), tuple(p["invited"]), tuple(p["researchers"]),
        ),
        created_at=_dt(data["created_at"]),
        created_by=str(data["created_by"]),
        state=ResearchState(data["state"]),
        participants=tuple(
            Participant(x["body_id"], Answer(x["answer"]), _odt(x["answered_at"]),
                        x["answered_by"], x["reason"])
            for x in data["participants"]
        ),
        researchers=tuple(
            Researcher(r["body_id"], r["name"], _dt(r["added_at"]), r["added_by"])
            for r in data["researchers"]
        ),
        results=tuple(
            Result(r["id"], r["body_id"], r["text"], _dt(r["at"]), r["by"], r["document_id"])
            for r in data["results"]
        ),
        final=None if final is None else FinalResults(
            final["text"], final["signed_by"], _dt(final["signed_at"])
        ),
        cancel_reason=str(data.get("cancel_reason", "")),
        version=int(data["version"]),
    )  # fmt: skip
