"""The joint summary of a coordinated operation (Art. 5 para 3) as a PDF, in Russian (Art. 13).

A pure function like ``render.render_request``: the operation, the registry and the
signatory in, the bytes out, no clock read (the document is dated at the summary's
signing). It states the plan, every invited body and its answer, the tasks with their due
dates and who completed them, the status reports, the linked requests and records, the
summary itself, and for checking the paper against any participant's copy the SHA-256 of
what the summary states and the fingerprint of the key that signed it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from ozara.core.operations import Answer, LinkKind, Operation, OperationState
from ozara.core.parties import Officer, Registry
from ozara.core.rules import RULESET_VERSION
from ozara.documents import canonicalize

from .labels import CATEGORIES_RU, PROTOCOL_RU, date_ru, rule_article_ru
from .render import _Body, _body, _check_signatory, _close, _open

__all__ = ["SUMMARY_HASH_LABEL", "render_operation_summary", "summary_hash"]

SUMMARY_HASH_LABEL = "Хэш итогового документа (SHA-256, канонический JSON RFC 8785):"
_ANSWERS_RU = {
    Answer.INVITED: "приглашён, ответа нет",
    Answer.ACCEPTED: "принял участие",
    Answer.DECLINED: "отказался от участия",
}
_LINKS_RU = {LinkKind.REQUEST: "Запрос", LinkKind.RECORD: "Запись информации"}


def summary_hash(operation: Operation) -> str:
    """SHA-256 (hex) of the canonical JSON of the plan and the summary.

    Only what every participant's node holds alike: the officers' ids in an operation
    differ between nodes (a remote officer is ``id@node``), the plan and the summary do not.
    """
    summary = operation.summary
    stated: dict[str, Any] = {
        "operation_id": operation.id,
        "lead_body": operation.lead_body,
        "plan": operation.plan.to_dict(),
        "summary": None if summary is None else summary.text,
        "signed_at": None if summary is None else summary.signed_at.astimezone(UTC).isoformat(),
    }
    return hashlib.sha256(canonicalize(stated)).hexdigest()


def render_operation_summary(
    operation: Operation,
    registry: Registry,
    signatory: Officer | None = None,
    *,
    signature_fingerprint: str | None = None,
) -> bytes:
    """The joint summary on the lead body's letterhead, addressed to every participant.

    Raises ``ValueError`` for an operation that is not closed (it has no summary yet), or a
    signatory who is not the one the summary names.
    """
    summary = operation.summary
    if operation.state is not OperationState.CLOSED or summary is None:
        raise ValueError(f"operation {operation.id} is {operation.state.value}: no summary yet")
    if signatory is not None and signatory.id != summary.signed_by:
        raise ValueError(f"the summary was signed by {summary.signed_by!r}, not {signatory.id!r}")
    _check_signatory(signatory, operation.lead_body)
    lead = _body(registry, operation.lead_body)
    members = [_body(registry, p.body_id) for p in operation.participants]
    article = rule_article_ru("art5.operation_summary")
    sheet = _open(
        operation.id,
        summary.signed_at,
        title="Совместный итоговый документ",
        issuer=lead,
        to=_Body("", "Участникам согласованной операции", "", lead.zone),
        subtitle=f"о проведении согласованной операции в соответствии со {article} {PROTOCOL_RU}",
    )
    for label, value in _fields(operation, lead, members):
        sheet.field(label, value)
    signed_by = signatory.name if signatory else summary.signed_by
    sheet.write_text(
        f"Итоговый документ подписан: {signed_by} ({rule_article_ru('art5.operation_signatory')})."
    )
    return _close(
        sheet,
        signatory,
        dated=date_ru(summary.signed_at, lead.zone),
        digests=[(SUMMARY_HASH_LABEL, summary_hash(operation))],
        fingerprint=signature_fingerprint,
        ruleset=RULESET_VERSION,
    )


def _when(moment: datetime | None, zone: Any) -> str:
    return date_ru(moment, zone) if moment is not None else "—"


def _fields(operation: Operation, lead: _Body, members: list[_Body]) -> list[tuple[str, str]]:
    plan, zone = operation.plan, lead.zone
    participants = [
        f"{n}. {body.full}, {body.id}: {_ANSWERS_RU[p.answer]}"
        + (f" ({_when(p.answered_at, zone)})" if p.answered_at else "")
        + (f". Причина: {p.reason}" if p.reason else "")
        for n, (p, body) in enumerate(zip(operation.participants, members, strict=True), start=1)
    ]
    tasks = [
        f"{n}. {t.text}\nИсполнитель: {t.body_id}; срок: {t.due:%d.%m.%Y}; "
        + (f"выполнена {_when(t.done_at, zone)} ({t.done_by})" if t.done_at else "не выполнена")
        for n, t in enumerate(operation.tasks, start=1)
    ]
    reports = [
        f"{n}. {r.body_id}, {_when(r.at, zone)}"
        + (f" (по задаче {_task_number(operation, r.task_id)})" if r.task_id else "")
        + f":\n{r.text}"
        for n, r in enumerate(operation.reports, start=1)
    ]
    links = [
        f"{n}. {_LINKS_RU[k.kind]} № {k.ref} (привязан органом {k.body_id})"
        for n, k in enumerate(operation.links, start=1)
    ]
    assert operation.summary is not None
    return [
        ("Наименование операции", plan.name),
        ("Ведущий орган", f"{lead.full}, {lead.id}"),
        ("Цели операции", plan.goals),
        (
            "Период проведения",
            f"с {plan.period_from:%d.%m.%Y} по {plan.period_to:%d.%m.%Y}",
        ),
        (
            f"Категории преступлений ({rule_article_ru('art3.category')})",
            "\n".join(CATEGORIES_RU[c] for c in plan.categories),
        ),
        ("Приглашённые органы и их ответы", "\n".join(participants)),
        ("Задачи", "\n".join(tasks)),
        ("Отчёты о ходе операции", "\n".join(reports)),
        ("Связанные запросы и записи информации", "\n".join(links)),
        ("Итоги операции", operation.summary.text),
    ]


def _task_number(operation: Operation, task_id: str) -> str:
    for n, t in enumerate(operation.tasks, start=1):
        if t.id == task_id:
            return f"№ {n}"
    return task_id
