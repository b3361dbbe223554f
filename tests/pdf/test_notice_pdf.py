"""The formal notices of Art. 7 and 9 as PDF: each kind, its article, its text in full."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace

import pytest
import rfc8785

from ozara import seed
from ozara.core.events import RequestEvent
from ozara.core.lifecycle import Action
from ozara.pdf import NOTICE_KINDS, has_notice, notice_reference, render_notice
from tests.pdf.conftest import REQUEST_ID, Story, flat, pdf_pages, pdf_text

RUS_OFFICER, RUS_HEAD = "rus-mvd.officer", "rus-mvd.head"
NAMES = {b.id: b.name_ru for b in seed.BODIES}


def forwarded(s: Story) -> RequestEvent:
    return s.received().act(RUS_OFFICER, Action.FORWARD, target_body="RUS-FSB")


def delay(s: Story) -> RequestEvent:
    return s.received().act(RUS_OFFICER, Action.NOTIFY_DELAY, "Сервер изъят следствием")


def postponed(s: Story) -> RequestEvent:
    return s.received().act(RUS_HEAD, Action.POSTPONE, "Наше дело на ключевой стадии")


def conditions(s: Story) -> RequestEvent:
    return s.received().act(RUS_HEAD, Action.PROPOSE_CONDITIONS, "Только по делу № 123")


def refused(s: Story) -> RequestEvent:
    return s.received().act(RUS_HEAD, Action.REFUSE, "Противоречит ст. 23 Конституции")


def partially_refused(s: Story) -> RequestEvent:
    return s.received().act(RUS_HEAD, Action.REFUSE, "Допрос невозможен", partial=True)


def interim(s: Story) -> RequestEvent:
    s.received().act(RUS_OFFICER, Action.START_EXECUTION)
    return s.act(RUS_OFFICER, Action.REPORT_RESULTS, "Абонент установлен, допрос назначен")


def executed(s: Story) -> RequestEvent:
    s.received().act(RUS_OFFICER, Action.START_EXECUTION)
    return s.act(RUS_OFFICER, Action.EXECUTE, "Абонент установлен: ООО «Хостинг»")


# event name, how to reach it, title, article, the event's text
KINDS: list[tuple[str, Callable[[Story], RequestEvent], str, str, str]] = [
    ("request:forwarded", forwarded, "Уведомление о передаче запроса", "ст. 7 п. 4", ""),
    (
        "request:delay_notified",
        delay,
        "Уведомление об обстоятельствах, препятствующих исполнению запроса",
        "ст. 7 п. 3",
        "Сервер изъят следствием",
    ),
    (
        "request:postponed",
        postponed,
        "Уведомление об отсрочке исполнения запроса",
        "ст. 7 п. 6",
        "Наше дело на ключевой стадии",
    ),
    (
        "request:conditions_proposed",
        conditions,
        "Уведомление об условиях исполнения запроса",
        "ст. 7 п. 6",
        "Только по делу № 123",
    ),
    (
        "request:refused",
        refused,
        "Уведомление об отказе в исполнении запроса",
        "ст. 9 п. 2",
        "Противоречит ст. 23 Конституции",
    ),
    (
        "request:partially_refused",
        partially_refused,
        "Уведомление о частичном отказе в исполнении запроса",
        "ст. 9 п. 2",
        "Допрос невозможен",
    ),
    (
        "request:interim_results",
        interim,
        "Сообщение о промежуточных результатах исполнения запроса",
        "ст. 7 п. 7",
        "Абонент установлен, допрос назначен",
    ),
    (
        "request:executed",
        executed,
        "Сообщение о результатах исполнения запроса",
        "ст. 7 п. 7",
        "Абонент установлен: ООО «Хостинг»",
    ),
]


@pytest.mark.parametrize(("name", "reach", "title", "article", "said"), KINDS)
def test_each_notice_kind_renders_with_its_article_and_text(
    name: str, reach: Callable[[Story], RequestEvent], title: str, article: str, said: str
) -> None:
    story = Story()
    event = reach(story)
    assert event.name == name and has_notice(name)
    head = story.officer(RUS_HEAD)
    text = flat(pdf_text(render_notice(story.request, event, story.registry, head)))
    assert title.upper() in text
    assert f"Основание {article} Протокола о взаимодействии государств" in text
    # On the acting body's letterhead, to the requesting body, naming the request.
    assert "РОССИЙСКАЯ ФЕДЕРАЦИЯ" in text and NAMES["RUS-MVD"] in text
    assert f"Кому: {NAMES['KAZ-MVD']} (Республика Казахстан)" in text
    assert f"№ {REQUEST_ID} от 15 января 2025 г. (исх. № KZ-2025-001)" in text
    assert f"Исх. № {notice_reference(story.request, event)}" in text
    assert said in text
    assert f"Должность: {head.post}" in text and f"Ф. И. О.: {head.name}" in text


def test_the_notice_kinds_are_exactly_those_the_protocol_requires_in_writing() -> None:
    assert set(NOTICE_KINDS) == {name for name, *_ in KINDS}
    for name in ("request:received", "request:signed", "request:sent", "request:closed"):
        assert not has_notice(name)


def test_an_event_without_a_formal_notice_is_refused() -> None:
    story = Story().received()
    received = story.events[-1]
    with pytest.raises(ValueError, match="'request:received' has no formal notice"):
        render_notice(story.request, received, story.registry)
    with pytest.raises(ValueError, match="'request:shredded'"):
        render_notice(story.request, replace(received, name="request:shredded"), story.registry)


def test_an_event_of_another_request_is_refused() -> None:
    story = Story()
    event = refused(story)
    with pytest.raises(ValueError, match="of request"):
        render_notice(replace(story.request, id="KAZ-MVD-2025-00002"), event, story.registry)


def test_the_forwarding_notice_names_the_body_that_now_holds_the_request() -> None:
    story = Story()
    event = forwarded(story)
    text = flat(pdf_text(render_notice(story.request, event, story.registry)))
    assert f"Передан в {NAMES['RUS-FSB']} (Российская Федерация)" in text
    assert f"Передан из {NAMES['RUS-MVD']}" in text


def test_the_results_say_whether_execution_was_full_or_partial() -> None:
    story = Story()
    event = executed(story)
    assert "Исполнение полное" in flat(
        pdf_text(render_notice(story.request, event, story.registry))
    )
    partial = replace(event, details={**event.details, "partial": True})
    text = flat(pdf_text(render_notice(story.request, partial, story.registry)))
    assert "Исполнение частичное" in text


def test_the_printed_hashes_are_those_of_the_event_and_the_request() -> None:
    story = Story()
    event = refused(story)
    text = pdf_text(
        render_notice(story.request, event, story.registry, signature_fingerprint="e" * 64)
    )
    digests = re.findall(r"\b[0-9a-f]{64}\b", text)
    assert digests == [
        hashlib.sha256(rfc8785.dumps(event.as_dict())).hexdigest(),
        hashlib.sha256(rfc8785.dumps(story.request.content.to_dict())).hexdigest(),
        "e" * 64,
    ]


def test_long_reasons_flow_onto_further_pages_without_loss() -> None:
    story = Story().received()
    words = [f"причина{n:04d}" for n in range(2000)]
    event = story.act(RUS_HEAD, Action.REFUSE, " ".join(words))
    pages = pdf_pages(render_notice(story.request, event, story.registry))
    assert len(pages) >= 2
    assert re.findall(r"причина\d{4}", "\n".join(pages)) == words


def test_the_notice_is_dated_in_the_acting_body_time_and_is_deterministic() -> None:
    story = Story()
    event = refused(story)  # four hours after T0: 13:00 UTC, 16:00 in Moscow
    data = render_notice(story.request, event, story.registry)
    assert data == render_notice(story.request, event, story.registry)
    assert "от 15 января 2025 г., 16:00 (Europe/Moscow)" in flat(pdf_text(data))
    assert notice_reference(story.request, event) == f"{REQUEST_ID}/refused-20250115T130000Z"


def test_the_signatory_must_belong_to_the_acting_body() -> None:
    story = Story()
    event = refused(story)
    with pytest.raises(ValueError, match="not of body 'RUS-MVD'"):
        render_notice(story.request, event, story.registry, story.officer("kaz-mvd.head"))
