"""The written request of Art. 6 as PDF: every field, in Russian, readable back from the bytes."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
import rfc8785
from pypdf import PdfReader

from ozara import seed
from ozara.pdf import render_request
from tests.pdf.conftest import REQUEST_ID, Story, flat, pdf_pages, pdf_text

KAZAKH = "ӘҒҚҢӨҰҮҺІ әғқңөұүһі"
ARMENIAN = "Հայաստանի Հանրապետության ոստիկանություն"
FINGERPRINT = "0f" * 32


def hex_after(label: str, text: str) -> str:
    """The 64-character digest printed on the line after ``label``."""
    match = re.search(re.escape(label) + r"\s*([0-9a-f]{64})\b", text)
    assert match, f"no digest after {label!r}"
    return match.group(1)


def test_request_states_every_field_of_art6_with_its_russian_label() -> None:
    story = Story(agreed_term_days=45).signed()
    head = story.officer("kaz-mvd.head")
    text = flat(pdf_text(render_request(story.request, story.registry, head)))
    c = story.request.content
    for label in (
        "Запрашивающий орган",
        "Запрашиваемый орган",
        "Цель запроса",
        "Обоснование запроса",
        "Существо дела",
        "Вид и содержание запрашиваемой помощи",
        "Сроки исполнения",
        "Категория преступления (ст. 3)",
        "Правовая квалификация деяния",
        "Срочность (ст. 6 п. 4)",
        "Иная информация",
        "Приложения",
    ):
        assert label in text, label
    for value in (
        c.purpose,
        c.justification,
        c.substance,
        c.execution_terms,
        c.legal_qualification,
        c.reference,
        "оперативно-розыскное мероприятие: Establish the subscriber behind IP 198.51.100.7",
        "процессуальное действие: Question the hosting provider",
        "Согласованный срок исполнения: 45 дн. (ст. 7 п. 2)",
        "(c) преступления, квалифицируемые как преступления в сфере информационных технологий",
        "Не срочный",
        "screenshots.zip",
        "a" * 64,
    ):
        assert value in text, value
    kaz, rus = (b for b in seed.BODIES if b.id in ("KAZ-MVD", "RUS-MVD"))
    # Letterhead: the requesting body and its state; the addressee is the requested body.
    assert "РЕСПУБЛИКА КАЗАХСТАН" in text and kaz.name_ru in text and rus.name_ru in text
    assert "Российская Федерация" in text
    assert f"Исх. № {REQUEST_ID}" in text
    assert "ст. 6 п. 2" in text and "Протокола о взаимодействии государств" in text
    # Signed at 10:00 UTC: 15:00 in Almaty, the requesting body's own time.
    assert "от 15 января 2025 г., 15:00 (Asia/Almaty)" in text
    assert f"Должность: {head.post}" in text and f"Ф. И. О.: {head.name}" in text
    assert "Дата: 15 января 2025 г., 15:00 (Asia/Almaty)" in text
    assert "Проект" not in text


def test_an_urgent_request_states_its_grounds() -> None:
    story = Story(urgent=True, urgent_grounds="Готовится атака на энергосистему").signed()
    text = flat(pdf_text(render_request(story.request, story.registry)))
    assert "Срочный запрос. Основания: Готовится атака на энергосистему" in text


def test_kazakh_letters_and_armenian_script_survive_extraction() -> None:
    story = Story(
        purpose=f"Қазақстан: {KAZAKH}",
        substance=f"{ARMENIAN} — {KAZAKH}",
        other_information=ARMENIAN,
    ).signed()
    data = render_request(story.request, story.registry, story.officer("kaz-mvd.head"))
    text = pdf_text(data)
    assert f"Қазақстан: {KAZAKH}" in text
    assert f"{ARMENIAN} — {KAZAKH}" in text
    assert text.count(ARMENIAN) == 2
    assert b"DejaVuSans" in data  # the font is embedded, not left to the reader's machine


def test_the_printed_hash_is_the_sha256_of_the_canonical_content() -> None:
    story = Story().signed()
    data = render_request(
        story.request,
        story.registry,
        story.officer("kaz-mvd.head"),
        signature_fingerprint=FINGERPRINT,
    )
    text = pdf_text(data)
    expected = hashlib.sha256(rfc8785.dumps(story.request.content.to_dict())).hexdigest()
    assert hex_after("канонический JSON RFC 8785):", text) == expected
    assert hex_after("Отпечаток ключа электронной подписи (SHA-256):", text) == FINGERPRINT
    assert "csto-it-2014.1" in text


def test_without_a_fingerprint_the_block_says_so() -> None:
    story = Story().signed()
    text = flat(pdf_text(render_request(story.request, story.registry)))
    assert "Отпечаток ключа электронной подписи (SHA-256): не указан" in text
    # No signatory given: blank lines to sign by hand, the date still that of the signing.
    assert "Ф. И. О.: ____" in text and "Дата: 15 января 2025 г." in text


def test_long_texts_flow_onto_further_pages_without_loss() -> None:
    words = [f"слово{n:04d}" for n in range(2500)]
    unbroken = "https://example.org/" + "x" * 400
    story = Story(substance=" ".join(words), other_information=unbroken).signed()
    pages = pdf_pages(render_request(story.request, story.registry))
    assert len(pages) >= 3
    text = "\n".join(pages)
    assert re.findall(r"слово\d{4}", text) == words
    # A word wider than the page is broken across lines, never clipped.
    assert unbroken in "".join(text.split())
    for n, page in enumerate(pages, start=1):
        assert f"№ {REQUEST_ID} · стр. {n} из {len(pages)}" in page


def test_an_unsigned_request_is_marked_as_a_draft() -> None:
    story = Story()
    text = flat(pdf_text(render_request(story.request, story.registry)))
    assert "Проект: запрос не подписан (ст. 6 п. 3)." in text
    assert "Дата: «___»" in text


def test_the_same_inputs_give_the_same_bytes_dated_by_the_signature() -> None:
    story = Story().signed()
    head = story.officer("kaz-mvd.head")
    first = render_request(story.request, story.registry, head, signature_fingerprint=FINGERPRINT)
    again = render_request(story.request, story.registry, head, signature_fingerprint=FINGERPRINT)
    assert first == again
    reader = PdfReader(io.BytesIO(first))
    assert reader.metadata is not None and reader.metadata.creation_date == story.signed_at


def test_the_signatory_must_be_the_officer_who_signed() -> None:
    story = Story().signed()
    with pytest.raises(ValueError, match=r"signed by 'kaz-mvd\.head'"):
        render_request(story.request, story.registry, story.officer("kaz-mvd.officer"))


def test_the_signatory_must_belong_to_the_requesting_body() -> None:
    story = Story()
    with pytest.raises(ValueError, match="not of body 'KAZ-MVD'"):
        render_request(story.request, story.registry, story.officer("rus-mvd.head"))
