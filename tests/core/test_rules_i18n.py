"""The rules in the officer's language: Russian (the default, Art. 13), Kazakh and English.

Every rule is worded in the three languages, and every article label of the registry
(kept once, in English) renders in each: ``Art. 6 para 2``, ``ст. 6 п. 2``, ``6-бап 2-тармақ``.
"""

from __future__ import annotations

import re

import pytest

from ozara.core.rules import LANGUAGES, RULES, Rule, article_in, language
from ozara.pdf.labels import article_ru, rule_article_ru

RULE_IDS = sorted(RULES)
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
#: Letters of the Kazakh alphabet that Russian has not (``һ`` left out: loanwords only).
KAZAKH_LETTERS = frozenset("әғқңөұүі")

#: Every article label of the registry, in English, Russian and Kazakh.
ARTICLES: dict[str, tuple[str, str]] = {
    "Art. 3": ("ст. 3", "3-бап"),
    "Art. 4": ("ст. 4", "4-бап"),
    "Art. 5 para 1": ("ст. 5 п. 1", "5-бап 1-тармақ"),
    "Art. 5 para 3": ("ст. 5 п. 3", "5-бап 3-тармақ"),
    "Art. 5 para 4": ("ст. 5 п. 4", "5-бап 4-тармақ"),
    "Art. 5 para 6": ("ст. 5 п. 6", "5-бап 6-тармақ"),
    "Art. 6 para 1": ("ст. 6 п. 1", "6-бап 1-тармақ"),
    "Art. 6 para 2": ("ст. 6 п. 2", "6-бап 2-тармақ"),
    "Art. 6 para 3": ("ст. 6 п. 3", "6-бап 3-тармақ"),
    "Art. 6 para 4": ("ст. 6 п. 4", "6-бап 4-тармақ"),
    "Art. 6 para 5": ("ст. 6 п. 5", "6-бап 5-тармақ"),
    "Art. 7 para 2": ("ст. 7 п. 2", "7-бап 2-тармақ"),
    "Art. 7 para 3": ("ст. 7 п. 3", "7-бап 3-тармақ"),
    "Art. 7 para 4": ("ст. 7 п. 4", "7-бап 4-тармақ"),
    "Art. 7 para 5": ("ст. 7 п. 5", "7-бап 5-тармақ"),
    "Art. 7 para 6": ("ст. 7 п. 6", "7-бап 6-тармақ"),
    "Art. 7 para 7": ("ст. 7 п. 7", "7-бап 7-тармақ"),
    "Art. 8": ("ст. 8", "8-бап"),
    "Art. 9 para 1": ("ст. 9 п. 1", "9-бап 1-тармақ"),
    "Art. 9 para 2": ("ст. 9 п. 2", "9-бап 2-тармақ"),
    "Art. 10 para 1": ("ст. 10 п. 1", "10-бап 1-тармақ"),
    "Art. 10 para 2": ("ст. 10 п. 2", "10-бап 2-тармақ"),
    "Art. 10 para 3": ("ст. 10 п. 3", "10-бап 3-тармақ"),
    "Art. 11": ("ст. 11", "11-бап"),
    "Art. 12": ("ст. 12", "12-бап"),
    "Art. 16": ("ст. 16", "16-бап"),
    "Art. 18": ("ст. 18", "18-бап"),
    "Art. 6–9": ("ст. 6–9", "6–9-баптар"),
    "—": ("—", "—"),
}


# --- the texts ---------------------------------------------------------------------


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_is_worded_in_each_language(rule_id: str) -> None:
    rule = RULES[rule_id]
    for text in (rule.text_en, rule.text_ru, rule.text_kk):
        assert text.strip() == text != ""
    assert CYRILLIC.search(rule.text_ru)
    assert CYRILLIC.search(rule.text_kk)
    assert rule.text_kk != rule.text_ru


def test_the_kazakh_texts_are_kazakh() -> None:
    """Taken together, not rule by rule: a short text need not use every letter."""
    letters = set("".join(rule.text_kk for rule in RULES.values()))
    assert letters >= KAZAKH_LETTERS


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_text_picks_the_language(rule_id: str) -> None:
    rule = RULES[rule_id]
    assert rule.text("en") == rule.text_en
    assert rule.text("ru") == rule.text_ru
    assert rule.text("kk") == rule.text_kk


@pytest.mark.parametrize("lang", ["", "de", "uk", "xx-YY", "english"])
def test_an_unknown_language_gets_russian(lang: str) -> None:
    rule = RULES["art7.execution_term"]
    assert rule.text(lang) == rule.text_ru
    assert article_in(rule.article, lang) == "ст. 7 п. 2"


@pytest.mark.parametrize(
    ("lang", "code"),
    [("kk", "kk"), ("kk-KZ", "kk"), ("kk_KZ", "kk"), ("KK", "kk"), ("en-GB", "en"), ("ru", "ru")],
)
def test_a_regional_tag_gets_its_language(lang: str, code: str) -> None:
    assert language(lang) == code
    assert RULES["art9.refusal"].text(lang) == RULES["art9.refusal"].text(code)


def test_the_default_language_is_russian() -> None:
    assert LANGUAGES[0] == "ru"
    assert set(LANGUAGES) == {"ru", "kk", "en"}


def test_the_kazakh_wording_uses_the_protocol_terms() -> None:
    assert RULES["art7.forwarding"].text_kk.count("құзыретті орган") == 1
    assert "сұрау салушы Тарап" in RULES["art7.results"].text_kk
    assert "сұрау салынатын Тарап" in RULES["art7.additional_information"].text_kk
    assert "бас тарт" in RULES["art9.refusal"].text_kk
    assert "кейінге қалдыр" in RULES["art7.postponement"].text_kk
    assert "Хаттама" in RULES["art16.in_force"].text_kk


def test_a_rule_needs_its_kazakh_text() -> None:
    with pytest.raises(TypeError):
        Rule("x", "Art. 3", "en", "ru")  # type: ignore[call-arg]


# --- the article labels ------------------------------------------------------------


def test_the_table_covers_every_article_of_the_registry() -> None:
    assert {rule.article for rule in RULES.values()} == set(ARTICLES)


@pytest.mark.parametrize("article", sorted(ARTICLES))
def test_each_article_renders_in_each_language(article: str) -> None:
    ru, kk = ARTICLES[article]
    assert article_in(article, "en") == article
    assert article_in(article, "ru") == ru
    assert article_in(article, "kk") == kk


@pytest.mark.parametrize(
    ("article", "lang", "expected"),
    [
        ("Art. 6 para 2", "en", "Art. 6 para 2"),
        ("Art. 6 para 2", "ru", "ст. 6 п. 2"),
        ("Art. 6 para 2", "kk", "6-бап 2-тармақ"),
        ("Art. 7 para 7", "kk", "7-бап 7-тармақ"),
        ("Art. 16–18", "ru", "ст. 16–18"),
        ("Art. 16–18", "kk", "16–18-баптар"),
        ("Art. 6-9", "kk", "6–9-баптар"),
        ("Art. 7 para 2–3", "kk", "7-бап 2–3-тармақтар"),
        ("Art. 6 para 2 (Art. 5 (2))", "kk", "6-бап 2-тармақ (5-бап (2))"),
        ("Art. 6 para 2 (Art. 5 (2))", "ru", "ст. 6 п. 2 (ст. 5 (2))"),
        ("Art. 205", "kk", "205-бап"),
        ("Art. 23 of the Constitution", "en", "Art. 23 of the Constitution"),
        ("—", "kk", "—"),
    ],
)
def test_representative_article_labels(article: str, lang: str, expected: str) -> None:
    assert article_in(article, lang) == expected


# --- the PDF documents keep their labels --------------------------------------------


@pytest.mark.parametrize("article", sorted(ARTICLES))
def test_the_pdf_labels_are_the_core_russian_labels(article: str) -> None:
    assert article_ru(article) == ARTICLES[article][0] == article_in(article, "ru")


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_the_pdf_rule_labels_are_unchanged(rule_id: str) -> None:
    assert rule_article_ru(rule_id) == ARTICLES[RULES[rule_id].article][0]
