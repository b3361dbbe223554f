"""The joint summary of a coordinated operation as a PDF (Art. 5 para 3, Art. 13), from the
core's operation alone: what it states, in Russian, read back as a reader extracts it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from ozara import seed
from ozara.core.lifecycle import Context
from ozara.core.operation_forms import parse_plan
from ozara.core.operations import (
    LinkKind,
    Operation,
    OperationAction,
    OperationCommand,
    propose,
    transition,
)
from ozara.core.parties import Registry
from ozara.core.treaty import TreatyStatus
from ozara.pdf.operations import render_operation_summary, summary_hash
from tests.core.conftest import T0, all_officers
from tests.pdf.conftest import flat, pdf_text

A = OperationAction
REGISTRY = Registry.of(seed.BODIES)
CTX = Context(REGISTRY, TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS))
OFFICERS = all_officers()
SUMMARY = "Четыре сервера изъяты; установлены двое организаторов. Қазақстан тарапы: «Жетісу»."


def closed(close: bool = True) -> Operation:
    plan = parse_plan({
        "name": "Операция «Степной крючок»", "goals": "Пресечь фишинговые страницы банков",
        "period_from": "2026-02-01", "period_to": "2026-04-30", "categories": ["c", "a"],
        "invited": ["RUS-MVD", "BLR-MVD"],
    })  # fmt: skip
    now = T0
    op = propose("op-1", plan, "KAZ-MVD", OFFICERS["kaz-mvd.officer"], CTX, now).operation
    steps = [
        ("rus-mvd.head", OperationCommand(A.ACCEPT)),
        ("blr-mvd.head", OperationCommand(A.DECLINE, text="Нет сил в этом квартале")),
        ("kaz-mvd.officer", OperationCommand(
            A.ASSIGN_TASK, text="Установить хостинг страниц", body_id="RUS-MVD",
            due=date(2026, 3, 1), item_id="t-1",
        )),
        ("rus-mvd.officer", OperationCommand(
            A.REPORT, text="Хостинг: AS64500", task_id="t-1", item_id="r-1"
        )),
        ("rus-mvd.officer", OperationCommand(A.COMPLETE_TASK, task_id="t-1")),
        ("kaz-mvd.officer", OperationCommand(A.LINK, link_kind=LinkKind.REQUEST, ref="KAZ-1")),
    ]  # fmt: skip
    if close:
        steps.append(("kaz-mvd.head", OperationCommand(A.CLOSE, text=SUMMARY)))
    for who, command in steps:
        now += timedelta(hours=1)
        op = transition(op, command, OFFICERS[who], CTX, now).operation
    return op


def test_the_summary_states_the_whole_operation_in_russian() -> None:
    op = closed()
    data = render_operation_summary(
        op, REGISTRY, OFFICERS["kaz-mvd.head"], signature_fingerprint="ab" * 32
    )
    text = flat(pdf_text(data))
    for expected in (
        "СОВМЕСТНЫЙ ИТОГОВЫЙ ДОКУМЕНТ", "ст. 5 п. 3", "Операция «Степной крючок»",
        "Пресечь фишинговые страницы банков", "с 01.02.2026 по 30.04.2026",
        "(a) преступления против основ конституционного строя",
        "RUS-MVD: принял участие", "BLR-MVD: отказался от участия",
        "Причина: Нет сил в этом квартале", "Установить хостинг страниц",
        "Исполнитель: RUS-MVD; срок: 01.03.2026; выполнена", "(по задаче № 1)",
        "Хостинг: AS64500", "Запрос № KAZ-1 (привязан органом KAZ-MVD)", SUMMARY,
        "Head of KAZ-MVD", "head of directorate", summary_hash(op), "ab" * 32,
    ):  # fmt: skip
        assert expected in text, expected
    # The same inputs, the same bytes: the document is dated at the summary's signing.
    assert data == render_operation_summary(
        op, REGISTRY, OFFICERS["kaz-mvd.head"], signature_fingerprint="ab" * 32
    )


def test_the_hash_is_the_same_on_every_participants_node() -> None:
    op = closed()
    assert op.summary is not None
    # An invited body's node names the lead's officers as ``id@node``: the hash ignores them.
    remote = replace(op, summary=replace(op.summary, signed_by="kaz-mvd.head@KAZ-MVD-NODE"))
    assert summary_hash(remote) == summary_hash(op)
    assert summary_hash(replace(op, summary=replace(op.summary, text="Другое"))) != summary_hash(op)
    text = flat(pdf_text(render_operation_summary(remote, REGISTRY)))
    assert "kaz-mvd.head@KAZ-MVD-NODE" in text and "не указан" in text  # no fingerprint given


def test_no_summary_before_the_close_and_no_other_signatory() -> None:
    with pytest.raises(ValueError, match="active: no summary yet"):
        render_operation_summary(closed(close=False), REGISTRY)
    with pytest.raises(ValueError, match=r"signed by 'kaz-mvd\.head'"):
        render_operation_summary(closed(), REGISTRY, OFFICERS["kaz-mvd.officer"])
