"""The statement of the cooperation on a request (Art. 8, 11, 12) as PDF.

A document apart from the written request: the written request prints exactly what the
head signed, so the cooperation agreed since never changes it.
"""

from __future__ import annotations

from typing import Any

import pytest

from ozara.core.lifecycle import Action
from ozara.pdf import has_cooperation, render_cooperation, render_request
from ozara.pdf.cooperation import cooperation_hash
from tests.pdf.conftest import REQUEST_ID, Story, flat, pdf_text

KAZ_OFFICER, RUS_OFFICER, RUS_HEAD, KAZ_HEAD = (
    "kaz-mvd.officer", "rus-mvd.officer", "rus-mvd.head", "kaz-mvd.head",
)  # fmt: skip
IVANOV = {"name": "A. Ivanov", "post": "Старший следователь", "body": "KAZ-MVD"}
SEITOV = {"name": "B. Seitov", "post": "Эксперт", "body": "KAZ-MVD"}
SECTIONS = ("Участие представителей", "Консультации и переговоры", "Расходы (ст. 12)")


def executing() -> Story:
    story = Story().received()
    story.act(RUS_OFFICER, Action.START_EXECUTION)
    return story


def participation(story: Story, *, took_part: list[str] | None = None) -> None:
    details: dict[str, Any] = {
        "representatives": [IVANOV, SEITOV],
        "date_from": "2025-02-01",
        "date_to": "2025-02-05",
        "actions": ["Допрос сотрудников хостинг-провайдера"],
    }
    story.act(KAZ_OFFICER, Action.PROPOSE_PARTICIPATION, "Нужны вопросы", details=details)
    story.act(
        RUS_HEAD, Action.ANSWER_PARTICIPATION, "Только один представитель",
        details={"proposal": 1, "decision": "agreed", "agreed": ["A. Ivanov"]},
    )  # fmt: skip
    if took_part is not None:
        story.act(
            RUS_OFFICER, Action.RECORD_PARTICIPATION,
            details={"proposal": 1, "took_part": took_part},
        )  # fmt: skip


def cost_agreement(story: Story) -> None:
    share = {"borne_by": "requesting", "what": "Проезд представителей", "amount": "1500.00",
             "currency": "USD"}  # fmt: skip
    story.act(KAZ_OFFICER, Action.PROPOSE_COSTS, "Расходы на проезд", details={"shares": [share]})
    story.act(RUS_HEAD, Action.ANSWER_COSTS, details={"proposal": 1, "decision": "accepted"})


def test_an_agreed_participation_and_a_cost_agreement_are_stated() -> None:
    story = executing()
    participation(story, took_part=["A. Ivanov"])
    cost_agreement(story)
    text = flat(pdf_text(render_cooperation(story.request, story.registry, "RUS-MVD")))
    assert "г.." not in text  # the request's date ends the lead sentence once
    assert "СВЕДЕНИЯ О ВЗАИМОДЕЙСТВИИ ПО ЗАПРОСУ" in text
    assert f"№ {REQUEST_ID}/cooperation" in text and f"запроса № {REQUEST_ID}" in text
    assert "не изменяют его подписанного содержания" in text
    assert "Участие представителей запрашивающего органа в исполнении запроса (ст. 8)" in text
    assert "1. A. Ivanov, Старший следователь, KAZ-MVD" in text
    # Only the representative agreed to; the one not agreed is not stated.
    assert "B. Seitov" not in text
    assert "Сроки участия: с 1 февраля 2025 г. по 5 февраля 2025 г." in text
    assert "Допрос сотрудников хостинг-провайдера" in text
    assert "Приняли участие в исполнении запроса 1. A. Ivanov, Старший следователь" in text
    assert "Соглашение о расходах № 1" in text
    assert "Проезд представителей — 1500.00 USD: несёт запрашивающая Сторона" in text
    assert "самостоятельно несёт" not in text
    assert "Консультации и переговоры" not in text  # none held: no section
    assert cooperation_hash(story.request) in text


def test_without_a_cost_agreement_each_party_bears_its_own_costs() -> None:
    story = executing()
    participation(story)  # agreed, not yet recorded who took part
    share = {"borne_by": "requested", "what": "Экспертиза"}
    story.act(KAZ_OFFICER, Action.PROPOSE_COSTS, details={"shares": [share]})
    story.act(RUS_HEAD, Action.ANSWER_COSTS, details={"proposal": 1, "decision": "rejected"})
    story.act(
        KAZ_OFFICER, Action.RECORD_CONSULTATION, "Согласились сузить пункт 2",
        details={"bodies": ["KAZ-MVD", "RUS-MVD"], "persons": ["A. Ivanov", "P. Petrov"],
                 "held_on": "2025-01-15", "subject": "participation"},
    )  # fmt: skip
    text = flat(pdf_text(render_cooperation(story.request, story.registry, "KAZ-MVD")))
    assert "Каждая Сторона самостоятельно несёт расходы" in text and "(ст. 12" in text
    assert "Экспертиза" not in text and "Соглашение о расходах" not in text
    assert "Приняли участие" not in text  # not yet recorded
    assert "Консультация № 1 от 15 января 2025 г." in text
    assert "Участники: A. Ivanov, P. Petrov" in text
    assert "Предмет: участие представителей запрашивающего органа" in text
    assert "Итоги: Согласились сузить пункт 2" in text


def test_a_request_without_cooperation_has_no_statement() -> None:
    story = executing()
    # A participation proposed and refused, a cost proposal pending: nothing agreed.
    participation_details = {
        "representatives": [IVANOV], "date_from": "2025-02-01", "date_to": "2025-02-05",
        "actions": ["Обыск"],
    }  # fmt: skip
    story.act(KAZ_OFFICER, Action.PROPOSE_PARTICIPATION, details=participation_details)
    story.act(
        RUS_HEAD, Action.ANSWER_PARTICIPATION, "Объект режимный",
        details={"proposal": 1, "decision": "refused"},
    )  # fmt: skip
    story.act(
        KAZ_OFFICER,
        Action.PROPOSE_COSTS,
        details={"shares": [{"borne_by": "requested", "what": "Перевод"}]},
    )
    assert not has_cooperation(story.request.cooperation)
    with pytest.raises(ValueError, match="no cooperation"):
        render_cooperation(story.request, story.registry, "RUS-MVD")
    # Nor does the written request state any: it has no such section.
    text = flat(pdf_text(render_request(story.request, story.registry)))
    assert not any(section in text for section in SECTIONS)


def test_the_written_request_is_unchanged_by_the_cooperation() -> None:
    story = executing()
    before = render_request(story.request, story.registry, story.officer(KAZ_HEAD))
    participation(story, took_part=["A. Ivanov"])
    cost_agreement(story)
    assert has_cooperation(story.request.cooperation)
    after = render_request(story.request, story.registry, story.officer(KAZ_HEAD))
    assert after == before  # the paper of what was signed, byte for byte
    assert not any(section in flat(pdf_text(after)) for section in SECTIONS)


def test_only_a_body_of_the_request_issues_the_statement() -> None:
    story = executing()
    cost_agreement(story)
    with pytest.raises(ValueError, match="not a body of request"):
        render_cooperation(story.request, story.registry, "BLR-MVD")
    text = flat(pdf_text(render_cooperation(story.request, story.registry, "KAZ-MVD")))
    assert "Каждая Сторона самостоятельно" not in text and "Участие представителей" not in text
