"""The JSON forms of a coordinated operation (Art. 5 para 3): the plan as a lead body
proposes it (``parse_plan``, every fault at once, as for requests and records), and the
whole operation as nodes store it and compare it (``operation_json``, ``load_operation``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ozara.core.operations import (
    MAX_INVITED,
    MAX_NAME,
    MAX_TEXT,
    Answer,
    Link,
    LinkKind,
    Operation,
    OperationState,
    Participant,
    Plan,
    Report,
    Summary,
    Task,
)
from ozara.core.requests import CrimeCategory, unknown_keys
from ozara.core.rules import ProtocolError, Violation, violation

__all__ = ["load_operation", "operation_json", "parse_plan"]


def parse_plan(data: object) -> Plan:
    """The proposal from its JSON form, or ``ProtocolError`` listing every fault."""
    if not isinstance(data, Mapping):
        raise ProtocolError([violation("$", "input.type", "an operation is a JSON object")])
    problems: list[Violation] = []
    known = frozenset({"name", "goals", "period_from", "period_to", "categories", "invited"})
    unknown_keys(data, known, "", problems)
    name = _text(data, "name", MAX_NAME, problems)
    goals = _text(data, "goals", MAX_TEXT, problems)
    start, end = _date(data, "period_from", problems), _date(data, "period_to", problems)
    if start and end and end < start:
        detail = f"it ends on {end.isoformat()}, before it starts on {start.isoformat()}"
        problems.append(violation("period_to", "art5.operation_period", detail))
    categories: list[CrimeCategory] = []
    for i, raw in enumerate(_list(data, "categories", 3, problems)):
        try:
            category = CrimeCategory(str(raw).strip().lower())
        except ValueError:
            problems.append(violation(f"categories[{i}]", "art3.category", f"got {raw!r}"))
            continue
        if category not in categories:
            categories.append(category)
    invited: list[str] = []
    for i, raw in enumerate(_list(data, "invited", MAX_INVITED, problems)):
        if not isinstance(raw, str) or not raw.strip() or len(raw) > 64:
            problems.append(violation(f"invited[{i}]", "input.type", "a competent body's id"))
        elif raw.strip() not in invited:
            invited.append(raw.strip())
    if problems:
        raise ProtocolError(problems)
    assert start is not None and end is not None
    return Plan(name, goals, start, end, tuple(sorted(categories)), tuple(invited))


def _text(
    data: Mapping[str, Any],
    key: str,
    limit: int,
    problems: list[Violation],
    rule: str = "art5.operation_required",
) -> str:
    """A required text; ``rule`` names what requires it (research projects share this)."""
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(violation(key, rule))
        return ""
    if len(value) > limit:
        problems.append(violation(key, "input.type", f"at most {limit} characters"))
    return value.strip()


def _date(
    data: Mapping[str, Any],
    key: str,
    problems: list[Violation],
    rule: str = "art5.operation_required",
) -> date | None:
    value = data.get(key)
    if value is None or value == "":
        problems.append(violation(key, rule))
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.append(violation(key, "input.type", "a date as YYYY-MM-DD"))
        return None


def _list(
    data: Mapping[str, Any],
    key: str,
    limit: int,
    problems: list[Violation],
    rule: str = "art5.operation_required",
) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        problems.append(violation(key, rule, "at least one"))
        return []
    if len(value) > limit:
        problems.append(violation(key, "input.type", f"at most {limit} entries"))
        return []
    return value


# -- the JSON form (stored, and carried between nodes) -----------------------------------


def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def operation_json(op: Operation) -> dict[str, Any]:
    return {
        "id": op.id, "lead_body": op.lead_body, "plan": op.plan.to_dict(),
        "created_at": op.created_at.isoformat(), "created_by": op.created_by,
        "state": op.state.value, "version": op.version, "cancel_reason": op.cancel_reason,
        "participants": [
            {"body_id": p.body_id, "answer": p.answer.value, "answered_at": _t(p.answered_at),
             "answered_by": p.answered_by, "reason": p.reason}
            for p in op.participants
        ],
        "tasks": [
            {"id": t.id, "body_id": t.body_id, "text": t.text, "due": t.due.isoformat(),
             "assigned_at": t.assigned_at.isoformat(), "assigned_by": t.assigned_by,
             "done_at": _t(t.done_at), "done_by": t.done_by}
            for t in op.tasks
        ],
        "reports": [
            {"id": r.id, "body_id": r.body_id, "text": r.text, "at": r.at.isoformat(),
             "by": r.by, "task_id": r.task_id}
            for r in op.reports
        ],
        "links": [
            {"kind": k.kind.value, "ref": k.ref, "body_id": k.body_id, "at": k.at.isoformat(),
             "by": k.by}
            for k in op.links
        ],
        "summary": None if op.summary is None else {
            "text": op.summary.text, "signed_by": op.summary.signed_by,
            "signed_at": op.summary.signed_at.isoformat(),
        },
    }  # fmt: skip


def _dt(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _odt(value: Any) -> datetime | None:
    return None if value is None else _dt(value)


def load_operation(data: Mapping[str, Any]) -> Operation:
    """An operation back from its stored JSON form (written by ``to_dict``)."""
    plan = data["plan"]
    summary = data.get("summary")
    return Operation(
        id=data["id"],
        lead_body=data["lead_body"],
        plan=Plan(
            plan["name"], plan["goals"], date.fromisoformat(plan["period_from"]),
            date.fromisoformat(plan["period_to"]),
            tuple(CrimeCategory(c) for c in plan["categories"]), tuple(plan["invited"]),
        ),
        created_at=_dt(data["created_at"]),
        created_by=data["created_by"],
        state=OperationState(data["state"]),
        participants=tuple(
            Participant(p["body_id"], Answer(p["answer"]), _odt(p["answered_at"]),
                        p["answered_by"], p["reason"])
            for p in data["participants"]
        ),
        tasks=tuple(
            Task(t["id"], t["body_id"], t["text"], date.fromisoformat(t["due"]),
                 _dt(t["assigned_at"]), t["assigned_by"], _odt(t["done_at"]), t["done_by"])
            for t in data["tasks"]
        ),
        reports=tuple(
            Report(r["id"], r["body_id"], r["text"], _dt(r["at"]), r["by"], r["task_id"])
            for r in data["reports"]
        ),
        links=tuple(
            Link(LinkKind(k["kind"]), k["ref"], k["body_id"], _dt(k["at"]), k["by"])
            for k in data["links"]
        ),
        summary=None if summary is None else Summary(
            summary["text"], summary["signed_by"], _dt(summary["signed_at"])
        ),
        cancel_reason=data.get("cancel_reason", ""),
        version=int(data["version"]),
    )  # fmt: skip
